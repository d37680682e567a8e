"""Router: routes target leads to hunters, delivers them to reps' apps, records outcomes."""

"""Benchmark of the router's engine: routing decisions per second against rules and reps."""

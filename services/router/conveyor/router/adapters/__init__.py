"""The router's adapters: SQL tables, projections, the unit of work and webhook delivery."""

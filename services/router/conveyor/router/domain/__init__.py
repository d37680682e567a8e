"""The router's domain: stdlib only."""

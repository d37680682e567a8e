"""The router's use cases: commands, event handlers and the ports they need."""

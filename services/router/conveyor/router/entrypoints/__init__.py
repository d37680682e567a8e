"""The router's entrypoints: HTTP API and command line."""

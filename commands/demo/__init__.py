"""The built-in demo library."""

"""The use cases: one module per use case."""

"""The Typer app: one module per command group."""

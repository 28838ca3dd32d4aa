"""The command line: one Typer command per operation, each a thin call into a service."""

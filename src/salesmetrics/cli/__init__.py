"""The `salesmetrics` command line: thin Typer commands over services."""

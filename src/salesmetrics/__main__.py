"""`python -m salesmetrics` runs the CLI."""

from salesmetrics.cli.main import run

run()

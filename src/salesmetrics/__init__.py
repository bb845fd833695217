"""salesmetrics: the metrics that run a small business's sales."""

__version__ = "0.1.0"

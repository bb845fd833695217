"""All queries live here, one module per concern."""

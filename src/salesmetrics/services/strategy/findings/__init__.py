"""The insight rules, one module per family; each returns typed findings (model.py)."""

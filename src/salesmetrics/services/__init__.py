"""Use cases: the one layer that combines storage, metrics and analytics."""

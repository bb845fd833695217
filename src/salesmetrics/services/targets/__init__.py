"""Targets: setting them (plan), where they stand (status), whether they add up (rollup)."""

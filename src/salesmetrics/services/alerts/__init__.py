"""Alerts: rules checked on a schedule and on change, delivered in the app and beyond."""

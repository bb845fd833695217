"""Numeric models, estimator-shaped (fit/predict, learned state ends in _). No SQL, no HTTP."""

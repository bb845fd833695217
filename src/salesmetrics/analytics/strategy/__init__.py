"""Strategy models: response curves and allocation, forecasts and backtests, anomalies."""

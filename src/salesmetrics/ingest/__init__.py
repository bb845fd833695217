"""Files -> typed, validated batches and a row-level issue report. Never writes to a database."""

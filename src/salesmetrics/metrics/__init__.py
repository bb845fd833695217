"""The semantic layer: metric definitions as data, compiled to SQL; `explain` shows the SQL."""

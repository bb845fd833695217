"""Importing files: any real export in, row-level errors out, nothing lost, undo any time."""

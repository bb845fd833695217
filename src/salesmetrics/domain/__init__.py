"""Pure types: money, periods, enums, settings and errors. Imports nothing from the package."""

"""Users, roles, sign-in, API tokens and the audit log (docs/security.md)."""

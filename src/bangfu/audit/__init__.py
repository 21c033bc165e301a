"""Append-only audit log (every write through a service) and personal-data access log."""

"""Framework-level pieces every app shares: error codes and the per-request context."""

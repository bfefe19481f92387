"""An API key's scopes: what the key CLI issues, the authorizer grants and every route function enforces
(a module of its own so that route functions check a scope without importing the key machinery)."""

READ_WRITE = "read-write"
READ_ONLY = "read-only"
SCOPES = (READ_WRITE, READ_ONLY)

"""HTTP glue shared by every route function: ``app`` (routing, validation, the entry point), ``request`` (what an
API Gateway event carries, checked before any model), ``responses`` (the envelope and the one table mapping
domain errors to statuses and codes)."""

from .app import App, Success, lambda_handler_for, ok, without_default

__all__ = ["App", "Success", "lambda_handler_for", "ok", "without_default"]

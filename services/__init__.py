"""Typed services with a lifecycle, shared by lessons: the trainer pool, the session's own data."""

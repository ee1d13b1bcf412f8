"""The platform database: engine, sessions, migrations and schema checks."""

from .database import Database, normalise_url

__all__ = ["Database", "normalise_url"]

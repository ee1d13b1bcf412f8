"""A PostgreSQL database of its own for a test, a module or a benchmark (``YIYUAN_TEST_PG_URL``
names the server; conftest's ``pg_url`` fixture and module-scoped clusters use it)."""

from __future__ import annotations

import contextlib
import uuid

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


@contextlib.contextmanager
def fresh_pg_database(pg_admin_url: str):
    """The URL of a new PostgreSQL database, dropped (connections and all) at the end."""
    name = f"yiyuan_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(pg_admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(pg_admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

"""A throw-away PostgreSQL database for one benchmark run."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


def fresh_pg(admin_url: str) -> tuple[str, Callable[[], None]]:
    """Create an empty database next to ``admin_url``'s; returns its URL and a function that
    drops it (connections and all)."""
    name = f"yiyuan_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(admin_url).set(database=name).render_as_string(hide_password=False), drop

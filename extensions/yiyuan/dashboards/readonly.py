"""Read-only database access for the dashboards service and its kernels.

The dashboards only read. In production they get a database role that can only ``SELECT``
(``dashboards.db_url``, see docs/deploy.md); without one, the platform database is opened so
that a write fails anyway: SQLite through a ``mode=ro`` URI (plus ``query_only``), PostgreSQL
with every transaction ``READ ONLY``. That is a guard against mistakes in dashboard code, not a
security boundary: a read-write role could lift it (``SET TRANSACTION READ WRITE``), which is
why production should give the dashboards a role that cannot write.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from urllib.parse import quote

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker

from ..db import normalise_url
from ..settings import Settings


def dashboards_db_url(settings: Settings) -> str:
    """``dashboards.db_url``, or else the platform database's URL."""
    return normalise_url(settings.dashboards.db_url or settings.platform_db_url)


def read_only_url(url: str) -> URL:
    """``url`` rewritten so the driver opens it read-only where the URL can say so (SQLite)."""
    parsed = make_url(normalise_url(url))
    if parsed.get_backend_name() == "sqlite":
        path = parsed.database or ""
        if path in ("", ":memory:") or path.startswith("file:"):
            return parsed
        # SQLAlchemy hands sqlite3 "file:<path>?mode=ro" as a URI: opened read-only
        return parsed.set(database=f"file:{quote(path)}", query={"uri": "true", "mode": "ro"})
    return parsed


@cache
def read_only_engine(url: str) -> Engine:
    """One engine per URL and process (a dashboard kernel or the service)."""
    target = read_only_url(url)
    if target.get_backend_name() == "sqlite":
        engine = create_engine(target)
        event.listen(engine, "connect", _sqlite_read_only)
    else:
        # libpq option: every transaction of these connections starts READ ONLY
        engine = create_engine(
            target,
            pool_pre_ping=True,
            connect_args={"options": "-c default_transaction_read_only=on"},
        )
    return engine


@contextmanager
def read_only_session(url: str) -> Iterator[Session]:
    """A session that never commits: whatever it did is rolled back when the block ends."""
    session = sessionmaker(read_only_engine(url))()
    try:
        yield session
    finally:
        session.rollback()
        session.close()


def _sqlite_read_only(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA query_only=ON")
    # the platform writes in WAL mode: wait for its lock rather than fail at once
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()

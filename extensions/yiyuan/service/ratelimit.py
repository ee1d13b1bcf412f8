"""Requests per client address and minute, counted in the database (``request_counts``).

The service runs as several processes (and may run as several replicas): a count kept in one
process's memory would let a client have N times the limit. Each counted request is one
statement, ``INSERT … ON CONFLICT DO UPDATE SET count = count + 1 RETURNING count``, atomic on
PostgreSQL and under SQLite's write lock. Rows of past minutes are deleted when a key's new
minute begins (an indexed range delete that usually finds nothing).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite

from ..db import Database
from ..models import RequestCount, utcnow


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    #: requests of this key in this minute, this one included
    count: int
    #: seconds until the next minute begins (for ``Retry-After``)
    retry_after: int


def minute_of(now: datetime) -> datetime:
    return now.replace(second=0, microsecond=0)


def hit(database: Database, key: str, limit: int, now: datetime | None = None) -> Verdict:
    """Count one request of ``key`` (e.g. ``verify:203.0.113.7``) and say whether it is within
    ``limit`` per minute. Commits on its own: a refused request is counted too."""
    now = now or utcnow()
    minute = minute_of(now)
    dialect = sqlite if database.is_sqlite else postgresql
    table = RequestCount.__table__
    statement = dialect.insert(table).values(key=key[:80], minute=minute, count=1)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.key, table.c.minute], set_={"count": table.c.count + 1}
    ).returning(table.c.count)
    with database.session() as session:
        count = session.execute(statement).scalar_one()
        if count == 1:
            prune(session, now)
    retry = 60 - now.second if now.second else 60
    return Verdict(allowed=count <= limit, count=count, retry_after=retry)


def prune(session, now: datetime) -> None:
    """Delete the counts of minutes before the previous one (nobody reads them again)."""
    session.execute(
        delete(RequestCount).where(RequestCount.minute < minute_of(now) - timedelta(minutes=1))
    )

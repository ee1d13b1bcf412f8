"""What the message centre reads: a person's messages, the unread count, marking read."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ..models import Message


def unread_count(session: Session, account_id: int) -> int:
    return session.scalar(
        select(func.count(Message.id)).where(
            Message.account_id == account_id, Message.read_at.is_(None)
        )
    )


def recent(session: Session, account_id: int, limit: int = 100) -> list[Message]:
    """Newest first."""
    return list(
        session.scalars(
            select(Message)
            .where(Message.account_id == account_id)
            .order_by(Message.created_at.desc(), Message.id.desc())
            .limit(limit)
        )
    )


def mark_read(
    session: Session, account_id: int, ids: list[int] | None = None, now: datetime | None = None
) -> int:
    """Mark the person's unread messages read (only ``ids`` if given); returns how many."""
    statement = (
        update(Message)
        .where(Message.account_id == account_id, Message.read_at.is_(None))
        .values(read_at=now or datetime.now(UTC))
    )
    if ids is not None:
        statement = statement.where(Message.id.in_(ids))
    return session.execute(statement).rowcount or 0

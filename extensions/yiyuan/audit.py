"""The audit log: one call to record who did what, one query to read it back.

Every state change a person makes on someone else's record goes through :func:`record` in the
same transaction as the change itself, so an entry exists exactly when the change does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import AuditEntry

#: action → what administrators read in the log's 操作 column
ACTIONS = {
    "course.publish": "发布课程",
    "course.sources": "上传课件",
    "grade.manual": "评阅",
    "attendance.record": "记录出勤",
    "attendance.correct": "更正出勤",
    "checkin.open": "开放签到",
    "checkin.close": "结束签到",
}


def record(
    session: Session,
    actor: str,
    action: str,
    summary: str,
    *,
    course_id: int | None = None,
    account_id: int | None = None,
    target: str = "",
    detail: dict | None = None,
) -> AuditEntry:
    """Add one entry (flushed, not committed: it lands with the caller's change)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    entry = AuditEntry(
        actor=actor or "system",
        action=action,
        summary=summary,
        course_id=course_id,
        account_id=account_id,
        target=target[:200],
        detail=detail or {},
    )
    session.add(entry)
    session.flush()
    return entry


@dataclass(frozen=True)
class AuditFilter:
    action: str = ""
    actor: str = ""
    course_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None


def entries(session: Session, where: AuditFilter = AuditFilter(), limit: int = 500):
    """The newest entries first, at most ``limit``."""
    query = select(AuditEntry)
    if where.action:
        query = query.where(AuditEntry.action == where.action)
    if where.actor:
        query = query.where(AuditEntry.actor == where.actor)
    if where.course_id is not None:
        query = query.where(AuditEntry.course_id == where.course_id)
    if where.since is not None:
        query = query.where(AuditEntry.at >= where.since)
    if where.until is not None:
        query = query.where(AuditEntry.at < where.until)
    return list(
        session.scalars(query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit))
    )

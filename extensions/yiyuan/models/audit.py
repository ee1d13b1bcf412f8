"""The audit log: who changed what, and when. Append-only; administrators read it.

Publishing, manual grades, attendance records and corrections, check-in codes (and, in the
administrator workspace, imports and account changes) each add one row.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow


class AuditEntry(Base):
    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_at", "at"),
        Index("ix_audit_log_action_at", "action", "at"),
        Index("ix_audit_log_course_at", "course_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: the username who acted (a trainer, an administrator) or the system user of a CLI run
    actor: Mapped[str] = mapped_column(String(64))
    #: a dotted verb, e.g. ``course.publish``, ``grade.manual``, ``attendance.correct``
    action: Mapped[str] = mapped_column(String(40))
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id"))
    #: the learner concerned, when there is one
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    #: what was acted on, in words (course / module / learner)
    target: Mapped[str] = mapped_column(String(200), default="")
    #: one Chinese sentence: what happened
    summary: Mapped[str] = mapped_column(Text, default="")
    #: the facts (before / after values, scores…)
    detail: Mapped[dict] = mapped_column(JSON, default=dict)

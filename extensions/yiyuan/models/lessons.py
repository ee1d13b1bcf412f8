"""Answers a learner is working on in a compiled lesson, kept by the service.

A compiled lesson is a static page: what the learner chooses and writes is saved here as they
work (one row per learner and module, the sidecar's ``answers`` object), and becomes the
``answers.json`` of the submission when they submit. The sidecar format (yiyuan.lesson.sidecar)
stays the single definition of an answer.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow


class LessonAnswers(Base):
    __tablename__ = "lesson_answers"
    __table_args__ = (UniqueConstraint("account_id", "module_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id", ondelete="CASCADE"))
    #: question id → answer, as in the sidecar (unanswered questions absent)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: counts every save: a page that saved an older state learns it is behind
    revision: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

"""On-site sessions (现场教学) of on-site modules, and their check-in codes.

A session is one sitting of an on-site module (a module taught in several batches has several):
when, where, which trainer. It comes from the course manifest at publish. Attendance rows
(``learning.Attendance``) point at the session the learner attended; a check-in code opened by
the trainer is valid for a window, after which check-ins are refused. Wrong codes a learner
entered are rows too, so that every process and replica of the service counts the same.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .accounts import Account
from .base import Base, UTCDateTime


class OnsiteSession(Base):
    __tablename__ = "onsite_sessions"
    __table_args__ = (UniqueConstraint("module_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id"), index=True)
    #: the manifest's session ``id`` (``s1``, ``s2``… when the manifest gives none)
    code: Mapped[str] = mapped_column(String(40))
    position: Mapped[int] = mapped_column(Integer, default=0)
    place: Mapped[str] = mapped_column(String(200), default="")
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hours: Mapped[float] = mapped_column(Float, default=0.0)
    #: the trainer who runs this sitting (None: any trainer of the course)
    trainer_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    #: False when a later publish no longer lists the session (kept for its attendance)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: the code learners enter to check in ("" when none was opened); valid in its window
    checkin_code: Mapped[str] = mapped_column(String(12), default="", index=True)
    checkin_opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checkin_closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checkin_opened_by: Mapped[str] = mapped_column(String(32), default="")

    trainer: Mapped[Account | None] = relationship(lazy="joined")


class WrongCheckinCode(Base):
    """One wrong check-in code a learner entered (``onsite/checkin.py`` counts them).

    A row per wrong code, not a counter: a learner's check-ins are taken one after another
    (their account row is locked), the row is inserted, and the codes of the last ten minutes
    are counted in that same transaction. Rows older than the window are deleted at the
    learner's next check-in.
    """

    __tablename__ = "wrong_checkin_codes"
    __table_args__ = (
        Index("ix_wrong_checkin_codes_account_id_entered_at", "account_id", "entered_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    #: the service's clock when the code was entered
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: set on the wrong code that went over the limit: check-in is refused until then
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)

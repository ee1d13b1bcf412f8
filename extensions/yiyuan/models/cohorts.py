"""Training programmes (培训项目) and their cohorts (期次, e.g. 2026年第三期文艺骨干培训班).

A cohort is a group of learners taking a set of courses together between two dates; the
reports count participation per cohort. Cohorts are closed, never deleted.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime, utcnow


class Programme(Base):
    __tablename__ = "programmes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Cohort(Base):
    __tablename__ = "cohorts"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    programme_id: Mapped[int | None] = mapped_column(ForeignKey("programmes.id"), index=True)
    starts_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    #: target association codes (``writers`` …; ``全部`` for all): codes, because short names
    #: can be renamed and ids mean nothing in an export; empty = members are added by hand only
    associations: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    #: target standing codes (``member``, ``council`` …); empty = any standing
    standings: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    #: the class's 结业证书 for those who complete all its courses: ``{"title", "issuer"}``;
    #: empty: none
    certificate: Mapped[dict | None] = mapped_column(JSON, default=dict)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    programme: Mapped[Programme | None] = relationship(lazy="joined")


class CohortMember(Base):
    __tablename__ = "cohort_members"
    __table_args__ = (UniqueConstraint("cohort_id", "account_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    #: ``rule`` (targeted associations/standings) or ``admin`` (added by hand)
    source: Mapped[str] = mapped_column(String(20), default="admin")
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CohortCourse(Base):
    __tablename__ = "cohort_courses"
    __table_args__ = (UniqueConstraint("cohort_id", "course_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"))
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)

"""Certificates (结业证书), study-hours statements (学时证明) and the jobs that issue them.

A certificate row is the record a third party checks (the verify page reads it); the PDF is
only a rendering of it, made when first asked for and kept in storage. Rows are never
deleted: a revoked certificate stays, marked, so its serial still answers "已撤销".
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .accounts import Account
from .base import Base, UTCDateTime, utcnow


class Certificate(Base):
    __tablename__ = "certificates"
    __table_args__ = (
        # "never twice for the same achievement": one edition number per (person, achievement);
        # a reissue after a name correction is the next edition, the old one revoked
        Index("ux_certificates_edition", "account_id", "achievement", "edition", unique=True),
        Index("ix_certificates_course", "course_id", "account_id"),
        Index("ix_certificates_cohort", "cohort_id", "account_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: e.g. ``2026-ZS-000123-7KQ4M9XA``: year, ZS/XS (证书/学时), the row's id, and a random part that
    #: makes serials impossible to guess or enumerate (the verify page needs all of it)
    serial: Mapped[str] = mapped_column(String(40), unique=True)
    #: ``course`` (结业证书 of a course), ``cohort`` (of a class), ``hours`` (学时证明 of a year)
    kind: Mapped[str] = mapped_column(String(10))
    #: what was achieved, as a key: ``course:<id>``, ``cohort:<id>``, ``hours:<year>``
    achievement: Mapped[str] = mapped_column(String(40))
    edition: Mapped[int] = mapped_column(Integer, default=1)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id"))
    cohort_id: Mapped[int | None] = mapped_column(ForeignKey("cohorts.id"))
    #: as printed (a later change of the member's name needs a reissue)
    title: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(50))
    association: Mapped[str] = mapped_column(String(200), default="")
    subject: Mapped[str] = mapped_column(String(200))
    hours: Mapped[float] = mapped_column(Float, default=0.0)
    #: the day of the achievement (course completed; for a statement: the day it was made)
    achieved_on: Mapped[date] = mapped_column(Date)
    #: the signing body's code in settings (``certificates.issuers``: its name, seal, signatory)
    issuer: Mapped[str] = mapped_column(String(40))
    #: what else the document shows: a statement's ledger lines, the class's courses
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: ``""``: issued by the rules on completion; else the administrator
    issued_by: Mapped[str] = mapped_column(String(32), default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by: Mapped[str] = mapped_column(String(32), default="")
    revoked_reason: Mapped[str] = mapped_column(Text, default="")

    account: Mapped[Account] = relationship(lazy="joined")

    @property
    def valid(self) -> bool:
        return self.revoked_at is None


class CertificateJob(Base):
    """Issuing for a whole class in the background, with its progress for the CLI and page."""

    __tablename__ = "certificate_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id"), index=True)
    #: ``queued``, ``running``, ``done``, ``failed``
    state: Mapped[str] = mapped_column(String(10), default="queued")
    total: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    issued: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str] = mapped_column(Text, default="")
    requested_by: Mapped[str] = mapped_column(String(32), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: written with every step: a running job not heard from for a while has died
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

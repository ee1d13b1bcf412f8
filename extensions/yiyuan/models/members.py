"""Members of the associations (会员), their memberships and standing, and hub sync state.

History is never deleted: a member dropped from a roster becomes inactive, a membership that
ends gets ``left_at``; their records stay for the reports.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, Enum, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .accounts import Account
from .associations import Association
from .base import Base, UTCDateTime, utcnow


class Standing(enum.StrEnum):
    """A member's standing (会员身份) in one association."""

    member = "member"  # 会员
    council = "council"  # 理事
    standing_council = "standing-council"  # 常务理事
    presidium = "presidium"  # 主席团成员


class Member(Base):
    __tablename__ = "members"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    #: 11-digit mainland mobile number: the natural key rosters are matched on
    mobile: Mapped[str] = mapped_column(String(11), unique=True)
    email: Mapped[str] = mapped_column(String(120), default="")
    #: "M", "F" or "" (not given)
    gender: Mapped[str] = mapped_column(String(1), default="")
    work_unit: Mapped[str] = mapped_column(String(200), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deactivated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    account: Mapped[Account] = relationship(lazy="joined")
    memberships: Mapped[list[Membership]] = relationship(
        back_populates="member", cascade="all, delete-orphan", lazy="selectin"
    )


class Membership(Base):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("member_id", "association_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    # reports group by association
    association_id: Mapped[int] = mapped_column(ForeignKey("associations.id"), index=True)
    standing: Mapped[Standing] = mapped_column(
        Enum(
            Standing,
            native_enum=False,
            length=20,
            create_constraint=True,
            name="standing",
            values_callable=lambda e: [s.value for s in e],
        ),
        default=Standing.member,
    )
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    member: Mapped[Member] = relationship(back_populates="memberships")
    association: Mapped[Association] = relationship(lazy="joined")


class HubSync(Base):
    """One row: the roster version the hub should reflect and the one it last received.

    Imports bump ``wanted_version``; the sync (``yiyuan members sync`` or the hub's
    roster-sync service) copies it to ``synced_version`` after a successful sync.
    """

    __tablename__ = "hub_sync"

    id: Mapped[int] = mapped_column(primary_key=True)
    wanted_version: Mapped[int] = mapped_column(Integer, default=0)
    synced_version: Mapped[int] = mapped_column(Integer, default=0)
    synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str] = mapped_column(Text, default="")

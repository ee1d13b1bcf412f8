"""Login throttles and known clients: what the login remembers between attempts.

Kept in the platform database rather than in the hub's memory so that a restart forgets
nothing and several hub replicas see the same counters.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow


class ThrottleKind(enum.StrEnum):
    """What one failure counter counts (see accounts/lockouts.py for the keys)."""

    #: failures against one account from clients that never logged in to it
    account = "account"
    #: the same for a name (or mobile number) that has no account, so that it behaves alike
    name = "name"
    #: failures from one client address (IPv4, or an IPv6 /64) on any name
    address = "address"
    #: failures from one known client (device cookie) against its own account
    client = "client"


class LoginThrottle(Base):
    """One failure counter and its block."""

    __tablename__ = "login_throttles"
    __table_args__ = (
        UniqueConstraint("kind", "key"),
        Index("ix_login_throttles_last_failure_at", "last_failure_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ThrottleKind] = mapped_column(
        Enum(ThrottleKind, native_enum=False, length=16, create_constraint=True, name="kind")
    )
    #: the account id, a hash of an unknown name, an address, or ``<account>:<client hash>``
    key: Mapped[str] = mapped_column(String(100))
    #: the account concerned (account and client counters), so admins can clear them at once
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    #: failures since the counter was last reset (forgotten after a quiet window)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    #: attempts refused unchecked while blocked
    refused: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    blocked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the client address of the failure that set the block (for the audit log and admins)
    last_address: Mapped[str] = mapped_column(String(64), default="")


class KnownClient(Base):
    """A browser (device cookie) that has logged in to an account with its password."""

    __tablename__ = "known_clients"
    __table_args__ = (UniqueConstraint("account_id", "token_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    #: SHA-256 of the cookie's random token: the token itself is never stored
    token_hash: Mapped[str] = mapped_column(String(64))
    first_login_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_address: Mapped[str] = mapped_column(String(64), default="")

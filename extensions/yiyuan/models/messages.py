"""Messages (消息) to one person, and each delivery of one through an outside channel.

A message is written once per happening (its ``key``: the completion event it tells of, the
deadline it reminds of, the enrolment it announces), so collecting twice never writes it twice.
The message centre is the in-platform channel: the row itself. SMS, WeChat or e-mail sends are
``MessageDelivery`` rows, one per message and channel, whatever their outcome.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime, utcnow


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("account_id", "key"),
        # the unread count on every portal view, from the index alone
        Index("ix_messages_account_id_read_at", "account_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    #: passed, failed, waiting, teacher-graded, course-completed, enrolled, due-soon, due-tomorrow
    kind: Mapped[str] = mapped_column(String(30))
    #: what the message tells of, unique per person: "event:123", "enrolment:45", "due7:3:2026-12-20"
    key: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    #: where the person goes from it (a path below the platform, e.g. "feedback/12"); "" for none
    link: Mapped[str] = mapped_column(String(300), default="")
    #: the completion event it tells of, if any (collecting resumes after the newest)
    event_id: Mapped[int | None] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    deliveries: Mapped[list[MessageDelivery]] = relationship(
        back_populates="message", cascade="all, delete-orphan", lazy="selectin"
    )


class MessageDelivery(Base):
    """One send of a message through an outside channel (sms, wechat, email …)."""

    __tablename__ = "message_deliveries"
    __table_args__ = (UniqueConstraint("message_id", "channel"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(20))
    #: sent, failed, skipped (e.g. no mobile number)
    state: Mapped[str] = mapped_column(String(10))
    #: the channel's answer or the reason (Chinese, for the administrator)
    detail: Mapped[str] = mapped_column(String(300), default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    message: Mapped[Message] = relationship(back_populates="deliveries")

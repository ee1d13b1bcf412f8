"""Send new messages through the outside channels, one recorded delivery per message and
channel, whatever the outcome: a message already delivered (or tried) on a channel is never
sent there again."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from ..models import Account, Member, Message, MessageDelivery
from ..settings import Settings
from .channels import Channel, Recipient, load_channels
from .collect import WINDOW, collect

log = logging.getLogger(__name__)

#: messages sent per channel per run: a first run after a big publish spreads over runs
BATCH = 2000


#: a delivery's state as the administrator reads it
STATE_LABELS = {"sent": "已发送", "failed": "失败", "skipped": "跳过"}


@dataclass
class Report:
    new: int = 0
    #: channel → state → count
    sent: dict[str, dict[str, int]] = field(default_factory=dict)

    def summary(self) -> str:
        parts = [f"新消息 {self.new} 条"]
        for channel, states in self.sent.items():
            counts = "、".join(f"{STATE_LABELS[s]} {n}" for s, n in states.items() if n) or "无"
            parts.append(f"{channel}：{counts}")
        return "；".join(parts)


def deliver(
    session: Session,
    channels: list[Channel],
    kinds: tuple[str, ...],
    now: datetime,
    report: Report,
) -> None:
    for channel in channels:
        states = report.sent.setdefault(channel.name, {"sent": 0, "failed": 0, "skipped": 0})
        tried = exists().where(
            MessageDelivery.message_id == Message.id, MessageDelivery.channel == channel.name
        )
        pending = session.execute(
            select(Message, Account, Member)
            .join(Account, Account.id == Message.account_id)
            .outerjoin(Member, Member.account_id == Account.id)
            .where(Message.kind.in_(kinds), Message.created_at >= now - WINDOW, ~tried)
            .order_by(Message.id)
            .limit(BATCH)
        ).all()
        for message, account, member in pending:
            recipient = Recipient(
                username=account.username,
                name=(member.name if member else "") or account.display_name or account.username,
                mobile=member.mobile if member else "",
                email=member.email if member else "",
            )
            try:
                state, detail = channel.send(recipient, message)
            except Exception as error:  # a gateway's failure must not stop the others
                log.exception("消息通道 %s 发送失败", channel.name)
                state, detail = "failed", f"{type(error).__name__}: {error}"
            if state not in states:
                state, detail = "failed", f"通道返回了未知状态 {state!r}"
            states[state] += 1
            session.add(
                MessageDelivery(
                    message_id=message.id,
                    channel=channel.name,
                    state=state,
                    detail=str(detail)[:300],
                    at=datetime.now(UTC),
                )
            )
            session.commit()  # recorded at once: a crash resends at most the one in hand


def send_due(session: Session, settings: Settings, now: datetime | None = None) -> Report:
    """Collect for everyone (deadline reminders included), then send outside. Idempotent."""
    now = now or datetime.now(UTC)
    channels = load_channels(settings)
    report = Report()
    report.new = collect(session, now, remind_days=settings.messages.remind_days)
    session.commit()
    deliver(session, channels, settings.messages.outside_kinds, now, report)
    return report

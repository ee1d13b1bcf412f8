"""``yiyuan messages``: collect and send messages (消息), once or as the hub's service."""

from __future__ import annotations

import logging
import signal
import time

import click
from sqlalchemy import select

from ..clock import local_zone
from ..db.migrate import check_schema
from ..errors import YiyuanError
from ..messages import inbox
from ..messages.deliver import STATE_LABELS, send_due
from ..models import Account
from . import Context, pass_context


@click.group("messages", help="消息：成绩、教师评语、截止提醒、报名通知，站内与短信等外部通道。")
def group() -> None:
    pass


@group.command(
    "send-due",
    help="生成尚未生成的消息（含截止提醒），并通过外部通道发出；可重复运行，不会重复发送。",
)
@pass_context
def send_due_command(ctx: Context) -> None:
    check_schema(ctx.database)
    with ctx.database.session() as session:
        report = send_due(session, ctx.settings)
    click.echo(report.summary() + "。")


@group.command(
    help="持续运行（由 JupyterHub 作为服务启动）：每隔 messages.every 秒执行一次 send-due。"
)
@pass_context
def run(ctx: Context) -> None:
    check_schema(ctx.database)
    logging.basicConfig(
        level=logging.INFO, format="[%(levelname)s %(asctime)s messages] %(message)s"
    )
    log = logging.getLogger("yiyuan.messages")
    # the hub stops its services with SIGINT (SIGTERM when it died): a round is idempotent
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _stop)
    every = max(ctx.settings.messages.every, 5)
    while True:
        try:
            with ctx.database.session() as session:
                report = send_due(session, ctx.settings)
            if report.new or any(sum(s.values()) for s in report.sent.values()):
                log.info("%s", report.summary())
        except Exception:  # a bad round (database restarting …) must not end the service
            log.exception("消息发送出错，稍后重试")
        time.sleep(every)


@group.command("list", help="列出一位用户最近的消息（管理员排查用）。")
@click.argument("username")
@click.option("--limit", default=20, show_default=True)
@pass_context
def list_command(ctx: Context, username: str, limit: int) -> None:
    check_schema(ctx.database)
    with ctx.database.session() as session:
        account = session.scalar(select(Account).where(Account.username == username))
        if account is None:
            raise YiyuanError(f"没有用户名为 {username} 的账号。")
        for message in inbox.recent(session, account.id, limit):
            state = "未读" if message.read_at is None else "已读"
            sent = "、".join(
                f"{d.channel} {STATE_LABELS.get(d.state, d.state)}"
                for d in sorted(message.deliveries, key=lambda d: d.channel)
            )
            click.echo(
                f"{message.created_at.astimezone(local_zone()):%Y-%m-%d %H:%M} [{state}] {message.title} — {message.body}"
                + (f"（外发：{sent}）" if sent else "")
            )


def _stop(signum, frame) -> None:
    raise SystemExit(0)

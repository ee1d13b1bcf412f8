"""``yiyuan demo``: data for trying the platform."""

from __future__ import annotations

import click

from ..db.migrate import check_schema
from ..demo import DEMO_PASSWORD, seed_demo
from . import Context, pass_context
from .users import ROLE_LABELS


@click.group("demo", help="演示数据。")
def group() -> None:
    pass


@group.command(help="写入演示协会与演示账号（已存在的不会重复创建）。")
@pass_context
def seed(ctx: Context) -> None:
    check_schema(ctx.database)
    with ctx.database.session() as session:
        accounts = seed_demo(session, ctx.settings.city)
    click.echo(f"演示账号（密码均为 {DEMO_PASSWORD}，仅供演示）：")
    for demo, created in accounts:
        note = "新建" if created else "已存在"
        role = ROLE_LABELS[demo.role]
        click.echo(f"  {demo.username:<10} {role:<6} {demo.display_name}（{note}）")

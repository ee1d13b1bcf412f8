"""``yiyuan db``: the platform database's schema."""

from __future__ import annotations

import click

from ..associations.records import ensure_standard_associations
from ..db import migrate
from ..db.database import describe_url
from . import Context, pass_context


@click.group("db", help="数据库结构（迁移）。")
def group() -> None:
    pass


@group.command(help="把数据库升级到最新结构（可重复运行）。")
@click.argument("revision", default="head")
@pass_context
def upgrade(ctx: Context, revision: str) -> None:
    migrate.upgrade(ctx.database, revision)
    version = migrate.current_revision(ctx.database)
    click.echo(f"数据库 {describe_url(ctx.database.url)} 已是版本 {version}。")
    if version == migrate.head_revision(ctx.database):
        with ctx.database.session() as session:
            added = ensure_standard_associations(session, ctx.settings.city)
        if added:
            click.echo(f"已添加 {added} 个常见协会（yiyuan associations list 查看）。")


@group.command(help="把数据库降级到指定版本，例如 -1（上一版）或 base（清空）。")
@click.argument("revision")
@pass_context
def downgrade(ctx: Context, revision: str) -> None:
    migrate.downgrade(ctx.database, revision)
    click.echo(f"数据库已降级到版本 {migrate.current_revision(ctx.database) or 'base'}。")


@group.command(help="显示数据库当前版本与程序需要的版本。")
@pass_context
def current(ctx: Context) -> None:
    ctx.database.check_reachable()
    click.echo(f"当前版本：{migrate.current_revision(ctx.database) or '（未初始化）'}")
    click.echo(f"程序需要：{migrate.head_revision(ctx.database)}")

"""``yiyuan associations``: the federation's associations (data, not code)."""

from __future__ import annotations

import click
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ..db.migrate import check_schema
from ..errors import YiyuanError
from ..models import Association, Member, Membership
from . import Context, pass_context


@click.group("associations", help="协会：列出与添加。常见的十一个协会在 db upgrade 时自动添加。")
def group() -> None:
    pass


@group.command("list", help="列出协会及在籍会员数。")
@pass_context
def list_(ctx: Context) -> None:
    check_schema(ctx.database)
    with ctx.database.session() as session:
        members = (
            select(Membership.association_id, func.count().label("n"))
            .join(Member, Membership.member_id == Member.id)
            .where(Membership.active, Member.active)
            .group_by(Membership.association_id)
            .subquery()
        )
        rows = session.execute(
            select(Association, func.coalesce(members.c.n, 0))
            .outerjoin(members, members.c.association_id == Association.id)
            .order_by(Association.sort_order, Association.id)
        ).all()
        for association, count in rows:
            state = "" if association.active else "（已停用）"
            click.echo(
                f"{association.short_name:<6} {association.full_name:<16} "
                f"{association.code:<14} {count} 人{state}"
            )


@group.command(help="添加协会，例如：yiyuan associations add film 影协 深圳市电影家协会")
@click.argument("code")
@click.argument("short_name")
@click.argument("full_name")
@pass_context
def add(ctx: Context, code: str, short_name: str, full_name: str) -> None:
    check_schema(ctx.database)
    if not code.replace("-", "").isascii() or not code.replace("-", "").isalnum():
        raise YiyuanError(f"协会代码 {code!r} 只能由英文字母、数字和连字符组成（例如 film）。")
    try:
        with ctx.database.session() as session:
            order = session.scalar(select(func.coalesce(func.max(Association.sort_order), 0)))
            session.add(
                Association(
                    code=code.lower(),
                    short_name=short_name,
                    full_name=full_name,
                    sort_order=order + 1,
                )
            )
    except IntegrityError:
        raise YiyuanError(
            f"协会代码、简称或全称已存在：{code} / {short_name} / {full_name}。"
        ) from None
    click.echo(f"已添加协会 {full_name}（{short_name}），群组 assoc-{code.lower()}。")

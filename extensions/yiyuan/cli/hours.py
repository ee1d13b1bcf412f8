"""``yiyuan hours``: the study-hours rules, manual credits and a person's ledger (学时)."""

from __future__ import annotations

import click

from ..clock import local_zone
from ..completion import credits
from ..completion.progress import hours_this_year
from ..db.migrate import check_schema
from ..members import directory
from ..models import Account
from . import Context, actor_option, pass_context


@click.group("hours", help="学时：现行规则、手工计入、个人学时台账。")
def group() -> None:
    pass


@group.command(help="显示现行学时规则及各课程单元的学时。")
@pass_context
def rules(ctx: Context) -> None:
    check_schema(ctx.database)
    with ctx.database.session() as session:
        in_force = credits.rules_in_force(session)
    for number, rule in enumerate(in_force.rules, 1):
        click.echo(f"{number}. {rule}")
    if in_force.modules:
        click.echo("\n各课程单元通过后计入的学时：")
    for line in in_force.modules:
        required = "必修" if line.required else "选修"
        click.echo(
            f"  {line.course}（{line.course_code}）· {line.module} · {line.kind} · {required}"
            f" · {line.hours:g} 学时 · 通过规则：{line.pass_rule}"
        )


@group.command(help="为一位学员手工计入学时（如外出培训），须写明事由和批准人。")
@click.argument("username")
@click.option("--hours", required=True, help="学时，0.5–100，以 0.5 为单位，例如 6")
@click.option("--reason", required=True, help="事由，例如 参加市文联外出培训（2026年11月）")
@click.option("--approver", required=True, help="批准人姓名")
@click.option("--date", "day", default="", help="学习日期 YYYY-MM-DD，默认今天")
@actor_option
@pass_context
def credit(ctx: Context, username, hours, reason, approver, day, actor) -> None:
    check_schema(ctx.database)
    with ctx.database.session() as session:
        entry = credits.credit_manual(
            session, username, hours, reason, approver, actor, credited_on=day or None
        )
        shown = f"{entry.credited_at.astimezone(local_zone()):%Y-%m-%d}"
        account = session.get(Account, entry.account_id)
        total = hours_this_year(session, entry.account_id)
        click.echo(
            f"已为 {account.username}（{account.display_name}）计入 {entry.hours:g} 学时"
            f"（{shown}）；本年度共 {total:g} 学时。"
        )


@group.command("list", help="显示一位学员的学时台账（含手工计入的事由与批准人）。")
@click.argument("username")
@pass_context
def list_(ctx: Context, username: str) -> None:
    check_schema(ctx.database)
    with ctx.database.session() as session:
        profile = directory.member_profile(session, username)
    click.echo(
        f"{profile.display_name}（{profile.username}）本年度学时：{profile.hours_this_year:g}"
    )
    if not profile.ledger:
        click.echo("台账中没有记录。")
    for line in profile.ledger:
        what = f"{line.course} · {line.module}" if line.module else line.reason
        approved = f" · 批准人 {line.approved_by}" if line.approved_by else ""
        click.echo(f"{line.date}  {line.hours:+g} 学时  {what}  （{line.rule}{approved}）")

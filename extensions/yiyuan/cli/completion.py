"""``yiyuan completion``: recompute results and study hours, show a learner's progress."""

from __future__ import annotations

import click

from ..db.migrate import check_schema
from . import Context, pass_context


@click.group("completion", help="学习完成情况：单元结果、课程完成与学时。")
def group() -> None:
    pass


@group.command(help="按当前的通过规则重新计算单元结果、学时和课程完成情况（可重复运行）。")
@click.option("--course", "course_id", default=None, help="只计算这门课程（课程代码）")
@pass_context
def recompute(ctx: Context, course_id: str | None) -> None:
    from ..completion.engine import recompute as recompute_all

    check_schema(ctx.database)
    with ctx.database.session() as session:
        counts = recompute_all(session, course_id)
    click.echo(
        f"已重新计算：{counts['results_changed']} 个单元结果有变化，"
        f"计入学时 {counts['hours_credited']} 笔，冲销 {counts['hours_reversed']} 笔，"
        f"新完成课程 {counts['courses_completed']} 门。"
    )


@group.command(help="显示一名学员各课程单元的状态、得分率和本年度学时。")
@click.argument("username")
@pass_context
def show(ctx: Context, username: str) -> None:
    from ..accounts.service import get_account
    from ..clock import local_zone
    from ..completion.progress import courses_of, hours_this_year

    check_schema(ctx.database)
    with ctx.database.session() as session:
        account = get_account(session, username)
        courses = courses_of(session, account.id)
        hours = hours_this_year(session, account.id)
    click.echo(f"{account.display_name}（{account.username}）本年度学时：{hours:g}")
    if not courses:
        click.echo("尚未报名任何课程。")
    for course in courses:
        kind = "必修" if course.enrolment == "required" else "选修"
        done = (
            f"已完成（{course.completed_at.astimezone(local_zone()):%Y-%m-%d}）"
            if course.completed_at
            else f"{course.passed}/{len(course.modules)} 个单元已通过"
        )
        click.echo(f"{course.code} {course.title}（{kind}，{done}）")
        for module in course.modules:
            score = f"得分率 {module.score:.0f}%" if module.score is not None else "-"
            click.echo(
                f"  {module.code:<22} {module.status_label:<4} {score:<10} {module.hours:g} 学时"
                f"  {module.title}"
            )

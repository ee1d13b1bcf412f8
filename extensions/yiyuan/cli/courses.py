"""``yiyuan courses``: the course catalogue and its checker."""

from __future__ import annotations

import click

from ..courses.check import check_courses
from ..db.migrate import check_schema
from ..errors import DatabaseError, YiyuanError
from ..members.matching import AssociationMatcher, standard_matcher
from ..members.rows import associations_matcher
from . import Context, pass_context


@click.group("courses", help="课程：检查课程清单与课件。")
def group() -> None:
    pass


def _matcher(ctx: Context) -> AssociationMatcher:
    """The platform's associations; the standard eleven when there is no database yet."""
    try:
        check_schema(ctx.database)
    except DatabaseError:
        return standard_matcher(ctx.settings.city)
    with ctx.database.session() as session:
        return associations_matcher(session, ctx.settings.city)


@group.command(help="检查课程清单与课件；不给课程代码时检查全部。有问题时退出码为 1。")
@click.argument("ids", nargs=-1)
@pass_context
def check(ctx: Context, ids: tuple[str, ...]) -> None:
    courses_dir = ctx.settings.courses_dir
    if not courses_dir.is_dir():
        raise YiyuanError(f"课程目录 {courses_dir} 不存在：请检查配置项 courses_dir。")
    results = check_courses(courses_dir, _matcher(ctx), ids)
    if not results:
        raise YiyuanError(f"{courses_dir} 中没有课程清单（*.yml）。")
    failed = 0
    for result in results:
        if result.problems:
            failed += 1
            click.echo(f"✗ {result.path.stem}：{len(result.problems)} 个问题")
            for problem in result.problems:
                click.echo(f"  {problem}")
        else:
            course = result.course
            click.echo(
                f"✓ {course.id} {course.title}（{len(course.modules)} 个单元，{course.hours:g} 学时）"
            )
    if failed:
        raise YiyuanError(f"{failed} 门课程有问题，请按上面的提示修改后再检查。")
    click.echo(f"{len(results)} 门课程检查通过。")


@group.command("list", help="列出课程目录中的课程。")
@pass_context
def list_(ctx: Context) -> None:
    results = check_courses(ctx.settings.courses_dir, _matcher(ctx), ())
    for result in results:
        if result.course:
            course = result.course
            kind = "必修" if course.enrolment == "required" else "选修"
            click.echo(
                f"{course.id:<22} {course.title}（{course.category}，{kind}，{course.hours:g} 学时）"
            )
        else:
            click.echo(
                f"{result.path.stem:<22} （清单有问题：yiyuan courses check {result.path.stem}）"
            )

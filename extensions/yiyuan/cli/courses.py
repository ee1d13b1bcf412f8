"""``yiyuan courses``: the course catalogue, its checker, publishing and hand enrolment."""

from __future__ import annotations

import getpass
from pathlib import Path

import click
from sqlalchemy import select

from ..db.migrate import check_schema
from ..errors import DatabaseError, YiyuanError
from ..members.matching import AssociationMatcher, standard_matcher
from ..members.rows import associations_matcher
from . import Context, pass_context


@click.group("courses", help="课程：检查、发布课程，为学员报名。")
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
    from ..courses.check import check_courses  # nbformat and jsonschema: a second to import

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


@group.command(help="按模板新建一门课程：课程清单和示例课件（一个线上单元、一个现场教学单元）。")
@click.argument("code")
@click.option("--title", required=True, help="课程标题")
@click.option("--trainer", default="", help="任课教师的用户名，默认为当前系统用户")
@click.option(
    "--dir",
    "folder",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="写到哪个课程目录，默认为配置项 courses_dir",
)
@pass_context
def new(ctx: Context, code: str, title: str, trainer: str, folder: Path | None) -> None:
    from ..authoring.template import new_course

    root = folder or ctx.settings.courses_dir
    files = new_course(root, code, title, trainer or getpass.getuser())
    click.echo(f"已新建课程 {code}：")
    for path in files:
        click.echo(f"  {path}")
    click.echo("下一步：")
    click.echo("  1. 在 JupyterLab 中按注释修改课程清单和课件；")
    click.echo(f"  2. 检查：yiyuan courses check {code}（或在“课程编写”页面点“检查”）；")
    click.echo("  3. 预览：在“课程编写”页面（/user/<用户名>/yiyuan/author/）点课件旁的“预览”；")
    click.echo(f"  4. 发布：yiyuan courses publish {code}（或在“课程编写”页面点“上传并发布”）。")


@group.command("list", help="列出课程目录中的课程。")
@pass_context
def list_(ctx: Context) -> None:
    from ..courses.check import check_courses

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


@group.command(
    help="发布课程：检查课程，生成并发布各线上单元，为必修课的目标学员报名。"
    "再次发布只更新有变化的单元，不会丢失学员的提交。"
)
@click.argument("ids", nargs=-1)
@click.option("--all", "all_", is_flag=True, help="发布课程目录中的全部课程")
@click.option("--actor", default="", help="发布人的用户名（记录在课程上），默认为当前系统用户")
@pass_context
def publish(ctx: Context, ids: tuple[str, ...], all_: bool, actor: str) -> None:
    from ..catalog.publish import PublishError
    from ..catalog.publish import publish as publish_course
    from ..catalog.sources import all_codes

    if bool(ids) == all_:
        raise YiyuanError("请给出要发布的课程代码，或用 --all 发布全部课程（二者选一）。")
    check_schema(ctx.database)
    settings = ctx.settings
    codes = list(ids) or all_codes(settings)
    if not codes:
        raise YiyuanError(f"{settings.courses_dir} 中没有课程清单（*.yml）。")
    storage = ctx.platform.storage
    actor = actor or getpass.getuser()
    failed = 0
    for code in codes:
        # one transaction per course: a broken course leaves the others published
        try:
            with ctx.database.session() as session:
                report = publish_course(settings, session, storage, code, actor)
        except PublishError as error:
            failed += 1
            if error.problems:
                click.echo(f"✗ {code}：{len(error.problems)} 个问题，没有发布")
                for problem in error.problems:
                    click.echo(f"  {problem}")
            else:
                click.echo(f"✗ {code}：{error}")
            continue
        except YiyuanError as error:
            failed += 1
            click.echo(f"✗ {code}：{error}")
            continue
        for line in report.lines():
            click.echo(line)
    if failed:
        raise YiyuanError(f"{failed} 门课程没有发布，请按上面的提示修改后重试。")
    click.echo(f"{len(codes)} 门课程已发布。")


@group.command(help="为学员报名一门已发布的课程（管理员手工报名）。")
@click.argument("course_id")
@click.argument("username")
@pass_context
def enrol(ctx: Context, course_id: str, username: str) -> None:
    from ..accounts.service import get_account
    from ..catalog.enrolment import enrol as enrol_account
    from ..catalog.enrolment import is_enrolled
    from ..models import Course

    check_schema(ctx.database)
    with ctx.database.session() as session:
        course = session.scalar(select(Course).where(Course.code == course_id))
        if course is None or not course.active:
            raise YiyuanError(
                f"课程 {course_id} 尚未发布：请先运行 yiyuan courses publish {course_id}。"
            )
        account = get_account(session, username)
        if not account.active:
            raise YiyuanError(f"账号 {account.username} 已停用，不能报名。")
        if is_enrolled(session, course.id, account.id):
            click.echo(f"{account.username}（{account.display_name}）已报名课程 {course.code}。")
            return
        enrol_account(session, course, account, "admin")
    click.echo(
        f"已为 {account.username}（{account.display_name}）报名课程 {course.code} {course.title}。"
    )

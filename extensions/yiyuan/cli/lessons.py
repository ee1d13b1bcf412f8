"""``yiyuan lessons``: compiled lessons (yiyuan.catalog.compile)."""

from __future__ import annotations

import click
from sqlalchemy import select

from ..db.migrate import check_schema
from ..errors import YiyuanError
from . import Context, pass_context


@click.group("lessons", help="课件：把已发布的单元编译为网页，迁移学员在学习环境中的答案。")
def group() -> None:
    pass


@group.command(
    help="编译已发布单元的课件（不给课程代码时用 --all 编译全部），再把学员学习环境中"
    "保存的答案迁移到平台。已编译的单元不会重复编译（--force 强制重新编译）。"
)
@click.argument("courses", nargs=-1)
@click.option("--all", "all_", is_flag=True, help="全部已发布的课程")
@click.option("--force", is_flag=True, help="已编译的也重新编译")
@pass_context
def compile(ctx: Context, courses: tuple[str, ...], all_: bool, force: bool) -> None:
    from ..catalog.carryover import carry_over
    from ..catalog.compile import CompileError, compile_module
    from ..models import Course, Module, ModuleKind

    if bool(courses) == all_:
        raise YiyuanError("请给出课程代码，或用 --all 编译全部已发布的课程（二者选一）。")
    check_schema(ctx.database)
    storage = ctx.platform.storage
    failed = 0
    with ctx.database.session() as session:
        query = (
            select(Module)
            .join(Course)
            .where(Module.kind == ModuleKind.online, Module.release > 0, Module.active.is_(True))
            .order_by(Course.code, Module.position)
        )
        if courses:
            known = set(session.scalars(select(Course.code).where(Course.code.in_(courses))))
            unknown = [code for code in courses if code not in known]
            if unknown:
                raise YiyuanError(f"没有这些已发布的课程：{'、'.join(unknown)}。")
            query = query.where(Course.code.in_(courses))
        for module in session.scalars(query):
            label = f"{module.course.code}/{module.code}"
            try:
                how = compile_module(ctx.settings, storage, module, force=force)
            except CompileError as error:
                failed += 1
                click.echo(f"✗ {label}：{error}")
                continue
            words = {
                "compiled": "已编译",
                "live": "含实时代码，用学习环境播放",
                "unchanged": "无需重新编译",
            }
            click.echo(f"✓ {label}：{words[how]}")
        report = carry_over(session, ctx.settings, storage)
    for username, label in report.copied:
        click.echo(f"  迁移答案：{username} 的 {label}")
    for path in report.unreadable:
        click.echo(f"  无法读取（原样保留）：{path}")
    click.echo(f"迁移了 {len(report.copied)} 份学员答案。")
    if failed:
        raise YiyuanError(f"{failed} 个单元没有编译成功，请按上面的提示修改课件后重新发布。")

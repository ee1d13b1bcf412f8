"""``yiyuan audit``: read the audit log (publishing, grades, attendance, check-in codes)."""

from __future__ import annotations

from pathlib import Path

import click

from ..db.migrate import check_schema
from ..errors import YiyuanError
from . import Context, pass_context


@click.group("audit", help="审计日志：谁在什么时候发布、评阅、记录或更正了什么。")
def group() -> None:
    pass


@group.command("list", help="列出审计日志（最新在前）；给 -o 时写成 Excel 或 CSV 文件。")
@click.option(
    "--action", default="", help="操作：发布课程、评阅、记录出勤、更正出勤…（或其英文代码）"
)
@click.option("--actor", default="", help="操作人的用户名")
@click.option("--course", default="", help="课程代码")
@click.option("--from", "date_from", default="", help="开始日期，如 2026-11-01（含）")
@click.option("--to", "date_to", default="", help="结束日期，如 2026-11-30（含）")
@click.option("--limit", default=200, show_default=True, help="最多列出多少条")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None)
@pass_context
def list_(
    ctx: Context,
    action: str,
    actor: str,
    course: str,
    date_from: str,
    date_to: str,
    limit: int,
    output: Path | None,
) -> None:
    from .. import audit
    from ..reports.export import write_report

    if limit < 1:
        raise YiyuanError("--limit 应为正整数。")
    check_schema(ctx.database)
    with ctx.database.session() as session:
        where = audit.parse_filter(
            session,
            action=action,
            actor=actor,
            course=course,
            date_from=date_from,
            date_to=date_to,
        )
        table = audit.as_table(session, audit.entries(session, where, limit=limit))
    if output is not None:
        fmt = output.suffix.lstrip(".").lower()
        if fmt not in ("xlsx", "csv"):
            raise YiyuanError("输出文件的扩展名应为 .xlsx 或 .csv。")
        write_report([table], output, fmt)
        click.echo(f"已写出 {output}：{len(table.rows)} 条。")
        return
    if not table.rows:
        click.echo("没有符合条件的记录。")
    for row in table.rows:
        where_ = " ".join(v for v in (row["course"], row["learner"]) if v)
        click.echo(f"{row['at']}  {row['actor']:<10} {row['action']:<6} {where_}  {row['summary']}")

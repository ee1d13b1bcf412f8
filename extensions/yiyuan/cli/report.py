"""``yiyuan report``: participation reports as files, for scheduled reporting upward."""

from __future__ import annotations

from pathlib import Path

import click

from ..db.migrate import check_schema
from ..errors import YiyuanError
from . import Context, pass_context


@click.group("report", help="统计报表：各协会、课程、期次的参训情况。")
def group() -> None:
    pass


@group.command(help="参训情况报表（Excel、CSV 或 JSON）。多个筛选值用逗号分隔。")
@click.option(
    "--by",
    "by",
    type=click.Choice(["association", "course", "cohort"]),
    default="association",
    show_default=True,
    help="按协会、课程或期次汇总",
)
@click.option("--association", default="", help="只统计这些协会（简称、全称或代码）")
@click.option("--course", default="", help="只统计这些课程（课程代码）")
@click.option("--cohort", default="", help="只统计这些期次（期次代码）")
@click.option("--programme", default="", help="只统计这些培训项目（项目代码）")
@click.option("--standing", default="", help="只统计这些会员身份：会员、理事、常务理事、主席团成员")
@click.option("--from", "date_from", default=None, help="开始日期，如 2026-01-01（含）")
@click.option("--to", "date_to", default=None, help="结束日期，如 2026-12-31（含）")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["xlsx", "csv", "json"]),
    default=None,
    help="文件格式（默认按文件扩展名）",
)
@click.option(
    "--as",
    "viewer",
    default=None,
    help="以此用户的权限出表（如某协会管理员只看本协会）；默认全部数据",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@pass_context
def participation(
    ctx: Context,
    by: str,
    association: str,
    course: str,
    cohort: str,
    programme: str,
    standing: str,
    date_from: str | None,
    date_to: str | None,
    fmt: str | None,
    viewer: str | None,
    output: Path,
) -> None:
    from ..reports import participation as reports
    from ..reports.export import write_report
    from ..reports.filters import parse_filter
    from ..reports.scope import Scope, viewer_scope

    fmt = fmt or output.suffix.lstrip(".").lower()
    if fmt not in ("xlsx", "csv", "json"):
        raise YiyuanError(f"不支持的格式“{fmt}”：请用 --format xlsx、csv 或 json。")
    filters = parse_filter(
        associations=association,
        courses=course,
        cohorts=cohort,
        programmes=programme,
        standings=standing,
        date_from=date_from,
        date_to=date_to,
    )
    check_schema(ctx.database)
    summary = {
        "association": reports.by_association,
        "course": reports.by_course,
        "cohort": reports.by_cohort,
    }[by]
    with ctx.database.session() as session:
        scope = viewer_scope(session, viewer) if viewer else Scope.all("yiyuan-cli", "命令行")
        tables = [summary(session, scope, filters)]
        if fmt != "csv":
            tables.append(reports.weekly_trend(session, scope, filters))
            tables.append(reports.laggards(session, scope, filters))
    write_report(tables, output, fmt)
    main = tables[0]
    click.echo(f"已写出 {output}：{main.title} {len(main.rows)} 行（另含合计）。")

"""``yiyuan programmes`` and ``yiyuan cohorts``: training programmes and their cohorts
(第N期培训班), through the same functions as the administrator's web pages."""

from __future__ import annotations

import sys

import click

from ..db.migrate import check_schema
from ..errors import YiyuanError
from . import Context, actor_option, pass_context


def _split(values: tuple[str, ...]) -> list[str]:
    """Options given once per value or comma-separated (书协,作协 or 书协，作协)."""
    return [
        part.strip()
        for value in values
        for part in value.replace("，", ",").replace("、", ",").split(",")
        if part.strip()
    ]


def _percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def certificate_options(function):
    """``--certificate``, ``--issuer``, ``--no-certificate``: the class's 结业证书."""
    function = click.option(
        "--no-certificate", is_flag=True, help="不颁发期次结业证书（已颁发的仍然有效）"
    )(function)
    function = click.option(
        "--issuer",
        default=None,
        help="颁发单位代码（配置项 certificates.issuers 中的 code；不写：第一个）",
    )(function)
    return click.option(
        "--certificate",
        default=None,
        help="完成期次全部课程时颁发的证书名称，例如 结业证书",
    )(function)


def _certificate(
    ctx: Context, title: str | None, issuer: str | None, none: bool, current: dict | None = None
) -> dict | None:
    """The ``certificate`` argument of create_cohort/update_cohort: None (unchanged), {} (none)
    or {"title", "issuer"}; the issuer code checked against settings here (the domain function
    has no settings)."""
    if none:
        if title is not None or issuer is not None:
            raise YiyuanError("--no-certificate 不能与 --certificate、--issuer 同时使用。")
        return {}
    if title is None and issuer is None:
        return None
    current = current or {}
    issuer = (issuer if issuer is not None else current.get("issuer", "")).strip()
    codes = [one.code for one in ctx.settings.certificates.issuers]
    if issuer and issuer not in codes:
        raise YiyuanError(
            f"没有颁发单位“{issuer}”：可选 {'、'.join(codes)}"
            "（配置项 certificates.issuers，见 docs/configuration.md）。"
        )
    title = title if title is not None else current.get("title") or "结业证书"
    return {"title": title, "issuer": issuer}


# --- programmes ----------------------------------------------------------------------------


@click.group("programmes", help="培训项目：创建和列出培训项目（其下按期次开班）。")
def programmes() -> None:
    pass


@programmes.command("create", help="新建培训项目，例如 文艺骨干培训。")
@click.argument("code")
@click.option("--name", required=True, help="培训项目名称，例如 文艺骨干培训")
@click.option("--description", default="", help="说明")
@actor_option
@pass_context
def programme_create(ctx: Context, code: str, name: str, description: str, actor: str) -> None:
    from ..cohorts import create_programme

    check_schema(ctx.database)
    with ctx.database.session() as session:
        programme = create_programme(session, code, name, description, actor)
        click.echo(f"已创建培训项目 {programme.code}：{programme.name}")


@programmes.command("list", help="列出培训项目及其期次数。")
@pass_context
def programme_list(ctx: Context) -> None:
    from ..cohorts import list_programmes

    check_schema(ctx.database)
    with ctx.database.session() as session:
        lines = list_programmes(session)
    if not lines:
        click.echo("还没有培训项目：用 yiyuan programmes create 创建。")
    for line in lines:
        state = "" if line.active else "（已停用）"
        click.echo(f"{line.code:<20} {line.name}{state}，{line.cohorts} 个期次")


# --- cohorts -------------------------------------------------------------------------------


@click.group("cohorts", help="期次（第N期培训班）：创建期次，按规则或手工报名，结束期次。")
def group() -> None:
    pass


@group.command(
    "create",
    help="新建期次：名称、起止日期、面向的协会和会员身份、所学课程。"
    "创建后用 yiyuan cohorts enrol 按规则报名。",
)
@click.argument("code")
@click.option("--name", required=True, help="期次名称，例如 2026年第三期文艺骨干培训班")
@click.option("--programme", default="", help="所属培训项目的代码")
@click.option("--starts", required=True, help="开始日期，例如 2026-09-01")
@click.option("--ends", required=True, help="结束日期，例如 2026-11-30")
@click.option(
    "--association", "associations", multiple=True, help="面向的协会（可多次给出或用逗号分隔）"
)
@click.option(
    "--standing",
    "standings",
    multiple=True,
    help="面向的会员身份：会员、理事、常务理事、主席团成员",
)
@click.option("--course", "courses", multiple=True, help="期次的课程代码（可多次给出）")
@click.option("--description", default="", help="说明")
@certificate_options
@actor_option
@pass_context
def create(
    ctx: Context,
    code: str,
    name: str,
    programme: str,
    starts: str,
    ends: str,
    associations: tuple[str, ...],
    standings: tuple[str, ...],
    courses: tuple[str, ...],
    description: str,
    certificate: str | None,
    issuer: str | None,
    no_certificate: bool,
    actor: str,
) -> None:
    from ..cohorts import create_cohort

    wanted = _certificate(ctx, certificate, issuer, no_certificate)
    check_schema(ctx.database)
    with ctx.database.session() as session:
        cohort = create_cohort(
            session,
            code=code,
            name=name,
            programme_code=programme,
            starts_on=starts,
            ends_on=ends,
            associations=_split(associations),
            standings=_split(standings),
            courses=_split(courses),
            description=description,
            certificate=wanted,
            actor=actor,
        )
        click.echo(f"已创建期次 {cohort.code}：{cohort.name}")
        if cohort.certificate:
            click.echo(f"完成全部课程的学员将获颁“{cohort.certificate['title']}”。")
    click.echo(
        f"下一步：yiyuan cohorts enrol {code}（按规则报名），或 yiyuan cohorts add {code} 用户名…"
    )


@group.command(
    "update",
    help="修改期次：只改给出的项。课程只能添加，不能移除；"
    "设置 --certificate 后，已完成全部课程的学员可用 yiyuan certificates issue-cohort 补发。",
)
@click.argument("code")
@click.option("--name", default=None, help="期次名称")
@click.option("--starts", default=None, help="开始日期，例如 2026-09-01")
@click.option("--ends", default=None, help="结束日期，例如 2026-11-30")
@click.option(
    "--association", "associations", multiple=True, help="面向的协会（替换原来的；可用逗号分隔）"
)
@click.option("--standing", "standings", multiple=True, help="面向的会员身份（替换原来的）")
@click.option("--course", "courses", multiple=True, help="添加课程（课程代码，可多次给出）")
@click.option("--description", default=None, help="说明")
@certificate_options
@actor_option
@pass_context
def update(
    ctx: Context,
    code: str,
    name: str | None,
    starts: str | None,
    ends: str | None,
    associations: tuple[str, ...],
    standings: tuple[str, ...],
    courses: tuple[str, ...],
    description: str | None,
    certificate: str | None,
    issuer: str | None,
    no_certificate: bool,
    actor: str,
) -> None:
    from ..cohorts import get_cohort, update_cohort

    check_schema(ctx.database)
    with ctx.database.session() as session:
        current = get_cohort(session, code)
        cohort = update_cohort(
            session,
            code,
            name=name,
            starts_on=starts,
            ends_on=ends,
            associations=_split(associations) if associations else None,
            standings=_split(standings) if standings else None,
            courses=_split(courses) if courses else None,
            description=description,
            certificate=_certificate(
                ctx, certificate, issuer, no_certificate, dict(current.certificate or {})
            ),
            actor=actor,
        )
        shown = f"“{cohort.certificate['title']}”" if cohort.certificate else "无"
        click.echo(f"已修改期次 {cohort.code}：{cohort.name}（期次结业证书：{shown}）")


@group.command("list", help="列出期次：日期、状态、学员数、课程数、完成率。")
@pass_context
def list_(ctx: Context) -> None:
    from ..cohorts import cohort_summary

    check_schema(ctx.database)
    with ctx.database.session() as session:
        rows = cohort_summary(session)
    if not rows:
        click.echo("还没有期次：用 yiyuan cohorts create 创建。")
    for row in rows:
        click.echo(
            f"{row['code']:<20} {row['name']}（{row['starts_on']} 至 {row['ends_on']}，"
            f"{row['state']}）学员 {row['members']}，课程 {row['courses']}，"
            f"完成率 {_percent(row['completion_rate'])}"
        )


@group.command("show", help="一个期次：面向对象、课程进度和学员名单。")
@click.argument("code")
@pass_context
def show(ctx: Context, code: str) -> None:
    from ..cohorts import cohort_detail, get_cohort

    check_schema(ctx.database)
    with ctx.database.session() as session:
        data = cohort_detail(session, code)
        certificate = dict(get_cohort(session, code).certificate or {})
    click.echo(f"{data['name']}（{data['code']}，{data['state']}）")
    if data["programme"]:
        click.echo(f"培训项目：{data['programme_name']}（{data['programme']}）")
    click.echo(f"日期：{data['starts_on']} 至 {data['ends_on']}")
    click.echo(f"面向协会：{'、'.join(data['associations']) or '（无，手工添加学员）'}")
    click.echo(f"会员身份：{'、'.join(data['standings']) or '不限'}")
    if certificate:
        issuer = f"，颁发单位 {certificate['issuer']}" if certificate.get("issuer") else ""
        click.echo(f"结业证书：完成全部课程颁发“{certificate['title']}”{issuer}")
    click.echo(f"学员：{data['members']} 人；课程完成率 {_percent(data['completion_rate'])}")
    for course in data["courses"]:
        click.echo(
            f"  {course['code']:<22} {course['title']}：报名 {course['enrolled']}，"
            f"完成 {course['completed']}（{_percent(course['completion_rate'])}）"
        )
    for member in data["member_list"]:
        click.echo(
            f"  {member['username']:<16} {member['name']}（{'、'.join(member['associations'])}）"
            f" {member['source_label']}"
        )


@group.command(
    "enrol",
    help="按规则报名：把符合面向协会和会员身份的在册学员加入期次，并为每位学员报名期次的全部课程。"
    "可重复执行，只添加新的学员。",
)
@click.argument("code")
@click.option("--dry-run", is_flag=True, help="只显示将添加多少人，不做任何改动")
@actor_option
@pass_context
def enrol(ctx: Context, code: str, dry_run: bool, actor: str) -> None:
    from ..cohorts import enrol_by_rule, get_cohort, preview_rule

    check_schema(ctx.database)
    with ctx.database.session() as session:
        cohort = get_cohort(session, code)
        if dry_run:
            preview = preview_rule(session, cohort)
            names = "、".join(p["name"] for p in preview["sample"])
            click.echo(f"将添加 {preview['would_add']} 名学员{('：' + names) if names else ''}")
            return
        added = enrol_by_rule(session, cohort, actor)
        click.echo(f"期次 {code}：新增 {added} 名学员，已为全部学员报名期次课程。")


@group.command(
    "add",
    help="手工添加学员（用户名或手机号，可多个；给 - 时从标准输入每行读一个），并报名期次课程。",
)
@click.argument("code")
@click.argument("people", nargs=-1, required=True)
@actor_option
@pass_context
def add(ctx: Context, code: str, people: tuple[str, ...], actor: str) -> None:
    from ..cohorts import add_members, get_cohort

    words = list(people)
    if words == ["-"]:
        words = sys.stdin.read().splitlines()
    check_schema(ctx.database)
    with ctx.database.session() as session:
        cohort = get_cohort(session, code)
        added, problems = add_members(session, cohort, words, actor)
    click.echo(f"已添加 {len(added)} 名学员" + (f"：{'、'.join(added)}" if added else "。"))
    for problem in problems:
        click.echo(f"  未添加 {problem}")
    if problems and not added:
        raise YiyuanError(f"没有添加任何学员：{len(problems)} 个用户名或手机号有问题。")


@group.command("close", help="结束期次：不删除任何记录，结束后不再接受报名。")
@click.argument("code")
@actor_option
@pass_context
def close(ctx: Context, code: str, actor: str) -> None:
    from ..cohorts import close_cohort, get_cohort

    check_schema(ctx.database)
    with ctx.database.session() as session:
        cohort = close_cohort(session, get_cohort(session, code), actor)
        click.echo(f"期次 {cohort.code}（{cohort.name}）已结束。")


#: both command groups of this module (cli/__init__.py registers them)
groups = (programmes, group)

"""``yiyuan members``: rosters in, members out, and the hub kept in sync."""

from __future__ import annotations

import csv
import json
import logging
import os
import signal
import sys
from datetime import datetime
from pathlib import Path

import click
from sqlalchemy import select

from ..db.migrate import check_schema
from ..errors import YiyuanError
from ..members import directory, hubsync, rosterimport
from ..members.importer import ImportResult
from ..members.spreadsheets import (
    error_report_path,
    write_error_report,
    write_passwords,
    write_table,
)
from ..models import Account, Member
from ..reports.export import safe_cell
from ..secrets import service_token
from . import Context, actor_option, pass_context

#: imports larger than this show a progress bar
PROGRESS_FROM = 300


@click.group("members", help="会员：导入名册、查询、导出、与 JupyterHub 同步。")
def group() -> None:
    pass


def hub_api(ctx: Context) -> hubsync.HubAPI:
    settings = ctx.settings
    url = f"http://127.0.0.1:{settings.hub.hub_port}/hub/api"
    return hubsync.HubAPI(url, service_token(settings.data_dir, hubsync.SERVICE_NAME))


@group.command("import", help="导入会员名册（.xlsx 或 .csv：UTF-8、带 BOM 的 UTF-8、GBK）。")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--dry-run", is_flag=True, help="只检查并显示将发生的变化，不写入")
@click.option("--deactivate-missing", is_flag=True, help="停用名册中没有的会员（记录保留）")
@click.option(
    "--passwords-out",
    type=click.Path(path_type=Path, dir_okay=False),
    help="把新账号的初始密码写入此 .xlsx 文件（仅此一处，请妥善分发后删除）",
)
@click.option("--no-sync", is_flag=True, help="不立即同步到 JupyterHub")
@actor_option
@pass_context
def import_(ctx: Context, file, dry_run, deactivate_missing, passwords_out, no_sync, actor) -> None:
    check_schema(ctx.database)
    keep_passwords = passwords_out is not None and not dry_run
    if keep_passwords:
        _claim(passwords_out)
    result = ImportResult()
    try:
        checked = rosterimport.check(ctx.database, ctx.settings.city, file)
        roster = checked.roster
        click.echo(f"读取 {file.name}：{len(roster.rows)} 行，其中 {len(checked.rows)} 行有效。")
        if roster.ignored_headers:
            click.echo("未识别的列（已忽略）：" + "、".join(roster.ignored_headers))
        with _progress(len(checked.rows)) as advance:
            outcome = rosterimport.apply(
                ctx.database,
                checked,
                actor=actor,
                dry_run=dry_run,
                deactivate_missing=deactivate_missing,
                result=result,
                progress=advance,
            )
    finally:
        # first of all, even if something failed: the passwords of accounts that now exist
        if keep_passwords:
            if result.passwords:
                write_passwords(passwords_out, result.passwords)
            else:
                passwords_out.unlink(missing_ok=True)
    errors = result.errors
    click.echo(outcome.summary())
    if result.deactivation_skipped:
        click.echo(result.deactivation_skipped)
    if errors:
        for error in errors[:20]:
            click.echo(f"  {error}")
        if len(errors) > 20:
            click.echo(f"  ……共 {len(errors)} 处问题")
        report = write_error_report(roster, errors, error_report_path(file, datetime.now()))
        click.echo(f"错误报告：{report}（改正后可直接导入此文件）")
    if result.passwords:
        if passwords_out:
            click.echo(f"{len(result.passwords)} 个新账号的初始密码已写入 {passwords_out}。")
        else:
            click.echo(
                f"{len(result.passwords)} 个新账号的初始密码未保存（没有 --passwords-out）："
                "可用 `yiyuan users set-password` 逐个设置。"
            )
    if dry_run or no_sync or not result.groups_changed:
        return
    _sync_now(ctx)


def _claim(path: Path) -> None:
    """Create the passwords file now (0600, never over an existing one), so that a bad path
    stops the import before any account is made, not after."""
    if path.suffix.lower() != ".xlsx":
        raise YiyuanError(f"--passwords-out 应为 .xlsx 文件，而不是 {path.name}。")
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        raise YiyuanError(f"{path} 已存在：为免覆盖已分发的密码，请换一个文件名。") from None
    except OSError as error:
        raise YiyuanError(f"无法创建 {path}（{error.strerror}）：请换一个可写的位置。") from None


def _sync_now(ctx: Context) -> None:
    try:
        report = hubsync.sync(ctx.database, hub_api(ctx))
    except hubsync.HubUnreachable as error:
        click.echo(f"JupyterHub 尚未同步：{error}")
        return
    click.echo(f"已同步到 JupyterHub：{report.summary()}。")


class _progress:
    """click's progress bar on stderr for big imports; silent for small ones."""

    def __init__(self, total: int) -> None:
        self.bar = None
        if total >= PROGRESS_FROM:
            self.bar = click.progressbar(length=total, label="导入中", file=sys.stderr)

    def __enter__(self):
        if self.bar is None:
            return None
        self.bar.__enter__()
        return self.bar.update

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.__exit__(*exc)


@group.command(help="把会员、协会群组同步到 JupyterHub（平台运行时）。")
@click.option(
    "--watch",
    is_flag=True,
    help="持续运行：启动时同步，名册变化后数秒内同步，并每 5 分钟全面核对一次",
)
@click.option("--interval", default=5.0, show_default=True, help="--watch 检查间隔（秒）")
@pass_context
def sync(ctx: Context, watch: bool, interval: float) -> None:
    check_schema(ctx.database)
    if watch:
        logging.basicConfig(
            level=logging.INFO, format="[%(levelname)s %(asctime)s roster-sync] %(message)s"
        )
        # started by the hub as a service: the hub hands over its API address and our token
        url = os.environ.get("JUPYTERHUB_API_URL")
        token = os.environ.get("JUPYTERHUB_API_TOKEN")
        api = hubsync.HubAPI(url, token) if url and token else hub_api(ctx)
        # the hub stops its services with SIGINT (SIGTERM when it died): end at once, even
        # mid-round (a round is idempotent; the next start repeats it), without a traceback
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, _stop_watching)
        hubsync.watch(ctx.database, api, interval)
        return
    report = hubsync.sync(ctx.database, hub_api(ctx))
    click.echo(f"已同步到 JupyterHub：{report.summary()}。")


def _stop_watching(signum, frame) -> None:
    raise SystemExit(0)


def _lines(ctx: Context, association: str | None, include_inactive: bool, show_mobile: bool):
    """Members (not staff) as the workspace's search finds them, optionally of one
    association named as people write it."""
    with ctx.database.session() as session:
        lines, _ = directory.search_members(
            session,
            association=association,
            active=None if include_inactive else True,
            limit=None,
            city=ctx.settings.city,
            members_only=True,
            show_mobile=show_mobile,
        )
    return lines


def _record(line: directory.MemberLine) -> dict:
    return {
        "username": line.username,
        "name": line.name,
        "mobile": line.mobile,
        "gender": line.gender,
        "work_unit": line.work_unit,
        "email": line.email,
        "associations": [
            {"association": a["association"], "standing": a["standing_label"]}
            for a in line.associations
        ],
        "active": line.active,
    }


@group.command("list", help="列出会员。手机号默认打码（138****5678）。")
@click.option("--association", help="只列出某协会的会员（简称或全称）")
@click.option("--all", "include_inactive", is_flag=True, help="包括已停用的会员")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
)
@click.option("--show-mobile", is_flag=True, help="显示完整手机号（仅限管理员使用）")
@pass_context
def list_(ctx: Context, association, include_inactive, fmt, show_mobile) -> None:
    check_schema(ctx.database)
    lines = _lines(ctx, association, include_inactive, show_mobile)
    if fmt == "json":
        click.echo(json.dumps([_record(line) for line in lines], ensure_ascii=False, indent=1))
    elif fmt == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow(["用户名", "姓名", "手机号", "协会", "状态"])
        for line in lines:
            writer.writerow(
                [safe_cell(v) for v in (line.username, line.name, line.mobile)]
                + [safe_cell(line.associations_text), "正常" if line.active else "已停用"]
            )
    else:
        for line in lines:
            state = "" if line.active else "（已停用）"
            click.echo(
                f"{line.username:<18} {line.name:<8} {line.mobile}  {line.associations_text}{state}"
            )
        click.echo(f"共 {len(lines)} 人。")


@group.command(help="显示一位会员（用户名或手机号）。")
@click.argument("who")
@click.option("--show-mobile", is_flag=True, help="显示完整手机号（仅限管理员使用）")
@pass_context
def show(ctx: Context, who: str, show_mobile: bool) -> None:
    check_schema(ctx.database)
    with ctx.database.session() as session:
        username = session.scalar(
            select(Account.username)
            .join(Member, Member.account_id == Account.id)
            .where((Account.username == who) | (Member.mobile == who))
        )
        if username is None:
            raise YiyuanError(f"没有用户名或手机号为 {who!r} 的会员。")
        profile = directory.member_profile(session, username, show_mobile=show_mobile)
    facts = profile.member or {}
    click.echo(f"{facts['name']}（{profile.username}）{'' if facts['active'] else '已停用'}")
    click.echo(f"手机号：{facts['mobile']}")
    for label, key in (("性别", "gender"), ("工作单位", "work_unit"), ("邮箱", "email")):
        if facts[key]:
            click.echo(f"{label}：{facts[key]}")
    click.echo("协会：")
    for a in profile.associations:
        joined, left = a["joined_at"], a["left_at"]
        period = f"{joined:%Y-%m-%d} 起" + (f"，{left:%Y-%m-%d} 退出" if left else "")
        click.echo(f"  {a['association']}（{a['standing_label']}）{period}")
    if profile.certificates:
        click.echo("证书：")
    for c in profile.certificates:
        click.echo(f"  {c['serial']} {c['title']}·{c['subject']} {c['achieved_on']} {c['state']}")


@group.command(help="把会员导出为 .xlsx。手机号默认打码。")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--association", help="只导出某协会的会员")
@click.option("--all", "include_inactive", is_flag=True, help="包括已停用的会员")
@click.option("--show-mobile", is_flag=True, help="导出完整手机号（仅限管理员使用）")
@pass_context
def export(ctx: Context, file: Path, association, include_inactive, show_mobile) -> None:
    check_schema(ctx.database)
    if file.suffix.lower() != ".xlsx":
        raise YiyuanError(f"导出文件应以 .xlsx 结尾，而不是 {file.name}。")
    lines = _lines(ctx, association, include_inactive, show_mobile)
    with ctx.database.session() as session:
        hours = directory.hours_this_year(session)
    table = directory.as_table(lines, hours)
    write_table(file, table.title, table.labels, table.records())
    click.echo(f"已导出 {len(table.rows)} 人到 {file}。")

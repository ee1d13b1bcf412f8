"""``yiyuan certificates``: 结业证书 and 学时证明 — list, show, download, issue by hand, revoke,
reissue, a class's batch, ZIP and register, through the functions the web pages use
(``yiyuan.certificates``)."""

from __future__ import annotations

import os
import sys
from datetime import datetime
from pathlib import Path

import click
from sqlalchemy import select

from ..db.migrate import check_schema
from ..errors import YiyuanError
from ..models import Certificate, Course
from . import Context, actor_option, pass_context

#: how a certificate's state reads in the CLI (as on the verify page)
STATES = {True: "有效", False: "已撤销"}


@click.group(
    "certificates",
    help="结业证书与学时证明：查看、下载 PDF、手工颁发、撤销、重新颁发，期次批量颁发、打包和登记册。",
)
def group() -> None:
    pass


# --- looking --------------------------------------------------------------------------------


@group.command("list", help="列出证书（含学时证明）：编号、证书、姓名、课程或期次、日期、状态。")
@click.option("--user", "username", default="", help="只列出这位学员的（用户名）")
@click.option("--course", "course_code", default="", help="只列出这门课程的（课程代码）")
@click.option("--cohort", "cohort_code", default="", help="只列出这个期次的（期次代码）")
@click.option("--revoked", is_flag=True, help="只列出已撤销的")
@pass_context
def list_(ctx: Context, username: str, course_code: str, cohort_code: str, revoked: bool) -> None:
    check_schema(ctx.database)
    with ctx.database.session() as session:
        query = select(Certificate).order_by(Certificate.id)
        if username:
            query = query.where(Certificate.account_id == _account(session, username).id)
        if course_code:
            query = query.where(Certificate.course_id == _course(session, course_code).id)
        if cohort_code:
            query = query.where(Certificate.cohort_id == _cohort(session, cohort_code).id)
        if revoked:
            query = query.where(Certificate.revoked_at.is_not(None))
        rows = list(session.scalars(query))
        if not rows:
            click.echo("没有符合条件的证书。")
            return
        click.echo("编号" + " " * 19 + "  证书  姓名  课程或期次  日期  状态")
        for c in rows:
            click.echo(
                f"{c.serial:<23}  {c.title}  {c.name}  {c.subject}  {c.achieved_on}  "
                f"{STATES[c.valid]}"
            )
        valid = sum(c.valid for c in rows)
        click.echo(f"共 {len(rows)} 份（有效 {valid}，已撤销 {len(rows) - valid}）。")


@group.command("show", help="一份证书的全部内容、颁发和撤销记录、核验地址。")
@click.argument("serial")
@pass_context
def show(ctx: Context, serial: str) -> None:
    from ..certificates import files
    from ..certificates.document import verify_url
    from ..clock import local_zone

    check_schema(ctx.database)
    with ctx.database.session() as session:
        c = _certificate(session, serial)
        lines = [
            ("编号", c.serial),
            ("证书", c.title + (f"（第 {c.edition} 版）" if c.edition > 1 else "")),
            ("姓名", f"{c.name}（{c.account.username}）"),
            ("协会", c.association or "—"),
            ("课程或期次", c.subject),
            ("包含课程", "、".join((c.detail or {}).get("courses", []))),
            ("学时", f"{c.hours:g}"),
            ("完成日期", c.achieved_on.isoformat()),
            ("颁发时间", f"{c.issued_at.astimezone(local_zone()):%Y-%m-%d %H:%M}"),
            (
                "颁发方式",
                f"管理员 {c.issued_by}（{c.reason}）" if c.issued_by else "完成时自动颁发",
            ),
            ("颁发单位", c.issuer or "默认（certificates.issuers 的第一个）"),
            ("取代", (c.detail or {}).get("replaces", "")),
            ("状态", STATES[c.valid]),
        ]
        if not c.valid:
            lines.append(
                (
                    "撤销",
                    f"{c.revoked_at.astimezone(local_zone()):%Y-%m-%d %H:%M}，"
                    f"{c.revoked_by or '系统'}：{c.revoked_reason}",
                )
            )
        lines.append(("核验地址", verify_url(ctx.settings, c.serial)))
        storage = ctx.platform.storage
        kept = files.key_of(storage, c.serial)
        shown = f"{storage} 中的 {kept}" if storage.exists(kept) else "尚未生成（首次下载时生成）"
        lines.append(("PDF", shown))
    for label, value in lines:
        if value:
            click.echo(f"{label}：{value}")


@group.command(
    "pdf", help="把一份证书或学时证明的 PDF 写入文件（默认用证书的文件名，写在当前目录）。"
)
@click.argument("serial")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="PDF 文件")
@click.option("--force", is_flag=True, help="覆盖已存在的文件")
@pass_context
def pdf(ctx: Context, serial: str, output: Path | None, force: bool) -> None:
    from ..certificates import files

    check_schema(ctx.database)
    with ctx.database.session() as session:
        c = _certificate(session, serial)
        output = output or Path(files.file_name(c))
        _refuse_existing(output, force)
        data = files.pdf_of(ctx.settings, c)
    _write(output, data)
    click.echo(f"已写入 {output}（{c.title}，{c.name}，{c.serial}）。")


# --- by hand --------------------------------------------------------------------------------


@group.command(
    "issue",
    help="手工颁发：为已完成课程或期次、但没有证书的学员颁发（如证书功能启用前结业的），"
    "须写明原因，记入审计日志。",
)
@click.argument("username")
@click.option("--course", "course_code", default="", help="课程代码（与 --cohort 二选一）")
@click.option("--cohort", "cohort_code", default="", help="期次代码（与 --course 二选一）")
@click.option("--reason", default="", help="原因（必填，记入审计日志），例如 2025 年结业补发")
@actor_option
@pass_context
def issue(
    ctx: Context, username: str, course_code: str, cohort_code: str, reason: str, actor: str
) -> None:
    from ..certificates import issuing

    check_schema(ctx.database)
    with ctx.database.session() as session:
        account = _account(session, username)
        c = issuing.issue_by_hand(
            session,
            account.id,
            course_code=course_code.strip(),
            cohort_code=cohort_code.strip(),
            reason=reason,
            actor=actor,
        )
        click.echo(
            f"已颁发{c.title}“{c.subject}”给 {c.name}（{account.username}），编号 {c.serial}。"
        )
        _warn_unprintable(c)


@group.command("revoke", help="撤销一份证书：核验页面从此显示“已撤销”；须写明原因，记入审计日志。")
@click.argument("serial")
@click.option("--reason", default="", help="原因（必填，记入审计日志），例如 学员申请撤销")
@actor_option
@pass_context
def revoke(ctx: Context, serial: str, reason: str, actor: str) -> None:
    from ..certificates import issuing

    check_schema(ctx.database)
    with ctx.database.session() as session:
        c = issuing.revoke(
            session, _certificate(session, serial).serial, reason=reason, actor=actor
        )
        click.echo(f"已撤销证书 {c.serial}（{c.name}，{c.subject}）。")


@group.command(
    "reissue",
    help="重新颁发：以学员现在的姓名（或 --name 给出的写法）颁发新编号的证书，原证书同时撤销。"
    "用于更正姓名，或姓名中有证书字体没有的字。",
)
@click.argument("serial")
@click.option("--reason", default="", help="原因（必填，记入审计日志），例如 姓名录入有误")
@click.option("--name", default="", help="印在证书上的姓名（不写：会员名册中的现用姓名）")
@actor_option
@pass_context
def reissue(ctx: Context, serial: str, reason: str, name: str, actor: str) -> None:
    from ..certificates import issuing

    check_schema(ctx.database)
    with ctx.database.session() as session:
        old = _certificate(session, serial)
        new = issuing.reissue(session, old.serial, reason=reason, actor=actor, name=name)
        click.echo(f"已重新颁发：新编号 {new.serial}（{new.name}），原证书 {old.serial} 已撤销。")


@group.command(
    "statement", help="开具一位学员某年度的学时证明（PDF）。台账未变时再次开具得到同一份。"
)
@click.argument("username")
@click.option("--year", type=int, default=None, help="年度，默认今年")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="PDF 文件")
@click.option("--force", is_flag=True, help="覆盖已存在的文件")
@pass_context
def statement(
    ctx: Context, username: str, year: int | None, output: Path | None, force: bool
) -> None:
    from ..certificates import files, issuing
    from ..clock import local_zone

    year = year or datetime.now(local_zone()).year
    if output is not None:
        _refuse_existing(output, force)
    check_schema(ctx.database)
    with ctx.database.session() as session:
        c = issuing.statement(session, _account(session, username).id, year)
        output = output or Path(files.file_name(c))
        _refuse_existing(output, force)
        # rendered inside the transaction: a statement that cannot be printed is not kept
        data = files.pdf_of(ctx.settings, c)
    _write(output, data)
    click.echo(f"已写入 {output}（{c.name} {year} 年度学时 {c.hours:g}，编号 {c.serial}）。")


# --- a class --------------------------------------------------------------------------------


@group.command(
    "issue-cohort",
    help="为一个期次批量颁发结业证书：逐一为完成全部课程的学员颁发（已有的不重复）并生成 PDF，"
    "显示进度。期次须已设置结业证书（yiyuan cohorts update --certificate）。",
)
@click.argument("cohort_code")
@actor_option
@pass_context
def issue_cohort(ctx: Context, cohort_code: str, actor: str) -> None:
    from ..certificates import jobs

    check_schema(ctx.database)
    with ctx.database.session() as session:
        cohort = _cohort(session, cohort_code)
        job = jobs.request(session, cohort.code, actor)
        job_id, state, done, total = job.id, job.state, job.done, job.total
    if state == "running":
        click.echo(
            f"期次“{cohort.name}”的批量颁发正在进行（任务 {job_id}，已处理 {done}/{total}）："
            f"请稍后用 yiyuan certificates list --cohort {cohort.code} 查看。"
        )
        return
    bar = _Progress()
    try:
        figures = jobs.run(ctx.database, ctx.settings, job_id, progress=bar.update)
    finally:
        bar.close()
    click.echo(
        f"期次“{cohort.name}”：{figures['total']} 名学员，新颁发 {figures['issued']} 份结业证书"
        f"（任务 {job_id}）。"
    )
    if figures["problems"]:
        click.echo(f"{len(figures['problems'])} 份证书已颁发但未能生成 PDF：")
        for problem in figures["problems"]:
            click.echo(f"  {problem}")


@group.command(
    "run-job",
    help="运行一个已创建的批量颁发任务（由平台服务在子进程中调用；服务停止时随之结束）。",
)
@click.argument("job_id", type=int)
@pass_context
def run_job(ctx: Context, job_id: int) -> None:
    from ..certificates import jobs
    from ..lifecycle import die_with_parent

    die_with_parent(os.getppid())
    check_schema(ctx.database)
    jobs.run(ctx.database, ctx.settings, job_id)


@group.command("zip", help="把一个期次的全部有效结业证书打包为一个 ZIP（每人一个 PDF）。")
@click.argument("cohort_code")
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="ZIP 文件",
)
@click.option("--force", is_flag=True, help="覆盖已存在的文件")
@pass_context
def zip_(ctx: Context, cohort_code: str, output: Path, force: bool) -> None:
    from ..certificates import files, issuing

    _refuse_existing(output, force)
    check_schema(ctx.database)
    with ctx.database.session() as session:
        cohort = _cohort(session, cohort_code)
        certificates = issuing.of_cohort(session, cohort.id)
        if not certificates:
            raise YiyuanError(
                f"期次“{cohort.name}”还没有有效的结业证书：可用 yiyuan certificates issue-cohort "
                f"{cohort.code} 批量颁发。"
            )
        data, problems = files.zip_of(ctx.settings, certificates)
    _write(output, data)
    click.echo(f"已写入 {output}：{len(certificates) - len(problems)} 份证书。")
    for problem in problems:
        click.echo(f"  未能生成 {problem}")


@group.command(
    "register",
    help="证书登记册（Excel）：一个期次的，或一门课程的，不写则为全部结业证书（不含学时证明），"
    "已撤销的也列出并注明。",
)
@click.option("--cohort", "cohort_code", default="", help="期次代码")
@click.option("--course", "course_code", default="", help="课程代码")
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Excel 文件（.xlsx）",
)
@click.option("--force", is_flag=True, help="覆盖已存在的文件")
@pass_context
def register(ctx: Context, cohort_code: str, course_code: str, output: Path, force: bool) -> None:
    from ..certificates import files

    if cohort_code and course_code:
        raise YiyuanError("--cohort 和 --course 只能给一个。")
    if output.suffix.lower() != ".xlsx":
        raise YiyuanError(f"登记册应为 .xlsx 文件，而不是 {output.name}。")
    _refuse_existing(output, force)
    check_schema(ctx.database)
    with ctx.database.session() as session:
        query = select(Certificate).where(Certificate.kind != "hours").order_by(Certificate.id)
        title = "证书登记册"
        if cohort_code:
            cohort = _cohort(session, cohort_code)
            query, title = (
                query.where(Certificate.cohort_id == cohort.id),
                f"{cohort.name}证书登记册",
            )
        if course_code:
            course = _course(session, course_code)
            query, title = (
                query.where(Certificate.course_id == course.id),
                f"{course.title}证书登记册",
            )
        certificates = list(session.scalars(query))
        data = files.register(certificates, title[:31])  # an Excel sheet name has 31 at most
    _write(output, data)
    click.echo(f"已写入 {output}：{len(certificates)} 份证书。")


# --- inside ---------------------------------------------------------------------------------


def _certificate(session, typed: str) -> Certificate:
    """The certificate a serial names, typed or scanned as people do (spaces, lower case)."""
    from ..certificates import issuing, serials

    return issuing.get(session, serials.normalise(typed) or (typed or "").strip())


def _account(session, username: str):
    from ..accounts.service import get_account

    return get_account(session, username)


def _course(session, code: str) -> Course:
    course = session.scalar(select(Course).where(Course.code == (code or "").strip()))
    if course is None:
        raise YiyuanError(f"没有课程“{code}”：请检查课程代码（yiyuan courses list 列出全部）。")
    return course


def _cohort(session, code: str):
    from ..cohorts import get_cohort

    return get_cohort(session, code)


def _warn_unprintable(certificate: Certificate) -> None:
    from ..certificates.document import check_printable
    from ..certificates.issuing import CertificateError

    try:
        check_printable(certificate)
    except CertificateError as error:
        click.echo(f"注意：{error}", err=True)


def _refuse_existing(path: Path, force: bool) -> None:
    if path.exists() and not force:
        raise YiyuanError(f"{path} 已存在，没有覆盖：请换一个文件名，或加 --force 覆盖。")


def _write(path: Path, data: bytes) -> None:
    try:
        path.write_bytes(data)
    except OSError as error:
        raise YiyuanError(f"无法写入 {path}（{error.strerror}）：请换一个可写的位置。") from None


class _Progress:
    """click's progress bar (on stderr) for a class's job: processed/total and issued so far."""

    def __init__(self) -> None:
        self.bar = None

    def update(self, done: int, total: int, issued: int) -> None:
        if self.bar is None:
            self.bar = click.progressbar(
                length=total,
                label="颁发中",
                show_pos=True,
                item_show_func=lambda n: f"已颁发 {n}" if n is not None else "",
                file=sys.stderr,
            )
            self.bar.__enter__()
        self.bar.update(done - self.bar.pos, current_item=issued)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)

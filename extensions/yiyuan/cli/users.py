"""``yiyuan users``: accounts for administrators at the command line."""

from __future__ import annotations

import sys

import click
from sqlalchemy import select

from ..accounts import admin, lockouts
from ..accounts.throttle import policy_of
from ..associations.records import find_association
from ..clock import local_zone
from ..db.migrate import check_schema
from ..errors import AccountError
from ..models import ROLE_LABELS, Account, Role, ThrottleKind, utcnow
from . import Context, actor_option, pass_context

KIND_LABELS = {
    ThrottleKind.account: "账号",
    ThrottleKind.client: "登录过的设备",
    ThrottleKind.address: "来源地址",
    ThrottleKind.name: "用户名",
}


@click.group("users", help="账号：创建、设置密码、解锁、停用与恢复、列表。")
def group() -> None:
    pass


def _read_password() -> str:
    """The first line of standard input, so that passwords never appear in shell history."""
    if sys.stdin.isatty():
        return click.prompt("新密码", hide_input=True, confirmation_prompt="再输入一次")
    line = sys.stdin.readline().rstrip("\r\n")
    if not line:
        raise AccountError("没有从标准输入读到密码：请用 `echo 密码 | yiyuan users …` 传入。")
    return line


@group.command(help="创建账号。不加 --password-stdin 时生成初始密码并显示一次。")
@click.argument("username")
@click.option("--name", "display_name", required=True, help="姓名，例如 张三")
@click.option(
    "--role",
    "roles",
    multiple=True,
    type=click.Choice([r.value for r in Role]),
    default=["learner"],
    show_default=True,
    help="角色，可重复",
)
@click.option(
    "--association", "associations", multiple=True, help="协会管理员负责的协会（简称或全称）"
)
@click.option("--password-stdin", is_flag=True, help="从标准输入读取密码")
@actor_option
@pass_context
def create(ctx, username, display_name, roles, associations, password_stdin, actor) -> None:
    check_schema(ctx.database)
    password = _read_password() if password_stdin else None
    with ctx.database.session() as session:
        manages = []
        for name in associations:
            association = find_association(session, name)
            if association is None:
                raise AccountError(f"没有名为 {name!r} 的协会。")
            manages.append(association)
        if Role.manager.value in roles and not manages:
            raise AccountError("协会管理员需要用 --association 指定所负责的协会。")
        account, initial = admin.create(
            session,
            username,
            display_name,
            [Role(r) for r in roles],
            actor,
            password=password,
            min_password_length=ctx.settings.auth.min_password_length,
            manages=manages,
        )
    click.echo(f"已创建账号 {account.username}（{display_name}）。首次登录须修改密码。")
    if initial:
        click.echo(f"初始密码：{initial}（只显示这一次）")


@group.command("set-password", help="从标准输入读取新密码并设置；默认要求用户下次登录时修改。")
@click.argument("username")
@click.option(
    "--temporary/--permanent",
    default=True,
    show_default=True,
    help="临时密码：用户下次登录时必须修改",
)
@actor_option
@pass_context
def set_password(ctx: Context, username: str, temporary: bool, actor: str) -> None:
    check_schema(ctx.database)
    password = _read_password()
    with ctx.database.session() as session:
        account = admin.set_password(
            session,
            username,
            password,
            actor,
            min_length=ctx.settings.auth.min_password_length,
            must_change=temporary,
        )
    note = "，下次登录时须修改" if temporary else ""
    click.echo(f"已为 {account.username} 设置新密码{note}；账号锁定（如有）已解除。")


@group.command(
    "reset-password", help="生成新的初始密码并显示一次；用户下次登录时须修改，锁定随之解除。"
)
@click.argument("username")
@actor_option
@pass_context
def reset_password(ctx: Context, username: str, actor: str) -> None:
    check_schema(ctx.database)
    with ctx.database.session() as session:
        password = admin.reset_password(
            session, username, actor, ctx.settings.auth.min_password_length
        )
        name = admin.get(session, username).username
    click.echo(f"已重置 {name} 的密码。初始密码：{password}（只显示这一次）")
    click.echo("请当面或电话告知本人，登录后须修改。")


@group.command(help="解除账号的登录限制（多次输错密码后），或用 --address 解除某个来源地址的限制。")
@click.argument("username", required=False)
@click.option("--address", default="", help="来源地址，例如 203.0.113.7（IPv6 按 /64 计）")
@actor_option
@pass_context
def unlock(ctx: Context, username: str | None, address: str, actor: str) -> None:
    check_schema(ctx.database)
    if not username and not address:
        raise AccountError(
            "请给出用户名，或用 --address 给出来源地址：例如 yiyuan users unlock zhangsan。"
        )
    with ctx.database.session() as session:
        if username:
            account = admin.unlock(session, username, actor)
            click.echo(f"已解锁 {account.username}。")
        if address:
            click.echo(
                f"已解除来源地址 {admin.unlock_address(session, address, actor)} 的登录限制。"
            )


@group.command(help="列出正在计数或限制中的登录：账号、已登录过的设备、来源地址。")
@pass_context
def throttles(ctx: Context) -> None:
    check_schema(ctx.database)
    now = utcnow()
    with ctx.database.session() as session:
        lines = lockouts.active(session, policy_of(ctx.settings.auth), now)
    if not lines:
        click.echo("没有登录限制，也没有正在计数的失败登录。")
        return
    for line in lines:
        until = (
            f"限制至 {line.blocked_until.astimezone(local_zone()):%m-%d %H:%M}"
            if line.blocked_until
            else "未限制"
        )
        who = line.who or "（不存在的用户名）"
        click.echo(
            f"{KIND_LABELS[line.kind]:<8} {who:<20} 失败 {line.failures} 次  "
            f"拒绝 {line.refused} 次  {until}  最近来源 {line.last_address or '-'}"
        )


@group.command(help="停用账号：不能再登录，退出所有群组；记录保留。")
@click.argument("username")
@actor_option
@pass_context
def deactivate(ctx: Context, username: str, actor: str) -> None:
    check_schema(ctx.database)
    with ctx.database.session() as session:
        account = admin.deactivate(session, username, actor)
    click.echo(f"已停用 {account.username}。")


@group.command(help="恢复已停用的账号。")
@click.argument("username")
@actor_option
@pass_context
def activate(ctx: Context, username: str, actor: str) -> None:
    check_schema(ctx.database)
    with ctx.database.session() as session:
        account = admin.activate(session, username, actor)
    click.echo(f"已恢复 {account.username}。")


@group.command("list", help="列出账号及其角色与状态。")
@pass_context
def list_(ctx: Context) -> None:
    check_schema(ctx.database)
    now = utcnow()
    with ctx.database.session() as session:
        locked = lockouts.locked_account_ids(session, now)
        for account in session.scalars(select(Account).order_by(Account.username)):
            roles = "、".join(ROLE_LABELS[g.role] for g in account.roles) or "-"
            state = []
            if not account.active:
                state.append("已停用")
            if account.id in locked:
                state.append("已锁定")
            if account.must_change_password:
                state.append("待改密码")
            click.echo(
                f"{account.username:<16} {account.display_name:<12} {roles:<10} "
                f"{'、'.join(state) or '正常'}"
            )

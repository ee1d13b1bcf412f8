"""What an administrator does to someone else's account: deactivate, activate, reset or set
the password, unlock (and lift a client address's login block). The one code path for the CLI (``yiyuan users …``) and the workspace
(``admin/members/<username>``): each action writes its audit entry in the caller's
transaction, so an entry exists exactly when the change does.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from .. import audit
from ..errors import AccountError
from ..models import ROLE_LABELS, Account, Role, utcnow
from . import lockouts, service
from .passwords import generate_initial_password


class UnknownAccount(AccountError):
    """No account by that name (the web answers 404)."""


class SelfDeactivation(AccountError):
    """An administrator may not lock themselves out."""


def get(session: Session, username: str) -> Account:
    """The account named ``username``, or :class:`UnknownAccount` with a Chinese message."""
    account = service.find_account(session, username)
    if account is None:
        raise UnknownAccount(f"没有用户名为“{username}”的账号。")
    return account


def create(
    session: Session,
    username: str,
    display_name: str,
    roles: list[Role],
    actor: str,
    **options,
) -> tuple[Account, str | None]:
    """:func:`service.create_account` (same ``options``), audited; returns the account and
    its generated initial password, if one was generated."""
    account, initial = service.create_account(session, username, display_name, roles, **options)
    audit.record(
        session,
        actor,
        "account.create",
        f"创建账号 {account.username}（{display_name}），角色："
        + "、".join(ROLE_LABELS[role] for role in roles),
        account_id=account.id,
        target=account.username,
        detail={"roles": [role.value for role in roles]},
    )
    return account, initial


def deactivate(session: Session, username: str, actor: str) -> Account:
    """Stop someone logging in (their records stay); refuses the actor's own account."""
    account = get(session, username)
    if account.username == service.normalise_username(actor or ""):
        raise SelfDeactivation("不能停用自己的账号：请由另一位管理员操作。")
    return _set_active(session, account, actor, False)


def activate(session: Session, username: str, actor: str) -> Account:
    return _set_active(session, get(session, username), actor, True)


def _set_active(session: Session, account: Account, actor: str, active: bool) -> Account:
    changed = account.active != active
    service.set_active(session, account.username, active)
    if changed:  # a repeated click changes nothing and needs no entry
        action, verb = ("account.activate", "恢复") if active else ("account.deactivate", "停用")
        audit.record(
            session,
            actor,
            action,
            f"{verb}账号 {account.username}（{account.display_name}）",
            account_id=account.id,
            target=account.username,
        )
    return account


def reset_password(session: Session, username: str, actor: str, min_length: int) -> str:
    """A new initial password (returned once, never stored in clear or in the log): the
    person must change it at their next login; any lockout is lifted."""
    account = get(session, username)
    password = generate_initial_password(max(min_length, 12))
    service.set_password(
        session, account.username, password, min_length=min_length, must_change=True
    )
    audit.record(
        session,
        actor,
        "account.password",
        f"重置 {account.username}（{account.display_name}）的密码，登录后须修改",
        account_id=account.id,
        target=account.username,
        detail={"must_change": True},
    )
    _lift_if_locked(session, account, actor)
    return password


def set_password(
    session: Session,
    username: str,
    password: str,
    actor: str,
    *,
    min_length: int,
    must_change: bool,
) -> Account:
    """An administrator sets a chosen password (``yiyuan users set-password``)."""
    account = get(session, username)
    service.set_password(
        session, account.username, password, min_length=min_length, must_change=must_change
    )
    audit.record(
        session,
        actor,
        "account.password",
        f"为 {account.username}（{account.display_name}）设置密码"
        + ("，登录后须修改" if must_change else ""),
        account_id=account.id,
        target=account.username,
        detail={"must_change": must_change},
    )
    _lift_if_locked(session, account, actor)
    return account


def unlock(session: Session, username: str, actor: str) -> Account:
    """Lift every login block on the account (for strangers' clients and for its own known
    clients) and forget its failures."""
    account = get(session, username)
    _lift(session, account, actor, lockouts.clear_account(session, account.id, utcnow()))
    return account


def unlock_address(session: Session, address: str, actor: str) -> str:
    """Lift a client address's login block (e.g. a training room behind one address after
    many first logins); returns the address as counted (an IPv6 /64)."""
    key, was = lockouts.clear_address(session, address, utcnow())
    audit.record(
        session,
        actor,
        "address.unlock",
        f"解除来源地址 {key} 的登录限制",
        target=key,
        detail=was,
    )
    return key


def _lift_if_locked(session: Session, account: Account, actor: str) -> None:
    """A new password also lifts a block; audited as an unlock only when there was one."""
    was = lockouts.clear_account(session, account.id, utcnow())
    if was["was_locked"]:
        _lift(session, account, actor, was)


def _lift(session: Session, account: Account, actor: str, was: dict) -> None:
    audit.record(
        session,
        actor,
        "account.unlock",
        f"解除 {account.username}（{account.display_name}）的登录限制",
        account_id=account.id,
        target=account.username,
        detail=was,
    )

"""What can happen to an account: create, find (by name or mobile), change or set a password,
(de)activate. Logging in, with its throttling, is login.py.

Functions take an open SQLAlchemy session and leave committing to the caller's
``Database.session()`` block, so that one request is one transaction.
"""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import AccountError
from ..hubgroups import request_hub_sync
from ..i18n import get_catalogue
from ..models import Account, AccountRole, Association, Member, Role, utcnow
from .passwords import (
    Problem,
    generate_initial_password,
    hash_initial_password,
    hash_password,
    password_problems,
    verify_password,
)

# Lower-case ASCII so that the name is also a valid POSIX user name in production mode.
USERNAME_PATTERN = re.compile(r"^[a-z][a-z0-9_-]{1,31}$")
# In production every account is also a system user: never one of the system's own.
RESERVED_USERNAMES = frozenset(
    "root daemon bin sys sync games man lp mail news uucp proxy www-data backup list irc gnats "
    "nobody nogroup systemd-network systemd-resolve systemd-timesync messagebus sshd postgres "
    "mysql redis nginx syslog _apt adm sudo staff users operator halt shutdown ftp".split()
)
# Members may log in with their mobile number instead of their user name.
MOBILE_PATTERN = re.compile(r"^1[3-9]\d{9}$")


def normalise_username(username: str) -> str:
    return username.strip().lower()


def check_username(username: str) -> str:
    name = normalise_username(username)
    if name in RESERVED_USERNAMES:
        raise AccountError(f"用户名 {name} 是系统保留的名称，请换一个。")
    if not USERNAME_PATTERN.match(name):
        raise AccountError(
            f"用户名 {username!r} 不可用：须以英文字母开头，由 2–32 位小写字母、数字、"
            "下划线或连字符组成（例如 zhangsan 或 zhang-san2）。"
        )
    return name


def find_account(session: Session, username: str) -> Account | None:
    return session.scalar(select(Account).where(Account.username == normalise_username(username)))


def find_login_account(session: Session, entered: str) -> Account | None:
    """The account a login form means: by user name, or by a member's mobile number."""
    name = normalise_username(entered)
    if MOBILE_PATTERN.match(name):
        return session.scalar(
            select(Account)
            .join(Member, Member.account_id == Account.id)
            .where(Member.mobile == name)
        )
    return find_account(session, name)


def get_account(session: Session, username: str) -> Account:
    account = find_account(session, username)
    if account is None:
        raise AccountError(f"没有用户名为 {username!r} 的账号：请用 `yiyuan users list` 查看。")
    return account


def create_account(
    session: Session,
    username: str,
    display_name: str,
    roles: list[Role],
    *,
    password: str | None = None,
    must_change_password: bool = True,
    min_password_length: int = 8,
    manages: list[Association] | None = None,
) -> tuple[Account, str | None]:
    """Create an account; returns it and the generated initial password, if one was generated."""
    name = check_username(username)
    if find_account(session, name) is not None:
        raise AccountError(f"用户名 {name} 已被使用。")
    generated = None
    if password is None:
        generated = generate_initial_password()
        password_hash = hash_initial_password(generated)
    else:
        _require_strong(password, name, min_password_length)
        password_hash = hash_password(password)
    account = Account(
        username=name,
        display_name=display_name,
        password_hash=password_hash,
        must_change_password=must_change_password,
    )
    for role in roles:
        if role is Role.manager:
            for association in manages or []:
                account.roles.append(AccountRole(role=role, association_id=association.id))
        else:
            account.roles.append(AccountRole(role=role))
    session.add(account)
    session.flush()
    return account, generated


def change_password(
    session: Session, username: str, current: str, new: str, min_length: int
) -> list[Problem]:
    """A user changing their own password; returns the problems, empty when it was changed."""
    account = get_account(session, username)
    if not verify_password(account.password_hash, current):
        return [Problem("password_wrong_current", {})]
    if new == current:
        return [Problem("password_reuse", {})]
    problems = password_problems(new, account.username, min_length)
    if not problems:
        _store_password(account, new, must_change=False)
    return problems


def set_password(
    session: Session, username: str, new: str, *, min_length: int, must_change: bool
) -> Account:
    """An administrator setting someone's password; with ``must_change`` it is a one-time one."""
    account = get_account(session, username)
    _require_strong(new, account.username, min_length)
    _store_password(account, new, must_change=must_change)
    return account


def set_active(session: Session, username: str, active: bool) -> Account:
    """(De)activate an account and its member record alike; the hub sync then adds or
    removes its groups."""
    account = get_account(session, username)
    member = session.scalar(select(Member).where(Member.account_id == account.id))
    if account.active != active or (member is not None and member.active != active):
        account.active = active
        if member is not None:
            member.active = active
            member.deactivated_at = None if active else utcnow()
        request_hub_sync(session)
    return account


def _store_password(account: Account, password: str, must_change: bool) -> None:
    account.password_hash = hash_password(password)
    account.must_change_password = must_change
    account.password_changed_at = utcnow()


def _require_strong(password: str, username: str, min_length: int) -> None:
    problems = password_problems(password, username, min_length)
    if problems:
        catalogue = get_catalogue("zh_CN")
        raise AccountError(" ".join(catalogue.format(p.key, **p.params) for p in problems))

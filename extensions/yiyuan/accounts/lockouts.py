"""Failure counters in the database: which counters an attempt touches, holding them for
the length of one attempt, counting, blocking, clearing, and what administrators see.

The policy itself (thresholds, the doubling block) is in throttle.py; this module only
stores it. Every block of an account, a known client or an address, and every clearing by
an administrator, writes an audit entry in the same transaction.
"""

from __future__ import annotations

import hashlib
import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.orm import Session

from .. import audit
from ..clock import local_zone
from ..models import Account, LoginThrottle, ThrottleKind
from .throttle import Counter, ThrottlePolicy, after_failure, is_blocked

LOCAL_TIME = "%m-%d %H:%M"


@dataclass(frozen=True, order=True)
class Key:
    kind: ThrottleKind
    key: str
    account_id: int | None = None


def account_key(account_id: int) -> Key:
    return Key(ThrottleKind.account, str(account_id), account_id)


def name_key(entered: str) -> Key:
    # hashed: people type passwords into the name field now and then
    digest = hashlib.sha256(entered.strip().lower().encode("utf-8")).hexdigest()
    return Key(ThrottleKind.name, digest)


def client_key(account_id: int, token_hash: str) -> Key:
    return Key(ThrottleKind.client, f"{account_id}:{token_hash}", account_id)


def address_key(address: str) -> Key:
    return Key(ThrottleKind.address, normalise_address(address))


def normalise_address(address: str) -> str:
    """IPv4 as is; IPv6 as its /64 (one host usually holds a whole /64 to rotate through)."""
    text = (address or "").strip()
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return text[:64] or "unknown"
    if ip.version == 6:
        if ip.ipv4_mapped:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def counter(row: LoginThrottle) -> Counter:
    return Counter(row.failures, row.last_failure_at, row.blocked_until)


def hold(session: Session, keys: list[Key]) -> list[LoginThrottle]:
    """The counters for ``keys``, created if missing and locked until the transaction ends,
    so that concurrent attempts count one after another (the insert is the first write:
    on SQLite it takes the database's write lock; on PostgreSQL the rows are selected FOR
    UPDATE, always in the same order)."""
    keys = sorted(set(keys))
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    for key in keys:
        session.execute(
            insert(LoginThrottle)
            .values(kind=key.kind, key=key.key, account_id=key.account_id)
            .on_conflict_do_nothing(index_elements=["kind", "key"])
        )
    wanted = or_(*(and_(LoginThrottle.kind == k.kind, LoginThrottle.key == k.key) for k in keys))
    rows = session.scalars(
        select(LoginThrottle)
        .where(wanted)
        .order_by(LoginThrottle.kind, LoginThrottle.key)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    return sorted(rows, key=lambda row: keys.index(Key(row.kind, row.key, row.account_id)))


def refuse(rows: list[LoginThrottle]) -> None:
    for row in rows:
        row.refused += 1


def fail(
    session: Session,
    rows: list[LoginThrottle],
    policy: ThrottlePolicy,
    now: datetime,
    address: str,
    account: Account | None,
) -> list[LoginThrottle]:
    """Count one failure on each counter; returns those it blocked (each audited)."""
    blocked = []
    for row in rows:
        was_blocked = is_blocked(counter(row), now)
        new = after_failure(counter(row), row.kind, policy, now)
        row.failures, row.last_failure_at, row.blocked_until = (
            new.failures,
            new.last_failure_at,
            new.blocked_until,
        )
        row.last_address = address[:64]
        if is_blocked(new, now) and not was_blocked:
            blocked.append(row)
            _audit_block(session, row, account, now)
    return blocked


def reset(session: Session, row: LoginThrottle) -> None:
    """Forget a counter (after its owner's successful login)."""
    session.delete(row)


def forget_stale(session: Session, policy: ThrottlePolicy, now: datetime) -> None:
    """Drop counters whose window has passed and that block nothing (keeps the table small:
    every name an attacker tries gets a row)."""
    cutoff = now - timedelta(minutes=policy.window_minutes)
    session.execute(
        delete(LoginThrottle)
        .where(or_(LoginThrottle.last_failure_at.is_(None), LoginThrottle.last_failure_at < cutoff))
        .where(or_(LoginThrottle.blocked_until.is_(None), LoginThrottle.blocked_until <= now))
        .execution_options(synchronize_session=False)
    )


# --- what administrators see and clear ------------------------------------------------------


@dataclass(frozen=True)
class AccountThrottle:
    """An account's counters as the member page shows them."""

    #: failures from unknown clients in the current window
    failures: int = 0
    #: until when unknown clients are refused (None: not blocked now)
    locked_until: datetime | None = None
    #: attempts refused unchecked while blocked
    refused: int = 0
    #: known clients of the account blocked now (after their own failures)
    clients_blocked: int = 0

    @property
    def locked(self) -> bool:
        return self.locked_until is not None

    @property
    def any(self) -> bool:
        return bool(self.failures or self.locked_until or self.refused or self.clients_blocked)


def account_state(session: Session, account_id: int, now: datetime) -> AccountThrottle:
    rows = session.scalars(
        select(LoginThrottle).where(LoginThrottle.account_id == account_id)
    ).all()
    mine = next((r for r in rows if r.kind is ThrottleKind.account), None)
    return AccountThrottle(
        failures=mine.failures if mine else 0,
        locked_until=mine.blocked_until if mine and is_blocked(counter(mine), now) else None,
        refused=mine.refused if mine else 0,
        clients_blocked=sum(
            1 for r in rows if r.kind is ThrottleKind.client and is_blocked(counter(r), now)
        ),
    )


def locked_account_ids(session: Session, now: datetime, among: list[int] | None = None) -> set:
    """Accounts that unknown clients cannot log in to now."""
    query = select(LoginThrottle.account_id).where(
        LoginThrottle.kind == ThrottleKind.account, LoginThrottle.blocked_until > now
    )
    if among is not None:
        if not among:
            return set()
        query = query.where(LoginThrottle.account_id.in_(among))
    return set(session.scalars(query))


def count_locked_accounts(session: Session, now: datetime) -> int:
    return session.scalar(
        select(func.count()).where(
            LoginThrottle.kind == ThrottleKind.account, LoginThrottle.blocked_until > now
        )
    )


@dataclass(frozen=True)
class ThrottleLine:
    """One counter that blocks or counts, for ``yiyuan users throttles``."""

    kind: ThrottleKind
    #: the user name (account, known client) or the address; "" for unknown names
    who: str
    failures: int
    refused: int
    blocked_until: datetime | None
    last_address: str


def active(session: Session, policy: ThrottlePolicy, now: datetime) -> list[ThrottleLine]:
    """Every counter that blocks now or still counts failures, blocked ones first."""
    cutoff = now - timedelta(minutes=policy.window_minutes)
    rows = session.execute(
        select(LoginThrottle, Account.username)
        .outerjoin(Account, Account.id == LoginThrottle.account_id)
        .where(or_(LoginThrottle.blocked_until > now, LoginThrottle.last_failure_at >= cutoff))
        .order_by(LoginThrottle.blocked_until.desc(), LoginThrottle.last_failure_at.desc())
    ).all()
    return [
        ThrottleLine(
            kind=row.kind,
            who=username or (row.key if row.kind is ThrottleKind.address else ""),
            failures=row.failures,
            refused=row.refused,
            blocked_until=row.blocked_until if is_blocked(counter(row), now) else None,
            last_address=row.last_address,
        )
        for row, username in rows
    ]


def clear_account(session: Session, account_id: int, now: datetime) -> dict:
    """Forget every counter of the account (its own and its known clients'); returns what
    there was, for the audit entry."""
    rows = session.scalars(
        select(LoginThrottle).where(LoginThrottle.account_id == account_id)
    ).all()
    was = {
        "was_locked": any(is_blocked(counter(r), now) for r in rows),
        "failures": sum(r.failures for r in rows if r.kind is ThrottleKind.account),
        "clients_blocked": sum(
            1 for r in rows if r.kind is ThrottleKind.client and is_blocked(counter(r), now)
        ),
    }
    for row in rows:
        session.delete(row)
    session.flush()
    return was


def clear_address(session: Session, address: str, now: datetime) -> tuple[str, dict]:
    """Forget an address's counter; returns the address as counted and what there was."""
    key = address_key(address)
    row = session.scalar(
        select(LoginThrottle).where(
            LoginThrottle.kind == ThrottleKind.address, LoginThrottle.key == key.key
        )
    )
    was = {
        "was_locked": row is not None and is_blocked(counter(row), now),
        "failures": row.failures if row else 0,
    }
    if row is not None:
        session.delete(row)
        session.flush()
    return key.key, was


def _audit_block(
    session: Session, row: LoginThrottle, account: Account | None, now: datetime
) -> None:
    until = row.blocked_until
    assert until is not None
    minutes = round((until - now).total_seconds() / 60)
    detail = {
        "kind": row.kind.value,
        "failures": row.failures,
        "minutes": minutes,
        "until": until.isoformat(),
        "address": row.last_address,
    }
    when = until.astimezone(local_zone()).strftime(LOCAL_TIME)
    if row.kind is ThrottleKind.address:
        audit.record(
            session,
            "system",
            "address.lock",
            f"来源地址 {row.key} 密码错误 {row.failures} 次：该地址上未登录过的设备"
            f"暂停登录至 {when}（{minutes} 分钟）",
            target=row.key,
            detail=detail,
        )
    elif account is not None:
        if row.kind is ThrottleKind.client:
            what = "在一台登录过的设备上连续输错密码 {n} 次：该设备暂停登录至 {when}"
        else:
            what = (
                "连续输错密码 {n} 次：未登录过该账号的设备暂停登录至 {when}"
                "（本人登录过的设备不受影响）"
            )
        audit.record(
            session,
            "system",
            "account.lock",
            f"账号 {account.username}（{account.display_name}）"
            + what.format(n=row.failures, when=f"{when}（{minutes} 分钟）"),
            account_id=account.id,
            target=account.username,
            detail=detail,
        )

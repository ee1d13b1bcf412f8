"""Valid roster rows → members, memberships and accounts.

The second of the import's two steps (the first is :mod:`.rows`). Rows are written in
batches, one transaction per batch, so a crash leaves whole members or none. For each batch
the stored state is read in three plain queries, compared with the rows, and only the
difference is written: new members with bulk inserts, changed ones with targeted updates.
Applying the same roster twice therefore writes nothing the second time.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from ..accounts.passwords import generate_initial_password, hash_initial_password
from ..db import Database
from ..hubgroups import request_hub_sync
from ..models import Account, AccountRole, Member, Membership, Role, Standing, utcnow
from .rows import MemberRow, RowError
from .usernames import derive_username

BATCH_SIZE = 500
#: member columns a roster may carry; absent columns leave stored values alone
OPTIONAL_FIELDS = ("email", "gender", "work_unit")


@dataclass(frozen=True)
class InitialPassword:
    username: str
    name: str
    mobile: str
    password: str


@dataclass
class ImportResult:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    reactivated: int = 0
    deactivated: int = 0
    errors: list[RowError] = field(default_factory=list)
    #: initial passwords of new accounts, added only once their batch is committed
    passwords: list[InitialPassword] = field(default_factory=list)
    #: why --deactivate-missing did nothing, if it did nothing
    deactivation_skipped: str = ""
    #: hub groups must change (the sync has work to do)
    groups_changed: bool = False
    #: roster row numbers of the members created, updated and reactivated (for previews)
    created_rows: list[int] = field(default_factory=list)
    updated_rows: list[int] = field(default_factory=list)
    reactivated_rows: list[int] = field(default_factory=list)

    @property
    def rejected_rows(self) -> int:
        return len({error.row for error in self.errors})


@dataclass
class _Stored:
    """One member as the database has it, read with plain queries (no ORM objects)."""

    member_id: int
    account_id: int
    name: str
    email: str
    gender: str
    work_unit: str
    active: bool
    display_name: str
    is_learner: bool = False
    #: association id → (standing, active)
    memberships: dict[int, tuple[Standing, bool]] = field(default_factory=dict)


def apply_rows(
    database: Database,
    rows: list[MemberRow],
    *,
    result: ImportResult | None = None,
    dry_run: bool = False,
    deactivate_missing: bool = False,
    roster_mobiles: set[str] | None = None,
    invalid_mobiles: int = 0,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Write ``rows``; with ``dry_run`` do the same work and roll it all back.

    Pass your own ``result`` to keep what was committed if a later batch fails: its
    ``passwords`` then hold exactly the accounts that exist.

    ``roster_mobiles`` are all mobile numbers the roster mentions (valid rows or not): with
    ``deactivate_missing``, active members outside it become inactive — unless some row's
    mobile number could not be read, since that person might then be deactivated by mistake.
    """
    result = result if result is not None else ImportResult()
    result.rows = len(rows)
    now = utcnow()
    session = database.new_session()
    try:
        taken = set(session.scalars(select(Account.username)))
        with ThreadPoolExecutor(max_workers=2) as hashers:
            for start in range(0, len(rows), BATCH_SIZE):
                batch = rows[start : start + BATCH_SIZE]
                passwords = _apply_batch(session, batch, taken, result, now, dry_run, hashers)
                if not dry_run:
                    session.commit()
                    result.passwords.extend(passwords)
                if progress:
                    progress(len(batch))
        if deactivate_missing:
            if invalid_mobiles:
                result.deactivation_skipped = (
                    f"有 {invalid_mobiles} 行的手机号无法识别，为免误停用，本次没有停用任何会员。"
                )
            else:
                _deactivate_missing(session, roster_mobiles or set(), result, now)
                if not dry_run:
                    session.commit()
        if dry_run:
            session.rollback()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
    return result


def _apply_batch(
    session: Session,
    batch: list[MemberRow],
    taken: set[str],
    result: ImportResult,
    now: datetime,
    dry_run: bool,
    hashers: ThreadPoolExecutor,
) -> list[InitialPassword]:
    stored = _load(session, [row.mobile for row in batch])
    new_rows, groups_changed = [], False
    for row in batch:
        member = stored.get(row.mobile)
        if member is None:
            new_rows.append(row)
            continue
        changed, member_groups_changed, reactivated = _update(session, member, row, now)
        groups_changed |= member_groups_changed
        if reactivated:
            result.reactivated += 1
            result.reactivated_rows.append(row.row)
        elif changed:
            result.updated += 1
            result.updated_rows.append(row.row)
        else:
            result.unchanged += 1
    passwords = _insert_new(session, new_rows, taken, now, dry_run, hashers)
    result.created += len(new_rows)
    result.created_rows.extend(row.row for row in new_rows)
    if new_rows or groups_changed:
        result.groups_changed = True
        request_hub_sync(session)
    return passwords


def _load(session: Session, mobiles: list[str]) -> dict[str, _Stored]:
    """The stored state of these members: three queries, whatever the batch holds."""
    stored: dict[str, _Stored] = {}
    by_id: dict[int, _Stored] = {}
    by_account: dict[int, _Stored] = {}
    query = (
        select(
            Member.mobile,
            Member.id,
            Member.account_id,
            Member.name,
            Member.email,
            Member.gender,
            Member.work_unit,
            Member.active,
            Account.display_name,
        )
        .join(Account, Member.account_id == Account.id)
        .where(Member.mobile.in_(mobiles))
    )
    for mobile, *values in session.execute(query):
        member = stored[mobile] = _Stored(*values)
        by_id[member.member_id] = member
        by_account[member.account_id] = member
    if not stored:
        return stored
    for (account_id,) in session.execute(
        select(AccountRole.account_id).where(
            AccountRole.role == Role.learner, AccountRole.account_id.in_(list(by_account))
        )
    ):
        by_account[account_id].is_learner = True
    for member_id, association_id, standing, active in session.execute(
        select(
            Membership.member_id, Membership.association_id, Membership.standing, Membership.active
        ).where(Membership.member_id.in_(list(by_id)))
    ):
        by_id[member_id].memberships[association_id] = (standing, active)
    return stored


def _update(session: Session, member: _Stored, row: MemberRow, now: datetime):
    """Write what differs; returns (anything changed, hub groups changed, reactivated)."""
    changes = {}
    if member.name != row.name:
        changes["name"] = row.name
    for name in OPTIONAL_FIELDS:
        value = getattr(row, name)
        if value is not None and getattr(member, name) != value:
            changes[name] = value
    groups_changed = reactivated = False
    if not member.active:
        changes.update(active=True, deactivated_at=None)
        session.execute(update(Account).where(Account.id == member.account_id).values(active=True))
        reactivated = groups_changed = True
    if member.display_name != row.name:
        session.execute(
            update(Account).where(Account.id == member.account_id).values(display_name=row.name)
        )
    if not member.is_learner:
        session.execute(insert(AccountRole).values(account_id=member.account_id, role=Role.learner))
        groups_changed = True
    for association_id, stated in row.memberships.items():
        current = member.memberships.get(association_id)
        # no standing in the roster: keep the stored one
        standing = stated or (current[0] if current else Standing.member)
        if current is None:
            session.execute(
                insert(Membership).values(
                    member_id=member.member_id,
                    association_id=association_id,
                    standing=standing,
                    joined_at=now,
                )
            )
        elif current != (standing, True):
            session.execute(
                update(Membership)
                .where(
                    Membership.member_id == member.member_id,
                    Membership.association_id == association_id,
                )
                .values(standing=standing, active=True, left_at=None)
            )
        else:
            continue
        groups_changed = True
    left = [
        association_id
        for association_id, (_, active) in member.memberships.items()
        if active and association_id not in row.memberships
    ]
    if left:
        session.execute(
            update(Membership)
            .where(Membership.member_id == member.member_id, Membership.association_id.in_(left))
            .values(active=False, left_at=now)
        )
        groups_changed = True
    if changes or groups_changed:
        changes["updated_at"] = now
        session.execute(update(Member).where(Member.id == member.member_id).values(**changes))
    return bool(changes) or groups_changed, groups_changed, reactivated


def _insert_new(
    session: Session,
    rows: list[MemberRow],
    taken: set[str],
    now: datetime,
    dry_run: bool,
    hashers: ThreadPoolExecutor,
) -> list[InitialPassword]:
    """New members, their accounts, roles and memberships: four bulk inserts."""
    if not rows:
        return []
    usernames = []
    for row in rows:
        usernames.append(derive_username(row.name, row.mobile, taken))
        taken.add(usernames[-1])
    # a dry run needs no real password; hashing would only slow the preview
    passwords = ["" if dry_run else generate_initial_password() for _ in rows]
    # argon2 releases the GIL: hash on both cores
    hashes = list(hashers.map(lambda p: hash_initial_password(p) if p else "", passwords))
    account_ids = session.scalars(
        insert(Account).returning(Account.id, sort_by_parameter_order=True),
        [
            {
                "username": username,
                "display_name": row.name,
                "password_hash": password_hash,
                "must_change_password": True,
                "active": True,
                "created_at": now,
            }
            for row, username, password_hash in zip(rows, usernames, hashes, strict=True)
        ],
    ).all()
    session.execute(
        insert(AccountRole), [{"account_id": i, "role": Role.learner} for i in account_ids]
    )
    member_ids = session.scalars(
        insert(Member).returning(Member.id, sort_by_parameter_order=True),
        [
            {
                "name": row.name,
                "mobile": row.mobile,
                "email": row.email or "",
                "gender": row.gender or "",
                "work_unit": row.work_unit or "",
                "active": True,
                "account_id": account_id,
                "created_at": now,
                "updated_at": now,
            }
            for row, account_id in zip(rows, account_ids, strict=True)
        ],
    ).all()
    memberships = [
        {
            "member_id": member_id,
            "association_id": association_id,
            "standing": standing or Standing.member,
            "active": True,
            "joined_at": now,
        }
        for row, member_id in zip(rows, member_ids, strict=True)
        for association_id, standing in row.memberships.items()
    ]
    if memberships:
        session.execute(insert(Membership), memberships)
    return [
        InitialPassword(username, row.name, row.mobile, password)
        for row, username, password in zip(rows, usernames, passwords, strict=True)
        if password
    ]


def _deactivate_missing(
    session: Session, roster_mobiles: set[str], result: ImportResult, now: datetime
) -> None:
    active = session.execute(
        select(Member.id, Member.account_id, Member.mobile).where(Member.active)
    )
    missing = [(m_id, a_id) for m_id, a_id, mobile in active if mobile not in roster_mobiles]
    for start in range(0, len(missing), BATCH_SIZE):
        chunk = missing[start : start + BATCH_SIZE]
        session.execute(
            update(Member)
            .where(Member.id.in_([m for m, _ in chunk]))
            .values(active=False, deactivated_at=now)
        )
        session.execute(
            update(Account).where(Account.id.in_([a for _, a in chunk])).values(active=False)
        )
    result.deactivated = len(missing)
    if missing:
        result.groups_changed = True
        request_hub_sync(session)

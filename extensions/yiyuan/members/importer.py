"""Roster → members, memberships and accounts.

Two steps: :func:`check_rows` turns a read :class:`~.roster.Roster` into valid rows and row
errors without touching the database; :func:`apply_rows` writes valid rows in batches, one
transaction per batch, so a crash leaves whole members or none. Applying the same roster twice
changes nothing the second time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..accounts.passwords import generate_initial_password, hash_initial_password
from ..db import Database
from ..hubgroups import request_hub_sync
from ..models import Account, AccountRole, Association, Member, Membership, Role, Standing, utcnow
from . import normalise
from .matching import AssociationMatcher
from .roster import Roster, RosterRow
from .usernames import derive_username

BATCH_SIZE = 500
FIELD_LABELS = {
    "name": "姓名",
    "mobile": "手机号",
    "associations": "所属协会",
    "standing": "会员身份",
    "gender": "性别",
    "work_unit": "工作单位",
    "email": "邮箱",
}


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    value: str
    reason: str

    def __str__(self) -> str:
        shown = f"“{self.value}”" if self.value else "（空）"
        return f"第 {self.row} 行「{self.column}」{shown}：{self.reason}"


@dataclass(frozen=True)
class MemberRow:
    row: int
    name: str
    mobile: str
    email: str
    gender: str
    work_unit: str
    #: association id → standing
    memberships: dict[int, Standing]


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
    passwords: list[InitialPassword] = field(default_factory=list)
    #: why --deactivate-missing did nothing, if it did nothing
    deactivation_skipped: str = ""
    #: hub groups must change (the sync has work to do)
    groups_changed: bool = False

    @property
    def rejected_rows(self) -> int:
        return len({error.row for error in self.errors})


def check_rows(
    roster: Roster, matcher: AssociationMatcher
) -> tuple[list[MemberRow], list[RowError]]:
    """Valid rows and every problem of the others, without touching the database."""
    valid: list[MemberRow] = []
    errors: list[RowError] = []
    first_row_of: dict[str, int] = {}
    for row in roster.rows:
        checker = _RowChecker(roster, row)
        member = checker.member_row(matcher)
        if member and member.mobile in first_row_of:
            checker.fail("mobile", f"与第 {first_row_of[member.mobile]} 行的手机号重复。")
        if checker.errors:
            errors.extend(checker.errors)
            continue
        first_row_of[member.mobile] = row.number
        valid.append(member)
    return valid, errors


class _RowChecker:
    """Every problem of one roster row, each naming the column as the file names it."""

    def __init__(self, roster: Roster, row: RosterRow) -> None:
        self.roster = roster
        self.row = row
        self.errors: list[RowError] = []

    def fail(self, field_name: str, reason: str, shown: object = None) -> None:
        columns = self.roster.columns
        column = self.roster.headers[columns[field_name]] if field_name in columns else ""
        raw = self.row.values.get(field_name) if shown is None else shown
        self.errors.append(
            RowError(
                self.row.number,
                column or FIELD_LABELS[field_name],
                normalise.normalise_text(raw),
                reason,
            )
        )

    def checked(self, field_name: str, function: Callable[[object], str]) -> str:
        try:
            return function(self.row.values.get(field_name))
        except ValueError as error:
            self.fail(field_name, str(error))
            return ""

    def member_row(self, matcher: AssociationMatcher) -> MemberRow | None:
        name = self.checked("name", normalise.normalise_name)
        mobile = self.checked("mobile", normalise.normalise_mobile)
        email = self.checked("email", normalise.normalise_email)
        gender = self.checked("gender", normalise.normalise_gender)
        work_unit = normalise.normalise_text(self.row.values.get("work_unit"))[:200]
        memberships = self.memberships(matcher)
        if self.errors:
            return None
        return MemberRow(self.row.number, name, mobile, email, gender, work_unit, memberships)

    def memberships(self, matcher: AssociationMatcher) -> dict[int, Standing]:
        default_standing = self.checked("standing", normalise.parse_standing) or "member"
        items = normalise.split_associations(self.row.values.get("associations"))
        if not items:
            self.fail("associations", "至少填写一个协会。")
        memberships: dict[int, Standing] = {}
        for item in items:
            try:
                association_name, standing_text = normalise.parse_association_item(item)
                standing = (
                    normalise.parse_standing(standing_text) if standing_text else default_standing
                )
            except ValueError as error:
                self.fail("associations", str(error), item)
                continue
            association = matcher.match(association_name)
            if association is None:
                self.fail("associations", matcher.describe_unknown(association_name), item)
                continue
            memberships[association.id] = Standing(standing)
        return memberships


def apply_rows(
    database: Database,
    rows: list[MemberRow],
    *,
    dry_run: bool = False,
    deactivate_missing: bool = False,
    roster_mobiles: set[str] | None = None,
    invalid_mobiles: int = 0,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Write ``rows``; with ``dry_run`` do the same work and roll it all back.

    ``roster_mobiles`` are all mobile numbers the roster mentions (valid rows or not): with
    ``deactivate_missing``, active members outside it become inactive — unless some row's
    mobile number could not be read, since that person might then be deactivated by mistake.
    """
    result = ImportResult(rows=len(rows))
    now = utcnow()
    session = database.new_session()
    try:
        taken = set(session.scalars(select(Account.username)))
        for start in range(0, len(rows), BATCH_SIZE):
            batch = rows[start : start + BATCH_SIZE]
            _apply_batch(session, batch, taken, result, now, dry_run)
            if not dry_run:
                session.commit()
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
) -> None:
    existing = {
        member.mobile: member
        for member in session.scalars(
            select(Member).where(Member.mobile.in_([row.mobile for row in batch]))
        )
    }
    groups_changed = False
    for row in batch:
        member = existing.get(row.mobile)
        if member is None:
            session.add(_new_member(row, taken, result, now, dry_run))
            result.created += 1
            groups_changed = True
            continue
        changed, member_groups_changed = _update_member(member, row, now)
        if member_groups_changed:
            groups_changed = True
        if not member.active:
            member.active = True
            member.deactivated_at = None
            member.account.active = True
            result.reactivated += 1
            changed = groups_changed = True
        if changed:
            member.updated_at = now
            result.updated += 1
        else:
            result.unchanged += 1
    if groups_changed:
        result.groups_changed = True
        request_hub_sync(session)
    session.flush()


def _new_member(
    row: MemberRow, taken: set[str], result: ImportResult, now: datetime, dry_run: bool
) -> Member:
    username = derive_username(row.name, row.mobile, taken)
    taken.add(username)
    # a dry run needs no real password; hashing would only slow the preview
    password = "" if dry_run else generate_initial_password()
    account = Account(
        username=username,
        display_name=row.name,
        password_hash=hash_initial_password(password) if password else "",
        must_change_password=True,
        created_at=now,
        roles=[AccountRole(role=Role.learner)],
    )
    if password:
        result.passwords.append(InitialPassword(username, row.name, row.mobile, password))
    return Member(
        name=row.name,
        mobile=row.mobile,
        email=row.email,
        gender=row.gender,
        work_unit=row.work_unit,
        account=account,
        created_at=now,
        updated_at=now,
        memberships=[
            Membership(association_id=association_id, standing=standing, joined_at=now)
            for association_id, standing in row.memberships.items()
        ],
    )


def _update_member(member: Member, row: MemberRow, now: datetime) -> tuple[bool, bool]:
    """Bring ``member`` in line with ``row``; returns (anything changed, hub groups changed)."""
    changed = groups_changed = False
    for attribute in ("name", "email", "gender", "work_unit"):
        if getattr(member, attribute) != getattr(row, attribute):
            setattr(member, attribute, getattr(row, attribute))
            changed = True
    if member.account.display_name != row.name:
        member.account.display_name = row.name
    if not member.account.has_role(Role.learner):
        member.account.roles.append(AccountRole(role=Role.learner))
        changed = groups_changed = True
    current = {membership.association_id: membership for membership in member.memberships}
    for association_id, standing in row.memberships.items():
        membership = current.get(association_id)
        if membership is None:
            member.memberships.append(
                Membership(association_id=association_id, standing=standing, joined_at=now)
            )
        elif not membership.active or membership.standing != standing:
            membership.active = True
            membership.left_at = None
            membership.standing = standing
        else:
            continue
        changed = groups_changed = True
    for association_id, membership in current.items():
        if association_id not in row.memberships and membership.active:
            membership.active = False
            membership.left_at = now
            changed = groups_changed = True
    return changed, groups_changed


def _deactivate_missing(
    session: Session, roster_mobiles: set[str], result: ImportResult, now: datetime
) -> None:
    missing = [
        member
        for member in session.scalars(select(Member).where(Member.active))
        if member.mobile not in roster_mobiles
    ]
    for member in missing:
        member.active = False
        member.deactivated_at = now
        member.account.active = False
    result.deactivated = len(missing)
    if missing:
        result.groups_changed = True
        request_hub_sync(session)
    session.flush()


def associations_matcher(session: Session, city: str) -> AssociationMatcher:
    return AssociationMatcher(list(session.scalars(select(Association))), city)

"""Roster rows → valid member rows and row errors, without touching the database.

The first of the import's two steps (the second is :mod:`.importer`). Every problem of a row
is reported, each with the row number and the column as the file names them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Association, Standing
from . import normalise
from .matching import AssociationMatcher
from .roster import Roster, RosterRow

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
    #: None where the roster has no such column: the stored value is then left alone
    email: str | None
    gender: str | None
    work_unit: str | None
    #: association id → standing; None where the roster does not say (no standing column):
    #: a stored standing is then kept, a new membership is a plain member's
    memberships: dict[int, Standing | None]


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

    def optional(self, field_name: str, function: Callable[[object], str]) -> str | None:
        if field_name not in self.roster.columns:
            return None
        return self.checked(field_name, function)

    def member_row(self, matcher: AssociationMatcher) -> MemberRow | None:
        name = self.checked("name", normalise.normalise_name)
        mobile = self.checked("mobile", normalise.normalise_mobile)
        email = self.optional("email", normalise.normalise_email)
        gender = self.optional("gender", normalise.normalise_gender)
        work_unit = self.optional("work_unit", lambda v: normalise.normalise_text(v)[:200])
        memberships = self.memberships(matcher)
        if self.errors:
            return None
        return MemberRow(self.row.number, name, mobile, email, gender, work_unit, memberships)

    def memberships(self, matcher: AssociationMatcher) -> dict[int, Standing | None]:
        default_standing = self.optional("standing", normalise.parse_standing)
        if default_standing == "":  # the cell had an error, already reported
            default_standing = None
        items = normalise.split_associations(self.row.values.get("associations"))
        if not items:
            self.fail("associations", "至少填写一个协会。")
        memberships: dict[int, Standing | None] = {}
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
            memberships[association.id] = Standing(standing) if standing else None
        return memberships


def associations_matcher(session: Session, city: str) -> AssociationMatcher:
    return AssociationMatcher(list(session.scalars(select(Association))), city)

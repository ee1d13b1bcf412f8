"""Finding people and seeing everything about one of them: the 会员 pages of the administrator
workspace and their JSON (``admin/members``, ``admin/members/<username>``).

The search filters in SQL and counts the matches in SQL; only the page shown is loaded. Every
account is searchable (trainers and staff too: their passwords get reset as well); the
association and standing filters keep members only.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import Session

from ..accounts import lockouts
from ..accounts.admin import get as get_account
from ..certificates import issuing
from ..clock import local_zone
from ..completion import progress
from ..errors import YiyuanError
from ..models import (
    ROLE_LABELS,
    Account,
    Association,
    Course,
    Member,
    Membership,
    Module,
    Standing,
    StudyHours,
    utcnow,
)
from ..reports.table import Column, Table
from .matching import AssociationMatcher
from .normalise import STANDING_LABELS, mask_mobile, parse_standing

#: at most this many rows in one page of results
MAX_LIMIT = 200

GENDERS = {"M": "男", "F": "女", "": ""}


class BadSearch(YiyuanError):
    """A filter that names no association or standing; the message says which."""


@dataclass
class MemberLine:
    """One row of the search results."""

    username: str
    name: str
    #: masked, e.g. 138****5678, unless asked for in full ("" for accounts without a member
    #: record)
    mobile: str
    #: [{"association": "书协", "standing": "council", "standing_label": "理事"}]
    associations: list[dict]
    roles: list[str]
    active: bool
    locked: bool
    #: 男 / 女 / ""
    gender: str = ""
    work_unit: str = ""
    email: str = ""

    def as_json(self) -> dict:
        return asdict(self)

    @property
    def associations_text(self) -> str:
        """``书协（理事）、美协（会员）``"""
        return "、".join(f"{a['association']}（{a['standing_label']}）" for a in self.associations)


#: the member list as exports (web and ``yiyuan members export``) lay it out
EXPORT_COLUMNS = (
    Column("username", "用户名", "text"),
    Column("name", "姓名", "text"),
    Column("mobile", "手机号", "text"),
    Column("gender", "性别", "text"),
    Column("work_unit", "工作单位", "text"),
    Column("email", "邮箱", "text"),
    Column("associations", "所属协会", "text"),
    Column("state", "状态", "text"),
    Column("hours", "今年学时", "hours"),
)


def as_table(lines: list[MemberLine], hours: dict[str, float] | None = None) -> Table:
    """``hours``: this year's study hours by user name (:func:`hours_this_year`)."""
    hours = hours or {}
    return Table(
        "会员",
        EXPORT_COLUMNS,
        [
            {
                **line.as_json(),
                "associations": line.associations_text,
                "state": "正常" if line.active else "已停用",
                "hours": hours.get(line.username, 0.0),
            }
            for line in lines
        ],
    )


def hours_this_year(session: Session, now: datetime | None = None) -> dict[str, float]:
    """Everyone's study hours this year (China's calendar), by user name: one grouped query
    over the ledger, the same sum as the portal's and the reports'."""
    local = (now or utcnow()).astimezone(local_zone())
    start = datetime(local.year, 1, 1, tzinfo=local_zone())
    rows = session.execute(
        select(Account.username, func.sum(StudyHours.hours))
        .join(StudyHours, StudyHours.account_id == Account.id)
        .where(StudyHours.credited_at >= start)
        .group_by(Account.username)
    )
    return {username: round(float(total or 0.0), 2) for username, total in rows}


def resolve_association(session: Session, name: str, city: str = "") -> Association:
    """An association as people write it: code, short or full name (with or without the
    city), e.g. 书协, 书法家协会, 深圳市书法家协会."""
    matcher = AssociationMatcher(list(session.scalars(select(Association))), city)
    found = matcher.match(name)
    if found is None:
        raise BadSearch(matcher.describe_unknown(name))
    return found  # type: ignore[return-value]


def resolve_standing(text: str) -> Standing:
    try:
        return Standing(parse_standing(text))
    except ValueError as error:
        raise BadSearch(str(error)) from None


def search_members(
    session: Session,
    *,
    text: str = "",
    association: str | None = None,
    standing: str | None = None,
    active: bool | None = True,
    offset: int = 0,
    limit: int | None = 50,
    city: str = "",
    members_only: bool = False,
    show_mobile: bool = False,
) -> tuple[list[MemberLine], int]:
    """Accounts whose name, user name or mobile contains ``text``, optionally members of an
    ``association`` (name as people write it) with a ``standing`` (会员/理事/主席团成员 or the
    code) in an active membership; ``active`` True/False/None (all). The page and the total.

    Pages ask for at most :data:`MAX_LIMIT` lines; ``limit=None`` (exports, the CLI) gives
    them all. ``members_only`` leaves out staff without a member record."""
    conditions = []
    text = (text or "").strip()
    if text:
        conditions.append(
            or_(
                Account.username.contains(text.lower(), autoescape=True),
                Account.display_name.contains(text, autoescape=True),
                Member.name.contains(text, autoescape=True),
                Member.mobile.contains(text, autoescape=True),
            )
        )
    membership = [Membership.member_id == Member.id, Membership.active.is_(True)]
    if association:
        membership.append(
            Membership.association_id == resolve_association(session, association, city).id
        )
    if standing:
        membership.append(Membership.standing == resolve_standing(standing))
    if association or standing:
        # the same membership must match both: 书协 理事, not 书协 member + 美协 理事
        conditions.append(exists().where(and_(*membership)))
    if active is not None:
        conditions.append(Account.active.is_(active))
    if members_only:
        conditions.append(Member.id.is_not(None))

    base = select(Account.id).outerjoin(Member, Member.account_id == Account.id).where(*conditions)
    total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    query = (
        select(Account, Member)
        .outerjoin(Member, Member.account_id == Account.id)
        .where(*conditions)
        .order_by(Account.username)
        .offset(max(0, int(offset)))
    )
    if limit is not None:
        query = query.limit(max(1, min(int(limit), MAX_LIMIT)))
    found = session.execute(query).all()
    locked = lockouts.locked_account_ids(session, utcnow(), among=[a.id for a, _ in found])
    lines = [_line(account, member, account.id in locked, show_mobile) for account, member in found]
    return lines, int(total)


def _line(account: Account, member: Member | None, locked: bool, show_mobile: bool) -> MemberLine:
    return MemberLine(
        username=account.username,
        name=member.name if member else account.display_name,
        mobile=(member.mobile if show_mobile else mask_mobile(member.mobile)) if member else "",
        associations=_standings(member, active_only=True) if member else [],
        roles=[ROLE_LABELS[grant.role] for grant in account.roles],
        active=account.active,
        locked=locked,
        gender=GENDERS.get(member.gender, "") if member else "",
        work_unit=member.work_unit if member else "",
        email=member.email if member else "",
    )


def _standings(member: Member, active_only: bool) -> list[dict]:
    return [
        {
            "association": m.association.short_name,
            "full_name": m.association.full_name,
            "standing": m.standing.value,
            "standing_label": STANDING_LABELS[m.standing.value],
            "active": m.active,
            "joined_at": m.joined_at,
            "left_at": m.left_at,
        }
        for m in sorted(member.memberships, key=lambda m: m.association.sort_order)
        if m.active or not active_only
    ]


# --- one person ---------------------------------------------------------------------------


@dataclass
class LedgerLine:
    """One row of the study-hours ledger (学时台账)."""

    id: int
    credited_at: datetime
    #: the day in local time, e.g. 2026-11-20
    date: str
    hours: float
    #: ``module`` or ``manual``
    source: str
    course: str
    module: str
    rule: str
    reason: str
    approved_by: str


@dataclass
class MemberProfile:
    username: str
    display_name: str
    roles: list[str]
    active: bool
    #: until when clients that never logged in to the account are refused (None: not now)
    locked_until: datetime | None
    locked: bool
    #: the account's login counters: failures, refusals, its known clients blocked
    throttle: lockouts.AccountThrottle
    must_change_password: bool
    last_login_at: datetime | None
    created_at: datetime
    #: the member record (None for staff without one): name, masked mobile, work unit …
    member: dict | None
    #: every membership, past ones too, with standing and joined/left dates
    associations: list[dict]
    courses: list[progress.CourseProgress]
    hours_this_year: float
    ledger: list[LedgerLine]
    #: certificates and 学时证明, newest first: serial, title, subject, day, state
    certificates: list = field(default_factory=list)

    def as_json(self) -> dict:
        data = asdict(self)
        data["courses"] = progress.as_json(self.courses)
        return data


def member_profile(
    session: Session, username: str, now: datetime | None = None, show_mobile: bool = False
) -> MemberProfile:
    """Everything the workspace (and ``yiyuan members show``) shows about one person;
    ``UnknownAccount`` if there is none. The mobile number is masked unless asked for."""
    account = get_account(session, username)
    now = now or utcnow()
    member = session.scalar(select(Member).where(Member.account_id == account.id))
    throttle = lockouts.account_state(session, account.id, now)
    return MemberProfile(
        username=account.username,
        display_name=account.display_name,
        roles=[ROLE_LABELS[grant.role] for grant in account.roles],
        active=account.active,
        locked_until=throttle.locked_until,
        locked=throttle.locked,
        throttle=throttle,
        must_change_password=account.must_change_password,
        last_login_at=account.last_login_at,
        created_at=account.created_at,
        member=_member_facts(member, show_mobile) if member else None,
        associations=_standings(member, active_only=False) if member else [],
        courses=progress.courses_of(session, account.id),
        hours_this_year=progress.hours_this_year(session, account.id, now),
        ledger=ledger(session, account.id),
        certificates=[
            {
                "serial": c.serial,
                "title": c.title,
                "subject": c.subject,
                "achieved_on": c.achieved_on.isoformat(),
                "state": "有效" if c.valid else "已撤销",
            }
            for c in issuing.of_account(session, account.id)
        ],
    )


def _member_facts(member: Member, show_mobile: bool) -> dict:
    return {
        "name": member.name,
        "mobile": member.mobile if show_mobile else mask_mobile(member.mobile),
        "gender": GENDERS.get(member.gender, ""),
        "work_unit": member.work_unit,
        "email": member.email,
        "active": member.active,
        "deactivated_at": member.deactivated_at,
    }


def ledger(session: Session, account_id: int, limit: int = 500) -> list[LedgerLine]:
    """The person's study-hours ledger, newest first: module credits and reversals beside
    hand-entered credits (no module) with their reason and approver."""
    rows = session.execute(
        select(StudyHours, Module.title, Course.title)
        .outerjoin(Module, Module.id == StudyHours.module_id)
        .outerjoin(Course, Course.id == Module.course_id)
        .where(StudyHours.account_id == account_id)
        .order_by(StudyHours.credited_at.desc(), StudyHours.id.desc())
        .limit(limit)
    ).all()
    return [
        LedgerLine(
            id=entry.id,
            credited_at=entry.credited_at,
            date=entry.credited_at.astimezone(local_zone()).strftime("%Y-%m-%d"),
            hours=round(entry.hours, 2),
            source=entry.source,
            course=course or "",
            module=module or "",
            rule=entry.rule,
            reason=entry.reason,
            approved_by=entry.approved_by,
        )
        for entry, module, course in rows
    ]

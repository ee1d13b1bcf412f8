"""The platform at a glance, for the administrator workspace's first page: members and
accounts, courses, cohorts and this year's study hours, each one aggregate query."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .accounts.lockouts import count_locked_accounts
from .clock import local_zone
from .models import Account, Cohort, Course, Member, StudyHours


@dataclass(frozen=True)
class PlatformFigures:
    members_active: int
    members_inactive: int
    #: accounts that clients new to them cannot log in to now, after too many wrong passwords
    accounts_locked: int
    #: active accounts that have never logged in (initial passwords not yet used)
    never_logged_in: int
    courses_published: int
    cohorts_open: int
    cohorts_closed: int
    #: study hours credited this calendar year (the city's), net of reversals
    hours_this_year: float

    def as_json(self) -> dict:
        return asdict(self)


def platform_figures(session: Session, now: datetime | None = None) -> PlatformFigures:
    now = now or datetime.now(UTC)
    year_start = datetime(now.astimezone(local_zone()).year, 1, 1, tzinfo=local_zone())
    members = dict(
        session.execute(select(Member.active, func.count()).group_by(Member.active)).all()
    )
    locked = count_locked_accounts(session, now)
    never = session.scalar(
        select(func.count()).where(Account.active.is_(True), Account.last_login_at.is_(None))
    )
    cohorts = dict(
        session.execute(select(Cohort.active, func.count()).group_by(Cohort.active)).all()
    )
    courses = session.scalar(select(func.count()).where(Course.active.is_(True)))
    hours = session.scalar(
        select(func.coalesce(func.sum(StudyHours.hours), 0.0)).where(
            StudyHours.credited_at >= year_start
        )
    )
    return PlatformFigures(
        members_active=members.get(True, 0),
        members_inactive=members.get(False, 0),
        accounts_locked=locked,
        never_logged_in=never,
        courses_published=courses or 0,
        cohorts_open=cohorts.get(True, 0),
        cohorts_closed=cohorts.get(False, 0),
        hours_this_year=round(float(hours or 0.0), 1),
    )

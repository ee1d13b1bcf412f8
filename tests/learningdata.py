"""Small builders of accounts, members, courses, submissions and grades for the catalogue and
completion tests (rows made directly: no password hashing, no nbgrader)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count

from yiyuan.associations.records import ensure_standard_associations, find_association
from yiyuan.models import (
    Account,
    AccountRole,
    Course,
    Grade,
    Member,
    Membership,
    Module,
    ModuleKind,
    Role,
    Submission,
)

T0 = datetime(2027, 1, 10, 8, 0, tzinfo=UTC)
_mobiles = count(13800000000)


def account(session, username, role=Role.learner, active=True) -> Account:
    acc = Account(username=username, display_name=username, active=active)
    acc.roles.append(AccountRole(role=role))
    session.add(acc)
    session.flush()
    return acc


def member(session, acc, *memberships, active=True) -> Member:
    """``memberships``: (association short name, Standing[, active])."""
    ensure_standard_associations(session, "深圳市")
    m = Member(name=acc.display_name, mobile=str(next(_mobiles)), account_id=acc.id, active=active)
    for spec in memberships:
        short, standing, *rest = spec
        m.memberships.append(
            Membership(
                association_id=find_association(session, short).id,
                standing=standing,
                active=rest[0] if rest else True,
            )
        )
    session.add(m)
    session.flush()
    return m


def course(session, code="c1", modules=(), audience=None, enrolment="required") -> Course:
    """``modules``: dicts with at least ``code``; kind online, 1 hour, required by default."""
    c = Course(
        code=code,
        title=code,
        enrolment=enrolment,
        manifest={"audience": audience or {"associations": ["全部"]}},
    )
    session.add(c)
    session.flush()
    for position, spec in enumerate(modules):
        spec = dict(spec)
        session.add(
            Module(
                course_id=c.id,
                code=spec.pop("code"),
                title=spec.pop("title", "单元"),
                kind=ModuleKind(spec.pop("kind", "online")),
                position=position,
                hours=spec.pop("hours", 1.0),
                required=spec.pop("required", True),
                pass_rule=spec.pop("pass_rule", {"quiz": 60, "reflection": True}),
                reflections=spec.pop("reflections", ["r1"]),
                **spec,
            )
        )
    session.flush()
    session.refresh(c)
    return c


def submit(session, acc, module, minutes=0) -> Submission:
    s = Submission(
        module_id=module.id, account_id=acc.id, submitted_at=T0 + timedelta(minutes=minutes)
    )
    session.add(s)
    session.flush()
    return s


def grade(
    session,
    submission,
    auto=(3, 5),
    written=("r1",),
    manual=None,
    manual_max=2.0,
    minutes=1,
) -> Grade:
    g = Grade(
        submission_id=submission.id,
        auto_score=auto[0],
        auto_max=auto[1],
        manual_score=manual,
        manual_max=manual_max,
        needs_manual=manual is None and manual_max > 0,
        reflections_written=list(written),
        graded_at=submission.submitted_at + timedelta(minutes=minutes),
    )
    session.add(g)
    session.flush()
    return g

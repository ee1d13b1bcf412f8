"""Who a course is for, who is enrolled, and who teaches it.

A course's audience is read from the manifest as published (``course.manifest``): the
associations (``全部`` for all), optionally the standings (会员, 理事 …) within them. Its target
learners are active accounts with the learner role whose member record has an active
membership that matches, and the members of the open cohorts (第N期培训班) the audience's
``cohorts`` names by code.
"""

from __future__ import annotations

from sqlalchemy import Select, exists, literal, or_, select, union_all
from sqlalchemy.orm import Session

from ..associations import ALL_ASSOCIATIONS
from ..members.matching import AssociationMatcher
from ..members.normalise import STANDING_LABELS
from ..models import (
    Account,
    AccountRole,
    Association,
    Cohort,
    CohortMember,
    Course,
    CourseTrainer,
    Enrolment,
    Member,
    Membership,
    Role,
    Standing,
    utcnow,
)

#: the manifest's standing labels (会员 …) → Standing
STANDINGS_BY_LABEL = {label: Standing(code) for code, label in STANDING_LABELS.items()}


def target_account_ids(
    session: Session, course: Course, everything: list[Association] | None = None
) -> Select:
    """A query of the ids of the accounts the course's audience names (``everything``: the
    associations, when the caller has them loaded already)."""
    audience = (course.manifest or {}).get("audience", {})
    names = list(audience.get("associations", ()))
    standings = [
        STANDINGS_BY_LABEL[s] for s in audience.get("standings", ()) if s in STANDINGS_BY_LABEL
    ]
    query = select(Account.id).where(
        Account.active.is_(True),
        Account.id.in_(select(AccountRole.account_id).where(AccountRole.role == Role.learner)),
    )
    if ALL_ASSOCIATIONS in names and not standings:
        return query
    members = (
        select(Member.account_id)
        .join(Membership, Membership.member_id == Member.id)
        .where(Member.active.is_(True), Membership.active.is_(True))
    )
    if ALL_ASSOCIATIONS not in names:
        if everything is None:
            everything = list(session.scalars(select(Association)))
        ids = [a.id for a in _matched(names, everything)]
        members = members.where(Membership.association_id.in_(ids))
    if standings:
        members = members.where(Membership.standing.in_(standings))
    cohorts = [str(code) for code in audience.get("cohorts", ())]
    if cohorts:
        # a closed cohort takes nobody new, through its own courses or any other
        in_cohorts = (
            select(CohortMember.account_id)
            .join(Cohort, Cohort.id == CohortMember.cohort_id)
            .where(Cohort.code.in_(cohorts), Cohort.active.is_(True))
        )
        return query.where(or_(Account.id.in_(members), Account.id.in_(in_cohorts)))
    return query.where(Account.id.in_(members))


def audience_associations(
    course: Course, everything: list[Association]
) -> list[Association] | None:
    """The associations the course's audience names, found among ``everything`` the way its
    target learners are; None when it names 全部 (every association)."""
    names = list((course.manifest or {}).get("audience", {}).get("associations", ()))
    if ALL_ASSOCIATIONS in names:
        return None
    return _matched(names, everything)


def _matched(names: list[str], everything: list[Association]) -> list[Association]:
    found: list[Association] = []
    matcher = None
    for name in names:
        association = next(
            (a for a in everything if name in (a.code, a.short_name, a.full_name)), None
        )
        if association is None:
            # the checker also accepts a full name without the city (美术家协会 for
            # 深圳市美术家协会) and the importer's spellings: match the same way here
            matcher = matcher or AssociationMatcher(everything)
            association = matcher.match(name)
            if association is None:
                ends = [a for a in everything if a.full_name.endswith(name)]
                association = ends[0] if len(ends) == 1 else None
        if association is not None and association not in found:
            found.append(association)
    return found


def enrol_targets(session: Session, course: Course) -> int:
    """Enrol every target learner not yet enrolled; returns how many were enrolled now.

    An enrolment an administrator deactivated is left as it is: a publish does not undo it.
    """
    known = select(Enrolment.account_id).where(Enrolment.course_id == course.id)
    new = list(
        session.scalars(
            target_account_ids(session, course).where(Account.id.not_in(known)).order_by(Account.id)
        )
    )
    now = utcnow()
    session.add_all(
        Enrolment(course_id=course.id, account_id=account_id, source="rule", enrolled_at=now)
        for account_id in new
    )
    session.flush()
    return len(new)


def enrol(session: Session, course: Course, account: Account, source: str) -> Enrolment:
    """Enrol one learner (idempotent); re-activates a deactivated enrolment."""
    enrolment = session.scalar(
        select(Enrolment).where(
            Enrolment.course_id == course.id, Enrolment.account_id == account.id
        )
    )
    if enrolment is None:
        enrolment = Enrolment(
            course_id=course.id, account_id=account.id, source=source, enrolled_at=utcnow()
        )
        session.add(enrolment)
    elif not enrolment.active:
        enrolment.active = True
        enrolment.source = source
        enrolment.enrolled_at = utcnow()
    session.flush()
    return enrolment


def is_enrolled(session: Session, course_id: int, account_id: int) -> bool:
    return (
        session.scalar(
            select(Enrolment.id).where(
                Enrolment.course_id == course_id,
                Enrolment.account_id == account_id,
                Enrolment.active.is_(True),
            )
        )
        is not None
    )


def may_enrol(session: Session, course: Course, account: Account) -> bool:
    """Whether a learner may enrol themselves: an active elective course that targets them."""
    return course.id in may_enrol_in(session, [course], account)


def may_enrol_in(session: Session, courses: list[Course], account: Account) -> set[int]:
    """The ids of those of ``courses`` the learner may enrol in themselves (``may_enrol``),
    asked in one statement per few hundred courses: a catalogue of fifty stays quick."""
    candidates = [c for c in courses if c.active and c.enrolment == "elective"]
    if not (candidates and account.active):
        return set()
    everything = list(session.scalars(select(Association)))
    checks = [
        select(literal(course.id)).where(
            exists(target_account_ids(session, course, everything).where(Account.id == account.id))
        )
        for course in candidates
    ]
    found: set[int] = set()
    for start in range(0, len(checks), 400):  # SQLite takes at most 500 in one compound
        chunk = checks[start : start + 400]
        found.update(session.scalars(chunk[0] if len(chunk) == 1 else union_all(*chunk)))
    return found


def is_trainer(session: Session, course_id: int, account_id: int) -> bool:
    return (
        session.scalar(
            select(CourseTrainer.id).where(
                CourseTrainer.course_id == course_id, CourseTrainer.account_id == account_id
            )
        )
        is not None
    )


def courses_of_trainer(session: Session, account_id: int) -> list[Course]:
    """The active courses this account teaches, by code."""
    return list(
        session.scalars(
            select(Course)
            .join(CourseTrainer, CourseTrainer.course_id == Course.id)
            .where(CourseTrainer.account_id == account_id, Course.active.is_(True))
            .order_by(Course.code)
        )
    )

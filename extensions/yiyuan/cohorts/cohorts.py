"""Cohorts (期次, e.g. 2026年第三期文艺骨干培训班): who takes which courses together, when.

A cohort targets associations and, optionally, standings; :func:`enrol_by_rule` adds the
learners that rule names, :func:`add_members` adds people by hand, and both enrol every
member in every course of the cohort. A closed cohort keeps everything and takes nobody new.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import Select, and_, false, func, select
from sqlalchemy.orm import Session

from .. import audit
from ..associations import ALL_ASSOCIATIONS
from ..catalog import enrolment
from ..completion.rollup import refresh_enrolments
from ..members.normalise import STANDING_LABELS
from ..models import (
    Account,
    AccountRole,
    Association,
    Cohort,
    CohortCourse,
    CohortMember,
    Course,
    Enrolment,
    Member,
    Membership,
    Role,
    Standing,
    utcnow,
)
from .common import (
    CohortClosed,
    CohortError,
    CohortNotFound,
    check_code,
    check_text,
    parse_day,
)
from .programmes import get_programme

#: how :class:`CohortMember.source` reads on pages and in the CLI
SOURCE_LABELS = {"rule": "规则", "admin": "手工"}


# --- reading and checking ------------------------------------------------------------------


def get_cohort(session: Session, code: str) -> Cohort:
    cohort = session.scalar(select(Cohort).where(Cohort.code == (code or "").strip()))
    if cohort is None:
        raise CohortNotFound(f"没有期次“{code}”：请检查期次代码（yiyuan cohorts list 列出全部）。")
    return cohort


def _association_codes(session: Session, names: Iterable[str]) -> list[str]:
    """Codes of the named associations (code, short or full name; 全部 for all)."""
    codes, unknown = [], []
    for name in dict.fromkeys(n.strip() for n in names if n and n.strip()):
        if name == ALL_ASSOCIATIONS:
            codes.append(ALL_ASSOCIATIONS)
            continue
        code = session.scalar(
            select(Association.code).where(
                (Association.code == name)
                | (Association.short_name == name)
                | (Association.full_name == name)
            )
        )
        if code is None:
            unknown.append(name)
        elif code not in codes:
            codes.append(code)
    if unknown:
        raise CohortError(f"没有这些协会：{'、'.join(unknown)}。请写协会简称，例如 书协。")
    return [ALL_ASSOCIATIONS] if ALL_ASSOCIATIONS in codes else codes


def _standing_codes(names: Iterable[str]) -> list[str]:
    by_label = {label: code for code, label in STANDING_LABELS.items()}
    codes, unknown = [], []
    for name in dict.fromkeys(n.strip() for n in names if n and n.strip()):
        code = name if name in STANDING_LABELS else by_label.get(name)
        if code is None:
            unknown.append(name)
        elif code not in codes:
            codes.append(code)
    if unknown:
        raise CohortError(
            f"没有这些会员身份：{'、'.join(unknown)}。可选："
            + "、".join(STANDING_LABELS.values())
            + "。"
        )
    return codes


def _courses(session: Session, codes: Iterable[str]) -> list[Course]:
    wanted = list(dict.fromkeys(c.strip() for c in codes if c and c.strip()))
    found = {c.code: c for c in session.scalars(select(Course).where(Course.code.in_(wanted)))}
    unknown = [code for code in wanted if code not in found]
    if unknown:
        raise CohortError(f"没有这些课程：{'、'.join(unknown)}。请先发布课程，再把它加入期次。")
    offline = [code for code in wanted if not found[code].active]
    if offline:
        raise CohortError(f"这些课程已下线，不能加入期次：{'、'.join(offline)}。")
    return [found[code] for code in wanted]


def _dates(starts_on: date | str | None, ends_on: date | str | None) -> tuple[date, date]:
    starts = parse_day(starts_on, "开始日期")
    ends = parse_day(ends_on, "结束日期")
    if ends < starts:
        raise CohortError(f"结束日期 {ends} 早于开始日期 {starts}：请检查日期。")
    return starts, ends


def _certificate(value: dict) -> dict:
    """The class's 结业证书 setting: ``{}`` (none) or ``{"title", "issuer"}``; the issuer code
    is checked against settings by the caller (this module has no settings)."""
    if not value:
        return {}
    title = check_text(value.get("title") or "结业证书", "证书名称", 100)
    issuer = check_text(value.get("issuer"), "颁发单位代码", 40, required=False)
    return {"title": title, "issuer": issuer} if issuer else {"title": title}


# --- creating and changing -----------------------------------------------------------------


def create_cohort(
    session: Session,
    *,
    code: str,
    name: str,
    programme_code: str = "",
    starts_on: date | str | None,
    ends_on: date | str | None,
    associations: Iterable[str] = (),
    standings: Iterable[str] = (),
    courses: Iterable[str] = (),
    description: str = "",
    certificate: dict | None = None,
    actor: str = "",
) -> Cohort:
    """A new cohort; every bad input is refused with a Chinese sentence naming it.
    ``certificate``: the class's 结业证书 (``{"title", "issuer"}``), None or ``{}`` for none."""
    code = check_code(code, "期次")
    name = check_text(name, "期次名称", 100)
    description = check_text(description, "说明", 2000, required=False)
    programme = get_programme(session, programme_code) if (programme_code or "").strip() else None
    starts, ends = _dates(starts_on, ends_on)
    association_codes = _association_codes(session, associations)
    standing_codes = _standing_codes(standings)
    chosen = _courses(session, courses)
    certificate = _certificate(certificate or {})
    if session.scalar(select(Cohort.id).where(Cohort.code == code)) is not None:
        raise CohortError(f"期次代码“{code}”已被使用，请换一个。")
    cohort = Cohort(
        code=code,
        name=name,
        programme_id=programme.id if programme else None,
        starts_on=starts,
        ends_on=ends,
        associations=association_codes,
        standings=standing_codes,
        description=description,
        certificate=certificate,
    )
    session.add(cohort)
    session.flush()
    session.add_all(CohortCourse(cohort_id=cohort.id, course_id=c.id) for c in chosen)
    session.flush()
    audit.record(
        session,
        actor,
        "cohort.create",
        f"创建期次“{name}”（{code}）",
        target=code,
        detail={
            "programme": programme.code if programme else "",
            "starts_on": starts.isoformat(),
            "ends_on": ends.isoformat(),
            "associations": association_codes,
            "standings": standing_codes,
            "courses": [c.code for c in chosen],
            "certificate": certificate,
        },
    )
    return cohort


def update_cohort(
    session: Session,
    code: str,
    *,
    name: str | None = None,
    starts_on: date | str | None = None,
    ends_on: date | str | None = None,
    associations: Iterable[str] | None = None,
    standings: Iterable[str] | None = None,
    courses: Iterable[str] | None = None,
    description: str | None = None,
    certificate: dict | None = None,
    actor: str = "",
) -> Cohort:
    """Change what is given (None leaves a field). Courses can be added, never removed: the
    members' enrolments and results in a course stay, so the cohort keeps counting it.
    ``certificate``: ``{"title", "issuer"}`` sets the class's 结业证书, ``{}`` clears it
    (certificates already issued stay valid)."""
    cohort = get_cohort(session, code)
    changes: dict = {}
    if name is not None:
        changes["name"] = cohort.name = check_text(name, "期次名称", 100)
    if description is not None:
        changes["description"] = cohort.description = check_text(
            description, "说明", 2000, required=False
        )
    if starts_on is not None or ends_on is not None:
        starts, ends = _dates(
            starts_on if starts_on is not None else cohort.starts_on,
            ends_on if ends_on is not None else cohort.ends_on,
        )
        cohort.starts_on, cohort.ends_on = starts, ends
        changes.update(starts_on=starts.isoformat(), ends_on=ends.isoformat())
    if associations is not None:
        changes["associations"] = cohort.associations = _association_codes(session, associations)
    if standings is not None:
        changes["standings"] = cohort.standings = _standing_codes(standings)
    if certificate is not None:
        wanted = _certificate(certificate)
        if wanted != (cohort.certificate or {}):
            changes["certificate"] = cohort.certificate = wanted
    if courses is not None:
        have = set(session.scalars(select(CohortCourse.course_id).where(in_cohort(cohort))))
        added = [c for c in _courses(session, courses) if c.id not in have]
        session.add_all(CohortCourse(cohort_id=cohort.id, course_id=c.id) for c in added)
        if added:
            changes["courses_added"] = [c.code for c in added]
    session.flush()
    if not changes:
        return cohort
    audit.record(
        session,
        actor,
        "cohort.update",
        f"修改期次“{cohort.name}”（{cohort.code}）",
        target=cohort.code,
        detail=changes,
    )
    return cohort


def in_cohort(cohort: Cohort):
    """The condition "a course of this cohort" (on ``cohort_courses``)."""
    return CohortCourse.cohort_id == cohort.id


# --- members and enrolment -----------------------------------------------------------------


def rule_targets(session: Session, cohort: Cohort) -> Select:
    """A query of the ids of the active learners the cohort's rule names: an active member
    record with an active membership in a target association (and standing, when given).
    Mirrors :func:`yiyuan.catalog.enrolment.target_account_ids`."""
    query = select(Account.id).where(
        Account.active.is_(True),
        Account.id.in_(select(AccountRole.account_id).where(AccountRole.role == Role.learner)),
    )
    names = list(cohort.associations or [])
    if not names:
        return query.where(false())  # a cohort without target associations is filled by hand
    members = (
        select(Member.account_id)
        .join(Membership, Membership.member_id == Member.id)
        .where(Member.active.is_(True), Membership.active.is_(True))
    )
    if ALL_ASSOCIATIONS not in names:
        members = members.where(
            Membership.association_id.in_(select(Association.id).where(Association.code.in_(names)))
        )
    if cohort.standings:
        members = members.where(Membership.standing.in_([Standing(s) for s in cohort.standings]))
    return query.where(Account.id.in_(members))


def _not_yet_members(session: Session, cohort: Cohort) -> Select:
    known = select(CohortMember.account_id).where(CohortMember.cohort_id == cohort.id)
    return rule_targets(session, cohort).where(Account.id.not_in(known))


def preview_rule(session: Session, cohort: Cohort, sample: int = 10) -> dict:
    """What :func:`enrol_by_rule` would do now: how many it would add and a few of their
    names (nothing is changed)."""
    new = _not_yet_members(session, cohort).subquery()
    count = session.scalar(select(func.count()).select_from(new)) or 0
    names = session.execute(
        select(Account.display_name, Account.username)
        .where(Account.id.in_(select(new.c.id)))
        .order_by(Account.username)
        .limit(sample)
    ).all()
    members = session.scalar(
        select(func.count(CohortMember.id)).where(CohortMember.cohort_id == cohort.id)
    )
    return {
        "cohort": cohort.code,
        "would_add": int(count),
        "members": int(members or 0),
        "sample": [{"name": n or u, "username": u} for n, u in names],
        "closed": not cohort.active,
    }


def _refuse_if_closed(cohort: Cohort) -> None:
    if not cohort.active:
        raise CohortClosed(f"期次“{cohort.name}”已结束，不能再报名或添加学员。")


def _enrol_members(session: Session, cohort: Cohort) -> int:
    """Enrol every member in every course of the cohort where they have no enrolment yet;
    returns how many enrolments were made. An enrolment an administrator deactivated is left
    as it is (as a course's own rule does); adding someone by hand re-activates it."""
    pairs = (
        select(CohortMember.account_id, CohortCourse.course_id)
        .join(CohortCourse, CohortCourse.cohort_id == CohortMember.cohort_id)
        .outerjoin(
            Enrolment,
            and_(
                Enrolment.account_id == CohortMember.account_id,
                Enrolment.course_id == CohortCourse.course_id,
            ),
        )
        .where(CohortMember.cohort_id == cohort.id, Enrolment.id.is_(None))
        .order_by(CohortCourse.course_id, CohortMember.account_id)
    )
    new = session.execute(pairs).all()
    now = utcnow()
    session.add_all(
        Enrolment(course_id=course_id, account_id=account_id, source="cohort", enrolled_at=now)
        for account_id, course_id in new
    )
    session.flush()
    if new:
        # a learner may bring results from an earlier enrolment: the rollups count them
        refresh_enrolments(session, course_ids={course_id for _, course_id in new})
    return len(new)


def enrol_by_rule(session: Session, cohort: Cohort, actor: str = "") -> int:
    """Add the rule's learners who are not members yet (idempotent) and enrol every member
    in the cohort's courses; returns how many members were added."""
    _refuse_if_closed(cohort)
    new = list(session.scalars(_not_yet_members(session, cohort).order_by(Account.id)))
    now = utcnow()
    session.add_all(
        CohortMember(cohort_id=cohort.id, account_id=account_id, source="rule", added_at=now)
        for account_id in new
    )
    session.flush()
    enrolled = _enrol_members(session, cohort)
    audit.record(
        session,
        actor,
        "cohort.enrol",
        f"期次“{cohort.name}”按规则报名：新增 {len(new)} 名学员，{enrolled} 个课程报名",
        target=cohort.code,
        detail={"source": "rule", "added": len(new), "enrolments": enrolled},
    )
    return len(new)


def _find_person(session: Session, word: str) -> Account | None:
    """An account by username, or by the mobile number of its member record."""
    account = session.scalar(select(Account).where(Account.username == word))
    if account is None and word.isdigit():
        account = session.scalar(
            select(Account)
            .join(Member, Member.account_id == Account.id)
            .where(Member.mobile == word)
        )
    return account


def add_members(
    session: Session, cohort: Cohort, usernames_or_mobiles: Iterable[str], actor: str = ""
) -> tuple[list[str], list[str]]:
    """Add people by hand (source ``admin``) and enrol them in the cohort's courses.

    Returns (usernames added now, problems): each problem is a Chinese sentence naming a
    person who was not added (unknown, inactive, not a learner); already-members are skipped
    quietly. Nothing is added for the people a problem names."""
    _refuse_if_closed(cohort)
    words = list(dict.fromkeys(w.strip() for w in usernames_or_mobiles if w and w.strip()))
    existing = set(
        session.scalars(select(CohortMember.account_id).where(CohortMember.cohort_id == cohort.id))
    )
    courses = list(
        session.scalars(
            select(Course)
            .join(CohortCourse, CohortCourse.course_id == Course.id)
            .where(in_cohort(cohort))
        )
    )
    added: list[str] = []
    problems: list[str] = []
    now = utcnow()
    for word in words:
        account = _find_person(session, word)
        if account is None:
            problems.append(f"“{word}”：没有这个用户名或手机号。")
        elif not account.active:
            problems.append(f"“{word}”：账号已停用。")
        elif not account.has_role(Role.learner):
            problems.append(f"“{word}”：不是学员账号。")
        elif account.id in existing:
            continue
        else:
            session.add(
                CohortMember(
                    cohort_id=cohort.id, account_id=account.id, source="admin", added_at=now
                )
            )
            existing.add(account.id)
            added.append(account.username)
            for course in courses:
                # by hand is an administrator's explicit decision: re-activates an enrolment
                enrolment.enrol(session, course, account, source="cohort")
    session.flush()
    if added:
        if courses:
            refresh_enrolments(session, course_ids={c.id for c in courses})
        audit.record(
            session,
            actor,
            "cohort.enrol",
            f"期次“{cohort.name}”手工添加 {len(added)} 名学员",
            target=cohort.code,
            detail={"source": "admin", "added": added, "problems": problems},
        )
    return added, problems


def close_cohort(session: Session, cohort: Cohort, actor: str = "") -> Cohort:
    """End the cohort: nothing is deleted, it takes no new members."""
    if not cohort.active:
        raise CohortClosed(f"期次“{cohort.name}”已经结束。")
    cohort.active = False
    cohort.closed_at = utcnow()
    session.flush()
    audit.record(
        session,
        actor,
        "cohort.close",
        f"结束期次“{cohort.name}”（{cohort.code}）",
        target=cohort.code,
    )
    return cohort

"""Who earns a certificate, issued once: the rules, by hand, revoked, reissued, statements.

- A **course** issues one when its manifest says ``certificate:`` (``true`` or ``{title,
  issuer}``) and the completion engine records the course completed.
- A **class** (期次) issues one when it has ``certificate`` set and its member has completed
  every course of the class (on-site modules included: they are part of completing a course).
- **Never twice**: an achievement (``course:12``, ``cohort:3``) has one certificate per person;
  a revoked one stays revoked until an administrator reissues it (the next edition, with a new
  serial). Recomputing, re-running a class's job or a second grader changes nothing.
- A **study-hours statement** (学时证明) of a year is a snapshot of the ledger: asking again
  with the ledger unchanged gives the same statement; a changed ledger gives a new one and the
  earlier stays valid for what it said on its day.

Automatic issuing runs inside the engine's transaction and only writes rows: it never fails a
completion. Everything done by a person is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .. import audit
from ..clock import local_zone
from ..models import (
    Account,
    Certificate,
    Cohort,
    CohortCourse,
    CohortMember,
    Course,
    CourseCompletion,
    Member,
    Module,
    StudyHours,
    utcnow,
)
from . import fonts
from .errors import CertificateError
from .serials import make_serial, placeholder

DEFAULT_TITLE = "结业证书"
STATEMENT_TITLE = "学时证明"
#: a statement lists at most this many ledger lines (a year of a busy learner fits on a page)
STATEMENT_LINES = 40


@dataclass(frozen=True)
class Rule:
    title: str
    issuer: str  # "" = the first issuer in settings


def rule_of(setting) -> Rule | None:
    """A manifest's or class's ``certificate`` setting as a rule, None when it issues none."""
    if setting is True:
        return Rule(DEFAULT_TITLE, "")
    if isinstance(setting, dict) and setting:
        return Rule(str(setting.get("title") or DEFAULT_TITLE), str(setting.get("issuer") or ""))
    return None


def on_course_completed(
    session: Session, account_id: int, course_id: int, completed_at: datetime
) -> list[Certificate]:
    """What completing this course earns (called by the completion engine, same transaction)."""
    issued = []
    course = session.get(Course, course_id)
    rule = rule_of((course.manifest or {}).get("certificate")) if course else None
    if rule is not None:
        one = _issue_course(session, account_id, course, rule, completed_at, actor="", reason="")
        issued += [one] if one else []
    for cohort in _cohorts_with_certificates(session, account_id, course_id):
        one = issue_for_cohort_member(session, cohort, account_id)
        issued += [one] if one else []
    return issued


def issue_for_cohort_member(
    session: Session, cohort: Cohort, account_id: int, actor: str = "", reason: str = ""
) -> Certificate | None:
    """The class's certificate if this member completed all its courses and has none yet."""
    rule = rule_of(cohort.certificate)
    if rule is None:
        return None
    course_ids = list(
        session.scalars(select(CohortCourse.course_id).where(CohortCourse.cohort_id == cohort.id))
    )
    if not course_ids:
        return None
    completions = session.execute(
        select(func.count(CourseCompletion.id), func.max(CourseCompletion.completed_at)).where(
            CourseCompletion.account_id == account_id, CourseCompletion.course_id.in_(course_ids)
        )
    ).one()
    if completions[0] < len(course_ids):
        return None
    titles = list(
        session.scalars(select(Course.title).where(Course.id.in_(course_ids)).order_by(Course.id))
    )
    return _issue_once(
        session,
        account_id,
        achievement=f"cohort:{cohort.id}",
        kind="cohort",
        rule=rule,
        subject=cohort.name,
        hours=_hours(session, account_id, course_ids),
        achieved_on=_local_day(completions[1]),
        cohort_id=cohort.id,
        detail={"courses": titles},
        actor=actor,
        reason=reason,
    )


def issue_due(session: Session) -> int:
    """Issue what the rules say is earned and was not issued: completions recorded before the
    course or class had a certificate (or before certificates existed). Returns how many."""
    have = set(session.execute(select(Certificate.account_id, Certificate.achievement)).all())
    issued = 0
    for course in session.scalars(select(Course).order_by(Course.id)):
        rule = rule_of((course.manifest or {}).get("certificate"))
        if rule is None:
            continue
        done = session.execute(
            select(CourseCompletion.account_id, CourseCompletion.completed_at)
            .where(CourseCompletion.course_id == course.id)
            .order_by(CourseCompletion.account_id)
        )
        for account_id, completed_at in done.all():
            if (account_id, f"course:{course.id}") in have:
                continue
            made = _issue_course(
                session, account_id, course, rule, completed_at, actor="", reason=""
            )
            issued += made is not None
    for cohort in session.scalars(select(Cohort).order_by(Cohort.id)):
        if rule_of(cohort.certificate) is None:
            continue
        members = session.scalars(
            select(CohortMember.account_id).where(CohortMember.cohort_id == cohort.id)
        )
        for account_id in members.all():
            if (account_id, f"cohort:{cohort.id}") not in have:
                issued += issue_for_cohort_member(session, cohort, account_id) is not None
    return issued


def issue_by_hand(
    session: Session,
    account_id: int,
    *,
    course_code: str = "",
    cohort_code: str = "",
    reason: str,
    actor: str,
) -> Certificate:
    """An administrator issues what the rules would, for someone who earned it (audited).

    Refuses when nothing was earned (the course or class is not completed) or a certificate
    for it exists already (revoked ones are reissued, not issued again).
    """
    reason = _reason(reason, "颁发")
    if bool(course_code) == bool(cohort_code):
        raise CertificateError("请指定一门课程或一个期次（二选一）。")
    if course_code:
        course = session.scalar(select(Course).where(Course.code == course_code))
        if course is None:
            raise CertificateError(f"没有课程 {course_code}。")
        rule = rule_of((course.manifest or {}).get("certificate")) or Rule(DEFAULT_TITLE, "")
        achievement = f"course:{course.id}"
    else:
        cohort = session.scalar(select(Cohort).where(Cohort.code == cohort_code))
        if cohort is None:
            raise CertificateError(f"没有期次 {cohort_code}。")
        rule = rule_of(cohort.certificate) or Rule(DEFAULT_TITLE, "")
        achievement = f"cohort:{cohort.id}"
    if _latest(session, account_id, achievement) is not None:
        raise CertificateError("此人已有这项证书，不会重复颁发；如需更正姓名请用“重新颁发”。")
    if course_code:
        completed_at = session.scalar(
            select(CourseCompletion.completed_at).where(
                CourseCompletion.account_id == account_id,
                CourseCompletion.course_id == course.id,
            )
        )
        if completed_at is None:
            raise CertificateError(f"此人尚未完成课程“{course.title}”，不能颁发证书。")
        certificate = _issue_course(
            session, account_id, course, rule, completed_at, actor=actor, reason=reason
        )
    else:
        certificate = issue_for_cohort_member(
            session, _with_rule(cohort, rule), account_id, actor=actor, reason=reason
        )
        if certificate is None:
            raise CertificateError(f"此人尚未完成期次“{cohort.name}”的全部课程，不能颁发证书。")
    _audit(session, actor, "certificate.issue", "颁发", certificate, reason)
    return certificate


def revoke(session: Session, serial: str, *, reason: str, actor: str) -> Certificate:
    """Mark a certificate revoked (the verify page says 已撤销 from now on); audited."""
    reason = _reason(reason, "撤销")
    certificate = get(session, serial)
    if certificate.revoked_at is not None:
        raise CertificateError(f"证书 {certificate.serial} 已于此前撤销。")
    certificate.revoked_at = utcnow()
    certificate.revoked_by = actor
    certificate.revoked_reason = reason
    session.flush()
    _audit(session, actor, "certificate.revoke", "撤销", certificate, certificate.revoked_reason)
    return certificate


def reissue(
    session: Session, serial: str, *, reason: str, actor: str, name: str = ""
) -> Certificate:
    """A new edition with the member's current name (or ``name``), the old one revoked.

    For a corrected name, or a name the font cannot print written another way; audited.
    """
    reason = _reason(reason, "重新颁发")
    old = get(session, serial)
    newest = _latest(session, old.account_id, old.achievement)
    if newest is not None and newest.id != old.id:
        raise CertificateError(f"证书 {old.serial} 已有更新的版本 {newest.serial}：请对它操作。")
    roster_name, association = _person(session, old.account_id)
    printed = (name or "").strip() or roster_name
    if len(printed) > 50:
        raise CertificateError("姓名太长（最多 50 个字）。")
    # a new edition that would print empty boxes helps nobody
    fonts.check_printable(姓名=printed)
    if old.revoked_at is None:
        old.revoked_at = utcnow()
        old.revoked_by = actor
        old.revoked_reason = f"重新颁发：{reason}"
    new = Certificate(
        serial=placeholder(),
        kind=old.kind,
        achievement=old.achievement,
        edition=old.edition + 1,
        account_id=old.account_id,
        course_id=old.course_id,
        cohort_id=old.cohort_id,
        title=old.title,
        name=printed,
        association=association,
        subject=old.subject,
        hours=old.hours,
        achieved_on=old.achieved_on,
        issuer=old.issuer,
        detail=dict(old.detail or {}, replaces=old.serial),
        issued_by=actor,
        reason=reason,
    )
    _insert(session, new)
    _audit(session, actor, "certificate.reissue", "重新颁发", new, reason)
    return new


def statement(session: Session, account_id: int, year: int, now: datetime | None = None):
    """This year's 学时证明 for a learner: the same one while the ledger is unchanged."""
    now = now or utcnow()
    if not 2000 <= year <= _local_day(now).year:
        raise CertificateError(f"年份 {year} 不对：学时证明只能开具 2000 年至今年的。")
    lines = _ledger_lines(session, account_id, year)
    total = round(sum(line["hours"] for line in lines), 2)
    if not lines:
        raise CertificateError(f"{year} 年还没有学时记录，暂不能开具学时证明。")
    achievement = f"hours:{year}"
    latest = _latest(session, account_id, achievement)
    if (
        latest is not None
        and latest.revoked_at is None
        and latest.detail.get("lines") == lines[-STATEMENT_LINES:]
        and latest.hours == total
    ):
        return latest
    name, association = _person(session, account_id)
    certificate = Certificate(
        serial=placeholder(),
        kind="hours",
        achievement=achievement,
        edition=(latest.edition + 1) if latest else 1,
        account_id=account_id,
        title=STATEMENT_TITLE,
        name=name,
        association=association,
        subject=f"{year} 年度学时",
        hours=total,
        achieved_on=_local_day(now),
        issuer="",
        detail={"year": year, "lines": lines[-STATEMENT_LINES:], "count": len(lines)},
    )
    _insert(session, certificate)
    return certificate


def issuable(session: Session, account_id: int, have: set[str]) -> list[dict]:
    """Courses completed, and classes with a certificate whose every course is completed,
    without a certificate of this person's yet (revoked ones count as had: they are reissued,
    not issued again). A class without one is not offered: issuing by hand would set it."""
    found = [
        {"kind": "course", "code": code, "title": title, "label": f"课程：{title}"}
        for course_id, code, title in session.execute(
            select(Course.id, Course.code, Course.title)
            .join(CourseCompletion, CourseCompletion.course_id == Course.id)
            .where(CourseCompletion.account_id == account_id)
            .order_by(Course.code)
        )
        if f"course:{course_id}" not in have
    ]
    completed = and_(
        CourseCompletion.course_id == CohortCourse.course_id,
        CourseCompletion.account_id == account_id,
    )
    classes = session.execute(
        select(Cohort.id, Cohort.code, Cohort.name, Cohort.certificate)
        .join(CohortMember, CohortMember.cohort_id == Cohort.id)
        .join(CohortCourse, CohortCourse.cohort_id == Cohort.id)
        .outerjoin(CourseCompletion, completed)
        .where(CohortMember.account_id == account_id)
        .group_by(Cohort.id)  # the other columns depend on it (PostgreSQL has no = for json)
        .having(func.count(CohortCourse.id) == func.count(CourseCompletion.id))
        .order_by(Cohort.code)
    )
    found += [
        {"kind": "cohort", "code": code, "title": name, "label": f"期次：{name}"}
        for cohort_id, code, name, setting in classes
        if f"cohort:{cohort_id}" not in have and rule_of(setting) is not None
    ]
    return found


def get(session: Session, serial: str) -> Certificate:
    certificate = session.scalar(select(Certificate).where(Certificate.serial == serial))
    if certificate is None:
        raise CertificateError(f"没有编号为 {serial} 的证书：请核对编号。")
    return certificate


def of_account(session: Session, account_id: int) -> list[Certificate]:
    """A person's certificates and statements, newest first."""
    return list(
        session.scalars(
            select(Certificate)
            .where(Certificate.account_id == account_id)
            .order_by(Certificate.issued_at.desc(), Certificate.id.desc())
        )
    )


def of_cohort(session: Session, cohort_id: int, valid_only: bool = True) -> list[Certificate]:
    query = select(Certificate).where(Certificate.cohort_id == cohort_id)
    if valid_only:
        query = query.where(Certificate.revoked_at.is_(None))
    return list(session.scalars(query.order_by(Certificate.id)))


# --- inside -------------------------------------------------------------------------------


def _issue_course(
    session: Session,
    account_id: int,
    course: Course,
    rule: Rule,
    completed_at: datetime,
    *,
    actor: str,
    reason: str,
) -> Certificate | None:
    module_ids = [module.id for module in course.modules]
    return _issue_once(
        session,
        account_id,
        achievement=f"course:{course.id}",
        kind="course",
        rule=rule,
        subject=course.title,
        hours=_hours_of_modules(session, account_id, module_ids),
        achieved_on=_local_day(completed_at),
        course_id=course.id,
        detail={},
        actor=actor,
        reason=reason,
    )


def _issue_once(
    session: Session,
    account_id: int,
    *,
    achievement: str,
    kind: str,
    rule: Rule,
    subject: str,
    hours: float,
    achieved_on: date,
    detail: dict,
    actor: str,
    reason: str,
    course_id: int | None = None,
    cohort_id: int | None = None,
) -> Certificate | None:
    if _latest(session, account_id, achievement) is not None:
        return None
    name, association = _person(session, account_id)
    certificate = Certificate(
        serial=placeholder(),
        kind=kind,
        achievement=achievement,
        edition=1,
        account_id=account_id,
        course_id=course_id,
        cohort_id=cohort_id,
        title=rule.title[:100],
        name=name[:50],
        association=association[:200],
        subject=subject[:200],
        hours=hours,
        achieved_on=achieved_on,
        issuer=rule.issuer,
        detail=detail,
        issued_by=actor,
        reason=reason,
    )
    try:
        with session.begin_nested():
            _insert(session, certificate)
    except IntegrityError:
        return None  # issued by a concurrent transaction: once is enough
    return certificate


def _insert(session: Session, certificate: Certificate) -> None:
    """Add the row, then give it its serial: the row's id is the number in it."""
    session.add(certificate)
    session.flush()
    letters = "XS" if certificate.kind == "hours" else "ZS"  # 学时, 证书
    certificate.serial = make_serial(certificate.achieved_on.year, letters, certificate.id)
    session.flush()


def _latest(session: Session, account_id: int, achievement: str) -> Certificate | None:
    return session.scalar(
        select(Certificate)
        .where(Certificate.account_id == account_id, Certificate.achievement == achievement)
        .order_by(Certificate.edition.desc())
        .limit(1)
    )


def _cohorts_with_certificates(session: Session, account_id: int, course_id: int):
    cohorts = session.scalars(
        select(Cohort)
        .join(CohortMember, CohortMember.cohort_id == Cohort.id)
        .join(CohortCourse, CohortCourse.cohort_id == Cohort.id)
        .where(CohortMember.account_id == account_id, CohortCourse.course_id == course_id)
    )
    return [cohort for cohort in cohorts if rule_of(cohort.certificate) is not None]


def _with_rule(cohort: Cohort, rule: Rule) -> Cohort:
    if rule_of(cohort.certificate) is None:
        cohort.certificate = {"title": rule.title}  # issuing by hand sets the class's rule
    return cohort


def _person(session: Session, account_id: int) -> tuple[str, str]:
    """The name and association(s) to print: the member record's, else the account's."""
    member = session.scalar(select(Member).where(Member.account_id == account_id))
    if member is not None:
        associations = [
            m.association.full_name for m in member.memberships if m.active and m.association
        ]
        return member.name, "、".join(sorted(associations))
    account = session.get(Account, account_id)
    return (account.display_name or account.username) if account else "", ""


def _hours(session: Session, account_id: int, course_ids: list[int]) -> float:
    module_ids = list(session.scalars(select(Module.id).where(Module.course_id.in_(course_ids))))
    return _hours_of_modules(session, account_id, module_ids)


def _hours_of_modules(session: Session, account_id: int, module_ids: list[int]) -> float:
    if not module_ids:
        return 0.0
    total = session.scalar(
        select(func.coalesce(func.sum(StudyHours.hours), 0.0)).where(
            StudyHours.account_id == account_id, StudyHours.module_id.in_(module_ids)
        )
    )
    return round(float(total or 0.0), 2)


def _ledger_lines(session: Session, account_id: int, year: int) -> list[dict]:
    start = datetime(year, 1, 1, tzinfo=local_zone())
    end = datetime(year + 1, 1, 1, tzinfo=local_zone())
    rows = session.execute(
        select(StudyHours, Module.title, Course.title)
        .outerjoin(Module, Module.id == StudyHours.module_id)
        .outerjoin(Course, Course.id == Module.course_id)
        .where(
            StudyHours.account_id == account_id,
            StudyHours.credited_at >= start,
            StudyHours.credited_at < end,
        )
        .order_by(StudyHours.credited_at, StudyHours.id)
    )
    return [
        {
            "day": _local_day(entry.credited_at).isoformat(),
            "what": " · ".join(t for t in (course_title, module_title) if t)
            or (entry.reason or entry.rule or "学时登记"),
            "rule": entry.rule,
            "hours": round(float(entry.hours), 2),
        }
        for entry, module_title, course_title in rows
    ]


def _local_day(moment: datetime | None) -> date:
    return (moment or utcnow()).astimezone(local_zone()).date()


def _reason(reason: str, what: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise CertificateError(f"{what}证书须填写原因（会记入操作日志）。")
    if len(reason) > 500:
        raise CertificateError("原因太长（最多 500 字）。")
    return reason


def _audit(
    session: Session, actor: str, action: str, verb: str, certificate: Certificate, reason: str
) -> None:
    audit.record(
        session,
        actor,
        action,
        f"{verb}{certificate.title}“{certificate.subject}”（{certificate.name}，"
        f"{certificate.serial}）",
        course_id=certificate.course_id,
        account_id=certificate.account_id,
        target=certificate.serial,
        detail={"reason": reason},
    )

"""The course catalogue (课程中心): every active course open to a learner — those they are
enrolled in and the electives that target them (``enrolment``'s rules, the same as the JSON
catalogue's) — found by words, category and association; and leaving an elective the learner
chose themselves (退出选修).

Leaving deactivates the enrolment and keeps everything else (results, submissions, study
hours): ``enrolment.enrol`` re-activates it when the learner comes back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import YiyuanError
from ..models import (
    Account,
    Association,
    Course,
    CourseCompletion,
    Enrolment,
    Member,
    Membership,
)
from . import enrolment

#: a course's state for the learner, in the order the catalogue lists them
STATES = {"enrolled": "已报名", "open": "可报名", "completed": "已结业"}

#: how the learner came into a course they did not choose → why they cannot leave it
NOT_THEIR_CHOICE = {
    "admin": "这门课程是管理员为您报名的",
    "cohort": "这门课程是随培训班（期次）为您报名的",
    "rule": "这门课程是平台按您所在的协会统一安排的",
}


@dataclass
class Entry:
    """One course as the catalogue shows it to one learner."""

    course: Course
    #: enrolled / open / completed (a key of STATES)
    state: str
    #: the learner's active enrolment (None when they may enrol)
    enrolment: Enrolment | None
    completed_at: datetime | None
    #: the associations the course is for; None: every association (全部)
    associations: list[Association] | None

    @property
    def state_label(self) -> str:
        return STATES[self.state]

    @property
    def required(self) -> bool:
        return self.course.enrolment == "required"

    @property
    def hours(self) -> float:
        return sum(m.hours for m in self.course.modules if m.active)

    @property
    def audience_label(self) -> str:
        if self.associations is None:
            return "全部协会"
        return "、".join(a.short_name for a in self.associations) or "—"

    @property
    def trainer_names(self) -> list[str]:
        return [t.account.display_name or t.account.username for t in self.course.trainers]

    def fits(self, words: list[str], category: str, association: str) -> bool:
        """Whether every word is in its title, summary, category, code or trainers' names,
        its category is ``category`` and it is for ``association`` (a short name); an empty
        condition fits every course, and a course for 全部 fits every association."""
        course = self.course
        said = (course.title, course.summary or "", course.category or "", course.code)
        text = " ".join((*said, *self.trainer_names)).casefold()
        return (
            all(word.casefold() in text for word in words)
            and (not category or self.course.category == category)
            and (
                not association
                or self.associations is None
                or any(a.short_name == association for a in self.associations)
            )
        )


def open_courses(session: Session, account: Account) -> list[Entry]:
    """Every active course open to the learner, by code, in a handful of queries however
    many courses there are."""
    courses = list(
        session.scalars(select(Course).where(Course.active.is_(True)).order_by(Course.code))
    )
    mine = _enrolments(session, account)
    may = enrolment.may_enrol_in(session, [c for c in courses if c.id not in mine], account)
    completed = _completions(session, account)
    everything = _associations(session)
    return [
        _entry(course, mine.get(course.id), completed, everything)
        for course in courses
        if course.id in mine or course.id in may
    ]


def open_course(session: Session, account: Account, course: Course) -> Entry | None:
    """The course as the catalogue shows it to the learner; None when it is not open to them
    (pages answer 404 then: a course of another association is not there for them)."""
    mine = _enrolments(session, account, course.id).get(course.id)
    if not course.active or (mine is None and not enrolment.may_enrol(session, course, account)):
        return None
    return _entry(course, mine, _completions(session, account, course.id), _associations(session))


def _entry(course, enrolled, completed, everything) -> Entry:
    if enrolled is None:
        state = "open"
    else:
        state = "completed" if course.id in completed else "enrolled"
    return Entry(
        course=course,
        state=state,
        enrolment=enrolled,
        completed_at=completed.get(course.id),
        associations=enrolment.audience_associations(course, everything),
    )


def _enrolments(session, account, course_id: int | None = None) -> dict[int, Enrolment]:
    query = select(Enrolment).where(Enrolment.account_id == account.id, Enrolment.active.is_(True))
    if course_id is not None:
        query = query.where(Enrolment.course_id == course_id)
    return {e.course_id: e for e in session.scalars(query)}


def _completions(session, account, course_id: int | None = None) -> dict[int, datetime]:
    query = select(CourseCompletion.course_id, CourseCompletion.completed_at).where(
        CourseCompletion.account_id == account.id
    )
    if course_id is not None:
        query = query.where(CourseCompletion.course_id == course_id)
    return dict(session.execute(query).all())


def _associations(session) -> list[Association]:
    return list(session.scalars(select(Association).order_by(Association.sort_order)))


def in_listing_order(entries: list[Entry]) -> list[Entry]:
    """已报名, then 可报名, then 已结业; by code within each (codes are pinyin)."""
    order = list(STATES)
    return sorted(entries, key=lambda e: (order.index(e.state), e.course.code))


def find(entries: list[Entry], text: str = "", category: str = "", association: str = ""):
    """The entries that fit the search (see ``Entry.fits``), in their order."""
    words = text.split()
    return [e for e in entries if e.fits(words, category.strip(), association.strip())]


def categories(entries: list[Entry]) -> list[tuple[str, int]]:
    """The categories of the entries and how many courses each has, by name."""
    counts: dict[str, int] = {}
    for entry in entries:
        if entry.course.category:
            counts[entry.course.category] = counts.get(entry.course.category, 0) + 1
    return sorted(counts.items())


def association_choices(
    session: Session, account: Account, entries: list[Entry]
) -> list[Association]:
    """What the association filter offers: the learner's own associations and those the
    courses name, in the federation's order."""
    own = session.scalars(
        select(Membership.association_id)
        .join(Member, Member.id == Membership.member_id)
        .where(Member.account_id == account.id, Membership.active.is_(True))
    )
    wanted = set(own) | {a.id for e in entries for a in (e.associations or ())}
    return [a for a in _associations(session) if a.id in wanted]


class LeaveRefused(YiyuanError):
    """The learner may not leave this course themselves; the message says why in Chinese."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def leave_refusal(entry: Entry) -> tuple[str, str]:
    """Why the learner may not leave the course themselves: (code, message in Chinese), or
    ("", "") when they may."""
    title = entry.course.title
    if entry.enrolment is None:
        return "not-enrolled", f"您没有报名“{title}”。"
    if entry.required:
        return "required", f"“{title}”是必修课，不能退出。如有特殊情况，请联系所在协会或服务中心。"
    if entry.completed_at is not None:
        return "completed", f"您已在“{title}”结业，学习记录会一直保留，不需要退出。"
    if entry.enrolment.source != "self":
        why = NOT_THEIR_CHOICE.get(entry.enrolment.source, "这门课程不是您自己报名的")
        return "not-self", f"{why}，不能自行退出。如需退出，请联系所在协会或服务中心。"
    return "", ""


def leave(session: Session, entry: Entry) -> None:
    """退出选修: deactivate the learner's own enrolment in an elective; nothing else changes."""
    code, refusal = leave_refusal(entry)
    if code:
        raise LeaveRefused(code, refusal)
    entry.enrolment.active = False
    session.flush()

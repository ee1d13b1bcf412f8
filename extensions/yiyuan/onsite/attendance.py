"""The roster of a session and the trainer recording it.

The roster is the course's enrolled learners with their attendance for the module: present at
this session, present at another session of the module, absent, or not recorded. Saving it
writes only what changed, each change through the completion engine (results, study hours,
rollups) and into the audit log: ``attendance.record`` for a first record,
``attendance.correct`` when an existing record changes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import audit
from ..completion import engine
from ..models import Account, Attendance, Course, Enrolment, Module, OnsiteSession
from . import OnsiteError
from .sessions import describe

PRESENT, ELSEWHERE, ABSENT, NOT_RECORDED = "present", "elsewhere", "absent", "none"
STATE_LABELS = {
    PRESENT: "出勤",
    ELSEWHERE: "已在其他场次出勤",
    ABSENT: "缺席",
    NOT_RECORDED: "未记录",
}
METHOD_LABELS = {"roster": "教师记录", "checkin": "签到码签到"}


@dataclass(frozen=True)
class RosterLine:
    account_id: int
    username: str
    display_name: str
    state: str
    state_label: str
    method: str = ""
    recorded_by: str = ""
    recorded_at: datetime | None = None

    def as_json(self) -> dict:
        return {
            "username": self.username,
            "display_name": self.display_name,
            "state": self.state,
            "state_label": self.state_label,
            "method": self.method,
            "method_label": METHOD_LABELS.get(self.method, ""),
            "recorded_by": self.recorded_by,
            "recorded_at": self.recorded_at.isoformat() if self.recorded_at else None,
        }


@dataclass(frozen=True)
class RosterSaved:
    recorded: int = 0
    corrected: int = 0
    unchanged: int = 0

    @property
    def message(self) -> str:
        if not (self.recorded or self.corrected):
            return "名单没有变化。"
        parts = [f"新记录 {self.recorded} 人"] if self.recorded else []
        parts += [f"更正 {self.corrected} 人"] if self.corrected else []
        return "已保存：" + "，".join(parts) + "。"


def state_of(row: Attendance | None, onsite_session: OnsiteSession) -> str:
    if row is None:
        return NOT_RECORDED
    if not row.present:
        return ABSENT
    # a record from before sessions existed (no session) counts for this one: the migration
    # made the module's single old session its first
    if row.session_id in (None, onsite_session.id):
        return PRESENT
    return ELSEWHERE


def roster(session: Session, onsite_session: OnsiteSession) -> list[RosterLine]:
    """The course's active enrolled learners and their state, by name."""
    module = session.get(Module, onsite_session.module_id)
    rows = session.execute(
        select(Account, Attendance)
        .join(Enrolment, Enrolment.account_id == Account.id)
        .outerjoin(
            Attendance,
            (Attendance.account_id == Account.id) & (Attendance.module_id == module.id),
        )
        .where(Enrolment.course_id == module.course_id, Enrolment.active, Account.active)
        .order_by(Account.display_name, Account.username)
    ).all()
    lines = []
    for account, row in rows:
        state = state_of(row, onsite_session)
        lines.append(
            RosterLine(
                account_id=account.id,
                username=account.username,
                display_name=account.display_name or account.username,
                state=state,
                state_label=STATE_LABELS[state],
                method=row.method if row is not None else "",
                recorded_by=row.recorded_by if row is not None else "",
                recorded_at=row.recorded_at if row is not None else None,
            )
        )
    return lines


def record_roster(
    session: Session,
    onsite_session: OnsiteSession,
    actor: Account,
    present: Iterable[str],
    absent: Iterable[str],
    now: datetime,
) -> RosterSaved:
    """Mark ``present`` learners present at this session and ``absent`` ones absent.

    All or nothing: unknown or not enrolled usernames are refused before anything is written.
    Marking absent someone present at *another* session of the module changes nothing (they
    were not here, but they did attend).
    """
    present, absent = set(present), set(absent)
    both = present & absent
    if both:
        raise OnsiteError(f"{'、'.join(sorted(both))} 不能同时记为出勤和缺席。", code="conflict")
    if not onsite_session.active:
        raise OnsiteError("这一场已从课程清单中撤下，不能再记录出勤。", 409, "inactive")
    by_name = {line.username: line for line in roster(session, onsite_session)}
    strangers = sorted((present | absent) - set(by_name))
    if strangers:
        raise OnsiteError(
            f"{'、'.join(strangers)} 不是本课程在读的学员（用户名不存在或没有报名），"
            "没有保存任何记录。",
            code="not-enrolled",
        )
    module = session.get(Module, onsite_session.module_id)
    course = session.get(Course, module.course_id)
    codes = _session_codes(session, module.id)
    recorded = corrected = unchanged = 0
    for username in sorted(present | absent):
        line = by_name[username]
        here = username in present
        row = session.scalar(
            select(Attendance).where(
                Attendance.account_id == line.account_id, Attendance.module_id == module.id
            )
        )
        if (here and line.state == PRESENT) or (not here and line.state in (ABSENT, ELSEWHERE)):
            unchanged += 1
            continue
        before = (
            None if row is None else {"present": row.present, "session": codes.get(row.session_id)}
        )
        engine.record_attendance(
            session,
            line.account_id,
            module.id,
            here,
            actor.username,
            session_id=onsite_session.id,
            method="roster",
            now=now,
        )
        after = {"present": here, "session": onsite_session.code}
        what = "出勤" if here else "缺席"
        who = f"{line.display_name}（{username}）"
        where = f"“{module.title}”{describe(onsite_session)}"
        if before is None:
            recorded += 1
            action, summary = "attendance.record", f"记录 {who} {what}：{where}"
        else:
            corrected += 1
            was = "出勤" if before["present"] else "缺席"
            action, summary = "attendance.correct", f"更正 {who} 的出勤：{was} → {what}，{where}"
        audit.record(
            session,
            actor.username,
            action,
            summary,
            course_id=course.id,
            account_id=line.account_id,
            target=f"{course.code}/{module.code}/{onsite_session.code}",
            detail={"module": module.code, "before": before, "after": after, "method": "roster"},
        )
    return RosterSaved(recorded, corrected, unchanged)


def _session_codes(session: Session, module_id: int) -> dict[int | None, str | None]:
    codes: dict[int | None, str | None] = {None: None}
    codes.update(
        session.execute(
            select(OnsiteSession.id, OnsiteSession.code).where(OnsiteSession.module_id == module_id)
        ).all()
    )
    return codes

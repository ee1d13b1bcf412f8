"""Check-in codes: the trainer opens a six-digit code for a window; learners enter it in the
portal while the window is open. The service's clock decides, never the learner's device: a
code entered after its window is refused, and the trainer records that learner on the roster.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from .. import audit
from ..catalog.enrolment import is_enrolled
from ..completion import engine
from ..models import Account, Attendance, Course, Module, OnsiteSession, WrongCheckinCode
from ..settings import Settings
from . import OnsiteError
from .sessions import describe, local_time

CODE_DIGITS = 6
#: the window in which wrong codes are counted, and how long check-in is refused after
WRONG_CODE_WINDOW = timedelta(minutes=10)


@dataclass(frozen=True)
class CheckinState:
    open: bool
    code: str
    opens_at: datetime | None
    closes_at: datetime | None

    def as_json(self) -> dict:
        return {
            "open": self.open,
            "code": self.code if self.open else "",
            "opens_at": self.opens_at.isoformat() if self.opens_at else None,
            "closes_at": self.closes_at.isoformat() if self.closes_at else None,
            "closes_at_local": local_time(self.closes_at, "%H:%M"),
        }


@dataclass(frozen=True)
class CheckedIn:
    message: str
    already: bool
    course: str
    module: str
    session_id: int


def state(onsite_session: OnsiteSession, now: datetime) -> CheckinState:
    return CheckinState(
        open=_is_open(onsite_session, now),
        code=onsite_session.checkin_code,
        opens_at=onsite_session.checkin_opens_at,
        closes_at=onsite_session.checkin_closes_at,
    )


def open_checkin(
    session: Session,
    onsite_session: OnsiteSession,
    actor: Account,
    minutes: int,
    now: datetime,
    *,
    settings: Settings | None = None,
) -> str:
    """Open (or re-open with a new code) check-in for ``minutes`` from ``now``; the code."""
    longest = (settings or Settings()).onsite.max_checkin_minutes
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not 1 <= minutes <= longest:
        raise OnsiteError(f"签到时长应为 1 到 {longest} 分钟之间的整数。", code="bad-minutes")
    if not onsite_session.active:
        raise OnsiteError("这一场已从课程清单中撤下，不能再签到。", 409, "inactive")
    starts = onsite_session.starts_at
    if starts is not None and local_time(starts, "%Y-%m-%d") != local_time(now, "%Y-%m-%d"):
        # a code opened on another day credits hours for a session nobody attended yet
        raise OnsiteError(
            f"这一场在 {local_time(starts)} 举行，签到码只能在当天开放；"
            "出勤可以在本场的名单上记录。",
            409,
            "not-today",
        )
    code = _unused_code(session, now)
    onsite_session.checkin_code = code
    onsite_session.checkin_opens_at = now
    onsite_session.checkin_closes_at = now + timedelta(minutes=minutes)
    onsite_session.checkin_opened_by = actor.username
    module, course = _module_and_course(session, onsite_session)
    audit.record(
        session,
        actor.username,
        "checkin.open",
        f"开放签到 {minutes} 分钟（{local_time(onsite_session.checkin_closes_at, '%H:%M')} 截止）："
        f"“{module.title}”{describe(onsite_session)}",
        course_id=course.id,
        target=f"{course.code}/{module.code}/{onsite_session.code}",
        detail={"minutes": minutes, "closes_at": onsite_session.checkin_closes_at.isoformat()},
    )
    return code


def close_checkin(
    session: Session, onsite_session: OnsiteSession, actor: Account, now: datetime
) -> None:
    """End the open window now (the code then answers “签到已截止”)."""
    if not _is_open(onsite_session, now):
        raise OnsiteError("这一场现在没有在签到。", 409, "not-open")
    onsite_session.checkin_closes_at = now
    module, course = _module_and_course(session, onsite_session)
    audit.record(
        session,
        actor.username,
        "checkin.close",
        f"结束签到：“{module.title}”{describe(onsite_session)}",
        course_id=course.id,
        target=f"{course.code}/{module.code}/{onsite_session.code}",
        detail={"closes_at": now.isoformat()},
    )
    session.flush()


def check_in(
    session: Session, account: Account, code: str, now: datetime, settings: Settings
) -> CheckedIn:
    """A learner enters a code: present at its session if its window is open now.

    One learner's check-ins are taken one after another, whichever process or replica of the
    service answers them (:func:`_hold`). A refusal leaves in ``session`` only the count of a
    wrong code (and the lock-out it may set): the caller commits even when this raises, as the
    service's handler does, or the count is lost and a guesser gets more tries.
    """
    _hold(session, account.id, now)
    if _locked(session, account.id, now):
        raise _too_many()
    code = (code or "").strip()
    candidates = []
    if len(code) == CODE_DIGITS and code.isdigit():
        candidates = list(
            session.scalars(
                select(OnsiteSession)
                .join(Module, Module.id == OnsiteSession.module_id)
                .join(Course, Course.id == Module.course_id)
                .where(
                    OnsiteSession.checkin_code == code,
                    OnsiteSession.active,
                    Module.active,
                    Course.active,
                )
                .order_by(OnsiteSession.checkin_closes_at.desc())
            )
        )
    opened = [s for s in candidates if _is_open(s, now)]
    ended = [s for s in candidates if s.checkin_closes_at and s.checkin_closes_at <= now]
    if opened:
        return _record(session, account, opened[0], now)
    if ended:
        latest = ended[0]
        raise OnsiteError(
            f"签到已截止（{local_time(latest.checkin_closes_at, '%H:%M')} 截止），"
            "请联系任课教师补记。",
            409,
            "checkin-closed",
        )
    if _wrong(session, account.id, now, settings.onsite.max_wrong_codes):
        raise _too_many()
    raise OnsiteError("签到码不正确：请核对任课教师给出的 6 位数字后再试。", 400, "wrong-code")


# --- internals ------------------------------------------------------------------------------


def _record(session: Session, account: Account, onsite_session: OnsiteSession, now: datetime):
    module, course = _module_and_course(session, onsite_session)
    if not is_enrolled(session, course.id, account.id):
        raise OnsiteError(
            f"您没有参加课程“{course.title}”，不能在这里签到；如需参加请先报名。",
            403,
            "not-enrolled",
        )
    row = session.scalar(
        select(Attendance).where(
            Attendance.account_id == account.id, Attendance.module_id == module.id
        )
    )
    if row is not None and row.present:
        return CheckedIn(
            f"您已签到“{module.title}”，无需再签。",
            True,
            course.code,
            module.code,
            onsite_session.id,
        )
    result = engine.record_attendance(
        session,
        account.id,
        module.id,
        True,
        account.username,
        session_id=onsite_session.id,
        method="checkin",
        now=now,
    )
    # what it brought, said at once (the learner is standing in the room with a phone)
    passed = f"，本单元已通过，计 {module.hours:g} 学时" if result.status.value == "passed" else ""
    return CheckedIn(
        f"签到成功：“{module.title}”{describe(onsite_session)}{passed}。",
        False,
        course.code,
        module.code,
        onsite_session.id,
    )


def _is_open(onsite_session: OnsiteSession, now: datetime) -> bool:
    opens, closes = onsite_session.checkin_opens_at, onsite_session.checkin_closes_at
    return bool(onsite_session.checkin_code and opens and closes and opens <= now < closes)


def _unused_code(session: Session, now: datetime) -> str:
    """Six random digits no open window uses (an ended window's code may come back: the open
    one wins when a learner enters it)."""
    open_codes = set(
        session.scalars(
            select(OnsiteSession.checkin_code).where(
                OnsiteSession.checkin_code != "",
                OnsiteSession.checkin_opens_at <= now,
                OnsiteSession.checkin_closes_at > now,
            )
        )
    )
    while True:
        code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
        if code not in open_codes:
            return code


def _module_and_course(session: Session, onsite_session: OnsiteSession) -> tuple[Module, Course]:
    module = session.get(Module, onsite_session.module_id)
    return module, session.get(Course, module.course_id)


def _too_many() -> OnsiteError:
    minutes = int(WRONG_CODE_WINDOW.total_seconds() // 60)
    return OnsiteError(
        f"签到码输错次数太多，请 {minutes} 分钟后再试；如已到场，请任课教师在名单上为您记录出勤。",
        429,
        "too-many-wrong-codes",
    )


def _hold(session: Session, account_id: int, now: datetime) -> None:
    """Take this learner's check-ins one at a time until the transaction ends, so that
    parallel guesses are counted one after another: on PostgreSQL the account row is locked
    (``FOR NO KEY UPDATE``, which rows merely referring to the account do not wait for); on
    SQLite the delete below, the transaction's first write, takes the database's write lock.
    The delete forgets the learner's wrong codes older than the window (a lock-out ends with
    the window of the code that set it)."""
    session.execute(
        select(Account.id).where(Account.id == account_id).with_for_update(key_share=True)
    )
    session.execute(
        delete(WrongCheckinCode)
        .where(
            WrongCheckinCode.account_id == account_id,
            WrongCheckinCode.entered_at <= now - WRONG_CODE_WINDOW,
        )
        .execution_options(synchronize_session=False)
    )


def _locked(session: Session, account_id: int, now: datetime) -> bool:
    """Whether a wrong code over the limit refuses check-in now."""
    return (
        session.scalar(
            select(WrongCheckinCode.id)
            .where(
                WrongCheckinCode.account_id == account_id,
                WrongCheckinCode.locked_until > now,
            )
            .limit(1)
        )
        is not None
    )


def _wrong(session: Session, account_id: int, now: datetime, allowed: int) -> bool:
    """Count a wrong code; True when it is one more than ``allowed`` in the window, which
    refuses check-in for the window from now (decided in the transaction that counted it)."""
    row = WrongCheckinCode(account_id=account_id, entered_at=now)
    session.add(row)
    session.flush()
    count = session.scalar(
        select(func.count())
        .select_from(WrongCheckinCode)
        .where(
            WrongCheckinCode.account_id == account_id,
            WrongCheckinCode.entered_at > now - WRONG_CODE_WINDOW,
        )
    )
    if count <= allowed:
        return False
    row.locked_until = now + WRONG_CODE_WINDOW
    session.flush()
    return True

"""The audit log: one call to record who did what, one query to read it back.

Every state change a person makes on someone else's record goes through :func:`record` in the
same transaction as the change itself, so an entry exists exactly when the change does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from .clock import local_zone
from .errors import YiyuanError
from .models import Account, AuditEntry, Course

#: action → what administrators read in the log's 操作 column
ACTIONS = {
    "course.publish": "发布课程",
    "course.sources": "上传课件",
    "grade.manual": "评阅",
    "attendance.record": "记录出勤",
    "attendance.correct": "更正出勤",
    "checkin.open": "开放签到",
    "checkin.close": "结束签到",
    "members.import": "导入名册",
    "members.passwords": "下载初始密码",
    "account.create": "创建账号",
    "account.deactivate": "停用账号",
    "account.activate": "恢复账号",
    "account.password": "重置密码",
    "account.unlock": "解除锁定",
    "account.lock": "登录锁定",
    "address.lock": "限制来源地址",
    "address.unlock": "解除地址限制",
    "hours.manual": "手工计入学时",
    "programme.create": "创建培训项目",
    "programme.update": "修改培训项目",
    "cohort.create": "创建期次",
    "cohort.update": "修改期次",
    "cohort.enrol": "期次报名",
    "cohort.close": "结束期次",
    "certificate.issue": "颁发证书",
    "certificate.revoke": "撤销证书",
    "certificate.reissue": "重新颁发证书",
    "certificate.batch": "批量颁发证书",
    "certificate.export": "导出证书",
}


def record(
    session: Session,
    actor: str,
    action: str,
    summary: str,
    *,
    course_id: int | None = None,
    account_id: int | None = None,
    target: str = "",
    detail: dict | None = None,
) -> AuditEntry:
    """Add one entry (flushed, not committed: it lands with the caller's change)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    entry = AuditEntry(
        actor=actor or "system",
        action=action,
        summary=summary,
        course_id=course_id,
        account_id=account_id,
        target=target[:200],
        detail=detail or {},
    )
    session.add(entry)
    session.flush()
    return entry


@dataclass(frozen=True)
class AuditFilter:
    action: str = ""
    actor: str = ""
    course_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None


def entries(session: Session, where: AuditFilter = AuditFilter(), limit: int = 500):
    """The newest entries first, at most ``limit``."""
    query = select(AuditEntry)
    if where.action:
        query = query.where(AuditEntry.action == where.action)
    if where.actor:
        query = query.where(AuditEntry.actor == where.actor)
    if where.course_id is not None:
        query = query.where(AuditEntry.course_id == where.course_id)
    if where.since is not None:
        query = query.where(AuditEntry.at >= where.since)
    if where.until is not None:
        query = query.where(AuditEntry.at < where.until)
    return list(
        session.scalars(query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit))
    )


class BadAuditFilter(YiyuanError):
    """A filter word that names no action, course or day; the message says which."""


def parse_filter(
    session: Session,
    *,
    action: str = "",
    actor: str = "",
    course: str = "",
    date_from: str = "",
    date_to: str = "",
) -> AuditFilter:
    """A filter from words as typed in a form or on a command line: the action as its key or
    its Chinese label, a course code, days as 2026-11-29 (inclusive, the city's calendar)."""
    action = action.strip()
    if action and action not in ACTIONS:
        by_label = {label: key for key, label in ACTIONS.items()}
        if action not in by_label:
            raise BadAuditFilter(
                f"没有“{action}”这种操作：可选 " + "、".join(ACTIONS.values()) + "。"
            )
        action = by_label[action]
    course_id = None
    if course.strip():
        course_id = session.scalar(select(Course.id).where(Course.code == course.strip()))
        if course_id is None:
            raise BadAuditFilter(f"没有课程“{course.strip()}”。")
    since = _day(date_from, "开始日期")
    until = _day(date_to, "结束日期")
    return AuditFilter(
        action=action,
        actor=actor.strip(),
        course_id=course_id,
        since=since,
        until=until + timedelta(days=1) if until else None,
    )


def _day(value: str, what: str) -> datetime | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        day = datetime.strptime(value, "%Y-%m-%d")
    except ValueError:
        raise BadAuditFilter(f"{what}“{value}”无法识别：请写成 2026-11-29 这样。") from None
    return day.replace(tzinfo=local_zone())


def as_table(session: Session, rows: list[AuditEntry]):
    """The entries as a report table (pages and exports share it)."""
    from .reports.table import Column, Table

    courses = dict(session.execute(select(Course.id, Course.code)).all())
    learners = {}
    ids = {row.account_id for row in rows if row.account_id}
    if ids:
        learners = dict(
            session.execute(select(Account.id, Account.username).where(Account.id.in_(ids))).all()
        )
    return Table(
        "审计日志",
        (
            Column("at", "时间", "text"),
            Column("actor", "操作人", "text"),
            Column("action", "操作", "text"),
            Column("course", "课程", "text"),
            Column("learner", "学员", "text"),
            Column("summary", "内容", "text"),
        ),
        [
            {
                "at": row.at.astimezone(local_zone()).strftime("%Y-%m-%d %H:%M:%S"),
                "actor": row.actor,
                "action": ACTIONS.get(row.action, row.action),
                "course": courses.get(row.course_id, ""),
                "learner": learners.get(row.account_id, ""),
                "summary": row.summary,
            }
            for row in rows
        ],
    )

"""Study hours (学时) an administrator reads and enters: the rules in force, in words and per
module, and hand-entered credits for learning outside the platform (an external training, a
city-organised study trip) with a reason and the name of whoever approved it.

A manual credit is a ledger row like any other (``source`` "manual", no module), so the
learner's 本年度学时, the member page and the participation reports count it; a completion
event ``hours-credited`` puts it on timelines; the audit log says who entered it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import audit
from ..accounts.admin import get as get_account
from ..accounts.service import find_login_account
from ..clock import local_zone
from ..errors import YiyuanError
from ..models import Account, AuditEntry, CompletionEvent, Course, Module, StudyHours, utcnow

#: the ledger's ``source`` and ``rule`` for hand-entered credits
SOURCE = "manual"
RULE = "手工计入"
MAX_HOURS = Decimal(100)
STEP = Decimal("0.5")
MAX_REASON = 200
MAX_APPROVER = 32

#: the rules in force, as the 学时 page and ``yiyuan hours rules`` state them (the code that
#: applies them: completion/hours.py and completion/engine.py)
STUDY_HOURS_RULES: tuple[str, ...] = (
    "每个课程单元的学时由课程清单规定（以 0.5 学时为单位）；单元按其通过规则通过后，"
    "计入该单元的全部学时，未通过不计。",
    "在线单元的通过规则一般为测验得分率达到规定比例、提交学习心得并经教师评阅；"
    "现场教学单元以现场出勤（教师点名或学员签到）为准。",
    "已通过的单元后来不再通过（例如教师重新评阅为 0 分）时，以一条负数记录冲销已计学时；"
    "课程调整单元学时后，按差额补计或冲销。学时台账只追加，不修改、不删除。",
    "平台以外的学习（如外出培训、线下活动）由管理员手工计入，须写明事由和批准人；"
    "每次 0.5–100 学时，以 0.5 为单位，日期不能晚于今天。",
    "本年度学时按本地时间自然年（1 月 1 日起）统计，包括手工计入的学时。",
)


class CreditError(YiyuanError):
    """A manual credit that cannot be entered; the message says what to fix."""


@dataclass
class ModuleRule:
    """What passing one module of an active course credits."""

    course_code: str
    course: str
    module: str
    kind: str
    hours: float
    required: bool
    pass_rule: str


@dataclass
class RulesInForce:
    rules: tuple[str, ...]
    modules: list[ModuleRule]

    def as_json(self) -> dict:
        return {"rules": list(self.rules), "modules": [asdict(m) for m in self.modules]}


def describe_pass_rule(module: Module) -> str:
    """A module's pass rule in words, e.g. 测验 ≥ 60%，提交学习心得."""
    rule = module.pass_rule or {}
    parts = []
    if rule.get("quiz") is not None:
        parts.append(f"测验得分率 ≥ {rule['quiz']}%")
    if rule.get("reflection"):
        parts.append("提交学习心得")
    if rule.get("attendance") or module.kind.value == "onsite":
        parts.append("现场出勤")
    return "，".join(parts) or "提交即通过"


def rules_in_force(session: Session) -> RulesInForce:
    """The rules in words and each active course's active modules with their hours."""
    rows = session.execute(
        select(Course.code, Course.title, Module)
        .join(Module, Module.course_id == Course.id)
        .where(Course.active.is_(True), Module.active.is_(True))
        .order_by(Course.code, Module.position)
    ).all()
    return RulesInForce(
        rules=STUDY_HOURS_RULES,
        modules=[
            ModuleRule(
                course_code=code,
                course=title,
                module=module.title,
                kind="现场教学" if module.kind.value == "onsite" else "在线学习",
                hours=float(module.hours),
                required=module.required,
                pass_rule=describe_pass_rule(module),
            )
            for code, title, module in rows
        ],
    )


def _hours(value: object) -> float:
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise CreditError(f"学时“{value}”不是数字：请填写如 6 或 1.5。") from None
    if not amount.is_finite() or amount <= 0 or amount > MAX_HOURS:
        raise CreditError(f"学时应大于 0 且不超过 {MAX_HOURS} 学时，而不是 {value}。")
    if amount % STEP != 0:
        raise CreditError(f"学时以 0.5 为单位，{value} 不行：请填写如 6 或 6.5。")
    return float(amount)


def _credited_at(credited_on: date | str | None, now: datetime) -> datetime:
    """The credit's time: noon (local time) of the day given, or now when none is."""
    if credited_on is None or credited_on == "":
        return now
    if isinstance(credited_on, str):
        try:
            credited_on = date.fromisoformat(credited_on.strip())
        except ValueError:
            raise CreditError(f"日期“{credited_on}”无法识别：请写成 2026-11-20 这样。") from None
    today = now.astimezone(local_zone()).date()
    if credited_on > today:
        raise CreditError(f"日期 {credited_on:%Y-%m-%d} 晚于今天：学时只能计入已经发生的学习。")
    if credited_on == today:
        return now
    return datetime.combine(credited_on, time(12), tzinfo=local_zone())


def credit_manual(
    session: Session,
    username: str,
    hours: float | str,
    reason: str,
    approver: str,
    actor: str,
    *,
    credited_on: date | str | None = None,
    now: datetime | None = None,
) -> StudyHours:
    """Enter hours earned outside the platform into ``username``'s ledger (also by mobile
    number), with its completion event and audit entry, in the caller's transaction."""
    now = now or utcnow()
    amount = _hours(hours)
    reason = " ".join((reason or "").split())
    if not reason:
        raise CreditError("请填写事由，例如“参加市文联外出培训（2026年11月）”。")
    if len(reason) > MAX_REASON:
        raise CreditError(f"事由最多 {MAX_REASON} 字，现在是 {len(reason)} 字。")
    approver = " ".join((approver or "").split())
    if not approver:
        raise CreditError("请填写批准人的姓名。")
    if len(approver) > MAX_APPROVER:
        raise CreditError(f"批准人最多 {MAX_APPROVER} 字。")
    at = _credited_at(credited_on, now)
    account = _account(session, username)
    if not account.active:
        raise CreditError(f"账号 {account.username} 已停用：请先恢复账号再计入学时。")
    entry = StudyHours(
        account_id=account.id,
        hours=amount,
        source=SOURCE,
        module_id=None,
        rule=RULE,
        reason=reason,
        approved_by=approver,
        credited_at=at,
    )
    session.add(entry)
    session.flush()
    session.add(
        CompletionEvent(
            account_id=account.id,
            kind="hours-credited",
            at=at,
            detail={
                "hours": amount,
                "rule": RULE,
                "reason": reason,
                "approved_by": approver,
                "study_hours_id": entry.id,
                "entered_by": actor,
            },
        )
    )
    audit.record(
        session,
        actor,
        "hours.manual",
        f"为 {account.username}（{account.display_name}）计入 {amount:g} 学时：{reason}"
        f"（批准人 {approver}）",
        account_id=account.id,
        target=account.username,
        detail={
            "study_hours_id": entry.id,
            "hours": amount,
            "date": f"{at.astimezone(local_zone()):%Y-%m-%d}",
        },
    )
    return entry


def _account(session: Session, who: str) -> Account:
    account = find_login_account(session, (who or "").strip())
    return account if account is not None else get_account(session, who)


@dataclass
class ManualCredit:
    id: int
    username: str
    name: str
    hours: float
    date: str
    reason: str
    approved_by: str
    #: who typed it in (from the audit log)
    entered_by: str
    entered_at: datetime | None


def manual_credits(session: Session, limit: int = 100) -> list[ManualCredit]:
    """The most recently entered manual credits, newest first."""
    rows = session.execute(
        select(StudyHours, Account.username, Account.display_name)
        .join(Account, Account.id == StudyHours.account_id)
        .where(StudyHours.source == SOURCE)
        .order_by(StudyHours.id.desc())
        .limit(limit)
    ).all()
    if not rows:
        return []
    # who entered each credit: its audit entry names the ledger row
    entered: dict[int, AuditEntry] = {}
    for entry in session.scalars(
        select(AuditEntry).where(
            AuditEntry.action == "hours.manual",
            AuditEntry.account_id.in_({row[0].account_id for row in rows}),
        )
    ):
        entered[int((entry.detail or {}).get("study_hours_id", 0))] = entry
    credits = []
    for entry, username, name in rows:
        logged = entered.get(entry.id)
        credits.append(
            ManualCredit(
                id=entry.id,
                username=username,
                name=name,
                hours=entry.hours,
                date=entry.credited_at.astimezone(local_zone()).strftime("%Y-%m-%d"),
                reason=entry.reason,
                approved_by=entry.approved_by,
                entered_by=logged.actor if logged else "",
                entered_at=logged.at if logged else None,
            )
        )
    return credits

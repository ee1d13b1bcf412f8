"""Due dates and late work (迟交): when a module is due, whether work handed in after that is
taken, and what it costs.

A module is due at the end of its due day in the federation's city (the module's own ``due``,
else the course's). The course's 迟交 policy (``late`` in the manifest) says what happens after:

- ``refuse`` (the default): nothing is taken after the due day;
- ``accept``: taken and marked 迟交, the score unchanged;
- ``penalty``: taken, and each late day (a day begun after the due day) takes ``penalty``
  percentage points off the quiz percentage, down to 0 — the way Canvas and Moodle count a
  per-day deduction;

with ``days`` (optional) closing late work that many days after the due day. Lateness is
measured on the service's clock when the submission arrives, never on what a client claims.

Pure: the service asks before it records a submission, the completion engine when it scores
one, and the pages when they say so, all with the same rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from ..clock import local_zone

DAY = timedelta(days=1)

REFUSE, ACCEPT, PENALTY = "refuse", "accept", "penalty"


@dataclass(frozen=True)
class LatePolicy:
    """A course's 迟交 policy, as the manifest's ``late`` gives it."""

    policy: str = REFUSE
    #: percentage points off the quiz percentage per late day (``penalty`` only)
    penalty: float = 0.0
    #: late work is taken this many days after the due day; None: no limit
    days: int | None = None

    @classmethod
    def of(cls, data: Any) -> LatePolicy:
        """From the manifest's value: ``refuse``, ``accept`` or ``{penalty: 10, days: 7}``
        (a mapping may also name its ``policy``); anything missing is the default."""
        if isinstance(data, str):
            return cls(policy=data)
        if not isinstance(data, dict) or not data:
            return cls()
        penalty = float(data.get("penalty") or 0)
        policy = data.get("policy") or (PENALTY if penalty else ACCEPT)
        days = data.get("days")
        return cls(policy, penalty if policy == PENALTY else 0.0, int(days) if days else None)

    def as_dict(self) -> dict:
        found: dict[str, Any] = {"policy": self.policy}
        if self.policy == PENALTY:
            found["penalty"] = self.penalty
        if self.days is not None and self.policy != REFUSE:
            found["days"] = self.days
        return found

    def describe(self) -> str:
        """The policy in a learner's words (shown beside the due date)."""
        if self.policy == REFUSE:
            return "截止后不能再提交"
        within = f"截止后 {self.days} 天内" if self.days else "截止后"
        if self.policy == ACCEPT:
            return f"{within}仍可提交，记为迟交"
        return f"{within}仍可提交，每迟交一天，得分率扣 {_number(self.penalty)} 个百分点"


@dataclass(frozen=True)
class Lateness:
    """What the due date and the policy say of work handed in at one moment."""

    #: late days begun after the due day (0: on time)
    days: int
    #: whether the work is taken
    accepted: bool
    #: percentage points off the quiz percentage
    penalty: float

    @property
    def late(self) -> bool:
        return self.days > 0


def deadline(due: datetime | None) -> datetime | None:
    """The first instant that is late: the end of the due day in the city."""
    if due is None:
        return None
    day = due.astimezone(local_zone()).date()
    return datetime.combine(day + DAY, time(0), tzinfo=local_zone())


def late_days(due: datetime | None, at: datetime) -> int:
    """Days begun after the due day at ``at`` (midnight after the due day begins the first)."""
    first_late = deadline(due)
    if first_late is None or at < first_late:
        return 0
    return (at - first_late) // DAY + 1


def judge(due: datetime | None, policy: LatePolicy, at: datetime) -> Lateness:
    days = late_days(due, at)
    if days == 0:
        return Lateness(0, True, 0.0)
    taken = policy.policy != REFUSE and (policy.days is None or days <= policy.days)
    penalty = min(100.0, policy.penalty * days) if policy.policy == PENALTY else 0.0
    return Lateness(days, taken, penalty if taken else 0.0)


def penalised(score: float | None, penalty: float) -> float | None:
    """A quiz percentage after the late penalty (never below 0)."""
    if score is None or not penalty:
        return score
    return max(0.0, score - penalty)


def due_of(module: Any) -> datetime | None:
    """A module's due date: its own, else its course's."""
    if getattr(module, "due", None) is not None:
        return module.due
    course = getattr(module, "course", None)
    return course.due if course is not None else None


def policy_of(module: Any) -> LatePolicy:
    course = getattr(module, "course", None)
    return LatePolicy.of(getattr(course, "late_policy", None) if course is not None else None)


def judge_module(module: Any, at: datetime) -> Lateness:
    """What handing ``module`` in at ``at`` means."""
    return judge(due_of(module), policy_of(module), at)


def due_text(module: Any) -> str:
    """The due date and the policy in one sentence ("" when the module has no due date)."""
    due = due_of(module)
    if due is None:
        return ""
    day = due.astimezone(local_zone()).date()
    return f"截止日期：{day.year}年{day.month}月{day.day}日；{policy_of(module).describe()}。"


def late_text(lateness: Lateness) -> str:
    """What a learner is told of late work that is taken ("" when on time)."""
    if not lateness.late:
        return ""
    if lateness.penalty:
        return (
            f"已过截止日期，迟交 {lateness.days} 天，"
            f"得分率扣 {_number(lateness.penalty)} 个百分点。"
        )
    return f"已过截止日期，迟交 {lateness.days} 天，记为迟交。"


def late_label(lateness: Lateness) -> str:
    """Late work as the trainer's grading queue marks it ("" when on time)."""
    if not lateness.late:
        return ""
    cost = f"，测验得分率扣 {_number(lateness.penalty)} 个百分点" if lateness.penalty else ""
    return f"迟交 {lateness.days} 天{cost}"


def _number(value: float) -> str:
    return f"{value:g}"

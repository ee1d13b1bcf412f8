"""The study-hours rule (学时) and the append-only ledger it writes.

The rule: a passed module credits the module's ``hours``; a module that is not (or no longer)
passed credits nothing. The ledger is never edited: when what is due for (account, module)
differs from the net of the rows already there, one row with the difference is added: a credit,
or a negative reversal. Recomputing with nothing changed therefore adds nothing.
"""

from __future__ import annotations

from datetime import datetime

from ..models import Module, ResultStatus, StudyHours

#: the ledger's ``source`` for hours earned by passing a module
SOURCE = "module"

# ledger figures are half-hours at the finest; comparing rounded values avoids 0.1 + 0.2 noise
_PLACES = 2


def due_hours(module: Module, status: ResultStatus) -> float:
    """What the rule credits for a module in this status."""
    return float(module.hours) if status == ResultStatus.passed else 0.0


def ledger_entry(
    account_id: int, module: Module, credited: float, due: float, now: datetime, reason: str = ""
) -> StudyHours | None:
    """The row that brings the net ``credited`` hours to ``due``, or None when they agree."""
    credited, due = round(credited, _PLACES), round(due, _PLACES)
    difference = round(due - credited, _PLACES)
    if difference == 0:
        return None
    if credited == 0:
        rule = f"单元通过，计 {due:.1f} 学时"
    elif due == 0:
        rule = f"单元不再通过，冲销 {credited:.1f} 学时"
    elif difference > 0:
        rule = f"单元学时调整为 {due:.1f}，补计 {difference:.1f} 学时"
    else:
        rule = f"单元学时调整为 {due:.1f}，冲销 {-difference:.1f} 学时"
    return StudyHours(
        account_id=account_id,
        hours=difference,
        source=SOURCE,
        module_id=module.id,
        rule=rule,
        reason=reason,
        approved_by="",  # credited by the rule, not by a person
        credited_at=now,
    )

"""The plan the synthetic generator works from: the courses and modules it created, and the
window of activity it simulates."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

#: how far back learners' activity goes
WINDOW = timedelta(weeks=26)


@dataclass
class PlannedModule:
    id: int
    course_id: int
    onsite: bool
    hours: float
    required: bool
    #: on-site session start (None for on-line modules)
    starts: datetime | None = None
    #: its one sitting (on-site modules)
    session_id: int | None = None


@dataclass
class PlannedCourse:
    index: int
    id: int
    required: bool
    #: association ids it targets (None: all associations)
    audience: frozenset[int] | None
    opens: datetime
    modules: list[PlannedModule] = field(default_factory=list)

    @property
    def required_modules(self) -> int:
        return sum(module.required for module in self.modules)

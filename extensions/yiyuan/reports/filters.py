"""Report filters: what the viewer asked to see (the scope says what they may see)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from ..errors import YiyuanError
from ..models import Standing

#: dates in reports are the federation's calendar days
LOCAL = ZoneInfo("Asia/Shanghai")


class BadFilter(YiyuanError):
    """A filter value that names nothing or makes no sense (e.g. from after to)."""


@dataclass(frozen=True)
class ReportFilter:
    """Empty tuples mean "all"; dates are inclusive calendar days in Asia/Shanghai."""

    associations: tuple[str, ...] = ()  # association codes, short or full names
    courses: tuple[str, ...] = ()  # course codes
    cohorts: tuple[str, ...] = ()  # cohort codes
    programmes: tuple[str, ...] = ()  # programme codes
    standings: tuple[Standing, ...] = ()
    date_from: date | None = None
    date_to: date | None = None

    def __post_init__(self) -> None:
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise BadFilter(
                f"开始日期 {self.date_from} 晚于结束日期 {self.date_to}：请调换或修改日期。"
            )

    @property
    def dated(self) -> bool:
        return self.date_from is not None or self.date_to is not None

    def window(self, now: datetime) -> tuple[datetime | None, datetime]:
        """The [start, end) instants in UTC the dates cover; end defaults to ``now``."""
        start = _local_midnight(self.date_from) if self.date_from else None
        end = _local_midnight(self.date_to + timedelta(days=1)) if self.date_to else now
        return start, end


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(), LOCAL).astimezone(UTC)

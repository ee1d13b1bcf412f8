"""Report filters: what the viewer asked to see (the scope says what they may see)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from ..clock import local_zone
from ..errors import YiyuanError
from ..models import Standing


class BadFilter(YiyuanError):
    """A filter value that names nothing or makes no sense (e.g. from after to)."""


@dataclass(frozen=True)
class ReportFilter:
    """Empty tuples mean "all"; dates are inclusive local calendar days (yiyuan.clock)."""

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


#: what people write for a standing (Chinese or the stored value)
STANDING_WORDS = {
    "会员": Standing.member,
    "理事": Standing.council,
    "常务理事": Standing.standing_council,
    "主席团成员": Standing.presidium,
    **{standing.value: standing for standing in Standing},
}


def parse_filter(
    *,
    associations: str = "",
    courses: str = "",
    cohorts: str = "",
    programmes: str = "",
    standings: str = "",
    date_from: str | None = None,
    date_to: str | None = None,
) -> ReportFilter:
    """A filter from words as typed on a command line or in a query string: comma-separated
    lists (full-width commas too), dates as 2026-09-01. Bad words are :class:`BadFilter`."""
    return ReportFilter(
        associations=_split(associations),
        courses=_split(courses),
        cohorts=_split(cohorts),
        programmes=_split(programmes),
        standings=tuple(_standing(word) for word in _split(standings)),
        date_from=_day(date_from, "开始日期"),
        date_to=_day(date_to, "结束日期"),
    )


def _split(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.replace("，", ",").split(",") if part.strip())


def _standing(word: str) -> Standing:
    try:
        return STANDING_WORDS[word]
    except KeyError:
        raise BadFilter(
            f"不认识的会员身份“{word}”：可用 会员、理事、常务理事、主席团成员。"
        ) from None


def _day(value: str | None, what: str) -> date | None:
    if not value:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise BadFilter(f"{what}“{value}”无法识别：请写成 2026-09-01 这样。") from None


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(), local_zone()).astimezone(UTC)

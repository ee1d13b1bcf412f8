"""The platform's one local time zone, and "now" and "today" in it.

Deadlines fall at local midnight, study hours count per local calendar year, reports filter
by local days and pages show local times: all in the zone of the setting ``time_zone``
(default Asia/Shanghai). Which zone is in force, in this order:

1. the one a process set with :func:`use_time_zone` (``yiyuan.platform.Platform`` does, from
   the settings, when the hub, the service, the grader, a command or a dashboard kernel starts);
2. else the one named by the environment variable ``YIYUAN_TIME_ZONE``: learners' servers
   and their kernels read no settings, so the hub hands the setting to them this way (as it
   hands them ``YIYUAN_SERVICE_URL``);
3. else Asia/Shanghai.

Code asks :func:`local_zone` when it needs the zone, never keeps it in a module constant:
a zone set at start-up then wins over whatever was imported before. Standard library only:
everything else may import this module, including the exchange client in learners' servers.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_TIME_ZONE = "Asia/Shanghai"
#: the environment variable naming the zone, for processes that read no settings
ZONE_ENV = "YIYUAN_TIME_ZONE"

_zone: ZoneInfo | None = None


class UnknownTimeZone(ValueError):
    """A name that is not an IANA time zone; the message is one Chinese sentence."""


def zone_named(name: str, source: str = "时区") -> ZoneInfo:
    """The IANA zone ``name`` (``Asia/Shanghai``); :class:`UnknownTimeZone` naming ``source``
    (where the name came from, e.g. 配置项 time_zone) otherwise."""
    try:
        if not isinstance(name, str):
            raise ValueError(name)
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise UnknownTimeZone(
            f"{source} 的值 {name!r} 不是已知的时区：请写 IANA 时区名（区分大小写），"
            f"如 {DEFAULT_TIME_ZONE}、Asia/Urumqi 或 Europe/Berlin。"
        ) from None


def use_time_zone(name: str | None) -> ZoneInfo | None:
    """Make ``name`` this process's local zone and return it; ``None`` forgets the zone set,
    so that the environment variable or the default applies again."""
    global _zone
    _zone = None if name is None else zone_named(name)
    return _zone


def local_zone() -> ZoneInfo:
    """The zone set by :func:`use_time_zone`, else ``YIYUAN_TIME_ZONE``, else Asia/Shanghai."""
    if _zone is not None:
        return _zone
    name = os.environ.get(ZONE_ENV, "").strip()
    # ZoneInfo keeps one instance per name: asking on every call costs a dictionary look-up
    return zone_named(name, f"环境变量 {ZONE_ENV}") if name else ZoneInfo(DEFAULT_TIME_ZONE)


class Clock:
    """Now and today in the local zone: ``zone`` fixed, or (by default) :func:`local_zone`
    at every call."""

    def __init__(self, zone: ZoneInfo | None = None) -> None:
        self._zone = zone

    @property
    def zone(self) -> ZoneInfo:
        return self._zone or local_zone()

    def now(self) -> datetime:
        """The current moment, as an aware UTC datetime (what the database stores)."""
        return datetime.now(UTC)

    def today(self) -> date:
        """The local calendar day it is now."""
        return self.local(self.now()).date()

    def local(self, moment: datetime) -> datetime:
        """``moment`` as local wall-clock time. A naive moment is refused, as the database's
        ``UTCDateTime`` refuses it: ``astimezone`` would read it in the machine's zone."""
        if moment.tzinfo is None:
            raise ValueError("naive datetime given to Clock.local")
        return moment.astimezone(self.zone)

    def __repr__(self) -> str:
        return f"Clock({self.zone.key!r})"

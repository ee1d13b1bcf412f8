"""The local time zone (yiyuan.clock): the default, the environment variable the hub hands to
learners' servers, the zone a process sets from its settings, and what follows it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from yiyuan import clock
from yiyuan.clock import (
    DEFAULT_TIME_ZONE,
    ZONE_ENV,
    Clock,
    UnknownTimeZone,
    local_zone,
    use_time_zone,
)
from yiyuan.completion import lateness
from yiyuan.errors import SettingsError
from yiyuan.settings import Settings, load_settings

#: 2027-02-28 20:00 UTC: already 1 March in Shanghai (04:00), still 28 February in Berlin
EVENING_IN_EUROPE = datetime(2027, 2, 28, 20, 0, tzinfo=UTC)


pytestmark = pytest.mark.usefixtures("no_time_zone")


def test_the_default_is_shanghai():
    assert DEFAULT_TIME_ZONE == "Asia/Shanghai"
    assert local_zone() == ZoneInfo("Asia/Shanghai")
    assert Settings().time_zone == "Asia/Shanghai"
    assert load_settings({}).time_zone == "Asia/Shanghai"


def test_the_environment_variable_names_the_zone(monkeypatch):
    # how learners' servers and their kernels, which read no settings, get it
    monkeypatch.setenv(ZONE_ENV, "Asia/Tokyo")
    assert local_zone() == ZoneInfo("Asia/Tokyo")
    monkeypatch.setenv(ZONE_ENV, "  ")
    assert local_zone() == ZoneInfo(DEFAULT_TIME_ZONE)


def test_use_time_zone_wins_over_the_environment_until_reset(monkeypatch):
    monkeypatch.setenv(ZONE_ENV, "Asia/Tokyo")
    assert use_time_zone("Europe/Berlin") == ZoneInfo("Europe/Berlin")
    assert local_zone() == ZoneInfo("Europe/Berlin")
    assert use_time_zone(None) is None
    assert local_zone() == ZoneInfo("Asia/Tokyo")


@pytest.mark.parametrize("name", ["Mars/Olympus", "asia/shanghai", "Asia", "", "../etc/passwd"])
def test_an_unknown_zone_is_refused_in_chinese_naming_the_value(name):
    with pytest.raises(UnknownTimeZone) as refused:
        use_time_zone(name)
    message = str(refused.value)
    assert repr(name) in message and "不是已知的时区" in message and "Asia/Shanghai" in message
    assert local_zone() == ZoneInfo(DEFAULT_TIME_ZONE)  # the process's zone is unchanged


def test_a_bad_environment_variable_names_the_variable(monkeypatch):
    monkeypatch.setenv(ZONE_ENV, "Beijing")
    with pytest.raises(UnknownTimeZone, match=f"环境变量 {ZONE_ENV} 的值 'Beijing'"):
        local_zone()


def test_the_setting_is_read_and_checked_at_load(tmp_path):
    path = tmp_path / "yiyuan.yml"
    path.write_text("time_zone: Europe/Berlin\n", encoding="utf-8")
    assert load_settings({"YIYUAN_CONFIG": str(path)}).time_zone == "Europe/Berlin"
    path.write_text("time_zone: Asia/Beijing\n", encoding="utf-8")
    with pytest.raises(SettingsError) as refused:
        load_settings({"YIYUAN_CONFIG": str(path)})
    assert "配置项 time_zone 的值 'Asia/Beijing' 不是已知的时区" in str(refused.value)
    path.write_text("time_zone: 8\n", encoding="utf-8")
    with pytest.raises(SettingsError, match="配置项 time_zone 应为文本"):
        load_settings({"YIYUAN_CONFIG": str(path)})


def test_clock_gives_utc_now_and_the_local_day():
    use_time_zone("Europe/Berlin")
    follows, fixed = Clock(), Clock(ZoneInfo("Asia/Shanghai"))
    now = follows.now()
    assert now.tzinfo is UTC
    assert follows.zone == ZoneInfo("Europe/Berlin")
    assert follows.local(EVENING_IN_EUROPE).date() == date(2027, 2, 28)
    assert fixed.local(EVENING_IN_EUROPE).date() == date(2027, 3, 1)
    assert follows.today() == now.astimezone(ZoneInfo("Europe/Berlin")).date()
    with pytest.raises(ValueError):
        follows.local(datetime(2027, 1, 1))  # naive: which zone would it be in?
    assert repr(follows) == "Clock('Europe/Berlin')"


def test_deadlines_fall_at_midnight_of_the_zone_in_force():
    """A module due on the day of EVENING_IN_EUROPE: in Shanghai that is 1 March, so work
    handed in at noon UTC on 1 March is on time; in Berlin the due day was 28 February, and
    the same work is a day late. The zone is asked at the time of use, not at import."""
    due = EVENING_IN_EUROPE
    handed_in = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
    module = type("Module", (), {"due": due, "course": None})()

    assert lateness.deadline(due) == datetime(2027, 3, 2, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert lateness.late_days(due, handed_in) == 0
    assert "2027年3月1日" in lateness.due_text(module)

    use_time_zone("Europe/Berlin")
    assert lateness.deadline(due) == datetime(2027, 3, 1, tzinfo=ZoneInfo("Europe/Berlin"))
    assert lateness.late_days(due, handed_in) == 1
    assert "2027年2月28日" in lateness.due_text(module)


def test_report_days_follow_the_zone(monkeypatch):
    """A report's date range starts at local midnight (yiyuan.reports.filters)."""
    from yiyuan.reports.filters import parse_filter

    def start_of(day: str) -> datetime:
        start, _end = parse_filter(date_from=day).window(now=datetime.now(UTC))
        return start

    assert start_of("2027-03-01") == datetime(2027, 2, 28, 16, 0, tzinfo=UTC)
    monkeypatch.setenv(ZONE_ENV, "Asia/Tokyo")
    assert start_of("2027-03-01") == datetime(2027, 2, 28, 15, 0, tzinfo=UTC)


def test_no_module_keeps_the_zone_in_a_constant():
    """Every use asks local_zone() (a constant made at import would miss the setting)."""
    from pathlib import Path

    package = Path(clock.__file__).parent
    offenders = [
        str(path.relative_to(package))
        for path in package.rglob("*.py")
        if path.name != "clock.py" and "ZoneInfo(" in path.read_text(encoding="utf-8")
    ]
    assert offenders == []

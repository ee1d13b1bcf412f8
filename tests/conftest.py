"""Fixtures for the whole suite.

- ``db_url``: an empty platform database, once on SQLite and once on PostgreSQL (tests using
  it run on both). PostgreSQL is the machine's real server (``make test`` starts it and passes
  ``YIYUAN_TEST_PG_URL``); each test gets a database of its own, dropped afterwards.
- ``database``: a :class:`yiyuan.db.Database` on ``db_url``, migrated to the newest schema.
- ``hub``: a real JupyterHub with proxy, started from ``jupyterhub_config.py`` on free ports,
  with the demo data seeded; one per test module. See ``tests/hubtest.py``.
- compiled lessons are shared by all publishes of the session (``pytest_configure``).
- ``artifacts``: the ignored folder ``test-artifacts/`` where screenshots are written.

Tiers: every test is marked by what it needs, from the fixtures it uses (see
``pytest_collection_modifyitems``): ``unit`` (nothing), ``db`` (a platform database), ``hub`` (a
real JupyterHub), ``browser`` (Chromium), ``production`` (the production venv and system
users). ``make test-fast`` runs ``unit`` and ``db``; ``make test`` runs everything.

At the end of the session every process the suite started (hubs, proxies, services, servers,
kernels: anything naming the session's temporary folder) must be gone: a leftover fails the
session, is listed, and is killed (see ``pytest_sessionfinish``).
"""

from __future__ import annotations

import inspect
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from pgtest import fresh_pg_database

import hubtest
from hubtest import CHROMIUM_ARGS, ROOT, Hub
from yiyuan.db import Database, migrate

PG_ENV = "YIYUAN_TEST_PG_URL"

#: fixtures that put a test in a tier by their name (a fixture that starts a Hub is found by
#: its code, since test modules define their own)
TIER_FIXTURES = {
    "chromium": "browser",
    "production_bin": "production",
    "database": "db",
    "db_url": "db",
    "pg_url": "db",
    "pg_admin_url": "db",
}


def _starts_a_hub(function) -> bool:
    try:
        source = inspect.getsource(function)
    except (OSError, TypeError):
        return False
    return "Hub(" in source


def tiers_of(item) -> set[str]:
    tiers = set()
    definitions = getattr(item, "_fixtureinfo", None)
    for name in getattr(item, "fixturenames", ()):
        if name in TIER_FIXTURES:
            tiers.add(TIER_FIXTURES[name])
        for definition in definitions.name2fixturedefs.get(name, ()) if definitions else ():
            if _starts_a_hub(definition.func):
                tiers.add("hub")
    if _starts_a_hub(getattr(item, "function", None)):
        tiers.add("hub")
    if "browser" in tiers:
        tiers.add("hub")
    return tiers or {"unit"}


#: a rough cost per test by tier, to start the longest modules first (a hub's start is most of
#: a hub test's cost; a module that ends last while the other worker idles is what parallel
#: runs lose most to)
TIER_COST = {
    "production": 10.0,
    "browser": 4.0,
    "hub": 2.0,
    "kernel": 1.0,
    "db": 0.2,
    "unit": 0.02,
}


def _cost(item) -> float:
    return max(TIER_COST[mark.name] for mark in item.iter_markers() if mark.name in TIER_COST)


def pytest_itemcollected(item):
    declared = {mark.name for mark in item.iter_markers()}
    for tier in tiers_of(item) - declared:
        item.add_marker(tier)


def pytest_collection_modifyitems(config, items):
    """Under pytest-xdist (``--dist loadfile``: a module's tests run in one worker, so its hub
    starts once) the workers collect and the controller hands out modules in collection
    order: the costliest modules first, so that no long module starts while the other worker
    is about to idle. A module's tests keep their order."""
    if not _is_worker(config):
        return
    cost: dict[Path, float] = {}
    for item in items:
        cost[item.path] = cost.get(item.path, 0.0) + _cost(item)
    items.sort(key=lambda item: -cost[item.path])


def _is_worker(config) -> bool:
    return getattr(config, "workerinput", None) is not None


def pytest_configure(config):
    """Compiled lessons shared by every publish of the session, in every worker (and the hubs'
    CLIs, through the environment): the demo courses are published into many platforms, and
    compiling a release runs each of its lessons (yiyuan.catalog.compile; its cache writes are
    atomic, so workers may fill it at once). Made before the workers start, which inherit the
    environment. Outside the session's temporary folder: the suite's own environment must not
    name it, or its own helper processes (the multiprocessing resource tracker) would count as
    left over."""
    from yiyuan.catalog.compile import CACHE_ENV

    if not _is_worker(config) and not os.environ.get(CACHE_ENV):
        config._yiyuan_compile_cache = tempfile.mkdtemp(prefix="yiyuan-compiled-lessons-")
        os.environ[CACHE_ENV] = config._yiyuan_compile_cache


def pytest_unconfigure(config):
    from yiyuan.catalog.compile import CACHE_ENV

    folder = getattr(config, "_yiyuan_compile_cache", None)
    if folder:
        os.environ.pop(CACHE_ENV, None)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_admin_url() -> str:
    url = os.environ.get(PG_ENV)
    if not url:
        if os.environ.get("CI"):
            pytest.fail(f"{PG_ENV} is not set: run the suite with `make test`")
        pytest.skip(f"{PG_ENV} not set (make test sets it)")
    return url


@pytest.fixture
def pg_url(pg_admin_url):
    """A fresh PostgreSQL database, dropped after the test."""
    with fresh_pg_database(pg_admin_url) as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'yiyuan.sqlite'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture
def no_time_zone(monkeypatch):
    """No zone set in this process (yiyuan.clock; building a Platform sets one) and no
    YIYUAN_TIME_ZONE, before and after the test."""
    from yiyuan.clock import ZONE_ENV, use_time_zone

    monkeypatch.delenv(ZONE_ENV, raising=False)
    use_time_zone(None)
    yield
    use_time_zone(None)


@pytest.fixture
def database(db_url):
    db = Database(db_url)
    migrate.upgrade(db)
    yield db
    db.dispose()


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    hub = Hub(tmp_path_factory.mktemp("hub"))
    hub.cli("db", "upgrade")
    hub.cli("demo", "seed")
    hub.start()
    yield hub
    hub.stop()


@pytest.fixture(scope="session")
def admin_platform(tmp_path_factory):
    """One hub for the administrator workspace's test modules (``test_admin_*.py``, which run
    one after another): demo data, and 音乐基础 (yinyue-jichu, for 音协/舞协/剧协/曲协)
    published. Tests add their own members, cohorts and credits; none deletes anything."""
    hub = Hub(tmp_path_factory.mktemp("admin"), {"courses_dir": str(ROOT / "courses")})
    hub.cli("db", "upgrade")
    hub.cli("demo", "seed")
    hub.cli("courses", "publish", "yinyue-jichu")
    hub.start()
    yield hub
    hub.stop()


@pytest.fixture(scope="session")
def production_bin() -> Path:
    """The venv docs/deploy.md installs (Debian's python3.11), built once (tests/production.py);
    production-mode tests skip without root, and fail instead in CI."""
    from production import build_production_venv

    return build_production_venv()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    path = ROOT / "test-artifacts" / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="module")
def chromium():
    """Headless Chromium for one test module (Playwright driving /usr/bin/chromium)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    """A pytest-xdist worker ended: keep what outlived its hubs' stops for the check below."""
    hubtest.KILLED_AT_STOP.update(getattr(node, "workeroutput", {}).get("killed_at_stop", {}))


def pytest_sessionfinish(session, exitstatus):
    """Fail the session when a process it started outlived it (or outlived its hub's stop).
    Under pytest-xdist each worker hands its own record to the controller, which checks the
    whole session's temporary folder (the workers' folders are inside it)."""
    if _is_worker(session.config):
        session.config.workeroutput["killed_at_stop"] = dict(hubtest.KILLED_AT_STOP)
        return
    factory = getattr(session.config, "_tmp_path_factory", None)
    if factory is None:
        return
    basetemp = factory.getbasetemp()
    left = hubtest.wait_until_gone(basetemp, 10)
    hubtest.kill_all(left)
    if not (left or hubtest.KILLED_AT_STOP):
        return
    lines = [f"  {pid} {command[:160]}" for pid, command in left.items()]
    lines += [
        f"  {pid} {command[:160]} (outlived Hub.stop)"
        for pid, command in hubtest.KILLED_AT_STOP.items()
    ]
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    message = "processes started by the tests were still running (now killed):\n" + "\n".join(lines)
    if reporter:
        reporter.write_sep("=", "LEFTOVER PROCESSES", red=True, bold=True)
        reporter.write_line(message)
    else:
        print(message)
    session.exitstatus = pytest.ExitCode.TESTS_FAILED

"""Fixtures for the whole suite.

- ``db_url``: an empty platform database, once on SQLite and once on PostgreSQL (tests using
  it run on both). PostgreSQL is the machine's real server (``make test`` starts it and passes
  ``YIYUAN_TEST_PG_URL``); each test gets a database of its own, dropped afterwards.
- ``database``: a :class:`yiyuan.db.Database` on ``db_url``, migrated to the newest schema.
- ``hub``: a real JupyterHub with proxy, started from ``jupyterhub_config.py`` on free ports,
  with the demo data seeded; one per test module. See ``tests/hubtest.py``.
- ``compile_cache``: compiled lessons shared by all publishes of the session.
- ``artifacts``: the ignored folder ``test-artifacts/`` where screenshots are written.

At the end of the session every process the suite started (hubs, proxies, services, servers,
kernels: anything naming the session's temporary folder) must be gone: a leftover fails the
session, is listed, and is killed (see ``pytest_sessionfinish``).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

import hubtest
from hubtest import CHROMIUM_ARGS, ROOT, Hub
from yiyuan.db import Database, migrate

PG_ENV = "YIYUAN_TEST_PG_URL"


@pytest.fixture(scope="session", autouse=True)
def compile_cache():
    """Compiled lessons shared by every publish of the session (and the hubs' CLIs, through
    the environment): the demo courses are published into many platforms, and compiling a
    release runs each of its lessons (yiyuan.catalog.compile). Outside the session's temporary
    folder: the suite's own environment must not name it, or its own helper processes (the
    multiprocessing resource tracker) would count as left over."""
    from yiyuan.catalog.compile import CACHE_ENV

    folder = tempfile.mkdtemp(prefix="yiyuan-compiled-lessons-")
    os.environ[CACHE_ENV] = folder
    yield
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
    name = f"yiyuan_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(pg_admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(pg_admin_url).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'yiyuan.sqlite'}"
    return request.getfixturevalue("pg_url")


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


def pytest_sessionfinish(session, exitstatus):
    """Fail the session when a process it started outlived it (or outlived its hub's stop)."""
    factory = getattr(session.config, "_tmp_path_factory", None)
    if factory is None or getattr(session.config, "workerinput", None) is not None:
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

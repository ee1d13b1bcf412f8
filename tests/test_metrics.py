"""The service's metrics for autoscaling the grading workers: the text from a seeded queue
(SQLite and PostgreSQL), and ``/services/yiyuan/metrics`` behind its bearer token, served by
the real application without a hub."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from tornado.httpclient import AsyncHTTPClient
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets

from gradingdata import learner
from yiyuan import __version__
from yiyuan.db import migrate
from yiyuan.grading import metrics, queue
from yiyuan.models import (
    Course,
    GradingJob,
    JobState,
    Module,
    ModuleKind,
    Submission,
    utcnow,
)
from yiyuan.platform import Platform
from yiyuan.settings import load_settings

NOW = datetime(2027, 3, 1, 8, 0, tzinfo=UTC)
PREFIX = "/services/yiyuan/"
TOKEN = "metrics-secret-1"


def seed(session, ages: dict[str, list[int]], now: datetime = NOW) -> None:
    """Jobs in each state, queued ``seconds`` before ``now``."""
    course = Course(code="c1", title="课程")
    session.add(course)
    session.flush()
    module = Module(course_id=course.id, code="m1", title="单元", kind=ModuleKind.online)
    session.add(module)
    account = learner(session, "xueyuan1")
    session.flush()
    for state, seconds in ages.items():
        for age in seconds:
            submission = Submission(module_id=module.id, account_id=account.id)
            session.add(submission)
            session.flush()
            session.add(
                GradingJob(
                    submission_id=submission.id,
                    state=JobState(state),
                    queued_at=now - timedelta(seconds=age),
                )
            )
    session.flush()


def test_metric_text_from_a_seeded_queue(database):
    with database.session() as session:
        assert metrics.oldest_queued_seconds(session, NOW) == 0.0  # nothing waits
        seed(
            session,
            {"queued": [90, 30, 5], "running": [600, 400], "done": [900], "failed": [1200]},
        )
    with database.session() as session:
        text = metrics.exposition(session, "1.2.3", now=NOW)
    assert text.endswith("\n")
    samples = [line for line in text.splitlines() if not line.startswith("#")]
    assert samples == [
        "yiyuan_up 1",
        'yiyuan_info{version="1.2.3"} 1',
        'yiyuan_grading_jobs{state="queued"} 3',
        'yiyuan_grading_jobs{state="running"} 2',
        'yiyuan_grading_jobs{state="done"} 1',
        'yiyuan_grading_jobs{state="failed"} 1',
        # the oldest *queued* job, not the older running or failed ones
        "yiyuan_grading_oldest_queued_seconds 90.000",
    ]
    types = [line for line in text.splitlines() if line.startswith("# TYPE")]
    assert types == [
        "# TYPE yiyuan_up gauge",
        "# TYPE yiyuan_info gauge",
        "# TYPE yiyuan_grading_jobs gauge",
        "# TYPE yiyuan_grading_oldest_queued_seconds gauge",
    ]
    # a worker claims the oldest: the next one's age is reported
    with database.session() as session:
        queue.claim(session, "grader-a:7:aaaa")
    with database.session() as session:
        assert metrics.oldest_queued_seconds(session, NOW) == 30.0


def fetch_all(app, requests: list[dict]) -> list:
    """Serve ``app`` on a free loopback port for the requests, then stop it."""

    async def run() -> list:
        sockets = bind_sockets(0, "127.0.0.1")
        port = sockets[0].getsockname()[1]
        server = HTTPServer(app)
        server.add_sockets(sockets)
        client = AsyncHTTPClient()
        try:
            return [
                await client.fetch(
                    f"http://127.0.0.1:{port}{PREFIX}metrics", raise_error=False, **request
                )
                for request in requests
            ]
        finally:
            server.stop()
            await server.close_all_connections()

    return asyncio.run(run())


@pytest.fixture
def platform_for(tmp_path, monkeypatch, no_time_zone):
    """A Platform from an environment (``YIYUAN_METRICS_TOKEN`` or not), migrated and seeded,
    and the service's application on it (the hub is never asked)."""
    from yiyuan.service.app import make_app

    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", "test-token")
    made = []

    def build(extra: dict[str, str]):
        environ = {"YIYUAN_DATA_DIR": str(tmp_path / f"data{len(made)}"), **extra}
        platform = Platform.load(environ)
        made.append(platform)
        migrate.upgrade(platform.database)
        with platform.database.session() as session:
            seed(session, {"queued": [60], "running": [10]}, now=utcnow())
        return make_app(platform, prefix=PREFIX)

    yield build
    for platform in made:
        platform.dispose()


def test_metrics_endpoint_needs_its_token(platform_for):
    app = platform_for({"YIYUAN_METRICS_TOKEN": f" {TOKEN} "})
    assert app.settings["yiyuan_platform"].settings.service.metrics_token == TOKEN
    missing, hub_style, wrong, right = fetch_all(
        app,
        [
            {},
            {"headers": {"Authorization": f"token {TOKEN}"}},
            {"headers": {"Authorization": "Bearer not-the-token"}},
            {"headers": {"Authorization": f"Bearer {TOKEN}"}},
        ],
    )
    assert missing.code == 401 and hub_style.code == 401
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    assert "读取指标需要令牌" in missing.body.decode("utf-8")
    assert wrong.code == 403
    refused = wrong.body.decode("utf-8")
    assert "指标令牌不正确" in refused and TOKEN not in refused
    assert '"code": "wrong-token"' in refused
    assert right.code == 200, right.body
    assert right.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    assert right.headers["Cache-Control"] == "no-store"
    body = right.body.decode("utf-8")
    assert 'yiyuan_grading_jobs{state="queued"} 1' in body
    assert 'yiyuan_grading_jobs{state="running"} 1' in body
    assert f'yiyuan_info{{version="{__version__}"}} 1' in body
    oldest = next(
        line for line in body.splitlines() if line.startswith("yiyuan_grading_oldest_queued")
    )
    assert float(oldest.split()[1]) >= 60  # queued a minute before the seeding


def test_no_token_configured_means_no_metrics_endpoint(platform_for):
    app = platform_for({})
    [response] = fetch_all(app, [{"headers": {"Authorization": "Bearer anything"}}])
    assert response.code == 404
    assert "找不到请求的内容" in response.body.decode("utf-8")


def test_the_token_comes_from_the_settings_file_too(tmp_path):
    config = tmp_path / "yiyuan.yml"
    config.write_text("service:\n  metrics_token: from-file\n", encoding="utf-8")
    environ = {"YIYUAN_CONFIG": str(config)}
    assert load_settings(environ).service.metrics_token == "from-file"
    environ["YIYUAN_METRICS_TOKEN"] = "from-env"
    assert load_settings(environ).service.metrics_token == "from-env"  # the variable wins

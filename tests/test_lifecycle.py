"""Clean stops and restarts (issue 16, part 4): a SIGTERM stops the hub and every platform
process; after ``kill -9`` of the hub a restart leaves exactly one of each, and grading jobs
are done exactly once. Bounds below are timeouts for polling, not timing assertions."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select
from test_grading_autograde import edit_answer, loop_course

import hubtest
from gradingdata import learner, publish, submit
from hubtest import ROOT, Hub, wait_until_gone
from yiyuan import lifecycle
from yiyuan.db import Database, migrate
from yiyuan.demo import DEMO_PASSWORD
from yiyuan.grading import queue
from yiyuan.grading.worker import run_pool
from yiyuan.models import CompletionEvent, GradingJob, JobState
from yiyuan.settings import load_settings

#: the platform's processes, by what their command line says: exactly one of each
SINGLETONS = {
    "hub": "jupyterhub -f",
    "proxy": "configurable-http-proxy",
    "service": "yiyuan service run",
    "grading pool": "yiyuan grading run",
    "roster sync": "yiyuan members sync --watch",
    "dashboards": "yiyuan dashboards run",
    "idle culler": "jupyterhub_idle_culler",
}
SLOW = "import time\ntime.sleep(8)\nx = 1"


def _alive(pid: int) -> bool:
    return lifecycle.alive(pid)


_wait = hubtest.wait_for


# -- the launcher and the sweep ----------------------------------------------------------------

PARENT = """
import subprocess, sys, time
from yiyuan.lifecycle import launcher_command
child = subprocess.Popen(launcher_command(sys.executable, __import__("os").getpid(),
    sys.argv[1], ["sleep", "300"]))
print(child.pid, flush=True)
time.sleep(300)
"""


def test_a_launched_process_ends_when_its_parent_is_killed(tmp_path):
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    child = int(parent.stdout.readline())
    try:
        # exec'd: the pid is the command's, marked for the sweep, stdin off the terminal
        _wait(lambda: lifecycle.cmdline(child) == "sleep 300", 30, "exec of the command")
        environ = Path(f"/proc/{child}/environ").read_bytes().split(b"\0")
        assert f"{lifecycle.HUB_PID_ENV}={parent.pid}".encode() in environ
        assert f"{lifecycle.DATA_DIR_ENV}={tmp_path}".encode() in environ
        assert os.readlink(f"/proc/{child}/fd/0") == os.devnull
        parent.kill()
        parent.wait(10)
        _wait(lambda: not _alive(child), 30, "the child's end")
    finally:
        parent.kill()
        if _alive(child):
            os.kill(child, signal.SIGKILL)


def _marked(data_dir: Path, hub_pid: int, *argv: str) -> subprocess.Popen:
    env = {
        **os.environ,
        lifecycle.HUB_PID_ENV: str(hub_pid),
        lifecycle.DATA_DIR_ENV: str(data_dir),
    }
    return subprocess.Popen(["sleep", "300", *argv], env=env)


def test_the_sweep_stops_what_a_dead_hub_left_and_nothing_else(tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    gone = subprocess.Popen(["true"])
    gone.wait()  # a hub pid that no longer runs
    # "jupyterhub" in the command line is how the sweep knows a live hub
    live_hub = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(300)", "jupyterhub"]
    )
    innocent = subprocess.Popen(["sleep", "300"])
    started = [
        left_behind := _marked(data_dir, gone.pid),
        of_live_hub := _marked(data_dir, live_hub.pid),
        other_dir := _marked(tmp_path / "other", gone.pid),
        live_hub,
        innocent,
    ]
    # a pid file from before a reboot, now naming some other program
    (data_dir / lifecycle.PROXY_PID_FILE).write_text(str(innocent.pid))
    try:
        _wait(lambda: left_behind.pid in lifecycle.leftovers(data_dir), 10, "the marked process")
        assert lifecycle.stop_leftovers(data_dir, grace=5) == [left_behind.pid]
        assert left_behind.wait(10) == -signal.SIGTERM
        for process in (of_live_hub, other_dir, live_hub, innocent):
            assert process.poll() is None
        assert not (data_dir / lifecycle.PROXY_PID_FILE).exists()
    finally:
        for process in started:
            process.kill()
            process.wait(10)


# -- the grading pool ---------------------------------------------------------------------------


def slow_job(tmp_path: Path, name: str = "slow1"):
    """Settings of a course with a slow answer cell, and a queued job grading it."""
    from gradingdata import settings_for

    courses, manifest = loop_course(tmp_path)
    settings = settings_for(tmp_path, courses_dir=courses, timeout=60)
    database = Database(settings.platform_db_url)
    migrate.upgrade(database)
    with database.session() as session:
        module = publish(session, settings, manifest, "m1", [])
        submission = submit(
            session, settings, module, learner(session, name), {}, notebook_edit=edit_answer(SLOW)
        )
        job_id = queue.enqueue(session, submission.id).id
    return settings, database, job_id


def graded_events(database: Database, job_id: int) -> int:
    with database.session() as session:
        job = session.get(GradingJob, job_id)
        return session.scalar(
            select(func.count())
            .select_from(CompletionEvent)
            .where(
                CompletionEvent.kind == "graded",
                CompletionEvent.submission_id == job.submission_id,
            )
        )


def job_state(database: Database, job_id: int) -> tuple[JobState, int]:
    with database.session() as session:
        job = session.get(GradingJob, job_id)
        return job.state, job.attempts


def test_a_stopped_pool_ends_quickly_and_its_job_is_done_once_on_the_next_start(tmp_path):
    settings, database, job_id = slow_job(tmp_path)
    pool = multiprocessing.get_context("spawn").Process(
        target=run_pool, args=(settings,), kwargs={"workers": 1}
    )
    pool.start()
    try:
        _wait(lambda: job_state(database, job_id)[0] == JobState.running, 120, "a claim")
        time.sleep(2)  # the kernel is now in the learner's slow cell
        os.kill(pool.pid, signal.SIGTERM)
        pool.join(60)
        assert pool.exitcode == 0
    finally:
        if pool.is_alive():
            pool.kill()
    # the worker and its kernel are gone, the job is queued again and the attempt not counted
    assert wait_until_gone(tmp_path, 30) == {}
    assert job_state(database, job_id) == (JobState.queued, 0)
    assert graded_events(database, job_id) == 0
    run_pool(settings, workers=1, once=True)
    assert job_state(database, job_id) == (JobState.done, 1)
    assert graded_events(database, job_id) == 1
    database.dispose()


def test_a_job_recorded_before_its_worker_died_is_not_graded_again(database):
    from test_grading_queue import submissions

    from yiyuan.models import Grade
    from yiyuan.models.base import utcnow

    with database.session() as session:
        recorded, interrupted = submissions(session, 2)  # claimed in this order
        for submission_id in (recorded, interrupted):
            queue.enqueue(session, submission_id)
    with database.session() as session:
        first = queue.claim(session, "host:1").id
        second = queue.claim(session, "host:1").id
        # the worker recorded the first grade, then died before marking its job done
        session.add(Grade(submission_id=recorded, graded_at=utcnow()))
    with database.session() as session:
        assert queue.release(session, "host:1") == 2
    with database.session() as session:
        first = session.get(GradingJob, first)
        second = session.get(GradingJob, second)
        assert first.state == JobState.done
        assert (second.state, second.attempts, second.worker) == (JobState.queued, 0, "")


# -- a real hub ---------------------------------------------------------------------------------


def platform_hub(tmp_path: Path) -> tuple[Hub, Path, object]:
    """A hub with every service (dashboards too), a slow-grading course published, and the
    platform database's settings."""
    courses, manifest = loop_course(tmp_path / "course")
    hub = Hub(
        tmp_path / "hub",
        {
            "courses_dir": str(courses),
            "dashboards": {"enabled": True, "dir": str(ROOT / "dashboards")},
        },
    )
    hub.cli("db", "upgrade")
    hub.cli("demo", "seed")
    settings = load_settings({"YIYUAN_CONFIG": str(hub.config_file)})
    database = Database(settings.platform_db_url)
    with database.session() as session:
        publish(session, settings, manifest, "m1", [])
    database.dispose()
    return hub, courses, settings


def queue_slow_jobs(settings, count: int) -> list[int]:
    database = Database(settings.platform_db_url)
    from yiyuan.models import Module

    ids = []
    with database.session() as session:
        module = session.scalar(select(Module).where(Module.code == "m1"))
        for index in range(count):
            account = learner(session, f"slow{index}")
            submission = submit(
                session, settings, module, account, {}, notebook_edit=edit_answer(SLOW)
            )
            ids.append(queue.enqueue(session, submission.id).id)
    database.dispose()
    return ids


def start_learner_server(hub: Hub, user: str = "wangfang") -> int:
    browser = hub.browser()
    assert browser.login(user, DEMO_PASSWORD).ok
    browser.get("/hub/spawn")
    browser.wait_for_server(user)
    [pid] = [p for p, c in hub.processes().items() if "jupyterhub-singleuser" in c]
    return pid


def _nice(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[16])
    except OSError:  # ended meanwhile
        return None


def _ancestor(pid: int, ancestor: int) -> bool:
    while pid > 1:
        pid = hubtest._parent(pid)
        if pid == ancestor:
            return True
    return False


def singletons(hub: Hub) -> dict[str, list[int]]:
    """The pids of each platform process; a process forked by one of the same kind (the
    service's answering processes, below the one that watches them) is part of it."""
    processes = hub.processes()
    found = {}
    for name, needle in SINGLETONS.items():
        same = {pid for pid, command in processes.items() if needle in command}
        found[name] = sorted(pid for pid in same if hubtest._parent(pid) not in same)
    return found


@pytest.fixture
def running(tmp_path):
    hub, _courses, settings = platform_hub(tmp_path)
    hub.start(timeout=180)  # every service and dashboards, on a shared 2-core machine
    try:
        yield hub, settings
    finally:
        hub.stop()


def test_sigterm_stops_the_hub_and_every_platform_process(running):
    hub, settings = running
    start_learner_server(hub)
    [job] = queue_slow_jobs(settings, 1)
    database = Database(settings.platform_db_url)
    _wait(lambda: job_state(database, job)[0] == JobState.running, 120, "grading")
    running_now = singletons(hub)
    assert all(len(pids) == 1 for pids in running_now.values()), running_now
    kinds = " ".join(hub.processes().values())
    assert "ipykernel" in kinds and "jupyterhub-singleuser" in kinds
    # grading (workers and the kernel running the slow job) yields the cores to the service
    [pool] = running_now["grading pool"]
    below = [
        p for p, command in hub.processes().items()
        if _ancestor(p, pool) and "resource_tracker" not in command  # multiprocessing's, idle
    ]  # fmt: skip
    assert below and all(_nice(p) in (10, None) for p in below), {
        p: (_nice(p), hub.processes().get(p)) for p in below
    }
    assert _nice(pool) == 0 and all(_nice(p) == 0 for p in running_now["service"])

    started = time.monotonic()
    hub.process.send_signal(signal.SIGTERM)
    left = wait_until_gone(hub.workdir, 60)
    print(f"hub and all its processes gone {time.monotonic() - started:.1f} s after SIGTERM")
    assert left == {}, left
    hub.process.wait(10)
    hub.process = None
    # the interrupted job went back to the queue and is done, once, by the next start
    assert job_state(database, job)[0] == JobState.queued
    hub.start(timeout=180)
    _wait(lambda: job_state(database, job)[0] == JobState.done, 180, "grading after restart")
    assert graded_events(database, job) == 1
    database.dispose()


def test_kill_9_and_restart_leaves_one_of_each_and_grades_each_job_once(running):
    hub, settings = running
    server = start_learner_server(hub)
    jobs = queue_slow_jobs(settings, 2)  # one running at the kill, one still queued
    database = Database(settings.platform_db_url)
    _wait(lambda: job_state(database, jobs[0])[0] == JobState.running, 120, "grading")
    before = singletons(hub)
    assert all(len(pids) == 1 for pids in before.values()), before
    old = {pid for pids in before.values() for pid in pids}

    started = time.monotonic()
    hub.kill()
    hub.start(timeout=180)  # at once: the leftovers may still be stopping

    def one_of_each():
        now = singletons(hub)
        fresh = all(len(pids) == 1 and pids[0] not in old for pids in now.values())
        return now if fresh and not any(_alive(pid) for pid in old) else None

    now = _wait(one_of_each, 60, "exactly one of each platform process, the old ones gone")
    print(f"one of each {time.monotonic() - started:.1f} s after the kill: {now}")
    # the learner's server was kept and the new hub adopted it: reachable through the new proxy
    assert _alive(server)
    browser = hub.browser()
    assert browser.login("wangfang", DEMO_PASSWORD).ok
    # the server's own OAuth with the new hub, then its portal route (a learner's server
    # serves lessons only) sends her on to「我的学习」
    portal = browser.get("/user/wangfang/yiyuan/portal")
    assert portal.status_code == 200 and portal.url == f"{hub.url}/services/yiyuan/"
    steps = [
        (r.status_code, urlsplit(r.url).path, r.headers.get("Location", "")) for r in portal.history
    ]
    assert any(path == "/user/wangfang/oauth_callback" for _, path, _ in steps), steps
    assert (302, "/user/wangfang/yiyuan/portal", "/services/yiyuan/") in steps, steps
    # both jobs are done, each graded exactly once
    for job in jobs:
        _wait(lambda job=job: job_state(database, job)[0] == JobState.done, 180, f"job {job}")
        assert graded_events(database, job) == 1
    assert all(len(pids) == 1 for pids in singletons(hub).values())
    database.dispose()
    killed = dict(hubtest.KILLED_AT_STOP)
    hub.stop()  # a full stop stops the adopted server too
    assert hubtest.KILLED_AT_STOP == killed and not _alive(server)

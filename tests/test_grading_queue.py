"""The grading queue in the database (SQLite and PostgreSQL) and the worker pool's recovery
from a worker killed mid-job."""

from __future__ import annotations

import multiprocessing
import os
import signal
import socket
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update
from test_grading_autograde import edit_answer, loop_course

from gradingdata import learner, publish, settings_for, submit
from yiyuan.db import Database, migrate
from yiyuan.grading import queue, worker
from yiyuan.grading.worker import run_pool, worker_main
from yiyuan.models import (
    CompletionEvent,
    Course,
    Grade,
    GradingJob,
    JobState,
    Module,
    ModuleKind,
    Submission,
)
from yiyuan.models.base import utcnow
from yiyuan.settings import Settings


def submissions(session, count: int) -> list[int]:
    course = Course(code="c1", title="课程")
    session.add(course)
    session.flush()
    module = Module(course_id=course.id, code="m1", title="单元", kind=ModuleKind.online)
    session.add(module)
    account = learner(session, "xueyuan1")
    session.flush()
    rows = [Submission(module_id=module.id, account_id=account.id) for _ in range(count)]
    session.add_all(rows)
    session.flush()
    return [row.id for row in rows]


def test_enqueue_is_idempotent_and_status_counts(database):
    with database.session() as session:
        first, second = submissions(session, 2)
        job = queue.enqueue(session, first)
        assert queue.enqueue(session, first).id == job.id
        queue.enqueue(session, second)
    with database.session() as session:
        assert queue.status(session) == {"queued": 2, "running": 0, "done": 0, "failed": 0}
        claimed = queue.claim(session, "w1")
        assert claimed.submission_id == first  # oldest first
        assert (claimed.state, claimed.attempts, claimed.worker) == (JobState.running, 1, "w1")
    with database.session() as session:
        assert queue.finish(session, claimed.id, "w1")
        assert queue.enqueue(session, first).state == JobState.done  # not queued twice
        assert queue.enqueue(session, first, again=True).state == JobState.queued
        assert queue.status(session) == {"queued": 2, "running": 0, "done": 0, "failed": 0}


def test_two_claimers_one_wins(database):
    with database.session() as session:
        (submission_id,) = submissions(session, 1)
        queue.enqueue(session, submission_id)
    barrier = threading.Barrier(4)
    won: list[int] = []
    errors: list[BaseException] = []

    def claimer(name: str) -> None:
        try:
            barrier.wait()
            with database.session() as session:
                job = queue.claim(session, name)
                if job is not None:
                    won.append(job.id)
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=claimer, args=(f"w{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(won) == 1
    with database.session() as session:
        job = session.get(GradingJob, won[0])
        assert job.attempts == 1 and job.state == JobState.running


def test_ownership_stale_jobs_and_retries(database):
    with database.session() as session:
        (submission_id,) = submissions(session, 1)
        job_id = queue.enqueue(session, submission_id).id
    with database.session() as session:
        queue.claim(session, "w1")
    with database.session() as session:
        assert queue.heartbeat(session, job_id, "w1")
        assert not queue.heartbeat(session, job_id, "w2")
        assert not queue.finish(session, job_id, "w2")
        assert queue.requeue_stale(session, 60, retries=2) == 0  # heartbeat is fresh
        old = utcnow() - timedelta(seconds=120)
        session.execute(update(GradingJob).values(heartbeat_at=old))
        assert queue.requeue_stale(session, 60, retries=2) == 1
        assert session.get(GradingJob, job_id, populate_existing=True).state == JobState.queued
    with database.session() as session:
        queue.claim(session, "w2")  # second attempt
    with database.session() as session:
        assert not queue.finish(session, job_id, "w1")  # the old worker lost it
        assert queue.fail(session, job_id, "w2", "评分程序出错。", retries=2) == JobState.failed
        job = session.get(GradingJob, job_id, populate_existing=True)
        assert (job.state, job.attempts, job.error) == (JobState.failed, 2, "评分程序出错。")
        assert (
            session.scalar(
                select(func.count())
                .select_from(CompletionEvent)
                .where(CompletionEvent.kind == "grading-failed")
            )
            == 1
        )
        assert queue.status(session)["failed"] == 1


def states(session) -> dict[int, tuple[str, str]]:
    rows = session.execute(select(GradingJob.id, GradingJob.state, GradingJob.worker))
    return {job_id: (JobState(state).value, name) for job_id, state, name in rows}


def test_a_pool_gives_back_only_its_own_workers_jobs(database, tmp_path):
    """Workers of pools on other hosts, or on a host of the same name with the same pid
    numbers (containers), keep their jobs when this pool's worker is killed at its stop."""
    here = socket.gethostname()
    assert worker.worker_name(4242, "aaaa0001") == f"{here}:4242:aaaa0001"
    mine = worker.worker_name(4242, "aaaa0001")
    twin = worker.worker_name(4242, "bbbb0002")  # same host name and pid, another pool
    elsewhere = "grader-b:4242:aaaa0001"  # another host
    with database.session() as session:
        ids = [queue.enqueue(session, s).id for s in submissions(session, 3)]
    with database.session() as session:
        for name in (mine, twin, elsewhere):
            queue.claim(session, name)
    settings = Settings(data_dir=tmp_path / "data", db_url=database.url)
    worker._give_back(settings, [4242], "aaaa0001")
    with database.session() as session:
        assert states(session) == {
            ids[0]: ("queued", ""),
            ids[1]: ("running", twin),
            ids[2]: ("running", elsewhere),
        }
        # the interrupted attempt does not count
        assert session.get(GradingJob, ids[0]).attempts == 0


def test_stale_jobs_are_judged_by_the_database_clock(database, monkeypatch):
    """Host B's clock is ten minutes slow and host A's ten minutes fast: neither takes the
    other's live job, and a job whose heartbeat stopped is taken back by either."""
    if database.is_sqlite:
        pytest.skip("SQLite serves one machine: one clock")
    real = utcnow
    with database.session() as session:
        first, second = [queue.enqueue(session, s).id for s in submissions(session, 2)]

    monkeypatch.setattr(queue, "utcnow", lambda: real() - timedelta(minutes=10))  # host B
    with database.session() as session:
        assert queue.claim(session, "grader-b:7:bbbb").id == first
    with database.session() as session:
        assert queue.heartbeat(session, first, "grader-b:7:bbbb")
        assert queue.requeue_stale(session, 60) == 0  # B's own reaper, slow clock

    monkeypatch.setattr(queue, "utcnow", lambda: real() + timedelta(minutes=10))  # host A
    with database.session() as session:
        assert queue.claim(session, "grader-a:7:aaaa").id == second
    with database.session() as session:
        assert queue.requeue_stale(session, 60) == 0  # A's reaper, fast clock
        assert states(session) == {
            first: ("running", "grader-b:7:bbbb"),
            second: ("running", "grader-a:7:aaaa"),
        }
        # host B stops heartbeating: two minutes later A's reaper takes its job back
        session.execute(
            update(GradingJob)
            .where(GradingJob.id == first)
            .values(heartbeat_at=real() - timedelta(minutes=2))
        )
    with database.session() as session:
        assert queue.requeue_stale(session, 60) == 1
        assert states(session)[first] == ("queued", "")
    with database.session() as session:
        assert not queue.finish(session, first, "grader-b:7:bbbb")  # B came back too late
        assert queue.finish(session, second, "grader-a:7:aaaa")


@pytest.mark.kernel  # a real pool grading a real job
def test_a_worker_killed_mid_job_is_replaced_and_the_job_completes_once(tmp_path):
    courses, manifest = loop_course(tmp_path)
    settings = settings_for(tmp_path, courses_dir=courses, timeout=60, stale_after=2)
    database = Database(settings.platform_db_url)
    migrate.upgrade(database)
    with database.session() as session:
        module = publish(session, settings, manifest, "m1", [])
        slow = "import time\ntime.sleep(6)\nx = 1"
        submission = submit(
            session,
            settings,
            module,
            learner(session, "slow1"),
            {},
            notebook_edit=edit_answer(slow),
        )
        job_id = queue.enqueue(session, submission.id).id
        submission_id = submission.id

    context = multiprocessing.get_context("spawn")
    victim = context.Process(target=worker_main, args=(settings, False))
    victim.start()
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with database.session() as session:
                if session.get(GradingJob, job_id).state == JobState.running:
                    break
            time.sleep(0.2)
        time.sleep(2)  # the kernel is now sleeping in the learner's cell
        os.kill(victim.pid, signal.SIGKILL)
        victim.join(10)
    finally:
        if victim.is_alive():
            victim.kill()
    with database.session() as session:
        job = session.get(GradingJob, job_id)
        assert job.state == JobState.running and job.attempts == 1  # orphaned

    run_pool(settings, workers=1, once=True)
    with database.session() as session:
        job = session.get(GradingJob, job_id)
        assert (job.state, job.attempts) == (JobState.done, 2)
        grades = session.scalars(select(Grade).where(Grade.submission_id == submission_id)).all()
        assert len(grades) == 1 and grades[0].auto_score == 1
    database.dispose()

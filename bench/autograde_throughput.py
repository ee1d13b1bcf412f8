"""Autograde throughput: the worker pool against stock ``nbgrader autograde`` per submission.

Usage::

    python bench/autograde_throughput.py [--submissions 200] [--stock-sample 20] [--workers N]

One demo module (shufa-jianshang / shuti-yanbian), ``--submissions`` learners' submissions with
mixed right and wrong answers, graded twice on the same notebooks:

(a) stock nbgrader: ``nbgrader autograde MODULE --student S --force`` as a CLI subprocess per
    submission, sequentially, in a plain nbgrader course directory (``--stock-sample`` of them
    when that is fewer than all: the per-submission time is what is compared);
(b) the platform: every submission queued, then ``run_pool(once=True)`` with the default
    worker count (one per core): autograde in the grading sandbox (bubblewrap), scores into
    the Grade table, feedback pages, the completion engine;
(c) the same pool with ``grading.sandbox: none`` (kernels as the worker's own processes, as
    before the sandbox), on a second copy of the same submissions: the sandbox's cost.

Prints per-submission time, throughput, the ratios and the failed jobs.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from sqlalchemy import func, select  # noqa: E402

from gradingdata import (  # noqa: E402
    DEMO_MODULE,
    REFLECTION,
    RIGHT,
    demo_manifest,
    learner,
    publish,
    settings_for,
    submit,
)
from yiyuan.db import Database, migrate  # noqa: E402
from yiyuan.exchange import archives  # noqa: E402
from yiyuan.grading import queue  # noqa: E402
from yiyuan.grading.worker import pool_size, run_pool  # noqa: E402
from yiyuan.models import Grade, GradingJob, JobState  # noqa: E402
from yiyuan.platform import open_storage  # noqa: E402

BIN = Path(sys.executable).parent


def answers(number: int) -> dict:
    """Mixed: every third learner gets q1 and q3 wrong, every fifth skips the reflection."""
    given = {**RIGHT, "r1": REFLECTION}
    if number % 3 == 0:
        given.update(q1="隶书", q3=["章草"])
    if number % 5 == 0:
        given.pop("r1")
    return given


def build(tmp: Path, count: int, sandbox: str = "bwrap"):
    settings = settings_for(tmp, sandbox=sandbox)
    database = Database(settings.platform_db_url)
    migrate.upgrade(database)
    with database.session() as session:
        module = publish(session, settings, demo_manifest(), DEMO_MODULE, ["r1"])
        ids = []
        for number in range(count):
            account = learner(session, f"xueyuan{number:03d}", f"学员{number}")
            ids.append(submit(session, settings, module, account, answers(number)).id)
    return settings, database, ids


def stock(settings, database, ids: list[int], tmp: Path) -> float:
    """Seconds per submission of stock `nbgrader autograde`, one CLI process per submission."""
    course = tmp / "stock-course"
    shutil.copytree(settings.coursedirs_dir / "shufa-jianshang" / "source", course / "source")
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    run = [str(BIN / "nbgrader"), "generate_assignment", DEMO_MODULE, "--create", "--force"]
    subprocess.run(run, cwd=course, env=env, check=True, capture_output=True)
    storage = open_storage(settings)
    from yiyuan.models import Submission

    with database.session() as session:
        rows = [session.get(Submission, i) for i in ids]
        jobs = [(s.account.username, storage.get(s.path)) for s in rows]
    for username, data in jobs:
        archives.unpack(data, course / "submitted" / username / DEMO_MODULE, 100 * 2**20)
    started = time.monotonic()
    failed = 0
    for username, _ in jobs:
        done = subprocess.run(
            [str(BIN / "nbgrader"), "autograde", DEMO_MODULE, "--student", username, "--force"],
            cwd=course,
            env=env,
            capture_output=True,
        )
        failed += done.returncode != 0
    elapsed = time.monotonic() - started
    if failed:
        print(f"  stock: {failed} of {len(jobs)} autograde runs failed")
    return elapsed / len(jobs)


def pool(settings, database, ids: list[int], workers: int | None) -> tuple[float, dict]:
    with database.session() as session:
        for submission_id in ids:
            queue.enqueue(session, submission_id)
    started = time.monotonic()
    run_pool(settings, workers=workers, once=True)
    elapsed = time.monotonic() - started
    with database.session() as session:
        counts = queue.status(session)
        counts["grades"] = session.scalar(select(func.count()).select_from(Grade))
        counts["full_marks"] = session.scalar(
            select(func.count()).select_from(Grade).where(Grade.auto_score == Grade.auto_max)
        )
        counts["attempts>1"] = session.scalar(
            select(func.count()).select_from(GradingJob).where(GradingJob.attempts > 1)
        )
        assert counts[JobState.running.value] == 0
    return elapsed / len(ids), counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=200)
    parser.add_argument("--stock-sample", type=int, default=20)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument(
        "--no-unsandboxed",
        dest="unsandboxed",
        action="store_false",
        help="skip (c), the pool without the sandbox",
    )
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="yiyuan-bench-autograde-"))
    try:
        settings, database, ids = build(tmp, args.submissions)
        sample = ids[: min(args.stock_sample, len(ids))] if args.stock_sample else ids
        print(f"submissions: {len(ids)}, stock sample: {len(sample)}, cpus: {os.cpu_count()}")
        per_stock = stock(settings, database, sample, tmp)
        print(
            f"(a) stock nbgrader autograde (CLI per submission): {per_stock:.2f} s/submission, "
            f"{60 / per_stock:.1f} submissions/min"
        )
        workers = pool_size(settings, args.workers)
        per_pool, counts = pool(settings, database, ids, args.workers)
        print(
            f"(b) run_pool(once=True), {workers} workers: {per_pool:.2f} s/submission, "
            f"{60 / per_pool:.1f} submissions/min"
        )
        print(f"    jobs: {counts}")
        print(
            f"ratio (b)/(a) throughput: {per_stock / per_pool:.2f}x; "
            f"failed jobs: {counts[JobState.failed.value]}"
        )
        database.dispose()
        if args.unsandboxed:
            plain, plain_database, plain_ids = build(tmp / "plain", args.submissions, "none")
            per_plain, plain_counts = pool(plain, plain_database, plain_ids, args.workers)
            plain_database.dispose()
            print(
                f"(c) run_pool(once=True), {workers} workers, no sandbox: {per_plain:.2f} "
                f"s/submission, {60 / per_plain:.1f} submissions/min"
            )
            print(f"    jobs: {plain_counts}")
            print(
                f"sandbox cost: (b)/(c) time per submission {per_pool / per_plain:.2f}x; "
                f"(c)/(a) throughput {per_stock / per_plain:.2f}x"
            )
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

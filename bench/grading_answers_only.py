"""Grading a submission from its answers (no kernel) against the kernel run, per submission.

Usage::

    python bench/grading_answers_only.py [--submissions 20] [--sandbox bwrap|none]

One demo module (shufa-jianshang / shuti-yanbian), ``--submissions`` learners with mixed
answers, each graded twice in this process exactly as a grading worker does
(``grade_submission``: unpack, nbgrader autograde, gradebook, feedback pages, Grade row,
completion engine), one after the other:

(a) kernel: every lesson runs in the sandboxed kernel (``answers_only=False``, the platform
    before this change);
(b) answers: answers-only lessons are graded from ``answers.json`` (the default). The
    lesson's reference run (one kernel run per lesson version, kept) is made by a first
    submission that is timed apart and not counted.

Per submission: wall time and CPU time (this process and its children). With ``--sandbox
bwrap`` a kernel is started through a helper and is not this process's waited-for child, so
its CPU time is not counted: compare CPU with ``--sandbox none`` (the same kernel, unsandboxed).
Prints medians, the ratio kernel / answers, and checks both ways gave the same scores.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from sqlalchemy import select  # noqa: E402

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
from yiyuan.grading.autograde import grade_submission  # noqa: E402
from yiyuan.models import CompletionEvent, Grade  # noqa: E402


def answers(number: int) -> dict:
    """Mixed: every third learner gets q1 and q3 wrong, every fifth skips the reflection."""
    given = {**RIGHT, "r1": REFLECTION}
    if number % 3 == 0:
        given.update(q1="隶书", q3=["章草"])
    if number % 5 == 0:
        del given["r1"]
    return given


def cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def grade_all(settings, database, ids: list[int], fast: bool) -> tuple[list, list, dict]:
    walls, cpus, scores = [], [], {}
    for submission_id in ids:
        cpu, wall = cpu_seconds(), time.perf_counter()
        grade_submission(settings, database, submission_id, answers_only=fast)
        walls.append(time.perf_counter() - wall)
        cpus.append(cpu_seconds() - cpu)
        with database.session() as session:
            grade = session.scalars(select(Grade).where(Grade.submission_id == submission_id))
            items = grade.one().items
            scores[submission_id] = {name: item["score"] for name, item in items.items()}
            event = session.scalars(
                select(CompletionEvent).where(
                    CompletionEvent.submission_id == submission_id,
                    CompletionEvent.kind == "graded",
                )
            ).one()
            assert event.detail["without_kernel"] == ([DEMO_MODULE] if fast else [])
    return walls, cpus, scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=20)
    parser.add_argument("--sandbox", choices=["bwrap", "none"], default="bwrap")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="yiyuan-answers-only-") as tmp:
        settings = settings_for(Path(tmp), sandbox=args.sandbox)
        database = Database(settings.platform_db_url)
        migrate.upgrade(database)
        with database.session() as session:
            module = publish(session, settings, demo_manifest(), DEMO_MODULE, ["r1"])
            ways = {}
            for way in ("kernel", "answers", "warm-up"):
                count = 1 if way == "warm-up" else args.submissions
                ways[way] = [
                    submit(session, settings, module, learner(session, f"{way}{n}"), answers(n)).id
                    for n in range(count)
                ]
        kernel_wall, kernel_cpu, kernel_scores = grade_all(
            settings, database, ways["kernel"], fast=False
        )
        warm_wall, warm_cpu, _ = grade_all(settings, database, ways["warm-up"], fast=True)
        fast_wall, fast_cpu, fast_scores = grade_all(settings, database, ways["answers"], fast=True)
        database.dispose()
    same = [
        kernel_scores[a] == fast_scores[b]
        for a, b in zip(ways["kernel"], ways["answers"], strict=True)
    ]
    median = statistics.median
    print(f"module {DEMO_MODULE}, {args.submissions} submissions per way, sandbox {args.sandbox}")
    print("| way | wall p50 / max | CPU p50 / max |")
    print("|---|---|---|")
    for name, walls, cpus in (
        ("kernel (nbgrader, a kernel per submission)", kernel_wall, kernel_cpu),
        ("answers (no kernel)", fast_wall, fast_cpu),
        ("answers, first submission (reference run)", warm_wall, warm_cpu),
    ):
        print(
            f"| {name} | {median(walls):.2f} / {max(walls):.2f} s "
            f"| {median(cpus):.2f} / {max(cpus):.2f} s |"
        )
    print(
        f"ratio kernel / answers: wall {median(kernel_wall) / median(fast_wall):.1f}x, "
        f"CPU {median(kernel_cpu) / median(fast_cpu):.1f}x"
    )
    print(f"same scores both ways: {sum(same)} / {len(same)}")
    if not all(same):
        sys.exit(1)


if __name__ == "__main__":
    main()

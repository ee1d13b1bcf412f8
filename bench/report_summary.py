"""Benchmark: the participation summary by association over 20,000 members and ~1,000,000
module results, on SQLite and PostgreSQL; baseline in the same run: the same figures through
nbgrader's Gradebook API on an equivalent gradebook (bench/gradebook_equivalent.py).

    .venv/bin/python bench/report_summary.py [--members 20000] [--courses 50]
        [--pg-url URL] [--gradebook-sample K] [--runs 5] [--record]

Prints the best and median of ``--runs`` for each report and backend, the nbgrader figure and
the ratio; ``--record`` appends them to bench/RESULTS.md. Aim (issue 7): the summary ≤ 0.2 s
on both databases. The gradebook is built from the same platform data; its summary is timed on
``--gradebook-sample`` assignments and extrapolated (each Gradebook call reads the whole book).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import gradebook_equivalent  # noqa: E402  (bench/gradebook_equivalent.py)
import stats  # noqa: E402  (bench/stats.py)
from scratch_pg import fresh_pg  # noqa: E402

from yiyuan.associations.records import ensure_standard_associations  # noqa: E402
from yiyuan.db import Database, migrate  # noqa: E402
from yiyuan.reports import participation  # noqa: E402
from yiyuan.reports.filters import ReportFilter  # noqa: E402
from yiyuan.reports.scope import Scope  # noqa: E402
from yiyuan.synthetic import generate  # noqa: E402

EVERYTHING = ReportFilter()
REPORTS = {
    "by association": participation.by_association,
    "by course": participation.by_course,
    "by cohort": participation.by_cohort,
    "weekly trend": participation.weekly_trend,
    "laggards": participation.laggards,
}


def fill(url: str, members: int, courses: int) -> tuple[Database, float, dict]:
    database = Database(url)
    migrate.upgrade(database)
    with database.session() as session:
        ensure_standard_associations(session, "深圳市")  # as `yiyuan db upgrade` does
    start = time.perf_counter()
    counts = generate(database, members=members, courses=courses)
    elapsed = time.perf_counter() - start
    if not database.is_sqlite:
        with database.engine.connect() as connection:
            connection.execute(text("ANALYZE"))
            connection.commit()
    return database, elapsed, counts


def time_reports(database: Database, runs: int) -> dict[str, tuple[float, float, object]]:
    figures = {}
    for name, report in REPORTS.items():

        def once(report=report):
            with database.session() as session:
                return report(session, Scope.all(), EVERYTHING)

        once()  # warm: connection, statement cache, OS page cache
        figures[name] = stats.timed_runs(once, runs)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=20000)
    parser.add_argument("--courses", type=int, default=50)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--pg-url", default="postgresql+psycopg:///postgres?host=/var/run/postgresql"
    )
    parser.add_argument("--gradebook-sample", type=int, default=1)
    parser.add_argument("--record", action="store_true")
    args = parser.parse_args()

    lines = []

    def say(line: str = "") -> None:
        print(line, flush=True)
        lines.append(line)

    with tempfile.TemporaryDirectory() as tmp:
        sqlite_url = f"sqlite:///{Path(tmp) / 'yiyuan.sqlite'}"
        sqlite_db, sqlite_fill, counts = fill(sqlite_url, args.members, args.courses)
        pg_url, drop = fresh_pg(args.pg_url)
        try:
            pg_db, pg_fill, _ = fill(pg_url, args.members, args.courses)
            say(
                f"data: {counts['members']} members, {counts['memberships']} memberships, "
                f"{counts['courses']} courses, {counts['enrolments']} enrolments, "
                f"{counts['module_results']} module results, {counts['completion_events']} "
                f"events; generated in {sqlite_fill:.0f} s (SQLite), {pg_fill:.0f} s (PostgreSQL)"
            )
            say()
            say("| report | SQLite best | SQLite median | PostgreSQL best | PostgreSQL median |")
            say("|---|---|---|---|---|")
            ours_sqlite = time_reports(sqlite_db, args.runs)
            ours_pg = time_reports(pg_db, args.runs)
            for name in REPORTS:
                s_best, s_median, _ = ours_sqlite[name]
                p_best, p_median, _ = ours_pg[name]
                say(
                    f"| {name} | {s_best:.3f} s | {s_median:.3f} s | {p_best:.3f} s "
                    f"| {p_median:.3f} s |"
                )
            pg_db.dispose()
        finally:
            drop()

        gradebook_path = Path(tmp) / "gradebook.db"
        built = gradebook_equivalent.build_gradebook(sqlite_url, gradebook_path)
        membership = gradebook_equivalent.membership_map(sqlite_url)
        # nbgrader's submission_dicts aggregates the whole gradebook on every call, so a full
        # summary (one call per assignment) takes hours at this size: time a sample of
        # assignments and extrapolate (bench/gradebook_equivalent.py: timed_summary)
        timed = gradebook_equivalent.timed_summary(
            gradebook_path, membership, sample=args.gradebook_sample
        )
        sampled = timed["assignments"]
        ours_median = ours_sqlite["by association"][1]
        agree = (
            gradebook_equivalent.summary_via_platform(sqlite_url, [name for name in sampled])
            == timed["summary"]
        )
        say()
        say(
            f"nbgrader Gradebook API, the same figures per association (learners with a graded "
            f"module, graded results, average score) on an equivalent gradebook of "
            f"{built.get('submitted_assignment', built.get('grade', '?'))} graded submissions "
            f"(built in {built.get('seconds', 0):.0f} s): {len(sampled)} of "
            f"{timed['assignments_total']} assignments took {timed['seconds']:.0f} s → all "
            f"{timed['assignments_total']} ≈ {timed['estimated_seconds']:.0f} s "
            f"({'equal to the platform figures on the sample' if agree else 'FIGURES DIFFER'})"
        )
        say(
            f"ratio nbgrader (estimated) / yiyuan by association (SQLite median): "
            f"{timed['estimated_seconds'] / ours_median:,.0f}×"
        )
        sqlite_db.dispose()

    if args.record:
        stats.record("Participation summary, 20k members", lines)


if __name__ == "__main__":
    main()

"""Benchmark: the trainer page's figures for the largest course of a 20,000-member platform;
baseline in the same run: the per-module figures a trainer gets from nbgrader's formgrader on an
equivalent gradebook of that course (bench/gradebook_equivalent.py).

    .venv/bin/python bench/trainer_overview.py [--members 20000] [--courses 50] [--runs 5]
        [--platform-url URL] [--pg [--pg-url URL]] [--nbgrader-sample 1] [--record]

Ours: ``teaching.progress.course_overview`` and ``stuck_learners`` for the course with the most
enrolments, each in a fresh session as a page request would (median of ``--runs``).
nbgrader's: what formgrader reads through the Gradebook API for the same course — its "Manage
Assignments" page (per assignment ``find_assignment().to_dict()`` with ``num_submissions`` and
the ``average_*_score`` calls, as ``NbGraderAPI.get_assignment`` makes them; 0.9.6 has no
``assignment_dicts``) and one "Manage Submissions" page per assignment
(``submission_dicts(name)``), on one open Gradebook as formgrader keeps it.

The synthetic data has module results but no submissions; so that the queries over
submissions, grades and grading jobs have rows to read, the course's results are given one
submission each (with a grade, a grading job, a few resubmissions and failed jobs) before
timing, unless the course already has submissions.
"""

from __future__ import annotations

import argparse
import datetime
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import func, insert, select, text, update

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import gradebook_equivalent  # noqa: E402  (bench/gradebook_equivalent.py)
import report_summary  # noqa: E402  (bench/report_summary.py: the same synthetic fill)
import stats  # noqa: E402  (bench/stats.py)
from scratch_pg import fresh_pg  # noqa: E402

from yiyuan.db import Database  # noqa: E402
from yiyuan.models import (  # noqa: E402
    Course,
    Enrolment,
    Grade,
    GradingJob,
    JobState,
    Module,
    ModuleKind,
    ModuleResult,
    ResultStatus,
    Submission,
    utcnow,
)
from yiyuan.teaching import progress  # noqa: E402

#: the quiz pass mark of the synthetic modules (pass_rule {"quiz": 60}), in percent
PASS_MARK = 60.0


def largest_course(database: Database) -> str:
    with database.session() as session:
        return session.execute(
            select(Course.code)
            .join(Enrolment, Enrolment.course_id == Course.id)
            .where(Enrolment.active.is_(True), Course.active.is_(True))
            .group_by(Course.id, Course.code)
            .order_by(func.count().desc(), Course.code)
            .limit(1)
        ).scalar_one()


def add_submissions(database: Database, code: str) -> Counter:
    """One submission per started on-line result of the course, as the exchange and the
    grader would have left them: a grade (needing the trainer when the result is 已提交), a
    grading job, the result pointing at it; every 20th result awaiting grading has a failed job
    instead of a grade, every 10th failed result a newer, ungraded resubmission."""
    counts: Counter = Counter()
    with database.session() as session:
        course_id = session.scalar(select(Course.id).where(Course.code == code))
        if session.scalar(
            select(func.count(Submission.id))
            .join(Module, Module.id == Submission.module_id)
            .where(Module.course_id == course_id)
        ):
            return counts  # a reused database that has them already
        results = session.execute(
            select(
                ModuleResult.id,
                ModuleResult.account_id,
                ModuleResult.module_id,
                ModuleResult.status,
                ModuleResult.score,
                ModuleResult.updated_at,
            )
            .join(Module, Module.id == ModuleResult.module_id)
            .where(
                Module.course_id == course_id,
                Module.kind == ModuleKind.online,
                ModuleResult.status != ResultStatus.not_started,
            )
            .order_by(ModuleResult.id)
        ).all()
        rows = [
            {
                "module_id": module_id,
                "account_id": account_id,
                "submitted_at": at - datetime.timedelta(hours=1),
                "release": 1,
            }
            for _, account_id, module_id, _, _, at in results
        ]
        statement = insert(Submission).returning(Submission.id, sort_by_parameter_order=True)
        ids = session.scalars(statement, rows).all() if rows else []
        grades, jobs, links, again = [], [], [], []
        for n, ((result_id, account_id, module_id, status, score, at), submission_id) in enumerate(
            zip(results, ids, strict=True)
        ):
            links.append({"id": result_id, "submission_id": submission_id})
            broken = status == ResultStatus.submitted and n % 20 == 0
            jobs.append(
                {
                    "submission_id": submission_id,
                    "state": JobState.failed if broken else JobState.done,
                    "attempts": 1,
                    "queued_at": at,
                    "finished_at": at,
                }
            )
            if broken:
                continue
            grades.append(
                {
                    "submission_id": submission_id,
                    "auto_score": score if score is not None else 80.0,
                    "auto_max": 100.0,
                    "needs_manual": status == ResultStatus.submitted,
                    "items": {},
                    "reflections_written": ["xinde"],
                    "graded_at": at,
                }
            )
            if status == ResultStatus.failed and n % 10 == 0:
                again.append({"module_id": module_id, "account_id": account_id, "submitted_at": at})
        for label, table, data in (
            ("grades", Grade, grades),
            ("grading jobs", GradingJob, jobs),
            ("resubmissions", Submission, again),
        ):
            if data:
                session.execute(insert(table), data)
            counts[label] = len(data)
        counts["submissions"] = len(rows)
        if links:
            session.execute(update(ModuleResult), links)  # bulk UPDATE by primary key
    if not database.is_sqlite:
        with database.engine.connect() as connection:
            connection.execute(text("ANALYZE"))
            connection.commit()
    return counts


def time_ours(database: Database, code: str, runs: int) -> dict[str, tuple[float, float, object]]:
    """The trainer page's two computations, separately and together, a session per run."""
    now = utcnow()

    def load(session):
        return session.scalars(select(Course).where(Course.code == code)).one()

    def overview():
        with database.session() as session:
            return progress.course_overview(session, load(session))

    def stuck():
        with database.session() as session:
            return progress.stuck_learners(session, load(session), now)

    def both():
        with database.session() as session:
            course = load(session)
            return (
                progress.course_overview(session, course),
                progress.stuck_learners(session, course, now),
            )

    figures = {}
    for name, function in (("course_overview", overview), ("stuck_learners", stuck)):
        function()  # warm: connection, statement cache, OS page cache
        figures[name] = stats.timed_runs(function, runs)
    figures["both (the page)"] = stats.timed_runs(both, runs)
    return figures


def manage_assignments(gradebook, names: list[str]) -> dict[str, dict]:
    """Formgrader's Manage Assignments page: ``NbGraderAPI.get_assignment``'s gradebook part
    for each assignment (nbgrader 0.9.6 has no ``Gradebook.assignment_dicts``)."""
    pages = {}
    for name in names:
        assignment = gradebook.find_assignment(name).to_dict()
        assignment["average_score"] = gradebook.average_assignment_score(name)
        assignment["average_code_score"] = gradebook.average_assignment_code_score(name)
        assignment["average_written_score"] = gradebook.average_assignment_written_score(name)
        assignment["average_task_score"] = gradebook.average_assignment_task_score(name)
        pages[name] = assignment
    return pages


def time_nbgrader(gradebook_path: Path, names: list[str], runs: int, sample: int) -> dict:
    """Manage Assignments timed over ``runs``; Manage Submissions (``submission_dicts``) once
    per assignment, or with ``sample`` > 0 on that many assignments, extrapolated to all.

    Why a sample: a ``submission_dicts`` call costs about its assignment's submissions times
    all the gradebook's (measured: 0.5 s a call at 2,000 members, 52 s at 20,000), so the
    five pages of the largest course take minutes each run."""
    from nbgrader.api import Gradebook

    url = f"sqlite:///{gradebook_path}"
    used = names
    if 0 < sample < len(names):
        used = [names[int(i * len(names) / sample)] for i in range(sample)]
    with Gradebook(url, course_id=gradebook_equivalent.COURSE_ID) as gradebook:
        manage_assignments(gradebook, names)  # warm, as a running formgrader is
        best, median, assignments = stats.timed_runs(
            lambda: manage_assignments(gradebook, names), runs
        )
        submissions, seconds = {}, []
        for name in used:
            start = time.perf_counter()
            submissions[name] = gradebook.submission_dicts(name)
            seconds.append(time.perf_counter() - start)
    return {
        "assignments": assignments,
        "assignments_best": best,
        "assignments_median": median,
        "submissions": submissions,
        "submissions_seconds": seconds,
        "submissions_estimated": sum(seconds) * len(names) / len(used),
    }


def compare(overview: progress.CourseOverview, nbgrader: dict) -> list[tuple]:
    """Per module: (code, kind, ours graded, nbgrader num_submissions, nbgrader submission
    dicts, ours passed, nbgrader passed, agree). Graded = passed + failed (results with a
    score); nbgrader's passed = submissions scoring at least the pass mark; None where the
    assignment's submissions were not read (sampled)."""
    rows = []
    for module in overview.modules:
        count = nbgrader["assignments"].get(module.code, {}).get("num_submissions", 0)
        dicts = nbgrader["submissions"].get(module.code)
        listed = passed = None
        if dicts is not None:
            listed = len(dicts)
            passed = sum(
                1
                for d in dicts
                if d["max_score"] and 100 * d["score"] / d["max_score"] >= PASS_MARK
            )
        if module.kind == ModuleKind.onsite.value:  # passed by attendance, no score
            ours, our_passed = 0, 0
        else:
            ours, our_passed = module.passed + module.failed, module.passed
        agree = ours == count and listed in (None, ours) and passed in (None, our_passed)
        rows.append((module.code, module.kind, ours, count, listed, our_passed, passed, agree))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=20000)
    parser.add_argument("--courses", type=int, default=50)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--platform-url", help="an existing synthetic platform database")
    parser.add_argument("--pg", action="store_true", help="also time ours on a scratch PostgreSQL")
    parser.add_argument(
        "--pg-url", default="postgresql+psycopg:///postgres?host=/var/run/postgresql"
    )
    parser.add_argument(
        "--nbgrader-sample",
        type=int,
        default=1,
        help="read this many assignments' submissions and extrapolate (0: all)",
    )
    parser.add_argument("--record", action="store_true")
    args = parser.parse_args()

    lines: list[str] = []

    def say(line: str = "") -> None:
        print(line, flush=True)
        lines.append(line)

    with tempfile.TemporaryDirectory(prefix="trainer-overview-") as tmp:
        started = time.perf_counter()
        if args.platform_url:
            url, database, filled = args.platform_url, Database(args.platform_url), None
        else:
            url = f"sqlite:///{Path(tmp) / 'yiyuan.sqlite'}"
            database, filled, _ = report_summary.fill(url, args.members, args.courses)
        code = largest_course(database)
        added = add_submissions(database, code)
        with database.session() as session:
            course = session.scalars(select(Course).where(Course.code == code)).one()
            enrolled = progress.course_overview(session, course).enrolled
            results = session.scalar(
                select(func.count(ModuleResult.id))
                .join(Module, Module.id == ModuleResult.module_id)
                .where(Module.course_id == course.id)
            )
            total_results = session.scalar(select(func.count(ModuleResult.id)))
            members = session.scalar(select(func.count(Enrolment.account_id.distinct())))
        say(
            f"data: {members} learners, {total_results} module results in all"
            + (f", generated in {filled:.0f} s ({database.engine.dialect.name})" if filled else "")
            + f"; course {code}: {enrolled} enrolled, {results} module results, "
            + (", ".join(f"{n} {label}" for label, n in added.items()) or "no")
            + " added"
        )
        ours = {
            "SQLite" if database.is_sqlite else "PostgreSQL": time_ours(database, code, args.runs)
        }
        if args.pg:
            pg_url, drop = fresh_pg(args.pg_url)
            try:
                pg_db, pg_filled, _ = report_summary.fill(pg_url, args.members, args.courses)
                add_submissions(pg_db, largest_course(pg_db))
                say(f"PostgreSQL copy generated in {pg_filled:.0f} s")
                ours["PostgreSQL"] = time_ours(pg_db, code, args.runs)
                same = (
                    ours["PostgreSQL"]["course_overview"][2].modules
                    == ours["SQLite"]["course_overview"][2].modules
                )
                say(f"PostgreSQL per-module figures equal to SQLite's: {'yes' if same else 'NO'}")
                pg_db.dispose()
            finally:
                drop()
        overview = next(iter(ours.values()))["course_overview"][2]
        stuck = next(iter(ours.values()))["stuck_learners"][2]

        gradebook_path = Path(tmp) / "gradebook.db"
        built = gradebook_equivalent.build_gradebook(url, gradebook_path, course_code=code)
        names = [m.code for m in overview.modules]
        nbgrader = time_nbgrader(gradebook_path, names, args.runs, args.nbgrader_sample)
        database.dispose()

        read = len(nbgrader["submissions"])
        nb_total = nbgrader["assignments_median"] + nbgrader["submissions_estimated"]
        say(
            f"nbgrader gradebook of the course: {built['student']} students, "
            f"{built['assignment']} assignments, {built['submitted_assignment']} graded "
            f"submissions (built in {built['seconds']:.1f} s)"
        )
        say()
        say("| computation | database | best | median |")
        say("|---|---|---|---|")
        for backend, figures in ours.items():
            for name, (best, median, _) in figures.items():
                say(f"| yiyuan {name} | {backend} | {best:.3f} s | {median:.3f} s |")
        say(
            f"| nbgrader Manage Assignments ({len(names)} assignments) | SQLite "
            f"| {nbgrader['assignments_best']:.3f} s | {nbgrader['assignments_median']:.3f} s |"
        )
        per_call = ", ".join(f"{x:.1f} s" for x in nbgrader["submissions_seconds"])
        say(
            f"| nbgrader Manage Submissions, {read} of {len(names)} assignments "
            f"(once each: {per_call}) | SQLite | | {sum(nbgrader['submissions_seconds']):.1f} s |"
        )
        page_median = next(iter(ours.values()))["both (the page)"][1]
        say()
        say(
            f"nbgrader, all {len(names)} pages of the course"
            + (" (estimated from the sample)" if read < len(names) else "")
            + f": {nb_total:.1f} s; ratio nbgrader / yiyuan page "
            f"({next(iter(ours))} median): {nb_total / page_median:,.0f}×"
        )
        say()
        rows = compare(overview, nbgrader)
        say(
            "| module | kind | graded: yiyuan | nbgrader num_submissions | nbgrader listed "
            "| passed: yiyuan | nbgrader | agree |"
        )
        say("|---|---|---|---|---|---|---|---|")
        for module_code, kind, ours_n, count, listed, ours_p, theirs_p, agree in rows:
            say(
                f"| {module_code} | {kind} | {ours_n} | {count} | "
                f"{'—' if listed is None else listed} | {ours_p} | "
                f"{'—' if theirs_p is None else theirs_p} | {'yes' if agree else 'NO'} |"
            )
        say()
        say(
            f"Agreement: {'all modules agree' if all(r[-1] for r in rows) else 'FIGURES DIFFER'}"
            " (graded = passed + failed results with a score = nbgrader's num_submissions and "
            f"listed submissions; passed = nbgrader submissions scoring ≥ {PASS_MARK:.0f} %; "
            "— = not read, sampled). Not comparable: nbgrader has no notion of opened, of a "
            "submission awaiting the trainer outside its own manual grading (the equivalent "
            "gradebook holds graded results only), of on-site attendance (on-site modules pass "
            "without a score: 0 on both sides), of enrolment, completion and study hours, or "
            f"of stuck learners (yiyuan lists {len(stuck)} reasons for this course; with "
            "nbgrader a trainer would work them out by hand)."
        )
        reasons = Counter(s.reason for s in stuck)
        say(
            f"The page's other figures for {code}: {overview.enrolled} enrolled, "
            f"{overview.completed} completed, opened per module "
            f"{', '.join(str(m.opened) for m in overview.modules)}, awaiting the trainer "
            f"{overview.awaiting_trainer}; stuck: "
            + "; ".join(f"{reason} {n}" for reason, n in reasons.most_common())
        )
        say(f"total time {time.perf_counter() - started:.0f} s")

    if args.record:
        stats.record("Trainer page figures, largest course", lines)


if __name__ == "__main__":
    main()

"""The nbgrader side of the report benchmark: the same participation figures through nbgrader.

Given a platform database filled by ``yiyuan demo generate``, :func:`build_gradebook` writes an
equivalent nbgrader 0.9.6 gradebook (one SQLite file): students = learners, assignments =
modules, one notebook per assignment with one autograded grade cell worth 100 points, and one
submitted assignment with its grade (the module result's score) per graded module result.
It is written with bulk inserts into nbgrader's own tables (names from ``nbgrader/api.py``):
nbgrader's ORM, one ``add_submission``/``update`` at a time, would take hours for 800,000
submissions.

:func:`summary_via_gradebook` then produces per association what a course team would with
nbgrader alone: learners with any (graded) submission, graded submissions and the average
score, reading submissions only through the Gradebook API (``submission_dicts`` for each
assignment, as formgrader's "manage submissions" page does) and grouping in Python by the
roster's association mapping. The gradebook holds graded results only, so "any submission"
means "any graded submission" on both sides.

``bench/report_summary.py`` runs this beside the platform's report on the same data; run alone:

    .venv/bin/python bench/gradebook_equivalent.py                    # 20,000 members, SQLite
    .venv/bin/python bench/gradebook_equivalent.py --members 2000
    .venv/bin/python bench/gradebook_equivalent.py --platform-url URL  # an existing database
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

from sqlalchemy import func, select

from yiyuan.associations.records import ensure_standard_associations
from yiyuan.db import Database, migrate
from yiyuan.models import (
    Account,
    Association,
    Course,
    Enrolment,
    Member,
    Membership,
    Module,
    ModuleResult,
)
from yiyuan.synthetic import generate

#: one nbgrader course for the whole platform (assignment names are unique: module codes are)
COURSE_ID = "yiyuan"
NOTEBOOK = "lesson"
GRADE_CELL = "quiz"
MAX_SCORE = 100.0
_CHUNK = 20_000

# nbgrader's Gradebook() runs the `alembic` command to stamp a new database: make sure the
# venv's bin directory is on PATH even when this script is run as .venv/bin/python …
BIN = Path(sys.executable).parent
os.environ["PATH"] = f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"


def _uuid() -> str:
    return uuid4().hex


def _stamp(value: datetime | None) -> str | None:
    """A datetime as nbgrader's SQLAlchemy stores it in SQLite (naive UTC)."""
    if value is None:
        return None
    return value.astimezone(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")


def membership_map(platform_db_url: str) -> dict[str, list[str]]:
    """Username → short names of the learner's associations (active memberships)."""
    database = Database(platform_db_url)
    try:
        with database.session() as session:
            rows = session.execute(
                select(Account.username, Association.short_name)
                .join(Member, Member.account_id == Account.id)
                .join(Membership, Membership.member_id == Member.id)
                .join(Association, Association.id == Membership.association_id)
                .where(Membership.active.is_(True), Member.active.is_(True))
                .order_by(Account.username, Association.sort_order)
            ).all()
    finally:
        database.dispose()
    mapping: dict[str, list[str]] = defaultdict(list)
    for username, short in rows:
        mapping[username].append(short)
    return dict(mapping)


def build_gradebook(platform_db_url: str, path: Path, course_code: str | None = None) -> dict:
    """Write the nbgrader gradebook equivalent to the platform database at ``path``.

    With ``course_code``, only that course: its modules as assignments, its actively enrolled
    learners as students and their graded results (as a course's own formgrader would hold).
    Returns counts per nbgrader table and the seconds spent reading and writing.
    """
    from nbgrader.api import Gradebook

    path = Path(path)
    if path.exists():
        path.unlink()
    started = time.perf_counter()
    # nbgrader creates its schema, stamps its alembic version and adds the course
    Gradebook(f"sqlite:///{path}", course_id=COURSE_ID).close()

    database = Database(platform_db_url)
    connection = sqlite3.connect(path)
    counts: dict[str, int] = {}
    try:
        with database.session() as session:
            # everything by default; with course_code, one course and its active learners
            in_course, of_course = [], []
            if course_code is not None:
                learners = (
                    select(Enrolment.account_id)
                    .join(Course, Course.id == Enrolment.course_id)
                    .where(Course.code == course_code, Enrolment.active.is_(True))
                )
                in_course = [Account.id.in_(learners)]
                of_course = [Course.code == course_code]
            students = session.execute(
                select(Account.username, Member.name)
                .join(Member, Member.account_id == Account.id)
                .where(*in_course)
            ).all()
            modules = session.execute(
                select(Module.id, Module.code, Course.due)
                .join(Course, Course.id == Module.course_id)
                .where(*of_course)
            ).all()
            counts["student"] = _insert(
                connection,
                "student",
                ("id", "first_name", "last_name", "email", "lms_user_id"),
                ((username, name[1:], name[:1], None, None) for username, name in students),
            )
            assignment_of: dict[int, str] = {}
            cell_of: dict[int, str] = {}
            notebook_of: dict[int, str] = {}
            assignments, notebooks, cells = [], [], []
            for module_id, code, due in modules:
                assignment_of[module_id] = _uuid()
                notebook_of[module_id] = _uuid()
                cell_of[module_id] = _uuid()
                assignments.append((assignment_of[module_id], code, _stamp(due), COURSE_ID))
                notebooks.append((notebook_of[module_id], NOTEBOOK, assignment_of[module_id], None))
                cells.append((cell_of[module_id], GRADE_CELL, notebook_of[module_id], "GradeCell"))
            columns = ("id", "name", "duedate", "course_id")
            counts["assignment"] = _insert(connection, "assignment", columns, assignments)
            columns = ("id", "name", "assignment_id", "kernelspec")
            counts["notebook"] = _insert(connection, "notebook", columns, notebooks)
            columns = ("id", "name", "notebook_id", "type")
            counts["base_cell"] = _insert(connection, "base_cell", columns, cells)
            counts["grade_cells"] = _insert(
                connection,
                "grade_cells",
                ("id", "max_score", "cell_type"),
                ((cell_id, MAX_SCORE, "code") for cell_id, *_ in cells),
            )
            graded = session.execute(
                select(
                    Account.username,
                    ModuleResult.module_id,
                    ModuleResult.score,
                    func.coalesce(ModuleResult.passed_at, ModuleResult.updated_at),
                )
                .join(Account, Account.id == ModuleResult.account_id)
                .where(
                    ModuleResult.score.is_not(None),
                    *in_course,
                    *([ModuleResult.module_id.in_(list(assignment_of))] if course_code else []),
                )
                .order_by(ModuleResult.id)
                .execution_options(yield_per=_CHUNK)
            )
            for key, value in _write_submissions(
                connection, graded, assignment_of, notebook_of, cell_of
            ).items():
                counts[key] = value
        connection.commit()
    finally:
        connection.close()
        database.dispose()
    counts["seconds"] = round(time.perf_counter() - started, 2)
    return counts


def _write_submissions(connection, graded, assignment_of, notebook_of, cell_of) -> dict[str, int]:
    """One submitted assignment, submitted notebook and grade per graded result."""
    counts = {"submitted_assignment": 0, "submitted_notebook": 0, "grade": 0}
    for chunk in graded.partitions(_CHUNK):
        submitted, notebooks, grades = [], [], []
        for username, module_id, score, at in chunk:
            submission_id, notebook_id = _uuid(), _uuid()
            submitted.append((submission_id, assignment_of[module_id], username, _stamp(at), None))
            notebooks.append((notebook_id, submission_id, notebook_of[module_id], False, None))
            grades.append(
                (_uuid(), notebook_id, cell_of[module_id], float(score), None, None, False)
            )
        counts["submitted_assignment"] += _insert(
            connection,
            "submitted_assignment",
            ("id", "assignment_id", "student_id", "timestamp", "extension"),
            submitted,
        )
        counts["submitted_notebook"] += _insert(
            connection,
            "submitted_notebook",
            ("id", "assignment_id", "notebook_id", "flagged", "late_submission_penalty"),
            notebooks,
        )
        counts["grade"] += _insert(
            connection,
            "grade",
            (
                "id",
                "notebook_id",
                "cell_id",
                "auto_score",
                "manual_score",
                "extra_credit",
                "needs_manual_grade",
            ),
            grades,
        )
    return counts


def _insert(connection: sqlite3.Connection, table: str, columns: tuple, rows: Iterable) -> int:
    cursor = connection.executemany(
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
        rows,
    )
    return cursor.rowcount


def summary_via_gradebook(
    gradebook_path: Path,
    membership: dict[str, list[str]],
    assignments: list[str] | None = None,
) -> dict[str, dict]:
    """Per association short name: ``learners`` with any graded submission, ``graded``
    submissions and ``average_score`` (percent), through nbgrader's Gradebook API only.

    ``assignments`` limits it to those assignment names (all by default).
    """
    from nbgrader.api import Gradebook

    learners: dict[str, set[str]] = defaultdict(set)
    graded: dict[str, int] = defaultdict(int)
    score_sum: dict[str, float] = defaultdict(float)
    with Gradebook(f"sqlite:///{gradebook_path}", course_id=COURSE_ID) as gradebook:
        names = [a.name for a in gradebook.assignments] if assignments is None else assignments
        for name in names:
            for submission in gradebook.submission_dicts(name):
                student = submission["student"]
                percent = 100.0 * submission["score"] / submission["max_score"]
                for association in membership.get(student, []):
                    learners[association].add(student)
                    graded[association] += 1
                    score_sum[association] += percent
    return {
        association: {
            "learners": len(learners[association]),
            "graded": graded[association],
            "average_score": round(score_sum[association] / graded[association], 2),
        }
        for association in sorted(graded)
    }


def assignment_names(gradebook_path: Path) -> list[str]:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{gradebook_path}", course_id=COURSE_ID) as gradebook:
        return [assignment.name for assignment in gradebook.assignments]


def timed_summary(gradebook_path: Path, membership: dict[str, list[str]], sample: int = 0) -> dict:
    """Run :func:`summary_via_gradebook` and time it; with ``sample`` > 0 only on that many
    assignments (spread evenly), extrapolating the time to all of them.

    Why a sample: ``Gradebook.submission_dicts`` aggregates every grade in the gradebook
    whatever the assignment asked for, so each call costs about the same and the whole summary
    grows as assignments × submissions: measured here, 2.6 s a call with 62,000 graded
    submissions, 118 s a call with 626,000 (20,000 members): 250 calls, about 8 hours.
    """
    names = assignment_names(gradebook_path)
    used = names
    if 0 < sample < len(names):
        step = len(names) / sample
        used = [names[int(i * step)] for i in range(sample)]
    started = time.perf_counter()
    summary = summary_via_gradebook(gradebook_path, membership, used)
    seconds = time.perf_counter() - started
    return {
        "summary": summary,
        "assignments": used,
        "assignments_total": len(names),
        "seconds": seconds,
        "estimated_seconds": seconds * len(names) / len(used),
    }


def summary_via_platform(
    platform_db_url: str, module_codes: list[str] | None = None
) -> dict[str, dict]:
    """The same figures straight from the platform's module results, to check equivalence
    (only the modules ``module_codes`` when given)."""
    database = Database(platform_db_url)
    try:
        with database.session() as session:
            rows = session.execute(
                select(
                    Association.short_name,
                    func.count(func.distinct(ModuleResult.account_id)),
                    func.count(ModuleResult.score),
                    func.avg(ModuleResult.score),
                )
                .select_from(ModuleResult)
                .join(Member, Member.account_id == ModuleResult.account_id)
                .join(Membership, Membership.member_id == Member.id)
                .join(Association, Association.id == Membership.association_id)
                .where(
                    ModuleResult.score.is_not(None),
                    Membership.active.is_(True),
                    Member.active.is_(True),
                    *(
                        [
                            ModuleResult.module_id.in_(
                                select(Module.id).where(Module.code.in_(module_codes))
                            )
                        ]
                        if module_codes is not None
                        else []
                    ),
                )
                .group_by(Association.short_name)
            ).all()
    finally:
        database.dispose()
    return {
        short: {"learners": learners, "graded": count, "average_score": round(float(average), 2)}
        for short, learners, count, average in sorted(rows)
    }


def _platform(members: int, folder: Path) -> str:
    url = f"sqlite:///{folder / 'platform.sqlite'}"
    database = Database(url)
    migrate.upgrade(database)
    with database.session() as session:
        ensure_standard_associations(session, "示例市")
    started = time.perf_counter()
    counts = generate(database, members=members)
    database.dispose()
    print(
        f"platform: {members:,} members, {counts['module_results']:,} module results "
        f"generated in {time.perf_counter() - started:.1f} s ({url})"
    )
    return url


def _timed(label: str, call) -> tuple[object, float]:
    started = time.perf_counter()
    value = call()
    seconds = time.perf_counter() - started
    print(f"{label}: {seconds:.2f} s")
    return value, seconds


def _table(summary: dict[str, dict]) -> Iterator[str]:
    yield f"{'association':<6} {'learners':>9} {'graded':>9} {'avg score':>10}"
    for short, row in summary.items():
        yield (
            f"{short:<9} {row['learners']:>9,} {row['graded']:>9,} {row['average_score']:>10.2f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--platform-url", help="an existing platform database (generated)")
    parser.add_argument("--members", type=int, default=20000, help="members to generate")
    parser.add_argument("--gradebook", type=Path, help="where to write gradebook.db")
    parser.add_argument(
        "--sample-assignments",
        type=int,
        default=0,
        help="summarise only this many assignments and extrapolate the time (0: all)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="gradebook-equivalent-") as folder:
        url = args.platform_url or _platform(args.members, Path(folder))
        path = args.gradebook or Path(folder) / "gradebook.db"
        built, _ = _timed("build gradebook (bulk inserts)", lambda: build_gradebook(url, path))
        print("  " + ", ".join(f"{k}={v:,}" for k, v in built.items() if k != "seconds"))
        membership, _ = _timed("membership map", lambda: membership_map(url))
        run = timed_summary(path, membership, args.sample_assignments)
        used, total = len(run["assignments"]), run["assignments_total"]
        print(
            f"summary via nbgrader Gradebook API: {run['seconds']:.2f} s "
            f"for {used} of {total} assignments"
        )
        if used < total:
            print(
                f"  SAMPLED: all {total} assignments would take about "
                f"{run['estimated_seconds']:.0f} s (each submission_dicts call costs the same)"
            )
        codes = None if used == total else run["assignments"]
        expected, _ = _timed(
            "same figures by SQL on the platform", lambda: summary_via_platform(url, codes)
        )
        for line in _table(run["summary"]):
            print("  " + line)
        equivalent = run["summary"] == expected
        print("equivalent:", "yes" if equivalent else "NO")
        if not equivalent:
            sys.exit(1)


if __name__ == "__main__":
    main()

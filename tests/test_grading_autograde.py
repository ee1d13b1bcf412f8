"""Autograding with real nbgrader and real kernels: the course directory, scores, feedback,
the timeout, and what a learner's archive may not do."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest
from sqlalchemy import func, select

from gradingdata import (
    COURSES,
    DEMO_COURSE,
    DEMO_MODULE,
    REFLECTION,
    RIGHT,
    demo_manifest,
    learner,
    publish,
    settings_for,
    submit,
)
from yiyuan.courses.manifest import Course as Manifest
from yiyuan.courses.manifest import Module as ManifestModule
from yiyuan.grading import queue
from yiyuan.grading.autograde import grade_submission
from yiyuan.grading.coursedir import GradingError, course_root, prepare_module
from yiyuan.grading.worker import run_pool
from yiyuan.models import CompletionEvent, Grade, ModuleResult

#: runs kernels or nbgrader: make test-fast leaves it out (pytest.ini)
pytestmark = pytest.mark.kernel


def sqlite_database(settings):
    """For tests about files rather than the database: SQLite only (quicker)."""
    from yiyuan.db import Database, migrate

    database = Database(settings.platform_db_url)
    migrate.upgrade(database)
    return database


def grade_of(database, submission_id: int) -> Grade:
    with database.session() as session:
        return session.scalars(select(Grade).where(Grade.submission_id == submission_id)).one()


def feedback_html(settings, grade: Grade) -> str:
    folder = settings.exchange_dir / grade.feedback_path
    pages = sorted(folder.glob("*.html"))
    assert [p.name for p in pages] == [f"{DEMO_MODULE}.html"]
    return pages[0].read_text(encoding="utf-8")


def test_prepare_module_releases_no_answers(tmp_path):
    courses = tmp_path / "courses"
    origin = courses / "notebooks" / DEMO_COURSE / DEMO_MODULE
    shutil.copytree(COURSES / "notebooks" / DEMO_COURSE / DEMO_MODULE, origin)
    (origin / "answers.json").write_text('{"version": 1, "answers": {"q1": "小篆"}}')
    (origin / ".ipynb_checkpoints").mkdir()
    (origin / ".ipynb_checkpoints" / "x.ipynb").write_text("{}")
    (origin / ".secret").write_text("x")
    settings = settings_for(tmp_path, courses_dir=courses)
    release = prepare_module(settings, demo_manifest(), DEMO_MODULE)
    assert release == course_root(settings, DEMO_COURSE) / "release" / DEMO_MODULE
    assert sorted(p.name for p in release.iterdir()) == [f"{DEMO_MODULE}.ipynb"]
    source = course_root(settings, DEMO_COURSE) / "source" / DEMO_MODULE
    assert sorted(p.name for p in source.iterdir()) == [f"{DEMO_MODULE}.ipynb"]
    text = (release / f"{DEMO_MODULE}.ipynb").read_text(encoding="utf-8")
    assert "HIDDEN TESTS" not in text and "expect(" not in text and "lesson.single_choice" in text

    from nbgrader.api import Gradebook

    url = f"sqlite:///{course_root(settings, DEMO_COURSE) / 'gradebook.db'}"
    with Gradebook(url, DEMO_COURSE) as gradebook:
        lesson = gradebook.find_notebook(DEMO_MODULE, DEMO_MODULE)
        assert sum(cell.max_score for cell in lesson.grade_cells) == 7  # q1..q5 + r1 (2)
    # publishing again replaces the source (a lesson removed by the trainer goes away)
    (origin / "extra.ipynb").write_text("{}")
    (origin / "extra.ipynb").unlink()
    assert prepare_module(settings, demo_manifest(), DEMO_MODULE) == release


def test_prepare_module_reports_a_broken_lesson_in_chinese(tmp_path):
    courses = tmp_path / "courses"
    origin = courses / "notebooks" / DEMO_COURSE / DEMO_MODULE
    origin.mkdir(parents=True)
    (origin / f"{DEMO_MODULE}.ipynb").write_text("not a notebook")
    settings = settings_for(tmp_path, courses_dir=courses)
    with pytest.raises(GradingError, match=DEMO_MODULE):
        prepare_module(settings, demo_manifest(), DEMO_MODULE)
    with pytest.raises(GradingError, match="找不到单元"):
        prepare_module(settings, demo_manifest(), "no-such-module")


def test_right_and_wrong_answers(database, tmp_path):
    settings = settings_for(tmp_path)
    with database.session() as session:
        module = publish(session, settings, demo_manifest(), DEMO_MODULE, ["r1"])
        account = learner(session, "zhangsan", "张三")
        right = submit(session, settings, module, account, {**RIGHT, "r1": REFLECTION}).id
        wrong = submit(
            session, settings, module, account, {**RIGHT, "q1": "隶书", "q3": ["章草"]}
        ).id
        account_id, module_id = account.id, module.id

    grade_submission(settings, database, right)
    grade = grade_of(database, right)
    assert (grade.auto_score, grade.auto_max) == (5, 5)
    assert (grade.manual_score, grade.manual_max, grade.needs_manual) == (None, 2, True)
    assert grade.reflections_written == ["r1"]
    assert grade.items["q1-check"] == {
        "score": 1.0,
        "max": 1.0,
        "auto": True,
        "comment": "",
        "lesson": DEMO_MODULE,
    }
    assert grade.items["r1-task"]["auto"] is False and grade.items["r1-task"]["score"] is None
    html = feedback_html(settings, grade)
    assert "得分：5.0 / 7.0" in html
    for secret in ("HIDDEN TESTS", "expect(", "Traceback", "yiyuan.lesson.grading"):
        assert secret not in html

    grade_submission(settings, database, wrong)
    grade = grade_of(database, wrong)
    assert (grade.auto_score, grade.auto_max) == (3, 5)
    assert grade.items["q1-check"]["score"] == 0 and grade.items["q2-check"]["score"] == 1
    assert grade.reflections_written == []
    html = feedback_html(settings, grade)
    assert "题目 q1 回答不正确。" in html and "题目 q3 回答不正确。" in html
    assert "题目 q2 回答不正确。" not in html
    assert "Traceback" not in html and "AssertionError" not in html and "expect(" not in html

    first_id = grade_of(database, right).id
    grade_submission(settings, database, right)  # grading again: the same row
    again = grade_of(database, right)
    assert again.id == first_id and (again.auto_score, again.needs_manual) == (5, True)
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(Grade)) == 2
        kinds = session.scalars(
            select(CompletionEvent.kind).where(CompletionEvent.account_id == account_id)
        ).all()
        assert kinds.count("graded") == 3
        result = session.scalars(
            select(ModuleResult).where(
                ModuleResult.account_id == account_id, ModuleResult.module_id == module_id
            )
        ).one()
        assert result.submission_id in (right, wrong)


def test_a_learners_extra_files_and_timestamp_are_ignored(tmp_path):
    """A module named like the grader's, dropped beside the notebook, would be imported by the
    kernel; a timestamp file would claim any time. Neither reaches the grading."""
    settings = settings_for(tmp_path)
    database = sqlite_database(settings)
    fake = "def expect(*args, **kwargs):\n    pass\n"
    with database.session() as session:
        module = publish(session, settings, demo_manifest(), DEMO_MODULE, ["r1"])
        account = learner(session, "lisi")
        submission = submit(
            session,
            settings,
            module,
            account,
            {"q1": "错"},
            extra_files={
                "yiyuan/__init__.py": "",
                "yiyuan/lesson/__init__.py": "",
                "yiyuan/lesson/grading.py": fake,
                "timestamp.txt": "2020-01-01 00:00:00.000000 UTC",
            },
        )
        submission_id, submitted_at = submission.id, submission.submitted_at
    grade_submission(settings, database, submission_id)
    assert grade_of(database, submission_id).auto_score == 0
    folder = course_root(settings, DEMO_COURSE) / "submitted" / "lisi" / DEMO_MODULE
    assert sorted(p.name for p in folder.iterdir()) == [
        "answers.json",
        f"{DEMO_MODULE}.ipynb",
        "timestamp.txt",
    ]
    assert (folder / "timestamp.txt").read_text().startswith(str(submitted_at.year))


def test_a_missing_archive_is_a_machinery_error(tmp_path):
    settings = settings_for(tmp_path)
    database = sqlite_database(settings)
    with database.session() as session:
        module = publish(session, settings, demo_manifest(), DEMO_MODULE, ["r1"])
        submission = submit(session, settings, module, learner(session, "wangwu"), RIGHT)
        submission_id = submission.id
    (settings.exchange_dir / submission.path).unlink()
    with pytest.raises(GradingError, match="找不到"):
        grade_submission(settings, database, submission_id)
    with pytest.raises(GradingError, match="找不到编号为 999"):
        grade_submission(settings, database, 999)


def test_a_cell_the_learner_added_never_runs(tmp_path):
    """Answers live in answers.json: a code cell a learner adds in JupyterLab (here one that
    disarms the hidden checks) is not part of what is graded."""
    settings = settings_for(tmp_path)
    database = sqlite_database(settings)

    def add_cheat(folder: Path) -> None:
        path = folder / f"{DEMO_MODULE}.ipynb"
        notebook = nbformat.read(path, as_version=4)
        cheat = "import yiyuan.lesson.grading as g\ng.expect = lambda *a, **k: None"
        notebook.cells.insert(1, nbformat.v4.new_code_cell(cheat))
        nbformat.write(notebook, path)

    with database.session() as session:
        module = publish(session, settings, demo_manifest(), DEMO_MODULE, ["r1"])
        submission = submit(
            session,
            settings,
            module,
            learner(session, "wangwu"),
            {"q1": "错"},
            notebook_edit=add_cheat,
        )
        submission_id = submission.id
    grade_submission(settings, database, submission_id)
    assert grade_of(database, submission_id).auto_score == 0
    folder = course_root(settings, DEMO_COURSE) / "submitted" / "wangwu" / DEMO_MODULE
    graded = nbformat.read(folder / f"{DEMO_MODULE}.ipynb", as_version=4)
    assert not any("g.expect" in cell.source for cell in graded.cells)
    database.dispose()


# -- a notebook that never ends --------------------------------------------------------------


def loop_course(tmp_path: Path) -> tuple[Path, Manifest]:
    """A tiny course: one answer cell the learner edits, one hidden check."""

    def meta(grade_id, **flags):
        base = {"grade": False, "solution": False, "locked": True, "task": False}
        return {**base, **flags, "grade_id": grade_id, "schema_version": 3}

    code = nbformat.v4.new_code_cell
    notebook = nbformat.v4.new_notebook(
        cells=[
            code("x = 1", metadata={"nbgrader": meta("answer", solution=True, locked=False)}),
            code(
                "### BEGIN HIDDEN TESTS\nassert x == 1, '题目 q1 回答不正确。'\n"
                "### END HIDDEN TESTS",
                metadata={"nbgrader": meta("q1-check", grade=True, points=1)},
            ),
            code("y = 2"),
        ]
    )
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    courses = tmp_path / "courses"
    folder = courses / "notebooks" / "xunhuan" / "m1"
    folder.mkdir(parents=True)
    nbformat.write(notebook, folder / "loop.ipynb")
    manifest = Manifest(
        id="xunhuan",
        title="循环",
        summary="",
        category="",
        trainers=(),
        associations=(),
        standings=(),
        cohorts=(),
        enrolment="elective",
        opens=None,
        due=None,
        modules=(
            ManifestModule("m1", "单元一", "online", 1.0, True, {"quiz": 60}, ("loop.ipynb",)),
        ),
    )
    return courses, manifest


def edit_answer(source: str):
    def edit(folder: Path) -> None:
        notebook = nbformat.read(folder / "loop.ipynb", as_version=4)
        notebook.cells[0].source = source
        nbformat.write(notebook, folder / "loop.ipynb")

    return edit


def test_an_infinite_loop_is_graded_as_failed_within_the_timeout(tmp_path):
    courses, manifest = loop_course(tmp_path)
    settings = settings_for(tmp_path, courses_dir=courses, timeout=4, workers=1)
    database = sqlite_database(settings)
    with database.session() as session:
        module = publish(session, settings, manifest, "m1", [])
        looping = submit(
            session,
            settings,
            module,
            learner(session, "loop1"),
            {},
            notebook_edit=edit_answer("while True:\n    pass"),
        )
        fine = submit(
            session,
            settings,
            module,
            learner(session, "fine1"),
            {},
            notebook_edit=edit_answer("x = 1"),
        )
        ids = [looping.id, fine.id]
        for submission_id in ids:
            queue.enqueue(session, submission_id)
    run_pool(settings, once=True)
    with database.session() as session:
        assert queue.status(session) == {"queued": 0, "running": 0, "done": 2, "failed": 0}
        event = session.scalars(
            select(CompletionEvent).where(
                CompletionEvent.submission_id == ids[0], CompletionEvent.kind == "graded"
            )
        ).one()
        assert event.detail["failed_lessons"] == {"loop": "timeout"}
    assert grade_of(database, ids[0]).auto_score == 0
    assert grade_of(database, ids[1]).auto_score == 1
    html = settings.exchange_dir / grade_of(database, ids[0]).feedback_path / "loop.html"
    text = html.read_text(encoding="utf-8")
    assert "超时" in text and "Traceback" not in text and "KeyboardInterrupt" not in text
    database.dispose()

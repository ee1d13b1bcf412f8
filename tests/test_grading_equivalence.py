"""The sandbox changes where learners' code runs, not what it scores.

- The four demo courses: the first online module of each, graded in the sandbox with right
  answers (read from the lesson's own hidden ``expect`` checks) and with the first one wrong:
  full marks for every check, then every check but the wrong question's.
- A classic nbgrader assignment nobody on this project wrote: nbgrader's own documentation
  course (``ps1``, shipped in the wheel) with its two example submissions, graded by the
  platform in the sandbox and by stock ``nbgrader autograde``: the same score for every cell.
"""

from __future__ import annotations

import ast
import dataclasses
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import nbgrader
import pytest

from gradingdata import COURSES, learner, publish, settings_for, submit
from yiyuan.courses.manifest import read_manifest, to_course
from yiyuan.db import Database, migrate
from yiyuan.grading.autograde import grade_submission, read_scores

BIN = Path(sys.executable).parent
USER_GUIDE = Path(nbgrader.__file__).parent / "docs" / "source" / "user_guide"
DEMO_COURSES = ["ershida-wenyi", "xinmeiti-chuanbo", "shufa-jianshang", "yinyue-jichu"]


def right_answers(lesson: Path) -> dict:
    """Each question's first accepted answer, from the lesson's ``expect(...)`` checks."""
    answers = {}
    for cell in nbformat.read(lesson, as_version=4).cells:
        for node in ast.walk(ast.parse(cell.source)) if "expect(" in cell.source else ():
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "expect":
                answers[ast.literal_eval(node.args[0])] = ast.literal_eval(node.args[1])
    return answers


def grade(settings, database, module, username, answers, notebook_edit=None) -> dict:
    with database.session() as session:
        account = learner(session, username)
        submission = submit(session, settings, module, account, answers, None, notebook_edit)
        submission_id = submission.id
    grade_submission(settings, database, submission_id)
    items = read_scores(settings, module.course.code, module.code, username).items
    return {name: item["score"] for name, item in items.items() if item["auto"]}


def platform(tmp_path: Path, courses_dir: Path, course_id: str, module_id: str, sandbox: str):
    settings = settings_for(tmp_path / sandbox, courses_dir, sandbox=sandbox)
    database = Database(settings.platform_db_url)
    migrate.upgrade(database)
    data, problems = read_manifest(courses_dir / f"{course_id}.yml")
    assert not problems, problems
    with database.session() as session:
        module = publish(session, settings, to_course(data), module_id, [])
        session.expunge_all()
    with database.session() as session:
        module = session.merge(module)
        module.course  # noqa: B018 (loaded while the session is open)
        session.expunge_all()
    return settings, database, module


@pytest.mark.parametrize("course_id", DEMO_COURSES)
def test_demo_courses_score_in_the_sandbox_as_their_answer_key_says(tmp_path, course_id):
    data, _ = read_manifest(COURSES / f"{course_id}.yml")
    spec = next(m for m in to_course(data).modules if m.kind == "online")
    lesson = COURSES / "notebooks" / course_id / spec.id / spec.lessons[0]
    right = right_answers(lesson)
    assert right, f"{lesson} has no expect() checks"
    first = sorted(right)[0]
    settings, database, module = platform(tmp_path, COURSES, course_id, spec.id, "bwrap")
    full = grade(settings, database, module, "xueyuan1", right)
    one_wrong = grade(settings, database, module, "xueyuan2", {**right, first: "（错误的答案）"})
    database.dispose()
    maxima = {
        name: item["max"]
        for name, item in read_scores(settings, course_id, spec.id, "xueyuan1").items.items()
        if item["auto"]
    }
    assert full == maxima  # every check of the right answers passes
    assert one_wrong == {
        name: 0.0 if name.startswith(f"{first}-") else maximum for name, maximum in maxima.items()
    }


def _ps1_course(root: Path) -> Path:
    """nbgrader's documentation assignment as a platform course (a manifest and its lessons)."""
    courses = root / "courses"
    shutil.copytree(USER_GUIDE / "source" / "ps1", courses / "notebooks" / "nbgrader-ps1" / "ps1")
    (courses / "nbgrader-ps1.yml").write_text(
        "id: nbgrader-ps1\n"
        "title: nbgrader 示例作业\n"
        "summary: nbgrader 文档自带的示例作业 ps1，用来核对平台与原版 nbgrader 的评分是否一致。\n"
        "category: 专业技能\n"
        "trainers: [lihua]\n"
        "audience: {associations: [全部]}\n"
        "enrolment: elective\n"
        "modules:\n"
        "  - {id: ps1, title: 示例作业, kind: online, hours: 1, required: true, pass: {},\n"
        "     lessons: [problem1.ipynb, problem2.ipynb]}\n",
        "utf-8",
    )
    return courses


def _stock_scores(root: Path, students: list[str]) -> dict[str, dict]:
    """Stock ``nbgrader generate_assignment`` and ``autograde`` on the same notebooks."""
    from nbgrader.api import Gradebook

    course = root / "stock"
    shutil.copytree(USER_GUIDE / "source", course / "source")
    for student in students:
        shutil.copytree(USER_GUIDE / "submitted" / student, course / "submitted" / student)
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    for command in (
        ["generate_assignment", "ps1", "--create", "--force"],
        *(["autograde", "ps1", "--student", s, "--create", "--force"] for s in students),
    ):
        subprocess.run(
            [str(BIN / "nbgrader"), *command], cwd=course, env=env, check=True, capture_output=True
        )
    scores = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        for student in students:
            submission = gradebook.find_submission("ps1", student)
            scores[student] = {
                grade.name: float(grade.auto_score)
                for notebook in submission.notebooks
                for grade in notebook.grades
                if grade.auto_score is not None
            }
    return scores


def test_a_classic_nbgrader_assignment_scores_as_stock_nbgrader(tmp_path):
    students = ["bitdiddle", "hacker"]
    courses = _ps1_course(tmp_path)
    settings, database, module = platform(tmp_path, courses, "nbgrader-ps1", "ps1", "bwrap")
    ours = {}
    for student in students:

        def use_submitted(work: Path, student=student) -> None:
            for path in (USER_GUIDE / "submitted" / student / "ps1").glob("*.ipynb"):
                shutil.copyfile(path, work / path.name)

        ours[student] = grade(settings, database, module, student, {}, use_submitted)
    database.dispose()
    stock = _stock_scores(tmp_path, students)
    assert ours == stock
    # the two submissions differ, so the comparison says something
    assert ours["bitdiddle"] != ours["hacker"]
    assert dataclasses.asdict(settings.grading)["sandbox"] == "bwrap"

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

#: runs kernels or nbgrader: make test-fast leaves it out (pytest.ini)
pytestmark = pytest.mark.kernel

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


def _ps1_course(root: Path, rule: str = "{}") -> Path:
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
        f"  - {{id: ps1, title: 示例作业, kind: online, hours: 1, required: true, pass: {rule},\n"
        "     lessons: [problem1.ipynb, problem2.ipynb]}\n",
        "utf-8",
    )
    return courses


def _stock_scores(root: Path, students: list[str]) -> dict[str, dict]:
    """Stock ``nbgrader generate_assignment`` and ``autograde`` on the same notebooks."""

    def submitted(course: Path, student: str) -> None:
        shutil.copytree(
            USER_GUIDE / "submitted" / student / "ps1", course / "submitted" / student / "ps1"
        )

    return {student: auto for student, (auto, _, _) in _stock(root, students, submitted).items()}


def _stock(root: Path, students: list[str], fill) -> dict[str, tuple[dict, float, float]]:
    """Stock nbgrader on ps1: generate, ``fill(course, student)`` writes each student's
    ``submitted/<student>/ps1``, autograde. Per student: the scores nbgrader gave on its own
    (auto_score), and the points of the autograder tests (code grade cells that are not
    answers) earned and possible — as nbgrader's gradebook defines its cells."""
    from nbgrader.api import Gradebook

    course = root / "stock"
    shutil.copytree(USER_GUIDE / "source", course / "source")
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}

    def nbgrader_(*command: str) -> None:
        subprocess.run(
            [str(BIN / "nbgrader"), *command], cwd=course, env=env, check=True, capture_output=True
        )

    nbgrader_("generate_assignment", "ps1", "--create", "--force")
    for student in students:
        (course / "submitted" / student).mkdir(parents=True)
        fill(course, student)
        nbgrader_("autograde", "ps1", "--student", student, "--create", "--force")
    found = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        for student in students:
            submission = gradebook.find_submission("ps1", student)
            auto, earned, possible = {}, 0.0, 0.0
            for notebook in submission.notebooks:
                answers = {c.name for c in notebook.notebook.solution_cells}
                for grade in notebook.grades:
                    if grade.auto_score is not None:
                        auto[grade.name] = float(grade.auto_score)
                    if grade.cell_type == "code" and grade.name not in answers:
                        earned += float(grade.score)
                        possible += float(grade.max_score)
            found[student] = (auto, earned, possible)
    return found


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
    # every autograder test as stock nbgrader scored it (stock also gives an answer handed in
    # unchanged an automatic 0: the platform counts that among the manual items)
    for student in students:
        assert ours[student] and ours[student] == {k: stock[student][k] for k in ours[student]}
    # the two submissions differ, so the comparison says something
    assert ours["bitdiddle"] != ours["hacker"]
    assert dataclasses.asdict(settings.grading)["sandbox"] == "bwrap"


def test_ps1_under_a_quiz_rule_scores_on_a_denominator_fixed_by_the_release(tmp_path):
    """ps1 under ``pass: {quiz: 60}``: the checker takes nbgrader's autograder tests as the
    quiz; the solution passes, the released version handed in blank fails, a submission
    missing the notebook with every test is scored on all the release's tests (0%), one with
    every test passed and the answers to grade by hand untouched has 100%; the percentage is
    stock nbgrader's test points over the same denominator, the same on each page."""
    from sqlalchemy import select

    from yiyuan.courses.check import check_courses
    from yiyuan.members.matching import standard_matcher
    from yiyuan.models import Account, ModuleResult

    courses = _ps1_course(tmp_path, rule="{quiz: 60}")
    (checked,) = check_courses(courses, standard_matcher("深圳市"), ["nbgrader-ps1"])
    assert checked.problems == [], checked.problems
    settings, database, module = platform(tmp_path, courses, "nbgrader-ps1", "ps1", "bwrap")
    source = USER_GUIDE / "source" / "ps1"

    def solution(work: Path) -> None:
        for path in source.glob("*.ipynb"):
            shutil.copyfile(path, work / path.name)

    def half(work: Path) -> None:  # problem 2 answered, problem 1 (all the tests) not handed in
        shutil.copyfile(source / "problem2.ipynb", work / "problem2.ipynb")
        (work / "problem1.ipynb").unlink()

    def code_only(work: Path) -> None:
        """The functions the tests call written, the answers to grade by hand left as
        released (nbgrader gives those 0 on its own: manual points, not the quiz's)."""
        path = work / "problem1.ipynb"
        released = nbformat.read(path, as_version=4)
        solved = {
            c.metadata.get("nbgrader", {}).get("grade_id"): c.source
            for c in nbformat.read(source / "problem1.ipynb", as_version=4).cells
        }
        for cell in released.cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("solution") and not meta.get("grade"):
                cell.source = solved[meta["grade_id"]]
        nbformat.write(released, path)

    edits = {"jiejue": solution, "kongbai": None, "banfen": half, "daima": code_only}
    ours = {name: grade(settings, database, module, name, {}, edit) for name, edit in edits.items()}
    with database.session() as session:
        results = {
            username: (status.value, score)
            for username, status, score in session.execute(
                select(Account.username, ModuleResult.status, ModuleResult.score)
                .join(ModuleResult, ModuleResult.account_id == Account.id)
                .where(ModuleResult.module_id == module.id)
            )
        }
    database.dispose()

    def stock_fill(course: Path, student: str) -> None:
        folder = course / "submitted" / student / "ps1"
        shutil.copytree(course / "release" / "ps1", folder)  # stock's own released version
        if student != "kongbai":
            for path in source.glob("*.ipynb"):
                shutil.copyfile(path, folder / path.name)
        if student == "banfen":
            (folder / "problem1.ipynb").unlink()
        if student == "daima":
            shutil.copytree(course / "release" / "ps1", folder, dirs_exist_ok=True)
            code_only(folder)

    stock = _stock(tmp_path, list(edits), stock_fill)
    _, full, possible = stock["jiejue"]
    assert possible > 0 and full == possible
    for name in edits:
        auto, earned, total = stock[name]
        assert total == possible  # nbgrader's own denominator does not move either
        # every autograder test as nbgrader scored it on its own
        assert ours[name] and ours[name] == {k: auto[k] for k in ours[name]}, name
        status, score = results[name]
        assert score == pytest.approx(earned / possible * 100), (name, score)
        assert status == ("passed" if score >= 60 else "failed"), (name, status)
    assert results["jiejue"] == ("passed", 100.0)
    assert results["kongbai"][0] == "failed" and results["kongbai"][1] == 0.0
    # no test handed in is 0 of the release's points, not "no quiz, so the rule holds"
    assert results["banfen"] == ("failed", 0.0)
    # every test passed: 100 %, whatever waits for the trainer (counting the unchanged
    # answers' automatic 0 in the quiz made this 3 of 6 points, and a fail)
    assert results["daima"] == ("passed", 100.0)

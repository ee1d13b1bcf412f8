"""Lessons whose learners write no code are graded from the answers, without a kernel per
submission, and score exactly as the kernel run does.

- Every demo lesson (``courses/notebooks/*/*``, the live one with its ``interact`` chart
  too) is answers-only. Each is graded with several answer sets (all right, all wrong —
  wrong values and wrong types —, blank, partial with accepted variants, a reflection too
  short) both ways: from the answers (the platform's default) and by the stock nbgrader run
  in the sandboxed kernel. Per-cell scores, totals, what the trainer reads (the reflection in
  the graded notebook and in the manual-grading queue) and the feedback page's text are the
  same; the answers way starts no kernel once the lesson's reference run is kept.
- A submission whose answers file cannot be read scores the same both ways.
- Notebooks with learner code (solution cells) or checks that are not plain ``expect`` calls
  on literals are not answers-only: they run in the kernel (nbgrader's ps1 in
  test_grading_equivalence.py is graded in the sandbox by the default path).
"""

from __future__ import annotations

import ast
import re
import shutil
from pathlib import Path

import nbformat
import pytest
from sqlalchemy import select
from test_grading_equivalence import right_answers

from gradingdata import COURSES, learner, publish, settings_for, submit
from yiyuan.courses.manifest import read_manifest, to_course
from yiyuan.db import Database, migrate
from yiyuan.grading import answers_only
from yiyuan.grading.autograde import grade_submission
from yiyuan.grading.coursedir import course_root
from yiyuan.grading.execute import TimedExecute
from yiyuan.grading.manual import manual_queue
from yiyuan.models import CompletionEvent, Grade

#: runs kernels or nbgrader: make test-fast leaves it out (pytest.ini)
pytestmark = pytest.mark.kernel

LESSONS = sorted(COURSES.glob("notebooks/*/*/*.ipynb"))


def lesson_id(path: Path) -> str:
    return f"{path.parent.parent.name}/{path.parent.name}"


def module_of(lesson: Path):
    """The demo course and the module of the manifest that holds ``lesson``."""
    course_id = lesson.parent.parent.name
    data, problems = read_manifest(COURSES / f"{course_id}.yml")
    assert not problems, problems
    manifest = to_course(data)
    module = next(m for m in manifest.modules if m.id == lesson.parent.name)
    assert lesson.name in module.lessons
    return manifest, module


def reflections(lesson: Path) -> dict[str, int]:
    """The lesson's reflection questions and their minimum lengths."""
    found = {}
    for cell in nbformat.read(lesson, as_version=4).cells:
        if cell.cell_type == "code" and ".reflection(" in cell.source:
            for node in ast.walk(ast.parse(cell.source)):
                if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "reflection":
                    keywords = {k.arg: ast.literal_eval(k.value) for k in node.keywords}
                    found[ast.literal_eval(node.args[0])] = keywords.get("min_length", 0)
    return found


def accepted_answers(lesson: Path) -> dict[str, list]:
    """Every accepted answer of each question, from the lesson's ``expect(...)`` checks."""
    accepted = {}
    for cell in nbformat.read(lesson, as_version=4).cells:
        if "expect(" in cell.source:
            for node in ast.walk(ast.parse(cell.source)):
                if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "expect":
                    values = [ast.literal_eval(arg) for arg in node.args]
                    accepted[values[0]] = values[1:]
    return accepted


def wrong(value, number: int):
    """A wrong answer: of the right type for even ``number``, of another type for odd."""
    if number % 2:
        return str(value) if not isinstance(value, str) else ["（错误）"]
    if isinstance(value, bool):
        return not value
    if isinstance(value, list):
        return value[:1] if len(value) > 1 else [*value, "（多选的错误选项）"]
    if isinstance(value, int | float):
        return value + 1
    return "（错误的答案）"


def variant(value):
    """An accepted answer as a learner might type it (spaces around text, another order)."""
    if isinstance(value, str):
        return f"  {value} "
    if isinstance(value, list):
        return list(reversed(value))
    return value


def answer_sets(lesson: Path) -> dict[str, dict]:
    accepted = accepted_answers(lesson)
    right = right_answers(lesson)
    assert right and set(right) == set(accepted), lesson
    minimum = reflections(lesson)
    assert minimum, f"{lesson} has no reflection"
    long_enough = {q: "我的学习心得。" * (n // 7 + 2) for q, n in minimum.items()}
    too_short = {q: "太短了\n\n第二段" for q in minimum}
    questions = sorted(right)
    return {
        "right": {**right, **long_enough, "s1": "满意"},
        "wrong": {q: wrong(right[q], i) for i, q in enumerate(questions)},
        "blank": {},
        "partial": {
            **{q: variant(accepted[q][-1]) for q in questions[::2]},
            **long_enough,
        },
        "short-reflection": {**right, **too_short},
    }


def platform(tmp_path: Path, lesson: Path):
    manifest, spec = module_of(lesson)
    # a lesson stopped by the time limit is graded differently (a kernel on a machine busy
    # with other suites can take minutes): the limit is not what is compared here
    settings = settings_for(tmp_path, COURSES, sandbox="bwrap", timeout=600)
    database = Database(settings.platform_db_url)
    migrate.upgrade(database)
    with database.session() as session:
        module = publish(session, settings, manifest, spec.id, sorted(reflections(lesson)))
        module.course  # noqa: B018 (loaded while the session is open)
        session.expunge_all()
    return settings, database, module


class KernelRuns:
    """Counts the notebooks run in a kernel (TimedExecute's runs, reference runs included)."""

    def __init__(self, monkeypatch):
        self.count = 0
        original = TimedExecute.preprocess

        def counting(preprocessor, *args, **kwargs):
            self.count += 1
            return original(preprocessor, *args, **kwargs)

        monkeypatch.setattr(TimedExecute, "preprocess", counting)


def graded(settings, database, module, username, answers, fast, extra_files=None) -> dict:
    """Grade one submission one way; what the learner and the trainer get."""
    with database.session() as session:
        account = learner(session, username)
        submission_id = submit(session, settings, module, account, answers, extra_files).id
    grade_submission(settings, database, submission_id, answers_only=fast)
    with database.session() as session:
        grade = session.scalars(select(Grade).where(Grade.submission_id == submission_id)).one()
        event = session.scalars(
            select(CompletionEvent).where(
                CompletionEvent.submission_id == submission_id, CompletionEvent.kind == "graded"
            )
        ).one()
        queued = [i for i in manual_queue(session, module.course.code, settings)]
        feedback = settings.exchange_dir / grade.feedback_path
        result = {
            "items": {name: (i["score"], i["max"], i["auto"]) for name, i in grade.items.items()},
            "totals": (
                grade.auto_score,
                grade.auto_max,
                grade.manual_score,
                grade.manual_max,
                grade.needs_manual,
            ),
            "reflections_written": grade.reflections_written,
            "failed_lessons": event.detail["failed_lessons"],
            "queue": [i.reflections for i in queued if i.submission_id == submission_id],
            "feedback": {p.name: visible_text(p.read_text("utf-8")) for p in feedback.iterdir()},
        }
        without_kernel = event.detail["without_kernel"]
    folder = course_root(settings, module.course.code) / "autograded" / username / module.code
    result["trainer_reads"] = {
        path.stem: [
            output["data"]["text/markdown"]
            for cell in nbformat.read(path, as_version=4).cells
            for output in cell.get("outputs", [])
            if "text/markdown" in output.get("data", {})
        ]
        for path in sorted(folder.glob("*.ipynb"))
    }
    return result, without_kernel


def visible_text(html: str) -> str:
    """A feedback page as a learner reads it (widget views are ids of models it does not
    hold: they differ between two runs and show nothing)."""
    html = re.sub(r"<script.*?</script>|<style.*?</style>", "", html, flags=re.S)
    html = re.sub(r'id="[0-9a-f-]{36}"', "", html)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


#: lessons graded with all five answer sets both ways (a typical one, and the live one with
#: its chart); the others with two, to keep the suite's time
EVERY_SET = {"kaishu-ziti", "yunzhanlan"}


@pytest.mark.timeout(1800)  # eleven gradings, six of them kernels: minutes on a busy machine
@pytest.mark.parametrize("lesson", LESSONS, ids=lesson_id)
def test_a_demo_lesson_scores_the_same_from_its_answers_as_in_the_kernel(
    tmp_path, monkeypatch, lesson
):
    settings, database, module = platform(tmp_path, lesson)
    runs = KernelRuns(monkeypatch)
    sets = answer_sets(lesson)
    full = lesson.stem in EVERY_SET
    if not full:  # the suite's time: two sets here, all five on the lessons of EVERY_SET
        sets = {name: sets[name] for name in ("right", "partial")}
    stock = {}
    again = 0
    for number, (name, answers) in enumerate(sets.items()):
        stock[name], without_kernel = graded(
            settings, database, module, f"stock{number}", answers, fast=False
        )
        if stock[name]["failed_lessons"] == {lesson.stem: "timeout"}:
            # the demo lessons run in seconds: a kernel stopped by the clock means a stalled
            # machine (a CI host paused for minutes did this once), not what is compared here
            again += 1
            stock[name], without_kernel = graded(
                settings, database, module, f"stock{number}again", answers, fast=False
            )
        assert without_kernel == []
        assert stock[name]["failed_lessons"] == {}, name
    assert runs.count == len(sets) + again
    runs.count = 0
    for number, (name, answers) in enumerate(sets.items()):
        fast, without_kernel = graded(
            settings, database, module, f"fast{number}", answers, fast=True
        )
        assert without_kernel == [lesson.stem]
        assert fast == stock[name], name
    database.dispose()
    assert runs.count == 1  # the lesson's reference run, kept for every later submission
    # the answer sets are different enough for the comparison to mean something
    assert stock["right"]["totals"][0] == stock["right"]["totals"][1] > 0
    assert 0 < stock["partial"]["totals"][0] < stock["right"]["totals"][0]
    if full:
        assert stock["wrong"]["totals"][0] == stock["blank"]["totals"][0] == 0
        assert stock["right"]["queue"] != stock["short-reflection"]["queue"]
        blank = stock["blank"]["trainer_reads"][lesson.stem]
        assert any("（学员没有填写）" in text for text in blank)


def test_an_unreadable_answers_file_scores_the_same_both_ways(tmp_path):
    lesson = COURSES / "notebooks" / "shufa-jianshang" / "kaishu-ziti" / "kaishu-ziti.ipynb"
    settings, database, module = platform(tmp_path, lesson)
    results = [
        graded(settings, database, module, f"u{n}", {}, fast, {"answers.json": "{not json"})
        for n, fast in enumerate([False, True])
    ]
    database.dispose()
    (stock, stock_kernelless), (fast, fast_kernelless) = results
    assert (stock_kernelless, fast_kernelless) == ([], [lesson.stem])
    assert fast["items"] == stock["items"] and fast["totals"] == stock["totals"]
    assert fast["totals"][0] == 0 and fast["trainer_reads"] == stock["trainer_reads"]


# -- which notebooks are answers-only --------------------------------------------------------


def demo(name: str = "kaishu-ziti") -> nbformat.NotebookNode:
    """A demo lesson as nbgrader runs it: the source version (hidden tests included)."""
    return nbformat.read(next(p for p in LESSONS if p.stem == name), as_version=4)


def check_cell(notebook, question: str = "q1"):
    return next(
        c
        for c in notebook.cells
        if c.metadata.get("nbgrader", {}).get("grade_id") == f"{question}-check"
    )


@pytest.mark.parametrize("lesson", LESSONS, ids=lesson_id)
def test_every_demo_lesson_is_answers_only(lesson):
    plan = answers_only.analyse(nbformat.read(lesson, as_version=4))
    assert plan is not None
    assert sorted(args[0] for calls in plan.checks.values() for args in calls) == sorted(
        accepted_answers(lesson)
    )
    assert [r.question_id for calls in plan.reflections.values() for r in calls] == sorted(
        reflections(lesson)
    )


@pytest.mark.parametrize(
    "edit",
    [
        "solution",
        "check-code",
        "computed-answer",
        "keyword",
        "aliased-import",
        "other-module",
        "patched-expect",
        "lesson-folder",
        "chdir",
    ],
)
def test_a_notebook_that_needs_a_kernel_is_not_answers_only(edit):
    notebook = demo()
    check = check_cell(notebook)
    setup = notebook.cells[1]
    assert "Lesson()" in setup.source and "expect(" in check.source
    if edit == "solution":
        notebook.cells[1].metadata["nbgrader"].update(solution=True, locked=False)
    elif edit == "check-code":
        check.source = check.source.replace("expect(", "print(1)\nexpect(")
    elif edit == "computed-answer":
        check.source = check.source.replace('"宋体"', '"宋" + "体"')
    elif edit == "keyword":
        check.source = check.source.replace('"宋体")', '"宋体", folder="/tmp")')
    elif edit == "aliased-import":
        check.source = check.source.replace("import expect", "import expect as e\nexpect = e")
    elif edit == "other-module":
        check.source = check.source.replace("yiyuan.lesson.grading", "mychecks")
    elif edit == "patched-expect":
        setup.source += "\nimport yiyuan.lesson.grading as g\ng.expect = lambda *a: None"
    elif edit == "lesson-folder":
        setup.source = setup.source.replace("Lesson()", "Lesson(folder='/tmp')")
    elif edit == "chdir":
        setup.source += "\nimport os\nos.chdir('/tmp')"
    assert answers_only.analyse(notebook) is None


def test_nbgraders_own_assignment_needs_a_kernel_for_the_learners_code_only():
    """ps1: problem1 asks for code (solution cells); problem2 only for written answers
    (Markdown solution cells, graded by hand: nothing a kernel would change)."""
    from test_grading_equivalence import USER_GUIDE

    folder = USER_GUIDE / "source" / "ps1"
    assert answers_only.analyse(nbformat.read(folder / "problem1.ipynb", as_version=4)) is None
    plan = answers_only.analyse(nbformat.read(folder / "problem2.ipynb", as_version=4))
    assert plan is not None and plan.checks == {} and plan.reflections == {}


def test_the_check_outputs_are_those_of_the_kernel(tmp_path):
    (tmp_path / "answers.json").write_text(
        '{"version": 1, "answers": {"q1": "宋体", "q2": true}}', encoding="utf-8"
    )
    assert answers_only.check_outputs([("q1", "宋体"), ("q2", True)], str(tmp_path)) == []
    [failed] = answers_only.check_outputs([("q1", "宋体"), ("q2", False)], str(tmp_path))
    assert (failed.output_type, failed.ename, failed.evalue) == (
        "error",
        "AssertionError",
        "题目 q2 回答不正确。",
    )
    [unsupported] = answers_only.check_outputs([("q1", {"a": 1})], str(tmp_path))
    assert unsupported.ename == "TypeError"
    shutil.rmtree(tmp_path)
    [missing] = answers_only.check_outputs([("q1", "宋体")], str(tmp_path))
    assert "没有找到答案文件" in missing.evalue


def test_the_reflection_reaches_the_trainer_or_the_kernel_grades(tmp_path):
    notebook = demo()
    plan = answers_only.analyse(notebook)
    [(index, [call])] = plan.reflections.items()
    code = [i for i, cell in enumerate(notebook.cells) if cell.cell_type == "code"]
    (tmp_path / "answers.json").write_text(
        '{"version": 1, "answers": {"q1": "宋体", "r1": "<b>心得</b>"}}', encoding="utf-8"
    )
    blank = answers_only.markdown_output(answers_only.reflection_markdown(call, {}))
    outputs = [[blank] if i == index else [] for i in code]
    filled = answers_only.fill(notebook, plan, {"outputs": outputs}, str(tmp_path))
    [shown] = filled.cells[index].outputs
    assert "心得" in shown.data["text/markdown"] and "<b>" not in shown.data["text/markdown"]
    q1, q2 = sorted(plan.checks)[:2]
    assert filled.cells[q1].outputs == []  # right
    assert [o.evalue for o in filled.cells[q2].outputs] == ["题目 q2 尚未作答。"]
    # a reference run that did not show the reflection: not filled (the kernel grades it)
    outputs = [[] for _ in code]
    assert answers_only.fill(notebook, plan, {"outputs": outputs}, str(tmp_path)) is None


def test_the_reference_run_is_kept_per_version_of_the_code_and_files(tmp_path):
    notebook = demo()
    (tmp_path / "answers.json").write_text('{"version": 1, "answers": {}}', encoding="utf-8")
    (tmp_path / "picture.png").write_bytes(b"1")
    first = answers_only._version(notebook, str(tmp_path))
    (tmp_path / "answers.json").write_text('{"version": 1, "answers": {"q1": "x"}}')
    notebook.cells[0].source += "\n（学员看不到代码的说明改了一个字）"
    assert answers_only._version(notebook, str(tmp_path)) == first
    (tmp_path / "picture.png").write_bytes(b"2")
    second = answers_only._version(notebook, str(tmp_path))
    assert second != first
    notebook.cells[1].source += "\n"
    assert answers_only._version(notebook, str(tmp_path)) not in (first, second)

"""The shipped demo courses for real: every lesson runs top to bottom in a fresh kernel,
nbgrader's generate step leaves no answer key in what learners receive, and a lesson served
by a real Voila process shows no code."""

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
import requests
from nbclient import NotebookClient
from test_courses_check import MATCHER

from hubtest import ROOT, free_port
from yiyuan.courses.check import check_courses, manifest_paths
from yiyuan.courses.manifest import read_manifest, to_course
from yiyuan.courses.notebooks import read_lesson

#: runs kernels or nbgrader: make test-fast leaves it out (pytest.ini)
pytestmark = pytest.mark.kernel

COURSES = ROOT / "courses"
BIN = Path(sys.executable).parent


def courses():
    for path in manifest_paths(COURSES):
        data, problems = read_manifest(path)
        assert not problems, problems
        yield to_course(data)


def lessons():
    for course in courses():
        for module in course.modules:
            for lesson in module.lessons:
                yield pytest.param(course.id, module.id, lesson, id=f"{course.id}/{module.id}")


def copy_module(course_id: str, module_id: str, tmp_path: Path) -> Path:
    """A private copy: running a lesson writes answers.json beside it."""
    folder = tmp_path / module_id
    shutil.copytree(COURSES / "notebooks" / course_id / module_id, folder)
    return folder


@pytest.mark.parametrize(("course_id", "module_id", "lesson"), list(lessons()))
def test_every_lesson_runs_in_a_fresh_kernel(course_id, module_id, lesson, tmp_path):
    """Top to bottom, hidden tests included, with the right answers saved as a learner's
    widgets would save them: every hidden test must pass (the keys and the grading agree)."""
    folder = copy_module(course_id, module_id, tmp_path)
    facts, problems = read_lesson(folder / lesson, lesson)
    assert problems == []
    answers = {question: accepted[0] for question, accepted in facts.keys.items()}
    answers.update({reflection: "心得" * 100 for reflection in facts.reflections})
    (folder / "answers.json").write_text(
        json.dumps({"version": 1, "answers": answers}, ensure_ascii=False), encoding="utf-8"
    )
    notebook = nbformat.read(folder / lesson, as_version=4)
    client = NotebookClient(
        notebook, timeout=180, kernel_name="python3", resources={"metadata": {"path": str(folder)}}
    )
    client.execute()  # raises CellExecutionError on the first failing cell
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert all(o.output_type != "error" for c in code for o in c.outputs)


@pytest.mark.parametrize("course", [pytest.param(c, id=c.id) for c in courses()])
def test_generated_lessons_contain_no_answer_key(course, tmp_path):
    root = tmp_path / course.id
    online = [m for m in course.modules if m.kind == "online"]
    for module in online:
        shutil.copytree(COURSES / "notebooks" / course.id / module.id, root / "source" / module.id)
        done = subprocess.run(
            [str(BIN / "nbgrader"), "generate_assignment", module.id, "--create", "--force"],
            cwd=root,
            # nbgrader runs alembic itself: it must find the venv's commands on PATH
            env={**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"},
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stdout + done.stderr
    for module in online:
        for lesson in module.lessons:
            source = (root / "source" / module.id / lesson).read_text(encoding="utf-8")
            released = (root / "release" / module.id / lesson).read_text(encoding="utf-8")
            assert "BEGIN HIDDEN TESTS" in source and "expect(" in source
            assert "HIDDEN TESTS" not in released and "expect(" not in released
            assert "yiyuan.lesson.grading" not in released
            assert not (root / "release" / module.id / "answers.json").exists()


def test_a_lesson_in_voila_shows_no_code(tmp_path, artifacts):
    course = next(c for c in courses() if c.id == "xinmeiti-chuanbo")
    module = next(m for m in course.modules if m.kind == "online")
    folder = copy_module(course.id, module.id, tmp_path)
    lesson = module.lessons[0]
    notebook = nbformat.read(folder / lesson, as_version=4)
    # as released to learners: nbgrader's generate step removes the hidden tests
    notebook.cells = [c for c in notebook.cells if "BEGIN HIDDEN TESTS" not in c.source]
    nbformat.write(notebook, folder / lesson)
    first_line = next(c.source for c in notebook.cells if c.cell_type == "markdown").splitlines()[0]
    port = free_port()
    voila = subprocess.Popen(
        [str(BIN / "voila"), lesson, "--no-browser", f"--port={port}", "--Voila.ip=127.0.0.1"],
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        html = ""
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                response = requests.get(f"http://127.0.0.1:{port}/", timeout=120)
                html = response.content.decode("utf-8")  # Voila names no charset
                break
            except requests.ConnectionError:
                time.sleep(0.5)
        assert html, "voila did not answer"
        assert first_line in html
        assert "lesson.single_choice" not in html and "from yiyuan.lesson import" not in html
        assert "application/vnd.jupyter.widget-view+json" in html
        screenshot(f"http://127.0.0.1:{port}/", artifacts / "lesson-voila.png")
    finally:
        voila.terminate()
        voila.wait(30)


def test_the_shipped_courses_pass_the_checker():
    results = check_courses(COURSES, MATCHER)
    assert len(results) >= 4
    for result in results:
        assert result.problems == [], [str(p) for p in result.problems]
        assert len([m for m in result.course.modules if m.kind == "online"]) >= 3
        assert any(m.kind == "onsite" for m in result.course.modules)


def screenshot(url: str, path: Path) -> None:
    """What a learner sees: the lesson in Chromium, widgets drawn, saved for people to look at."""
    from playwright.sync_api import sync_playwright

    from hubtest import CHROMIUM_ARGS

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        page = browser.new_page(viewport={"width": 1000, "height": 900}, locale="zh-CN")
        page.goto(url, timeout=120_000)
        page.get_by_role("radio").first.wait_for(timeout=120_000)  # the widgets are drawn
        text = page.inner_text("body")
        assert "lesson." not in text and "import " not in text  # no code anywhere on the page
        page.screenshot(path=path, full_page=True)
        browser.close()

"""Lesson widgets with nbgrader: the generate step strips answer keys, and a graded lesson
runs in a fresh kernel."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from test_lesson_widgets import write_answers

#: runs kernels or nbgrader: make test-fast leaves it out (pytest.ini)
pytestmark = pytest.mark.kernel

# -- nbgrader --------------------------------------------------------------------------------

KEY = "文化自信自强"


def lesson_notebook() -> nbformat.NotebookNode:
    def grade(cell, grade_id, points=0, task=False, locked=True, grade_flag=True):
        cell.metadata["nbgrader"] = {
            "grade": grade_flag,
            "grade_id": grade_id,
            "locked": locked,
            "points": points,
            "schema_version": 3,
            "solution": False,
            "task": task,
        }
        return cell

    code, md = nbformat.v4.new_code_cell, nbformat.v4.new_markdown_cell
    notebook = nbformat.v4.new_notebook(
        cells=[
            md("# 第一课\n正文。"),
            code("from yiyuan.lesson import Lesson\nlesson = Lesson()"),
            code('lesson.fill_in("q4", "填空：坚定____。")'),
            grade(
                code(
                    "### BEGIN HIDDEN TESTS\n"
                    "from yiyuan.lesson.grading import expect\n"
                    f'expect("q4", "{KEY}")\n'
                    "### END HIDDEN TESTS"
                ),
                "q4-check",
                points=1,
            ),
            grade(md("请写学习心得（教师评阅）。"), "r1-task", points=2, task=True),
            code('lesson.reflection("r1", "请写一段学习心得。", min_length=5)'),
            code("lesson.submit_button()"),
        ]
    )
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    return notebook


def test_nbgrader_generate_strips_the_answer_key(tmp_path):
    root = tmp_path / "course"
    source = root / "source" / "lesson1"
    source.mkdir(parents=True)
    nbformat.write(lesson_notebook(), source / "lesson1.ipynb")
    bin_dir = Path(sys.executable).parent  # nbgrader runs `alembic heads` from PATH
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "JUPYTER_CONFIG_DIR": str(tmp_path / "jupyter-config"),
    }
    result = subprocess.run(
        [
            str(bin_dir / "nbgrader"),
            "generate_assignment",
            "lesson1",
            f"--CourseDirectory.root={root}",
            "--create",
        ],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    released = (root / "release" / "lesson1" / "lesson1.ipynb").read_text(encoding="utf-8")
    assert "expect(" not in released and KEY not in released
    assert "HIDDEN TESTS" not in released
    assert "from yiyuan.lesson import Lesson" in released
    assert "lesson.submit_button()" in released


def run_notebook(folder: Path, env: dict[str, str]) -> nbformat.NotebookNode:
    from nbclient import NotebookClient

    notebook = lesson_notebook()
    old = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    try:
        client = NotebookClient(
            notebook,
            timeout=120,
            kernel_name="python3",
            allow_errors=True,
            resources={"metadata": {"path": str(folder)}},
        )
        client.execute()
    finally:
        for name, value in old.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    return notebook


def errors(notebook) -> list[str]:
    return [
        output.get("evalue", "")
        for cell in notebook.cells
        for output in cell.get("outputs", [])
        if output.output_type == "error"
    ]


def test_a_graded_lesson_runs_in_a_fresh_kernel(tmp_path):
    """What autograde does: run every cell in the submission's folder, hidden tests included."""
    right, wrong = tmp_path / "right", tmp_path / "wrong"
    for folder, answer in ((right, "　文化自信自强 "), (wrong, "文化")):
        folder.mkdir()
        write_answers(folder, {"q4": answer, "r1": "心得 *第一段*"})
    ran = run_notebook(right, {"NBGRADER_EXECUTION": "autograde"})
    assert errors(ran) == []
    outputs = json.dumps([cell.get("outputs", []) for cell in ran.cells], ensure_ascii=False)
    assert "\\\\*第一段\\\\*" in outputs, "reflection shown (literally) for the trainer"
    ran = run_notebook(wrong, {"NBGRADER_EXECUTION": "autograde"})
    assert len(errors(ran)) == 1 and "不正确" in errors(ran)[0]
    assert KEY not in errors(ran)[0]
    assert json.loads((wrong / "answers.json").read_text(encoding="utf-8"))["answers"]["q4"] == (
        "文化"
    ), "running a lesson must not change the answers"

"""What the checker reads out of a lesson notebook: its nbgrader cells, the questions the
lesson asks (``lesson.single_choice("q1", …)``) and the answer keys its hidden tests hold
(``expect("q1", …)``), found by parsing the code, never by running it."""

from __future__ import annotations

import ast
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from ..exchange.images import markdown_images
from .manifest import Problem

QUESTION_KINDS = {"single_choice", "multiple_choice", "true_false", "fill_in"}
HIDDEN_BEGIN, HIDDEN_END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"


@dataclass
class LessonFacts:
    #: question id → (kind, options or None, cell number)
    questions: dict[str, tuple[str, list | None, int]] = field(default_factory=dict)
    #: question id → accepted answers, from hidden tests
    keys: dict[str, list] = field(default_factory=dict)
    reflections: list[str] = field(default_factory=list)
    grade_ids: list[str] = field(default_factory=list)
    autograded_points: float = 0
    #: points of every graded cell: autograder tests, manually graded answers and tasks
    graded_points: float = 0
    #: (cell number, src) of every image the Markdown names
    images: list[tuple[int, str]] = field(default_factory=list)


def read_lesson(path: Path, label: str) -> tuple[LessonFacts | None, list[Problem]]:
    """Facts of one notebook, and every problem found in it (``label`` names the file)."""
    try:
        raw = path.read_text(encoding="utf-8")
        json.loads(raw)
    except UnicodeDecodeError:
        return None, [Problem(label, "", "文件不是 UTF-8 编码。")]
    except json.JSONDecodeError as error:
        where = f"第 {error.lineno} 行第 {error.colno} 列"
        return None, [Problem(label, where, f"不是有效的 JSON（{error.msg}）：文件可能已损坏。")]
    try:
        notebook = nbformat.reads(raw, as_version=4)
        nbformat.validate(notebook)
    except Exception as error:  # nbformat raises several types for a malformed notebook
        return None, [
            Problem(label, "", f"不是有效的 Jupyter 笔记本：{str(error).splitlines()[0]}")
        ]
    facts, problems = LessonFacts(), []
    for number, cell in enumerate(notebook.cells, start=1):
        where = f"第 {number} 个单元格"
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade_id"):
            facts.grade_ids.append(meta["grade_id"])
        if meta.get("grade") or meta.get("task"):
            facts.graded_points += float(meta.get("points") or 0)
        if cell.cell_type == "markdown":
            facts.images += [(number, src) for src in markdown_images(cell.source)]
        if cell.cell_type != "code":
            continue
        source = cell.source
        hidden, visible = _split_hidden(source)
        if hidden is not None and not meta.get("grade"):
            problems.append(
                Problem(label, where, "隐藏测试必须放在 nbgrader 自动评分单元格（grade: true）中。")
            )
        if meta.get("grade") and not meta.get("solution"):
            # an autograder test (nbgrader's or the platform's hidden expect): a quiz's points
            facts.autograded_points += float(meta.get("points") or 0)
        visible_tree = _parse(visible, label, where, problems)
        if visible_tree is not None:
            if any(_calls(visible_tree, {"expect"})):
                problems.append(
                    Problem(label, where, "答案（expect）只能写在隐藏测试中，否则学员会看到答案。")
                )
            _collect_questions(visible_tree, number, facts, label, where, problems)
        if hidden is not None:
            hidden_tree = _parse(hidden, label, where, problems)
            if hidden_tree is not None:
                _collect_keys(hidden_tree, facts, label, where, problems)
    for grade_id, count in Counter(facts.grade_ids).items():
        if count > 1:
            problems.append(
                Problem(label, "", f"nbgrader 的 grade_id “{grade_id}” 重复了 {count} 次。")
            )
    return facts, problems


def quiz_problems(facts: LessonFacts, label: str) -> list[Problem]:
    """Questions without a key, keys without a question, keys that are not options."""
    problems = []
    for question, (kind, options, number) in facts.questions.items():
        where = f"第 {number} 个单元格"
        accepted = facts.keys.get(question)
        if accepted is None:
            problems.append(
                Problem(label, where, f"题目 {question} 没有正确答案（缺少隐藏测试 expect）。")
            )
            continue
        if kind == "single_choice" and options is not None:
            wrong = [a for a in accepted if a not in options]
            if wrong:
                problems.append(
                    Problem(label, where, f"题目 {question} 的答案 {wrong[0]!r} 不在选项中。")
                )
        if kind == "multiple_choice" and options is not None:
            chosen = accepted[0] if accepted and isinstance(accepted[0], list) else None
            if not chosen:
                problems.append(Problem(label, where, f"多选题 {question} 没有正确选项。"))
            elif any(a not in options for a in chosen):
                problems.append(Problem(label, where, f"多选题 {question} 的答案不全在选项中。"))
        if kind == "true_false" and accepted and not isinstance(accepted[0], bool):
            problems.append(Problem(label, where, f"判断题 {question} 的答案应为 True 或 False。"))
    for question in facts.keys:
        if question not in facts.questions:
            problems.append(Problem(label, "", f"隐藏测试检查了不存在的题目 {question}。"))
    return problems


def _split_hidden(source: str) -> tuple[str | None, str]:
    if HIDDEN_BEGIN not in source:
        return None, source
    before, _, rest = source.partition(HIDDEN_BEGIN)
    hidden, _, after = rest.partition(HIDDEN_END)
    return hidden, before + "\n" + after


def _parse(source: str, label: str, where: str, problems: list[Problem]) -> ast.Module | None:
    try:
        return ast.parse(source)
    except SyntaxError as error:
        problems.append(
            Problem(label, where, f"代码有语法错误（第 {error.lineno} 行）：{error.msg}")
        )
        return None


def _calls(tree: ast.AST, names: set[str]):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if name in names:
                yield name, node


def _literal(node: ast.AST):
    try:
        return ast.literal_eval(node)
    except ValueError:
        return None


def _collect_questions(tree, number, facts, label, where, problems) -> None:
    for name, call in _calls(tree, QUESTION_KINDS | {"reflection"}):
        question = _literal(call.args[0]) if call.args else None
        if not isinstance(question, str):
            problems.append(Problem(label, where, f'{name} 的第一个参数应为题号文字，如 "q1"。'))
            continue
        if question in facts.questions or question in facts.reflections:
            problems.append(Problem(label, where, f"题号 {question} 重复。"))
            continue
        if name == "reflection":
            facts.reflections.append(question)
            continue
        options = _literal(call.args[2]) if len(call.args) > 2 else None
        if name in ("single_choice", "multiple_choice") and not options:
            problems.append(Problem(label, where, f"选择题 {question} 没有选项。"))
        facts.questions[question] = (name, options, number)


def _collect_keys(tree, facts, label, where, problems) -> None:
    for _, call in _calls(tree, {"expect"}):
        values = [_literal(arg) for arg in call.args]
        if not values or not isinstance(values[0], str):
            problems.append(Problem(label, where, "expect 的第一个参数应为题号文字。"))
            continue
        if len(values) < 2:
            problems.append(Problem(label, where, f"题目 {values[0]} 的 expect 没有给出正确答案。"))
            continue
        facts.keys[values[0]] = values[1:]

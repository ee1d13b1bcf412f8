"""Feedback for learners: nbgrader's feedback step, with nothing a learner should not read.

The autograded notebook holds the hidden tests (nbgrader puts the source version of every
grade cell back before running) and Python tracebacks. Before the HTML is made, every check
cell loses its source and keeps one Chinese sentence per failed check (the AssertionError
message of ``yiyuan.lesson.grading.expect``, e.g. "题目 q1 回答不正确。"); other cells lose
their tracebacks. The page itself is Chinese and shows no code (template ``yiyuan_feedback``).
"""

from __future__ import annotations

from pathlib import Path

from nbconvert.preprocessors import Preprocessor
from nbformat import NotebookNode

from ..i18n import get_catalogue
from .execute import NOT_RUN

TEMPLATES = Path(__file__).parent / "templates"
words = get_catalogue()

_REASONS = {
    "timeout": words.grader_check_timeout,
    "dead": words.grader_check_dead,
}


def _message(output: NotebookNode) -> str:
    name = output.get("ename", "")
    if name == "AssertionError":
        return str(output.get("evalue", "")).strip() or words.grader_check_failed
    if name == NOT_RUN:
        return _REASONS.get(output.get("evalue", ""), _REASONS["dead"])
    if name in ("CellTimeoutError", "KeyboardInterrupt"):
        return _REASONS["timeout"]
    return words.grader_check_error


def _stream(text: str) -> NotebookNode:
    return NotebookNode(output_type="stream", name="stderr", text=text + "\n")


class SanitizeFeedback(Preprocessor):
    """Hide check sources and tracebacks; keep one sentence per problem. Also totals the
    page's points (nbgrader counts a graded task cell twice in its own maximum)."""

    def preprocess(self, nb, resources):
        nb, resources = super().preprocess(nb, resources)
        graded = [
            cell.metadata["nbgrader"]
            for cell in nb.cells
            if cell.metadata.get("nbgrader", {}).get("grade")
            or cell.metadata.get("nbgrader", {}).get("task")
        ]
        resources["yiyuan"] = {
            "score": sum(float(m.get("score") or 0) for m in graded),
            "max": sum(float(m.get("points") or 0) for m in graded),
        }
        return nb, resources

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return cell, resources
        meta = cell.metadata.get("nbgrader", {})
        is_check = (meta.get("grade") and not meta.get("solution")) or (
            "BEGIN HIDDEN TESTS" in cell.source
        )
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        if is_check:
            cell.source = ""
            messages = list(dict.fromkeys(_message(o) for o in errors))
            cell.outputs = [_stream(m) for m in messages[:1]]
        else:
            kept = [o for o in cell.get("outputs", []) if o.get("output_type") != "error"]
            if errors:
                timed_out = {o.get("ename") for o in errors} & {NOT_RUN, "CellTimeoutError"}
                kept.append(
                    _stream(words.grader_cell_timeout if timed_out else words.grader_cell_error)
                )
            cell.outputs = kept
        # learners never see code, not even in their feedback
        cell.metadata.setdefault("transient", {})["remove_source"] = True
        return cell, resources

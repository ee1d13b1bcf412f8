"""Checks for nbgrader's hidden test cells::

    ### BEGIN HIDDEN TESTS
    from yiyuan.lesson.grading import expect
    expect("q1", "选项乙")
    ### END HIDDEN TESTS

``expect`` reads the learner's answers from ``answers.json`` in the current directory (nbgrader
runs the notebook in its own folder) and raises AssertionError with a Chinese message when the
answer is missing or wrong. The message never contains the accepted answers: learners read it
in their feedback. Comparison by the type of the accepted answer:

- text (single choice, fill-in): equal after NFKC, stripping and collapsing whitespace;
- list (multiple choice): the same options, in any order;
- True / False (true/false): exactly that boolean;
- a number (rating): equal.

Several accepted answers may be given: ``expect("q4", "文化自信", "文化自信自强")``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from .sidecar import FILENAME, read_answers
from .text import normalize

__all__ = ["expect", "reflection_text"]


def _answers(folder: str | os.PathLike | None) -> dict[str, Any]:
    path = Path(folder if folder is not None else os.getcwd()) / FILENAME
    try:
        return read_answers(path)
    except FileNotFoundError:
        raise AssertionError(
            f"没有找到答案文件 {FILENAME}：本课的答案没有随作业一起提交。"
        ) from None
    except (ValueError, OSError):
        raise AssertionError(f"答案文件 {FILENAME} 无法读取，请联系服务中心。") from None


def _matches(given: Any, accepted: Any) -> bool:
    if isinstance(accepted, bool):
        return given is accepted
    if isinstance(accepted, str):
        return isinstance(given, str) and normalize(given) == normalize(accepted)
    if isinstance(accepted, (list, tuple, set, frozenset)):
        if not isinstance(given, list) or not all(isinstance(item, str) for item in given):
            return False
        return {normalize(item) for item in given} == {normalize(str(a)) for a in accepted}
    if isinstance(accepted, (int, float)):
        return isinstance(given, (int, float)) and not isinstance(given, bool) and given == accepted
    raise TypeError(f"expect() 不支持这种答案类型：{type(accepted).__name__}")


def expect(question_id: str, *accepted: Any, folder: str | os.PathLike | None = None) -> None:
    """Pass when the learner's answer to ``question_id`` matches one of ``accepted``."""
    if not accepted:
        raise TypeError("expect() 至少需要一个正确答案。")
    answers = _answers(folder)
    if question_id not in answers:
        raise AssertionError(f"题目 {question_id} 尚未作答。")
    given = answers[question_id]
    if not any(_matches(given, answer) for answer in accepted):
        raise AssertionError(f"题目 {question_id} 回答不正确。")


def reflection_text(question_id: str, folder: str | os.PathLike | None = None) -> str:
    """The learner's reflection as written ("" when not written)."""
    value = _answers(folder).get(question_id)
    return value if isinstance(value, str) else ""

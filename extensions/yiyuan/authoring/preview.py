"""A module's student version for previewing in the trainer's own server.

What nbgrader's generate step does to a lesson (``grading.coursedir.prepare_module``) is done
here with the same nbgrader preprocessors, applied in-process to each notebook: answers, hidden
tests and outputs are stripped. No gradebook and no course directory are involved (the
generate converter changes the working directory, which a threaded server must not do), and
nbgrader is imported only when a preview is made.

The result lands in ``<root_dir>/yiyuan-preview/<course>/<module>/`` with a 预览模式 note and
:mod:`.previewmode` switched on at the top of each lesson.
"""

from __future__ import annotations

import fnmatch
import shutil
import tempfile
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell

from ..exchange.names import BadName, check_id

PREVIEW_DIR = "yiyuan-preview"
#: never copied into a preview: the trainer's own answers and editor leftovers
SKIPPED = ("answers.json", "answers.json.bad-*", ".*", "__pycache__", "feedback")
NOTE = (
    "> **预览模式**：这是学员将看到的样子（答案和隐藏测试已去掉）。"
    "在这里的作答只保存在预览文件夹中，提交不会发送到平台。"
)
SWITCH = "from yiyuan.authoring.previewmode import enable\n\nenable()"


class PreviewError(Exception):
    """A preview that cannot be made (title and Chinese explanation)."""

    def __init__(self, status: int, title: str, message: str) -> None:
        super().__init__(message)
        self.status, self.title, self.message = status, title, message


def _preprocessors() -> list:
    # generate_assignment's list without the gradebook (SaveCells) and checksums
    from nbgrader.preprocessors import (
        CheckCellMetadata,
        ClearHiddenTests,
        ClearMarkScheme,
        ClearOutput,
        ClearSolutions,
        LockCells,
    )

    return [
        LockCells(),
        ClearSolutions(),
        ClearOutput(),
        CheckCellMetadata(),
        ClearHiddenTests(),
        ClearMarkScheme(),
        CheckCellMetadata(),
    ]


def student_version(path: Path) -> nbformat.NotebookNode:
    """One lesson as a learner receives it, with the preview cells first."""
    label = path.name
    try:
        notebook = nbformat.read(str(path), as_version=4)
        nbformat.validate(notebook)
    except Exception as error:  # nbformat raises several types for a broken notebook
        first = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise PreviewError(
            400,
            "课件无法预览",
            f"课件 {label} 不是有效的 Jupyter 笔记本（{first[:200]}）。"
            "请在 JupyterLab 中打开它检查，或点“检查”查看详细问题。",
        ) from None
    resources: dict = {}
    try:
        for preprocessor in _preprocessors():
            notebook, resources = preprocessor.preprocess(notebook, resources)
    except Exception as error:
        raise PreviewError(
            400,
            "课件无法预览",
            f"课件 {label} 的评分单元格有问题，nbgrader 无法生成学员版本：{str(error)[:300]}"
            "。请点“检查”查看详细问题。",
        ) from None
    notebook.cells[:0] = [new_markdown_cell(NOTE), new_code_cell(SWITCH)]
    return notebook


def _ignore(_folder: str, names: list[str]) -> set[str]:
    return {n for n in names if any(fnmatch.fnmatch(n, pattern) for pattern in SKIPPED)}


def build_preview(courses: Path, preview_root: Path, course: str, module: str) -> Path:
    """The student version of ``courses/notebooks/<course>/<module>/`` in
    ``preview_root/<course>/<module>/`` (replaced as a whole); returns that folder."""
    try:
        check_id(course, "课程代码")
        check_id(module, "单元代码")
    except BadName as error:
        raise PreviewError(404, "没有找到这个单元", str(error)) from None
    origin = Path(courses) / "notebooks" / course / module
    if not origin.is_dir():
        raise PreviewError(
            404, "没有找到这个单元", f"课件文件夹 notebooks/{course}/{module}/ 不存在。"
        )
    target = Path(preview_root) / course / module
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{module}.", dir=target.parent))
    try:
        content = staging / module
        shutil.copytree(origin, content, ignore=_ignore)
        for lesson in sorted(content.glob("*.ipynb")):
            nbformat.write(student_version(lesson), str(lesson))
        if target.exists():
            shutil.rmtree(target)
        content.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target

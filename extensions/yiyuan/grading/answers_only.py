"""Grading a lesson from its answers alone, without a kernel per submission.

A platform lesson's learner writes no code: the answers are data (``answers.json``) and the
checks are the trainer's hidden ``expect(...)`` calls. For such a notebook, starting a
sandboxed kernel per submission (≈ 1.6 CPU-seconds) only to run trusted checks on data is
waste. :class:`AnswersOnlyExecute` takes the place of nbgrader's Execute step: when
:func:`analyse` finds a notebook answers-only, it fills in every cell's outputs the way a
kernel run would, and the rest of nbgrader's autograde (SaveAutoGrades, the gradebook,
feedback) runs unchanged. Any other notebook runs in the sandboxed kernel as before.

Answers-only means, decided from the notebook nbgrader is about to run (grade cells already
put back from the gradebook's source version, so with their hidden tests):

- no code cell is a solution cell (the learner's code would be in it);
- every graded code cell holds only ``from yiyuan.lesson.grading import expect[,
  reflection_text]`` and calls ``expect(<literal>, <literal>, ...)`` (checked with ``ast``;
  arguments read with ``ast.literal_eval``: nothing is executed);
- the reflections (``lesson.reflection(...)``, shown to the trainer under nbgrader) are
  called on a ``Lesson()`` of the notebook's own folder with literal arguments;
- no other cell touches what the checks read (imports ``yiyuan.lesson.grading``, names
  ``expect``, ``chdir`` or ``answers.json``): a cheap guard, authors' code is trusted anyway.

What each cell gets:

- a check cell: the outputs of running its ``expect`` calls in this process, with the same
  function (``yiyuan.lesson.grading.expect``) reading the same ``answers.json``: nothing for a
  pass, an ``error`` output (the exception's name and Chinese message) for the first failure,
  which SaveAutoGrades scores 0 as it does a kernel's;
- a reflection cell: the Markdown that ``Lesson.reflection`` displays under nbgrader, made by
  ``Lesson._reflection_markdown`` from the learner's text (the trainer and the feedback read
  it there);
- every other cell (figures, sound, the question widgets): the outputs of one *reference run*
  of the lesson in the sandboxed kernel without any answers, kept per lesson version in
  ``reference_dir`` (made by the first submission that needs it), and the notebook gets that
  run's widget state (a kernel run stores one too; the feedback page then shows no widget
  as text). A reference run whose author code fails is kept as such and its lesson is graded
  with kernels, as before.
"""

from __future__ import annotations

import ast
import copy
import hashlib
import inspect
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nbformat import NotebookNode, from_dict
from traitlets import Unicode

from ..lesson.sidecar import FILENAME as ANSWERS
from .execute import TimedExecute

CHECKS_MODULE = "yiyuan.lesson.grading"
#: what a check cell may import from CHECKS_MODULE
CHECK_NAMES = {"expect", "reflection_text"}
#: names that, in an author's cell, could change what the checks read
GUARDED_NAMES = {"expect", "reflection_text", "chdir"}
#: the notebook metadata key saying how the notebook was graded
MARK = "yiyuan_grading"
REFERENCE_VERSION = 1


@dataclass(frozen=True)
class ReflectionCall:
    question_id: str
    prompt: str
    min_length: int


@dataclass
class Plan:
    """What an answers-only notebook's cells do, read from their source."""

    #: cell index → the argument tuples of its ``expect`` calls, in order
    checks: dict[int, list[tuple]] = field(default_factory=dict)
    #: cell index → the reflections it shows
    reflections: dict[int, list[ReflectionCall]] = field(default_factory=dict)


def analyse(nb: NotebookNode) -> Plan | None:
    """The notebook's plan when it is answers-only (see the module's docstring), else None."""
    plan = Plan()
    lessons: set[str] = set()
    others: list[tuple[int, ast.Module]] = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            return None
        tree = _parse(cell.source)
        if tree is None:
            return None
        if meta.get("grade"):
            calls = _check_calls(tree)
            if calls is None:
                return None
            plan.checks[index] = calls
        else:
            if not _harmless(cell.source, tree):
                return None
            lessons |= _lesson_names(tree)
            others.append((index, tree))
    for index, tree in others:
        reflections = _reflection_calls(tree, lessons)
        if reflections is None:
            return None
        if reflections:
            plan.reflections[index] = reflections
    return plan


def _parse(source: str) -> ast.Module | None:
    from IPython.core.inputtransformer2 import TransformerManager

    try:  # author cells may use IPython syntax (%matplotlib …)
        return ast.parse(TransformerManager().transform_cell(source))
    except (SyntaxError, ValueError):
        return None


def _literal(node: ast.expr) -> tuple[bool, Any]:
    try:
        return True, ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False, None


def _check_calls(tree: ast.Module) -> list[tuple] | None:
    calls = []
    imported: set[str] = set()
    for statement in tree.body:
        if isinstance(statement, ast.ImportFrom):
            names = {(alias.name, alias.asname) for alias in statement.names}
            if (
                statement.module != CHECKS_MODULE
                or statement.level
                or any(asname or name not in CHECK_NAMES for name, asname in names)
            ):
                return None
            imported |= {name for name, _ in names}
            continue
        call = statement.value if isinstance(statement, ast.Expr) else None
        if not (
            isinstance(call, ast.Call)
            and isinstance(call.func, ast.Name)
            and call.func.id == "expect"
            and "expect" in imported
            and not call.keywords
            and not any(isinstance(arg, ast.Starred) for arg in call.args)
        ):
            return None
        values = [_literal(arg) for arg in call.args]
        if not all(ok for ok, _ in values):
            return None
        calls.append(tuple(value for _, value in values))
    return calls


def _harmless(source: str, tree: ast.Module) -> bool:
    if ANSWERS in source:
        return False
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(CHECKS_MODULE):
            return False
        if isinstance(node, ast.Import) and any(
            alias.name.startswith(CHECKS_MODULE) for alias in node.names
        ):
            return False
        if isinstance(node, ast.Name) and node.id in GUARDED_NAMES:
            return False
        if isinstance(node, ast.Attribute) and node.attr in GUARDED_NAMES | {"grading"}:
            return False
    return True


def _lesson_names(tree: ast.Module) -> set[str]:
    """Names bound to ``Lesson()`` (of the current folder: no arguments)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            func = node.value.func
            called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            if called == "Lesson" and not node.value.args and not node.value.keywords:
                names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    return names


def _reflection_calls(tree: ast.Module, lessons: set[str]) -> list[ReflectionCall] | None:
    from ..lesson.core import Lesson

    signature = inspect.signature(Lesson.reflection)
    calls = []
    for node in ast.walk(tree):
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "reflection"
        ):
            continue
        receiver = node.func.value
        if not (isinstance(receiver, ast.Name) and receiver.id in lessons):
            return None
        args = [_literal(arg) for arg in node.args]
        kwargs = {k.arg: _literal(k.value) for k in node.keywords}
        if None in kwargs or not all(ok for ok, _ in [*args, *kwargs.values()]):
            return None
        try:
            bound = signature.bind(
                None, *(v for _, v in args), **{k: v for k, (_, v) in kwargs.items()}
            )
        except TypeError:
            return None
        bound.apply_defaults()
        calls.append(
            ReflectionCall(
                bound.arguments["question_id"],
                bound.arguments["prompt"],
                bound.arguments["min_length"],
            )
        )
    return calls


# -- outputs ---------------------------------------------------------------------------------


def check_outputs(calls: list[tuple], folder: str) -> list[NotebookNode]:
    """Run a check cell's ``expect`` calls on the answers in ``folder``: what the kernel's
    cell would output (nothing, or the first exception as an ``error`` output)."""
    from ..lesson.grading import expect

    for args in calls:
        try:
            expect(*args, folder=folder)
        except Exception as error:  # the kernel would show any exception the same way
            name = type(error).__name__
            return [
                NotebookNode(
                    output_type="error",
                    ename=name,
                    evalue=str(error),
                    traceback=[f"{name}: {error}"],
                )
            ]
    return []


def reflection_markdown(call: ReflectionCall, answers: dict[str, Any]) -> str:
    """What ``Lesson.reflection`` displays under nbgrader for these answers."""
    from ipywidgets.widgets import widget

    from ..lesson.core import Lesson
    from ..lesson.widgets import Reflection

    before = set(widget._instances)
    try:
        question = Reflection(call.question_id, call.prompt, call.min_length)
        if call.question_id in answers:  # as Lesson restores saved answers
            question.restore(answers[call.question_id])
        return Lesson._reflection_markdown(Lesson.__new__(Lesson), question)
    finally:  # no kernel here: close the widgets made, or they stay registered
        for model_id in set(widget._instances) - before:
            instance = widget._instances.get(model_id)
            if instance is not None:
                instance.close()


def markdown_output(text: str) -> NotebookNode:
    """``display(Markdown(text))`` as the kernel records it."""
    return NotebookNode(
        output_type="display_data",
        data={"text/markdown": text, "text/plain": "<IPython.core.display.Markdown object>"},
        metadata={},
    )


def _saved_answers(folder: str) -> dict[str, Any]:
    """The answers the lesson's widgets would restore (``Lesson()`` reads them this way)."""
    from ..lesson.sidecar import read_answers

    try:
        return read_answers(Path(folder) / ANSWERS)
    except (OSError, ValueError):
        return {}


def fill(nb: NotebookNode, plan: Plan, reference: dict, folder: str) -> NotebookNode | None:
    """A copy of ``nb`` with every cell's outputs as a kernel run would give them (None when
    a reflection's Markdown is not where the reference run should have shown it)."""
    nb = copy.deepcopy(nb)
    answers = _saved_answers(folder)
    count = 0
    code = [(index, cell) for index, cell in enumerate(nb.cells) if cell.cell_type == "code"]
    for ordinal, (index, cell) in enumerate(code):
        if cell.source.strip():
            count += 1
            cell.execution_count = count
        if index in plan.checks:
            cell.outputs = check_outputs(plan.checks[index], folder)
            continue
        outputs = [from_dict(copy.deepcopy(output)) for output in reference["outputs"][ordinal]]
        for call in plan.reflections.get(index, []):
            blank = reflection_markdown(call, {})
            shown = [o for o in outputs if o.get("data", {}).get("text/markdown") == blank]
            if not shown:
                return None
            shown[0]["data"]["text/markdown"] = reflection_markdown(call, answers)
        cell.outputs = outputs
    if reference.get("widgets"):
        nb.metadata["widgets"] = from_dict(copy.deepcopy(reference["widgets"]))
    return nb


# -- the preprocessor ------------------------------------------------------------------------


class AnswersOnlyExecute(TimedExecute):
    """nbgrader's Execute step: answers-only notebooks are graded without a kernel (their
    other cells' outputs come from a reference run kept in ``reference_dir``); others run in
    the (sandboxed) kernel as :class:`TimedExecute` does."""

    reference_dir = Unicode(
        "", help="Folder of the reference runs' outputs (one file per lesson version)."
    ).tag(config=True)

    def preprocess(self, nb: NotebookNode, resources=None, km=None):
        plan = analyse(nb) if self.reference_dir else None
        folder = ((resources or {}).get("metadata") or {}).get("path") or os.getcwd()
        reference = self._reference(nb, folder, plan) if plan is not None else None
        if reference is None:
            nb.metadata[MARK] = "kernel"
            return super().preprocess(nb, resources, km)
        filled = fill(nb, plan, reference, folder)
        if filled is None:  # the reference run does not show the reflections as expected
            nb.metadata[MARK] = "kernel"
            return super().preprocess(nb, resources, km)
        filled.metadata[MARK] = "answers"
        self.log.info("graded from the answers, without a kernel")
        return filled, resources

    # -- the reference run -------------------------------------------------------------------

    def _reference(self, nb: NotebookNode, folder: str, plan: Plan) -> dict | None:
        """A run without answers: each cell's ``outputs`` and the ``widgets`` state (None: use
        the kernel for this lesson)."""
        path = Path(self.reference_dir) / f"{_version(nb, folder)}.json"
        try:
            stored = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            stored = None
        if not stored or stored.get("version") != REFERENCE_VERSION:
            stored = self._run_reference(nb, folder, plan)
            if stored is None:
                return None
            _write_json(path, stored)
        if not stored["clean"] or len(stored["outputs"]) != len(_code_cells(nb)):
            return None
        return stored

    def _run_reference(self, nb: NotebookNode, folder: str, plan: Plan) -> dict | None:
        """Run the lesson once in the kernel, in a folder with the module's files but no
        answers. Author code that fails is recorded (``clean``: false); a timeout or a kernel
        that died is not (the next submission tries again)."""
        reference = copy.deepcopy(nb)
        Path(self.reference_dir).mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=self.reference_dir, prefix=".run-") as work:
            _copy_module_files(Path(folder), Path(work))
            resources = {"metadata": {"path": work}}
            super().preprocess(reference, resources)
        if self._stopped:
            self.log.warning("reference run stopped (%s): graded with the kernel", self._stopped)
            return None
        outputs, clean = [], True  # per code cell, in order
        for index, cell in enumerate(reference.cells):
            if cell.cell_type != "code":
                continue
            if index in plan.checks:
                outputs.append([])
                continue
            if any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
                clean = False
            outputs.append(cell.get("outputs", []))
        # the views' models: without them a page shows each widget's text form instead
        widgets = reference.metadata.get("widgets", {})
        return {
            "version": REFERENCE_VERSION,
            "clean": clean,
            "outputs": outputs,
            "widgets": widgets,
        }


def _module_files(folder: Path) -> list[Path]:
    """The module's files a lesson may read (not the learner's answers nor nbgrader's)."""
    skip = {ANSWERS, "timestamp.txt"}
    return sorted(
        p
        for p in folder.rglob("*")
        if p.is_file() and p.name not in skip and not p.name.endswith(".ipynb")
    )


def _copy_module_files(source: Path, target: Path) -> None:
    for path in _module_files(source):
        destination = target / path.relative_to(source)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, destination)


def _code_cells(nb: NotebookNode) -> list[str]:
    return [cell.source for cell in nb.cells if cell.cell_type == "code"]


def _version(nb: NotebookNode, folder: str) -> str:
    """What the reference run depends on: the code cells, the kernel, the module's files
    (not the Markdown cells, where a learner's written answers may be)."""
    digest = hashlib.sha256()
    cells = _code_cells(nb)
    kernel = nb.metadata.get("kernelspec", {}).get("name", "")
    digest.update(json.dumps([REFERENCE_VERSION, kernel, cells], ensure_ascii=False).encode())
    root = Path(folder)
    for path in _module_files(root):
        digest.update(str(path.relative_to(root)).encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _write_json(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            json.dump(data, stream, ensure_ascii=False)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def graded_from_answers(nb: NotebookNode) -> bool:
    """Whether an autograded notebook was graded from its answers (no kernel)."""
    return nb.metadata.get(MARK) == "answers"

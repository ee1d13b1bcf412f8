"""Autograding one submission with nbgrader, in-process, inside a grading worker.

Three steps, so that no database transaction stays open while learners' notebooks run:

1. read what grading needs (one short transaction);
2. files and nbgrader: unpack the stored archive into the course directory, stamp it with the
   service's time, autograde (kernels limited in time; the worker's memory limit is inherited),
   read the scores from the gradebook, make the feedback pages;
3. write the ``Grade`` (one row per submission: grading again gives the same row), the event
   and the learner's module result (completion engine) in one transaction.

A notebook that fails (an error, a loop stopped by the timeout) is a graded result: what did
not run scores 0. Failures of the machinery (archive missing, kernel not starting) raise
:class:`GradingError`; the worker retries them.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import nbformat
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..db import Database
from ..exchange import archives
from ..exchange.names import nbgrader_timestamp
from ..i18n import get_catalogue
from ..lesson.sidecar import FILENAME as ANSWERS
from ..lesson.sidecar import read_answers
from ..models import CompletionEvent, Grade, Submission
from ..models.base import utcnow
from ..platform import open_storage
from ..settings import Settings
from .coursedir import (
    GradingError,
    capture_nbgrader_log,
    course_lock,
    course_root,
    ensure_path_for_nbgrader,
    learner_lock,
    nbgrader_config,
)
from .execute import NOT_RUN
from .feedback import TEMPLATES, SanitizeFeedback
from .sandbox import Sandbox, claim_slot

#: terminal colours in an error's message
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")

log = logging.getLogger(__name__)
words = get_catalogue()


@dataclass(frozen=True)
class Work:
    """What grading one submission needs, read before any notebook runs."""

    submission_id: int
    account_id: int
    username: str
    display_name: str
    module_id: int
    module_code: str
    course_id: int
    course_code: str
    lessons: tuple[str, ...]
    reflections: tuple[str, ...]
    archive: str
    submitted_at: datetime


@dataclass
class Scores:
    auto_score: float = 0.0
    auto_max: float = 0.0
    manual_score: float | None = None
    manual_max: float = 0.0
    needs_manual: bool = False
    items: dict[str, dict] = field(default_factory=dict)
    reflections_written: list[str] = field(default_factory=list)
    #: lessons that did not run to the end: {notebook: "timeout" | "dead" | "error"}
    failed_lessons: dict[str, str] = field(default_factory=dict)
    #: lessons graded from their answers alone (no kernel started for them)
    without_kernel: list[str] = field(default_factory=list)
    feedback_path: str = ""


def grade_submission(
    settings: Settings,
    database: Database,
    submission_id: int,
    slot: int = 0,
    answers_only: bool = True,
) -> None:
    """Autograde one stored submission and record its Grade. Call it in a grading worker
    (the learner's code runs in sandboxed kernels started from this process: ``slot`` is the
    worker's number, which picks the kernels' uid), never in the service. ``answers_only``:
    lessons whose learners write no code are graded from their answers without a kernel
    (:mod:`yiyuan.grading.answers_only`); False runs every lesson in a kernel."""
    with database.session() as session:
        work = load_work(session, submission_id)
    with course_lock(settings, work.course_code, exclusive=False):
        with learner_lock(settings, work.course_code, work.username, work.module_code):
            scores = autograde(settings, work, slot, answers_only)
    with database.session() as session:
        record(session, work, scores, kind="graded")


def load_work(session: Session, submission_id: int) -> Work:
    submission = session.get(Submission, submission_id)
    if submission is None:
        raise GradingError(words.format("grader_no_submission", submission_id=submission_id))
    module, account = submission.module, submission.account
    return Work(
        submission_id=submission.id,
        account_id=account.id,
        username=account.username,
        display_name=account.display_name,
        module_id=module.id,
        module_code=module.code,
        course_id=module.course.id,
        course_code=module.course.code,
        lessons=tuple(module.lessons or ()),
        reflections=tuple(module.reflections or ()),
        archive=submission.path,
        submitted_at=submission.submitted_at,
    )


# -- files and nbgrader ----------------------------------------------------------------------


def autograde(settings: Settings, work: Work, slot: int = 0, answers_only: bool = True) -> Scores:
    root = course_root(settings, work.course_code)
    release = root / "release" / work.module_code
    if not release.is_dir():
        raise GradingError(words.format("grader_module_not_released", module=work.module_code))
    submitted = unpack_submission(settings, work)
    ensure_path_for_nbgrader()
    _ensure_student(settings, work)
    _run_autograde(settings, work, sandbox_for(settings, slot, release), answers_only)
    scores = read_scores(settings, work.course_code, work.module_code, work.username)
    autograded = root / "autograded" / work.username / work.module_code
    scores.failed_lessons = _failed_lessons(autograded)
    _check_messages(autograded, scores)
    scores.without_kernel = _graded_without_kernel(autograded)
    scores.reflections_written = _reflections_written(submitted, work.reflections)
    scores.feedback_path = publish_feedback(settings, work)
    return scores


def unpack_submission(settings: Settings, work: Work) -> Path:
    """The stored submission into ``submitted/<user>/<module>/`` (replacing what was there):
    the released lessons, the learner's answers file, ``timestamp.txt`` from the service's
    clock."""
    try:
        data = open_storage(settings).get(work.archive) if work.archive else None
    except (OSError, ValueError):
        data = None
    if data is None:
        raise GradingError(
            words.format("grader_submission_file_missing", submission_id=work.submission_id)
        )
    folder = course_root(settings, work.course_code) / "submitted" / work.username
    folder.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{work.module_code}.", dir=folder))
    try:
        unpacked = staging / "archive"
        limit = max(1, settings.service.max_submission_mb) * 1024 * 1024 * 10
        try:
            archives.unpack(data, unpacked, limit)
        except archives.ArchiveError as error:
            raise GradingError(
                words.format(
                    "grader_archive_unreadable", submission_id=work.submission_id, error=error
                )
            ) from None
        top = _module_folder(unpacked, work.module_code)
        kept = staging / "kept"
        kept.mkdir()
        # The lessons are graded as RELEASED, with the learner's answers.json and the
        # learner's code only in the lesson's solution cells (classic nbgrader exercises; the
        # platform's widget lessons have none). A cell a learner added in JupyterLab (say, one
        # that replaces ``expect``) never runs. Anything else a learner sends (a module named
        # like ours, a fake timestamp) is dropped too: the kernel runs in this folder.
        released = course_root(settings, work.course_code) / "release" / work.module_code
        wanted = set(work.lessons) or {p.name for p in released.glob("*.ipynb")}
        if not wanted or not all((released / name).is_file() for name in wanted):
            raise GradingError(words.format("grader_release_missing", module=work.module_code))
        for name in sorted(wanted):
            graded = graded_notebook(released / name, top / name)
            nbformat.write(graded, kept / name)
        if (top / ANSWERS).is_file():
            shutil.copyfile(top / ANSWERS, kept / ANSWERS)
        (kept / "timestamp.txt").write_text(nbgrader_timestamp(work.submitted_at) + "\n")
        target = folder / work.module_code
        if target.exists():
            shutil.rmtree(target)
        os.rename(kept, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def graded_notebook(released: Path, submitted: Path) -> nbformat.NotebookNode:
    """The released lesson with the learner's source in its solution cells (by grade_id)."""
    notebook = nbformat.read(released, as_version=4)
    try:
        learner = nbformat.read(submitted, as_version=4)
    except Exception:  # absent or unreadable: the answers file alone is graded
        return notebook
    answers = {
        cell.metadata.get("nbgrader", {}).get("grade_id"): cell.source
        for cell in learner.cells
        if cell.metadata.get("nbgrader", {}).get("solution")
    }
    for cell in notebook.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution") and meta.get("grade_id") in answers:
            cell.source = answers[meta["grade_id"]]
    return notebook


def _module_folder(unpacked: Path, module_code: str) -> Path:
    """Archives hold the module folder's files; accept one wrapped in a folder of its name."""
    inner = unpacked / module_code
    if not any(unpacked.glob("*.ipynb")) and inner.is_dir():
        return inner
    return unpacked


def _gradebook(settings: Settings, course_code: str):
    from nbgrader.api import Gradebook

    config = nbgrader_config(settings, course_code)
    return Gradebook(config.CourseDirectory.db_url, course_code)


def _ensure_student(settings: Settings, work: Work) -> None:
    # formgrader shows names: keep the learner's display name in the gradebook
    with _gradebook(settings, work.course_code) as gradebook:
        gradebook.update_or_create_student(work.username, last_name=work.display_name or None)


def sandbox_for(settings: Settings, slot: int, release: Path) -> Sandbox | None:
    """The sandbox this worker's kernels run in: they may read the module's release."""
    if settings.grading.sandbox == "none":
        return None
    # the slot a pool numbered its worker is only a preference: another process on this
    # machine may hold it (grading.sandbox.claim_slot)
    slot = claim_slot(settings.grading, slot)
    return Sandbox.for_worker(
        settings.grading, slot, readonly=[release], workspace=str(sandbox_workspace(settings))
    )


def sandbox_workspace(settings: Settings) -> Path:
    """Where sandboxed kernels get their private folders (cleared when the pool starts)."""
    return settings.data_dir / "sandbox"


def reference_dir(settings: Settings, course_code: str, module_code: str) -> Path:
    """Where the reference runs of a module's answers-only lessons are kept."""
    return course_root(settings, course_code) / "reference" / module_code


def _run_autograde(
    settings: Settings, work: Work, sandbox: Sandbox | None, answers_only: bool = True
) -> None:
    from nbconvert.preprocessors import ClearMetadataPreprocessor
    from nbgrader.converters import Autograde
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.preprocessors import (
        AssignLatePenalties,
        CheckCellMetadata,
        IgnorePattern,
        LimitOutput,
        SaveAutoGrades,
    )

    from .answers_only import AnswersOnlyExecute
    from .execute import TimedExecute

    config = nbgrader_config(settings, work.course_code)
    config.Autograde.autograde_preprocessors = [
        AnswersOnlyExecute if answers_only else TimedExecute,
        IgnorePattern,
        ClearMetadataPreprocessor,
        LimitOutput,
        SaveAutoGrades,
        AssignLatePenalties,
        CheckCellMetadata,
    ]
    timeout = settings.grading.timeout
    config.TimedExecute.timeout = timeout
    config.TimedExecute.notebook_timeout = timeout
    config.TimedExecute.execute_retries = 2
    config.TimedExecute.sandbox = sandbox
    config.TimedExecute.max_output_bytes = settings.grading.max_output_kb * 1024
    config.AnswersOnlyExecute.reference_dir = str(
        reference_dir(settings, work.course_code, work.module_code)
    )
    coursedir = CourseDirectory(config=config)
    coursedir.assignment_id = work.module_code
    coursedir.student_id = work.username
    converter = Autograde(coursedir=coursedir, config=config)
    converter.force = True
    converter.create_student = True
    with capture_nbgrader_log() as lines:
        try:
            converter.start()
        except Exception as error:
            log.error(
                "autograde of submission %s failed: %s\n%s",
                work.submission_id,
                error,
                "\n".join(lines),
            )
            raise GradingError(
                words.format("grader_autograde_failed", submission_id=work.submission_id)
            ) from None


def read_scores(settings: Settings, course_code: str, module_code: str, username: str) -> Scores:
    """The gradebook's scores of the learner's (latest graded) submission of the module.

    An item is automatic (``auto``) when its cell is an autograder test: a graded code cell
    that is not an answer (nbgrader's "autograder tests"). Its points count in the quiz
    percentage, whose denominator is then every test of the release — the gradebook holds a
    grade for each cell of every notebook, a missing notebook's at 0 — never only the items
    the learner's answers happened to touch. Answers to grade by hand are manual even when
    nbgrader gave an unchanged one 0 on its own (that 0 counts as their grading)."""
    scores = Scores()
    with _gradebook(settings, course_code) as gradebook:
        submission = gradebook.find_submission(module_code, username)
        for notebook in submission.notebooks:
            comments = {c.name: _words(c.comment) for c in notebook.comments}
            answers = {cell.name for cell in notebook.notebook.solution_cells}
            for grade in notebook.grades:
                auto = grade.cell_type == "code" and grade.name not in answers
                graded = auto or grade.manual_score is not None or not grade.needs_manual_grade
                score = float(grade.score) if graded else None
                maximum = float(grade.max_score or 0)
                scores.items[grade.name] = {
                    "score": None if score is None else float(score),
                    "max": maximum,
                    "auto": auto,
                    "comment": comments.get(grade.name, ""),
                    "lesson": notebook.name,
                }
    auto_items = [i for i in scores.items.values() if i["auto"]]
    manual_items = [i for i in scores.items.values() if not i["auto"]]
    scores.auto_score = sum(i["score"] or 0.0 for i in auto_items)
    scores.auto_max = sum(i["max"] for i in auto_items)
    scores.manual_max = sum(i["max"] for i in manual_items)
    graded = [i["score"] for i in manual_items if i["score"] is not None]
    scores.manual_score = sum(graded) if graded else None
    scores.needs_manual = any(i["score"] is None for i in manual_items)
    return scores


def _failed_lessons(folder: Path) -> dict[str, str]:
    import nbformat

    failed = {}
    for path in sorted(folder.glob("*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        names = {
            output.get("ename")
            for cell in notebook.cells
            for output in cell.get("outputs", [])
            if output.get("output_type") == "error"
        }
        if NOT_RUN in names or "CellTimeoutError" in names:
            failed[path.stem] = "timeout"
        elif names - {"AssertionError"}:
            failed[path.stem] = "error"
    return failed


#: nbgrader's own comments (SaveAutoGrades), in the learner's language
_COMMENTS = {"No response.": words.grader_no_response}


def _words(comment: str | None) -> str:
    return _COMMENTS.get(comment or "", comment or "")


def _check_messages(folder: Path, scores: Scores) -> None:
    """Each automatic item that lost points gets what its check said: the error's name and
    message (``AssertionError: …``), a few lines at most — never the test's source, which
    may be hidden."""
    for path in sorted(folder.glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            item = scores.items.get(cell.get("metadata", {}).get("nbgrader", {}).get("grade_id"))
            if not item or not item["auto"] or (item["score"] or 0) >= item["max"]:
                continue
            error = next(
                (o for o in cell.get("outputs", []) if o.get("output_type") == "error"), None
            )
            if error is not None:
                said = _ANSI.sub("", f"{error.get('ename', '')}: {error.get('evalue', '')}")
                item["message"] = "\n".join(said.strip(": \n").splitlines()[:3])[:300]


def _graded_without_kernel(folder: Path) -> list[str]:
    from .answers_only import graded_from_answers

    return [
        path.stem
        for path in sorted(folder.glob("*.ipynb"))
        if graded_from_answers(nbformat.read(path, as_version=4))
    ]


def _reflections_written(folder: Path, reflections: tuple[str, ...]) -> list[str]:
    try:
        answers = read_answers(folder / ANSWERS)
    except (FileNotFoundError, ValueError, OSError):
        return []
    return [
        question
        for question in reflections
        if isinstance(answers.get(question), str) and answers[question].strip()
    ]


def render_feedback(settings: Settings, course_code: str, module_code: str, username: str):
    """nbgrader's feedback (GetGrades and its feedback template) for each autograded lesson,
    cleaned by :class:`SanitizeFeedback`: ``{lesson: html}``. Made without nbgrader's
    converter, which changes the process's working directory (the service calls this too)."""
    import nbgrader
    from nbconvert.exporters import HTMLExporter
    from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
    from nbgrader.preprocessors import GetGrades
    from traitlets.config import Config

    root = course_root(settings, course_code)
    folder = root / "autograded" / username / module_code
    nbgrader_templates = Path(nbgrader.__file__).parent / "server_extensions/formgrader/templates"
    bootstrap = nbgrader_templates.parent / "static/node_modules/bootstrap/dist/css"
    config = Config()
    config.HTMLExporter.template_name = "yiyuan_feedback"
    config.HTMLExporter.extra_template_basedirs = [str(TEMPLATES), str(nbgrader_templates)]
    config.HTMLExporter.extra_template_paths = [str(bootstrap), str(nbgrader_templates)]
    config.HTMLExporter.exclude_input_prompt = True
    config.HTMLExporter.exclude_output_prompt = True
    db_url = nbgrader_config(settings, course_code).CourseDirectory.db_url
    pages = {}
    for path in sorted(folder.glob("*.ipynb")):
        exporter = HTMLExporter(config=config)
        for preprocessor in (GetGrades, SanitizeFeedback, CSSHTMLHeaderPreprocessor):
            exporter.register_preprocessor(preprocessor, enabled=True)
        resources = {
            "unique_key": path.stem,
            "output_files_dir": f"{path.stem}_files",
            "nbgrader": {
                "student": username,
                "assignment": module_code,
                "notebook": path.stem,
                "db_url": db_url,
            },
        }
        html, _ = exporter.from_filename(str(path), resources=resources)
        pages[path.stem] = html
    return pages


def publish_feedback(settings: Settings, work: Work) -> str:
    """Put the feedback pages where the service serves them; returns the folder's key in
    storage. The folder's pages are replaced together (Storage.put_folder)."""
    pages = render_feedback(settings, work.course_code, work.module_code, work.username)
    storage = open_storage(settings)
    target = storage.feedback(work.course_code, work.module_code, work.username, work.submission_id)
    storage.put_folder(target, {f"{name}.html": html.encode() for name, html in pages.items()})
    return target


# -- the database ----------------------------------------------------------------------------


def record(session: Session, work: Work, scores: Scores, kind: str) -> Grade:
    """Upsert the submission's Grade, add the event, update the learner's module result."""
    grade = _upsert_grade(session, work.submission_id, scores)
    session.add(
        CompletionEvent(
            account_id=work.account_id,
            kind=kind,
            course_id=work.course_id,
            module_id=work.module_id,
            submission_id=work.submission_id,
            detail={
                "auto_score": scores.auto_score,
                "auto_max": scores.auto_max,
                "needs_manual": scores.needs_manual,
                "failed_lessons": scores.failed_lessons,
                "without_kernel": scores.without_kernel,
            },
        )
    )
    session.flush()
    update_completion(session, work.account_id, work.module_id)
    return grade


def _upsert_grade(session: Session, submission_id: int, scores: Scores) -> Grade:
    values = {
        "auto_score": scores.auto_score,
        "auto_max": scores.auto_max,
        "manual_score": scores.manual_score,
        "manual_max": scores.manual_max,
        "needs_manual": scores.needs_manual,
        "items": scores.items,
        "reflections_written": scores.reflections_written,
        "feedback_path": scores.feedback_path,
        "graded_at": utcnow(),
    }
    for _ in range(2):
        grade = session.scalar(select(Grade).where(Grade.submission_id == submission_id))
        if grade is not None:
            for name, value in values.items():
                setattr(grade, name, value)
            session.flush()
            return grade
        try:
            with session.begin_nested():
                grade = Grade(submission_id=submission_id, **values)
                session.add(grade)
            return grade
        except IntegrityError:
            continue  # another worker wrote it first (a job taken over): update that row
    raise GradingError(words.format("grader_grade_not_saved", submission_id=submission_id))


def update_completion(session: Session, account_id: int, module_id: int) -> None:
    # imported here: the completion engine imports the models, grading need not at import
    from ..completion.engine import update

    update(session, account_id, module_id)

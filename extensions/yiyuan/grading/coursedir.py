"""nbgrader course directories managed by the platform: one per course.

nbgrader 0.9.6's gradebook ignores the course in its queries, so each course gets its own
folder and its own gradebook (``<coursedirs>/<course>/gradebook.db``)::

    source/<module>/       the trainer's lessons (never answers.json, hidden files, checkpoints)
    release/<module>/      student version made by nbgrader's generate step
    submitted/<user>/<module>/, autograded/…, feedback/…   nbgrader's own steps

Everything runs in-process through nbgrader's converters (no CLI start-up). nbgrader changes
the working directory while it converts, so call these from a worker or a command, never from
a threaded server.
"""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
import sqlite3
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..courses.manifest import Course
from ..errors import YiyuanError
from ..exchange.names import check_id
from ..i18n import get_catalogue
from ..settings import Settings

log = logging.getLogger(__name__)
words = get_catalogue()

#: seconds a gradebook writer waits for another one (workers grade the same course at once)
GRADEBOOK_TIMEOUT = 60

#: never copied from the trainer's folder into nbgrader's source
_SKIPPED = {"answers.json", ".ipynb_checkpoints", "__pycache__"}


class GradingError(YiyuanError):
    """Generating, autograding or grading by hand could not be done (Chinese message)."""


def course_root(settings: Settings, course_code: str) -> Path:
    return settings.coursedirs_dir / check_id(course_code, words.grader_course_code)


def gradebook_url(settings: Settings, course_code: str) -> str:
    """The course's nbgrader gradebook; writers wait up to a minute for each other."""
    path = course_root(settings, course_code) / "gradebook.db"
    return f"sqlite:///{path}?timeout={GRADEBOOK_TIMEOUT}"


def nbgrader_config(settings: Settings, course_code: str):
    """A traitlets Config for nbgrader's converters working in this course's directory."""
    from traitlets.config import Config

    config = Config()
    config.CourseDirectory.root = str(course_root(settings, course_code))
    config.CourseDirectory.course_id = course_code
    config.CourseDirectory.db_url = gradebook_url(settings, course_code)
    return config


def ensure_path_for_nbgrader() -> None:
    # nbgrader runs `alembic heads` from PATH when it creates a gradebook
    bin_dir = str(Path(sys.executable).parent)
    path = os.environ.get("PATH", "")
    if bin_dir not in path.split(os.pathsep):
        os.environ["PATH"] = f"{bin_dir}{os.pathsep}{path}"


@contextmanager
def course_lock(settings: Settings, course_code: str, exclusive: bool) -> Iterator[None]:
    """Generating takes the course exclusively; grading shares it (many workers at once)."""
    root = course_root(settings, course_code)
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def learner_lock(settings: Settings, course_code: str, username: str, module: str):
    """One grading at a time per learner and module: they share nbgrader's folders."""
    folder = course_root(settings, course_code) / ".locks"
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / f"{username}--{module}", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _ignore(_folder: str, names: list[str]) -> set[str]:
    return {name for name in names if name in _SKIPPED or name.startswith(".")}


def prepare_module(settings: Settings, course: Course, module_code: str) -> Path:
    """Copy the module's lessons into nbgrader's source, run the generate step in-process and
    return the student version (``<root>/release/<module>``): no hidden tests, no answer file.
    The gradebook then holds the module, its lessons and their points."""
    check_id(module_code, words.grader_module_code)
    root = course_root(settings, course.id)
    origin = settings.courses_dir / "notebooks" / course.id / module_code
    if not origin.is_dir():
        raise GradingError(
            words.format("grader_lessons_missing", module=module_code, folder=origin)
        )
    with course_lock(settings, course.id, exclusive=True):
        source = root / "source" / module_code
        if source.exists():
            shutil.rmtree(source)
        shutil.copytree(origin, source, ignore=_ignore)
        _generate(settings, course.id, module_code)
        _use_wal(root / "gradebook.db")
    return root / "release" / module_code


def _generate(settings: Settings, course_code: str, module_code: str) -> None:
    from nbgrader.converters import GenerateAssignment
    from nbgrader.coursedir import CourseDirectory

    ensure_path_for_nbgrader()
    config = nbgrader_config(settings, course_code)
    coursedir = CourseDirectory(config=config)
    coursedir.assignment_id = module_code
    converter = GenerateAssignment(coursedir=coursedir, config=config)
    converter.force = True
    converter.create_assignment = True
    with capture_nbgrader_log() as lines:
        try:
            converter.start()
        except Exception as error:
            log.error("generate %s/%s failed: %s\n%s", course_code, module_code, error, lines)
            raise GradingError(words.format("grader_generate_failed", module=module_code)) from None


def _use_wal(path: Path) -> None:
    # WAL lets the formgrader and the dashboards read while a worker writes grades
    if path.exists():
        with sqlite3.connect(path, timeout=GRADEBOOK_TIMEOUT) as connection:
            connection.execute("PRAGMA journal_mode=WAL")


@contextmanager
def capture_nbgrader_log() -> Iterator[list[str]]:
    """nbgrader's converters log errors instead of raising them: keep those lines for our log."""
    lines: list[str] = []

    class _Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.levelno >= logging.WARNING:
                lines.append(self.format(record))

    handler = _Keep()
    logger = logging.getLogger("traitlets")
    logger.addHandler(handler)
    try:
        yield lines
    finally:
        logger.removeHandler(handler)

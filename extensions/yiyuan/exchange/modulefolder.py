"""A fetched module in a learner's home: ``<home>/<course>/<module>/``.

Fetching writes a small marker (``.yiyuan.json``: course, module, release) into the folder, so
the lesson's submit button knows what it is submitting even if the folder was moved. Packing
for submission leaves out what nbgrader leaves out (checkpoints, caches, fetched feedback) and
files over nbgrader's size limit, but keeps the answers file (``answers.json``).
"""

from __future__ import annotations

import fnmatch
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from . import archives
from .names import BadName, check_id

#: the lesson widgets' answers file (yiyuan.lesson.sidecar.FILENAME), always sent
ANSWERS = "answers.json"

MARKER = ".yiyuan.json"
#: nbgrader's CourseDirectory.ignore default
DEFAULT_IGNORE = (".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback")
#: nbgrader's CourseDirectory.max_file_size default, in kB
DEFAULT_MAX_FILE_KB = 100000
#: a fetched module or a collected submission, unpacked, at most this large
UNPACK_LIMIT = 2048 * 1024 * 1024
#: never sent: the marker, and a timestamp the learner's clock wrote (the service keeps time)
NEVER_SENT = {MARKER, "timestamp.txt"}

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ModuleRef:
    course_id: str
    assignment_id: str
    #: the release the folder was fetched from (0: unknown)
    release: int = 0


def write_marker(folder: Path, ref: ModuleRef) -> None:
    data = {"course_id": ref.course_id, "assignment_id": ref.assignment_id, "release": ref.release}
    (Path(folder) / MARKER).write_text(json.dumps(data), encoding="utf-8")


def unpack_release(data: bytes, folder: Path, ref: ModuleRef, max_bytes: int) -> None:
    """A fetched release into ``folder`` (which must not exist yet), with its marker."""
    archives.unpack(data, Path(folder), max_bytes)
    write_marker(Path(folder), ref)


def module_of(folder: Path) -> ModuleRef:
    """Which module a folder holds: its marker, else ``<course>/<module>`` from the path.

    Raises BadName (Chinese) when neither gives valid ids.
    """
    folder = Path(folder).resolve()
    try:
        data = json.loads((folder / MARKER).read_text(encoding="utf-8"))
        course, module = data["course_id"], data["assignment_id"]
        release = data.get("release", 0)
        ref = ModuleRef(
            check_id(course, "课程代码"),
            check_id(module, "单元代码"),
            release if isinstance(release, int) and release > 0 else 0,
        )
        return ref
    except (OSError, ValueError, KeyError, TypeError):
        pass  # no marker (or a damaged one): fall back on the folder's place
    return ModuleRef(check_id(folder.parent.name, "课程代码"), check_id(folder.name, "单元代码"))


def pack_module(
    folder: Path,
    ignore: Iterable[str] = DEFAULT_IGNORE,
    max_file_kb: float = DEFAULT_MAX_FILE_KB,
    include: Iterable[str] = ("*",),
) -> bytes:
    """The module folder as tar.gz bytes, ready to submit: what nbgrader's own exchange
    copies (``CourseDirectory.ignore``, ``include`` and ``max_file_size`` as
    ``nbgrader.utils.ignore_patterns`` applies them: globs on names, a kB of 1,000 bytes),
    and the answers file whatever ``include`` says (the platform grades from it)."""
    folder = Path(folder)
    patterns, wanted = tuple(ignore), tuple(include)

    def exclude(path: PurePosixPath) -> bool:
        if str(path) in NEVER_SENT:
            return True
        if any(fnmatch.fnmatch(part, pattern) for part in path.parts for pattern in patterns):
            return True
        if str(path) == ANSWERS:
            return False
        if wanted and not any(fnmatch.fnmatch(path.name, glob) for glob in wanted):
            return True
        size = (folder / path).stat().st_size
        if max_file_kb and size > max_file_kb * 1000:
            log.warning("文件 %s 超过 %g kB，不随本单元提交。", path, max_file_kb)
            return True
        return False

    return archives.pack(folder, exclude=exclude)


__all__ = [
    "MARKER",
    "BadName",
    "ModuleRef",
    "module_of",
    "pack_module",
    "unpack_release",
    "write_marker",
]

"""The answers sidecar: ``answers.json`` beside the lesson notebook.

A Voila kernel never saves the notebook, so the answers live in this file; it is submitted with
the notebook and read by the hidden tests (``yiyuan.lesson.grading``). Format::

    {"version": 1, "answers": {"q1": "选项乙", "q2": ["甲", "丙"], "q3": true}, "updated_at": "…"}

Unanswered questions are absent. Every write is atomic (temporary file + ``os.replace``) and
merges into what is on disk, so two lessons of one module (notebooks in the same folder) keep
each other's answers. A file that cannot be read is never overwritten: it is renamed to
``answers.json.bad-<time>`` first.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

# the bottom floor's writer, which imports nothing of the platform
from ..atomic import write_atomic as write_file

FILENAME = "answers.json"
VERSION = 1


def parse(text: str) -> dict[str, Any]:
    """The answers held by a sidecar's text; ValueError when it is not a valid sidecar."""
    data = json.loads(text)
    if not isinstance(data, dict) or data.get("version") != VERSION:
        raise ValueError("not a version 1 answers file")
    answers = data.get("answers")
    if not isinstance(answers, dict):
        raise ValueError("answers is not an object")
    return answers


def read_answers(path: Path) -> dict[str, Any]:
    """Strict read: FileNotFoundError when absent, ValueError when unreadable."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise ValueError("answers file is not UTF-8") from error
    return parse(text)


def _umask() -> int:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    return 0o022


def write_atomic(path: Path, data: Mapping[str, Any]) -> None:
    """Write JSON (UTF-8, readable Chinese) so that readers see the old or the new file, whole."""
    text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    # the learner's own file: readable and writable as their umask says
    write_file(Path(path), text.encode("utf-8"), mode=0o666 & ~_umask())


class Sidecar:
    """Reads and updates one answers file; remembers where a bad file was moved to."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.backups: list[Path] = []

    def load(self) -> dict[str, Any]:
        """The saved answers; empty when there is no file or it is bad (then kept aside)."""
        try:
            return read_answers(self.path)
        except FileNotFoundError:
            return {}
        except ValueError:
            self._keep_bad()
            return {}

    def update(self, changes: Mapping[str, Any]) -> None:
        """Set answers (``None`` removes one) and write the file, merged with what is on disk."""
        answers = self.load()
        for question_id, value in changes.items():
            if value is None:
                answers.pop(question_id, None)
            else:
                answers[question_id] = value
        updated_at = datetime.now().astimezone().isoformat(timespec="seconds")
        write_atomic(self.path, {"version": VERSION, "answers": answers, "updated_at": updated_at})

    def _keep_bad(self) -> None:
        stamp = datetime.now().strftime("%Y%m%dT%H%M%S")
        target = self.path.with_name(f"{self.path.name}.bad-{stamp}")
        number = 1
        while target.exists():
            target = self.path.with_name(f"{self.path.name}.bad-{stamp}-{number}")
            number += 1
        try:
            os.rename(self.path, target)
        except FileNotFoundError:
            return
        self.backups.append(target)
        if sys.__stderr__ is not None:  # the server's log; never shown to the learner
            print(f"yiyuan.lesson: unreadable {self.path} kept as {target}", file=sys.__stderr__)

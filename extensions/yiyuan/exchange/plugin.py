"""nbgrader's pluggable exchange (``nbgrader.exchange.abc``), against the yiyuan service: the
learner's commands (list, fetch, submit, fetch feedback) here, the trainer's in
``trainer_commands.py``, their common base in ``base.py``.

Selected by ``jupyter_config/nbgrader_config.json`` (``ExchangeFactory``), so ``nbgrader
list/fetch_assignment/submit/release_assignment/collect/release_feedback/fetch_feedback`` and
JupyterLab's assignment list work unchanged. What differs from nbgrader's default exchange:

- modules are fetched into ``<assignment_dir>/<course>/<module>/`` (two courses never collide);
- the service's clock is the submission time; a learner's ``timestamp.txt`` is never sent;
- learners see their own submissions and feedback only, and nothing is ever deleted;
- messages are Chinese (the service's own, passed through).

Runs inside single-user servers: imports neither the models nor the database layer.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import shutil
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

from nbgrader.exchange import abc
from traitlets import Bool

from . import archives
from .base import Exchange
from .modulefolder import (
    UNPACK_LIMIT,
    ModuleRef,
    module_of,
    pack_module,
    unpack_release,
    write_marker,
)
from .names import BadName, check_id

# -- list -----------------------------------------------------------------------------------


def _sha256(path: str) -> str:
    with open(path, "rb") as stream:
        return hashlib.sha256(stream.read()).hexdigest()


class ExchangeList(Exchange, abc.ExchangeList):
    """Released modules (default), a trainer's inbound submissions (``--inbound``) or the
    learner's own submissions with their feedback (``--cached``, JupyterLab's list)."""

    as_json = Bool(False, help="Print the list as JSON (nbgrader list --json).").tag(config=True)

    def init_src(self) -> None:
        pass

    def init_dest(self) -> None:
        course = self.coursedir.course_id
        if course:
            check_id(course, "课程代码")
        assignment = self.coursedir.assignment_id
        if self.inbound or self.cached:
            scope = "course" if self.inbound else "own"
            if self.inbound and not course:
                self.fail("查看收到的提交时请指定课程：--course=课程代码。")
            items = self.client.get_json(
                "api/exchange/submissions",
                {
                    "course_id": course,
                    "assignment_id": assignment if course else "",
                    "scope": scope,
                },
            )["submissions"]
            student = self.coursedir.student_id
            if student and student != "*":
                items = [item for item in items if item["student"] == student]
        else:
            items = [
                item
                for item in self.client.assignments(course)
                if item["release"] > 0 and item["released_at"]
            ]
        if assignment:
            items = [item for item in items if item["assignment_id"] == assignment]
        self.items = items

    def copy_files(self) -> None:
        pass

    def parse_assignments(self) -> list[dict[str, Any]]:
        if self.inbound or self.cached:
            return self._submissions()
        return [self._released(item) for item in self.items]

    def _released(self, item: dict) -> dict[str, Any]:
        info = {
            "course_id": item["course_id"],
            "assignment_id": item["assignment_id"],
            "title": item.get("title", ""),
            "due": item.get("due"),
        }
        local = self.local_path(item["course_id"], item["assignment_id"])
        if os.path.isdir(local):
            info["status"] = "fetched"
            info["path"] = local
            notebooks = sorted(glob.glob(os.path.join(local, "*.ipynb")))
            info["notebooks"] = [
                {"notebook_id": os.path.splitext(os.path.basename(nb))[0], "path": nb}
                for nb in notebooks
            ]
        else:
            info["status"] = "released"
            info["path"] = f"{item['course_id']}/{item['assignment_id']}"
            info["notebooks"] = [
                {"notebook_id": name, "path": f"{info['path']}/{name}.ipynb"}
                for name in item.get("notebooks", [])
            ]
        if self.remove:
            info["status"] = "removed"
        return info

    def _submission(self, item: dict) -> dict[str, Any]:
        local_dir = self.local_path(item["course_id"], item["assignment_id"])
        feedback_dir = os.path.join(local_dir, "feedback", item["timestamp"])
        info: dict[str, Any] = {
            "course_id": item["course_id"],
            "student_id": item["student"],
            "assignment_id": item["assignment_id"],
            "timestamp": item["timestamp"],
            "submission_id": item["id"],
            "status": "submitted",
            "path": f"{item['course_id']}/{item['assignment_id']}/{item['id']}",
            "notebooks": [],
        }
        exchange = item.get("feedback", {})
        for notebook_id in item.get("notebooks", []):
            local = os.path.join(feedback_dir, f"{notebook_id}.html")
            has_local = os.path.isfile(local)
            has_exchange = notebook_id in exchange
            info["notebooks"].append(
                {
                    "notebook_id": notebook_id,
                    "path": f"{info['path']}/{notebook_id}.ipynb",
                    "has_local_feedback": has_local,
                    "has_exchange_feedback": has_exchange,
                    "local_feedback_path": local if has_local else None,
                    "feedback_updated": has_local
                    and has_exchange
                    and _sha256(local) != exchange[notebook_id],
                }
            )
        notebooks = info["notebooks"]
        info["has_local_feedback"] = bool(notebooks) and all(
            nb["has_local_feedback"] for nb in notebooks
        )
        info["has_exchange_feedback"] = bool(notebooks) and all(
            nb["has_exchange_feedback"] for nb in notebooks
        )
        info["feedback_updated"] = any(nb["feedback_updated"] for nb in notebooks)
        info["local_feedback_path"] = feedback_dir if info["has_local_feedback"] else None
        return info

    def _submissions(self) -> list[dict[str, Any]]:
        groups: dict[tuple, list] = defaultdict(list)
        for item in self.items:
            info = self._submission(item)
            groups[(info["course_id"], info["student_id"], info["assignment_id"])].append(info)
        result = []
        for key in sorted(groups):
            submissions = sorted(groups[key], key=lambda info: info["timestamp"])
            result.append(
                {
                    "course_id": key[0],
                    "student_id": key[1],
                    "assignment_id": key[2],
                    "status": "submitted",
                    "submissions": submissions,
                }
            )
        return result

    def _log(self, assignments: list[dict[str, Any]]) -> None:
        if self.inbound or self.cached:
            self.log.info("Submitted assignments:")
            for assignment in assignments:
                for info in assignment["submissions"]:
                    message = "{course_id} {student_id} {assignment_id} {timestamp}".format(**info)
                    if info["has_local_feedback"] and not info["feedback_updated"]:
                        message += " (feedback already fetched)"
                    elif info["has_exchange_feedback"]:
                        message += " (feedback ready to be fetched)"
                    else:
                        message += " (no feedback available)"
                    self.log.info(message)
        else:
            self.log.info("Released assignments:")
            for info in assignments:
                message = "{course_id} {assignment_id}".format(**info)
                if info["status"] == "fetched":
                    message += " (already downloaded)"
                self.log.info(message)
        if self.as_json:
            print(json.dumps(assignments, ensure_ascii=False))

    def list_files(self) -> list[dict[str, Any]]:
        assignments = self.parse_assignments()
        self._log(assignments)
        return assignments

    def remove_files(self) -> list[dict[str, Any]]:
        if self.inbound or self.cached:
            self.fail("平台保留每一次提交，不能删除。")
        assignments = self.parse_assignments()
        for info in assignments:
            self.client.withdraw(info["course_id"], info["assignment_id"])
            self.log.info("Withdrew %s %s", info["course_id"], info["assignment_id"])
        return assignments


# -- learner: fetch and submit --------------------------------------------------------------


class ExchangeFetchAssignment(Exchange, abc.ExchangeFetchAssignment):
    def init_src(self) -> None:
        self.course = self.course_id()
        self.assignment = self.assignment_id()
        self.data, self.release = self.client.release(self.course, self.assignment)

    def init_dest(self) -> None:
        self.dest_path = self.local_path(self.course, self.assignment)
        if os.path.isdir(self.dest_path) and not self.replace_missing_files:
            self.fail(
                f"您已经获取过本单元，文件夹 {self.dest_path} 已存在（为保护您的作答，不会覆盖）。"
            )

    def copy_files(self) -> None:
        self.log.info("Source: %s/%s (release %d)", self.course, self.assignment, self.release)
        self.log.info("Destination: %s", self.dest_path)
        ref = ModuleRef(self.course, self.assignment, self.release)
        if os.path.isdir(self.dest_path):
            self._replace_missing()
            write_marker(Path(self.dest_path), ref)
        else:
            unpack_release(self.data, Path(self.dest_path), ref, UNPACK_LIMIT)
        self.log.info("Fetched as: %s %s", self.course, self.assignment)

    def _replace_missing(self) -> None:
        with tempfile.TemporaryDirectory(dir=os.path.dirname(self.dest_path)) as staging:
            fresh = Path(staging) / "release"
            archives.unpack(self.data, fresh, UNPACK_LIMIT)
            for source in sorted(fresh.rglob("*")):
                target = Path(self.dest_path) / source.relative_to(fresh)
                if target.exists():
                    continue
                self.log.warning("Replacing missing file '%s'", target)
                if source.is_dir():
                    target.mkdir(parents=True)
                else:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy(source, target)


class ExchangeSubmit(Exchange, abc.ExchangeSubmit):
    def init_src(self) -> None:
        self.course = self.course_id()
        self.assignment = self.assignment_id()
        self.src_path = self.local_path(self.course, self.assignment)
        if not os.path.isdir(self.src_path):
            self.fail(f"找不到要提交的文件夹 {self.src_path}：请先获取本单元（fetch）。")

    def init_dest(self) -> None:
        size = sum(p.stat().st_size for p in Path(self.src_path).rglob("*") if p.is_file())
        if size > 1000 * self.coursedir.max_dir_size:
            self.fail(f"文件夹 {self.src_path} 太大（{size // 1024} kB），请删去大文件后再提交。")
        item = self.find_assignment(self.course, self.assignment)
        self.released = item.get("notebooks", []) if item else None

    def check_filename_diff(self) -> None:
        if self.released is None:
            return  # the service will say why this module cannot be submitted
        local = {p.stem for p in Path(self.src_path).glob("*.ipynb")}
        missing = [name for name in self.released if name not in local]
        extra = sorted(local - set(self.released))
        if missing and self.strict:
            self.fail(f"单元 {self.assignment} 没有提交：缺少课件 {', '.join(missing)}。")
        if missing or extra:
            self.log.warning(
                "Possible missing notebooks (%s) and/or extra notebooks (%s)",
                ", ".join(missing),
                ", ".join(extra),
            )

    def copy_files(self) -> None:
        self.check_filename_diff()
        folder = Path(self.src_path)
        try:
            release = module_of(folder).release
        except BadName:
            release = 0
        data = pack_module(
            folder, self.coursedir.ignore, self.coursedir.max_file_size, self.coursedir.include
        )
        self.log.info("Source: %s", self.src_path)
        result = self.client.submit(
            self.course, self.assignment, data, release=release, client_timestamp=self.timestamp
        )
        self.log.info("Submitted as: %s %s %s", self.course, self.assignment, result["timestamp"])
        if result.get("late_message"):  # taken after the due date, by the course's policy
            self.log.warning(result["late_message"])


class ExchangeFetchFeedback(Exchange, abc.ExchangeFetchFeedback):
    """The learner's feedback into ``<course>/<module>/feedback/<timestamp>/<lesson>.html``."""

    def init_src(self) -> None:
        self.course = self.course_id()
        self.assignment = self.assignment_id()
        self.items = self.client.feedback(self.course, self.assignment)

    def init_dest(self) -> None:
        self.dest_path = os.path.join(self.local_path(self.course, self.assignment), "feedback")

    def copy_files(self) -> None:
        if not self.items:
            self.log.warning("还没有 %s %s 的反馈。", self.course, self.assignment)
        for item in self.items:
            data = self.client.feedback_archive(item["id"])
            target = Path(self.dest_path) / item["timestamp"]
            target.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryDirectory(dir=target) as staging:
                fresh = Path(staging) / "feedback"
                archives.unpack(data, fresh, UNPACK_LIMIT)
                for page in sorted(fresh.glob("*.html")):
                    os.replace(page, target / page.name)
                    self.log.info("Fetched feedback: %s", target / page.name)


__all__ = [
    "Exchange",
    "ExchangeFetchAssignment",
    "ExchangeFetchFeedback",
    "ExchangeList",
    "ExchangeSubmit",
]

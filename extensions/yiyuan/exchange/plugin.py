"""nbgrader's pluggable exchange (``nbgrader.exchange.abc``), against the yiyuan service.

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
import re
import shutil
import tempfile
from collections import defaultdict
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from nbgrader.exchange import abc
from nbgrader.utils import parse_utc
from traitlets import Bool

from . import archives
from .client import ServiceClient, ServiceError
from .modulefolder import (
    UNPACK_LIMIT,
    ModuleRef,
    module_of,
    pack_module,
    unpack_release,
    write_marker,
)
from .names import BadName, check_id

LOCAL_ZONE = ZoneInfo("Asia/Shanghai")


class Exchange(abc.Exchange):
    """Shared by the eight classes: the service client, local paths, Chinese failures."""

    path_includes_course = Bool(
        True,
        help="Put fetched modules in <assignment_dir>/<course>/<module> (True, the platform's "
        "layout: two courses never collide) or in <assignment_dir>/<module> (nbgrader's default).",
    ).tag(config=True)

    _client: ServiceClient | None = None

    @property
    def client(self) -> ServiceClient:
        if self._client is None:
            self._client = ServiceClient()
        return self._client

    def start(self) -> Any:
        try:
            return super().start()
        except (ServiceError, archives.ArchiveError, BadName) as error:
            self.fail(str(error))

    def course_id(self) -> str:
        course = self.coursedir.course_id
        if not course:
            self.fail("没有指定课程：请加上 --course=课程代码 再试。")
        return check_id(course, "课程代码")

    def assignment_id(self) -> str:
        return check_id(self.coursedir.assignment_id, "单元代码")

    def local_path(self, course_id: str, assignment_id: str) -> str:
        if self.path_includes_course:
            return os.path.abspath(os.path.join(self.assignment_dir, course_id, assignment_id))
        return os.path.abspath(os.path.join(self.assignment_dir, assignment_id))

    def find_assignment(self, course_id: str, assignment_id: str) -> dict | None:
        for item in self.client.assignments(course_id):
            if item["assignment_id"] == assignment_id:
                return item
        return None


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
        data = pack_module(folder, self.coursedir.ignore, self.coursedir.max_file_size)
        self.log.info("Source: %s", self.src_path)
        result = self.client.submit(
            self.course, self.assignment, data, release=release, client_timestamp=self.timestamp
        )
        self.log.info("Submitted as: %s %s %s", self.course, self.assignment, result["timestamp"])


# -- trainer: release, collect, feedback ----------------------------------------------------


class ExchangeReleaseAssignment(Exchange, abc.ExchangeReleaseAssignment):
    def init_src(self) -> None:
        assignment = self.assignment_id()
        self.src_path = self.coursedir.format_path(
            self.coursedir.release_directory, ".", assignment
        )
        if not os.path.isdir(self.src_path):
            source = self.coursedir.format_path(self.coursedir.source_directory, ".", assignment)
            if os.path.isdir(source):
                self.fail(
                    f"单元在 {source} 中，但不在 {self.src_path} 中："
                    "请先运行 nbgrader generate_assignment。"
                )
            self.fail(f"找不到要发布的单元：{self.src_path}")

    def init_dest(self) -> None:
        self.course = self.course_id()
        self.assignment = self.assignment_id()
        item = self.find_assignment(self.course, self.assignment)
        if item is not None and item["release"] > 0 and item["released_at"] and not self.force:
            self.fail(
                f"单元 {self.course} {self.assignment} 已经发布（第 {item['release']} 版）："
                "要用新内容替换，请加 --force。"
            )

    def copy_files(self) -> None:
        data = pack_module(Path(self.src_path), self.coursedir.ignore, self.coursedir.max_file_size)
        self.log.info("Source: %s", self.src_path)
        result = self.client.put_release(self.course, self.assignment, data)
        if not result["changed"]:
            self.log.info("内容没有变化，仍为第 %d 版。", result["release"])
        self.log.info(
            "Released as: %s %s (release %d)", self.course, self.assignment, result["release"]
        )


def _deadline(due: str | None) -> datetime | None:
    if not due:
        return None
    day = datetime.fromisoformat(due).astimezone(LOCAL_ZONE).date()
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=LOCAL_ZONE)


class ExchangeCollect(Exchange, abc.ExchangeCollect):
    """The latest submission of each learner into ``submitted/<student>/<module>/``, with the
    service's time in ``timestamp.txt``."""

    def init_src(self) -> None:
        self.course = self.course_id()
        self.assignment = self.assignment_id()
        items = self.client.get_json(
            "api/exchange/submissions",
            {"course_id": self.course, "assignment_id": self.assignment, "scope": "course"},
        )["submissions"]
        student = self.coursedir.student_id
        if student and student != "*":
            items = [item for item in items if item["student"] == student]
        due = None
        if self.before_duedate:
            assignment = self.find_assignment(self.course, self.assignment)
            due = _deadline(assignment.get("due") if assignment else None)
        by_student: dict[str, list[dict]] = defaultdict(list)
        for item in items:
            by_student[item["student"]].append(item)
        self.src_records = []
        for submissions in by_student.values():
            submissions.sort(key=lambda item: item["submitted_at"], reverse=True)
            chosen = submissions[0]
            if due is not None:
                before = [s for s in submissions if datetime.fromisoformat(s["submitted_at"]) < due]
                chosen = before[0] if before else chosen
            self.src_records.append(chosen)

    def init_dest(self) -> None:
        pass

    def copy_files(self) -> None:
        if not self.src_records:
            self.log.warning(
                "No submissions of '%s' for course '%s' to collect", self.assignment, self.course
            )
        else:
            self.log.info(
                "Processing %d submissions of '%s' for course '%s'",
                len(self.src_records),
                self.assignment,
                self.course,
            )
        for record in sorted(self.src_records, key=lambda item: item["student"]):
            self._collect(record)

    def _collect(self, record: dict) -> None:
        student = record["student"]
        if "/" in student or student.startswith(".") or not student:
            self.log.error("Skipping a submission with an unsafe student id: %r", student)
            return
        dest = Path(
            self.coursedir.format_path(self.coursedir.submitted_directory, student, self.assignment)
        )
        new_timestamp = parse_utc(record["timestamp"])
        updating = False
        if dest.is_dir():
            existing = self.coursedir.get_existing_timestamp(str(dest))
            newer = existing is None or new_timestamp > existing
            if (self.update and newer) or (self.before_duedate and existing != new_timestamp):
                updating = True
            else:
                if self.update:
                    self.log.info("No newer submission to collect: %s %s", student, self.assignment)
                else:
                    self.log.info(
                        "Submission already exists, use --update to update: %s %s",
                        student,
                        self.assignment,
                    )
                return
        data = self.client.submission_archive(record["id"])
        dest.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=dest.parent, prefix=f".{dest.name}.") as staging:
            fresh = Path(staging) / "submission"
            archives.unpack(data, fresh, UNPACK_LIMIT)
            (fresh / "timestamp.txt").write_text(record["timestamp"], encoding="utf-8")
            if updating:
                self.log.info("Updating submission: %s %s", student, self.assignment)
                shutil.rmtree(dest)
            else:
                self.log.info("Collecting submission: %s %s", student, self.assignment)
            os.rename(fresh, dest)


class ExchangeReleaseFeedback(Exchange, abc.ExchangeReleaseFeedback):
    """Feedback pages made by ``nbgrader generate_feedback`` go to the submission they grade
    (matched by learner and the service's timestamp that collect wrote)."""

    def init_src(self) -> None:
        self.assignment = self.assignment_id()
        student = self.coursedir.student_id if self.coursedir.student_id else "*"
        self.src_path = self.coursedir.format_path(
            self.coursedir.feedback_directory, student, self.assignment
        )

    def init_dest(self) -> None:
        self.course = self.course_id()
        items = self.client.get_json(
            "api/exchange/submissions",
            {"course_id": self.course, "assignment_id": self.assignment, "scope": "course"},
        )["submissions"]
        self.by_key = {(item["student"], parse_utc(item["timestamp"])): item for item in items}

    def copy_files(self) -> None:
        exclude = set(filter(None, (self.coursedir.student_id_exclude or "").split(",")))
        pattern = re.escape(os.path.sep).join(
            [
                self.coursedir.format_path(
                    self.coursedir.feedback_directory,
                    "(?P<student_id>.*)",
                    self.assignment,
                    escape=True,
                ),
                "(?P<notebook_id>.*).html",
            ]
        )
        folders: dict[str, str] = {}
        for html_file in sorted(glob.glob(os.path.join(self.src_path, "*.html"))):
            match = re.match(pattern, html_file)
            if match is None:
                self.log.error("Could not match '%s' with regexp '%s'", html_file, pattern)
                continue
            student = match.group("student_id")
            if student not in exclude:
                folders[student] = os.path.dirname(html_file)
        for student, folder in sorted(folders.items()):
            self._release(student, Path(folder))

    def _release(self, student: str, folder: Path) -> None:
        try:
            timestamp = parse_utc((folder / "timestamp.txt").read_text(encoding="utf-8").strip())
        except (OSError, ValueError):
            self.log.error("No valid timestamp.txt in %s: skipped", folder)
            return
        item = self.by_key.get((student, timestamp))
        if item is None:
            self.log.error(
                "学员 %s 在 %s 的提交不在平台上（请先用 nbgrader collect 收取）：跳过。",
                student,
                timestamp,
            )
            return
        data = archives.pack(
            folder, exclude=lambda path: path.suffix != ".html" or len(path.parts) != 1
        )
        result = self.client.put_feedback(item["id"], data)
        self.log.info(
            "Releasing feedback for student '%s' on assignment '%s/%s' (%s): %s",
            student,
            self.course,
            self.assignment,
            item["timestamp"],
            ", ".join(result["feedback"]),
        )


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
    "ExchangeCollect",
    "ExchangeFetchAssignment",
    "ExchangeFetchFeedback",
    "ExchangeList",
    "ExchangeReleaseAssignment",
    "ExchangeReleaseFeedback",
    "ExchangeSubmit",
]

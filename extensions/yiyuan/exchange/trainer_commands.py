"""The trainer's side of the exchange: release a module, collect submissions, release feedback
(``nbgrader release_assignment / collect / release_feedback``), against the yiyuan service.

Runs inside single-user servers: imports neither the models nor the database layer.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import tempfile
from collections import defaultdict
from datetime import datetime, time, timedelta
from pathlib import Path

from nbgrader.exchange import abc
from nbgrader.utils import parse_utc

from ..clock import local_zone
from . import archives
from .base import Exchange
from .modulefolder import (
    UNPACK_LIMIT,
    pack_module,
)

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
        data = pack_module(
            Path(self.src_path),
            self.coursedir.ignore,
            self.coursedir.max_file_size,
            self.coursedir.include,
        )
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
    day = datetime.fromisoformat(due).astimezone(local_zone()).date()
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=local_zone())


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


__all__ = ["ExchangeCollect", "ExchangeReleaseAssignment", "ExchangeReleaseFeedback"]

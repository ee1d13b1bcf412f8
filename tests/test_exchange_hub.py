"""nbgrader's exchange through the platform: a real hub, the real yiyuan service it starts,
nbgrader's own commands with the shipped config, two courses at once.

Courses are set up directly in the platform database (the catalog's publish is tested on its
own); releasing them is part of what is tested here: trainers run ``nbgrader
release_assignment`` from their course folders.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import tarfile
import time
from datetime import UTC, datetime, timedelta
from importlib.resources import files
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select

from hubtest import BIN, Hub, free_port
from yiyuan.db import Database
from yiyuan.demo import DEMO_PASSWORD
from yiyuan.exchange.modulefolder import pack_module
from yiyuan.exchange.names import parse_nbgrader_timestamp
from yiyuan.models import (
    Account,
    CompletionEvent,
    Course,
    CourseTrainer,
    Enrolment,
    GradingJob,
    Module,
    ModuleKind,
    Submission,
)

CONFIG_DIR = str(files("yiyuan.exchange").joinpath("jupyter_config"))
YINYUE, SHUFA, CLOSED = "test-yinyue", "test-shufa", "test-closed"
#: past its due date, late work taken for 5 days at 10 points a day; its m-two has its own,
#: older due date (10 days late: refused)
LATE = "test-late"
MODULE = "m-one"  # the same module id in two courses: their folders must not collide

LESSON = {
    "cells": [{"cell_type": "markdown", "metadata": {}, "source": "# 第一课"}],
    "metadata": {},
    "nbformat": 4,
    "nbformat_minor": 5,
}


class Platform:
    def __init__(self, hub: Hub, root: Path) -> None:
        self.hub = hub
        self.root = root
        port = hub.service_port
        self.url = f"http://127.0.0.1:{port}/services/yiyuan"
        self.database = Database(f"sqlite:///{hub.data_dir / 'yiyuan.sqlite'}")
        self.tokens: dict[str, str] = {}

    def home(self, user: str) -> Path:
        path = self.root / "homes" / user
        path.mkdir(parents=True, exist_ok=True)
        return path

    def env(self, user: str) -> dict[str, str]:
        return {
            "PATH": f"{BIN}:/usr/bin:/bin",
            "HOME": str(self.home(user)),
            "LANG": "C.UTF-8",
            "JUPYTER_CONFIG_PATH": CONFIG_DIR,
            "YIYUAN_SERVICE_URL": self.url,
            "JUPYTERHUB_API_TOKEN": self.tokens[user],
        }

    def nbgrader(self, user: str, *args: str, cwd: Path | None = None, ok: bool = True):
        result = subprocess.run(
            [str(BIN / "nbgrader"), *args],
            cwd=cwd or self.home(user),
            env=self.env(user),
            capture_output=True,
            text=True,
            timeout=120,
        )
        if ok and result.returncode != 0:
            raise AssertionError(f"nbgrader {' '.join(args)} as {user}:\n{result.stderr}")
        if not ok:
            assert result.returncode != 0, result.stderr
        return result

    def listing(self, user: str, *args: str) -> list[dict]:
        return json.loads(self.nbgrader(user, "list", "--json", *args).stdout.splitlines()[-1])

    def lab_list(self, monkeypatch, user: str, course: str) -> list[dict]:
        """What JupyterLab's assignment list shows: nbgrader's own server-extension code,
        run in this process with the environment a single-user server has."""
        from nbgrader.server_extensions.assignment_list.handlers import AssignmentList

        for name, value in self.env(user).items():
            monkeypatch.setenv(name, value)
        monkeypatch.chdir(self.home(user))  # a single-user server runs in its user's home
        manager = AssignmentList()
        manager.root_dir = str(self.home(user))
        result = manager.list_assignments(course_id=course)
        assert result["success"], result["value"]
        return result["value"]

    def api(self, user: str, method: str, path: str, **kwargs) -> requests.Response:
        headers = kwargs.pop("headers", {})
        headers["Authorization"] = f"token {self.tokens[user]}"
        return requests.request(method, f"{self.url}/{path}", headers=headers, timeout=60, **kwargs)

    def count(self, model) -> int:
        with self.database.session() as session:
            return session.scalar(select(func.count()).select_from(model))

    def submission_files(self) -> list[Path]:
        root = self.hub.data_dir / "exchange" / "submissions"
        return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def _setup_courses(database: Database) -> None:
    with database.session() as session:
        accounts = {a.username: a for a in session.scalars(select(Account))}
        now = datetime.now(UTC)
        plan = [
            (YINYUE, "测试：音乐", "zhouqing", ["wangfang", "liuyang"], now + timedelta(days=90)),
            (SHUFA, "测试：书法", "lihua", ["wangfang"], now + timedelta(days=90)),
            (CLOSED, "测试：已截止", "lihua", ["wangfang"], now - timedelta(days=3)),
            (LATE, "测试：可迟交", "lihua", ["wangfang"], now - timedelta(days=3)),
        ]
        for code, title, trainer, learners, due in plan:
            course = Course(code=code, title=title, due=due, version=1, published_at=now)
            if code == LATE:
                course.late_policy = {"policy": "penalty", "penalty": 10, "days": 5}
            session.add(course)
            session.flush()
            session.add(CourseTrainer(course_id=course.id, account_id=accounts[trainer].id))
            for learner in learners:
                session.add(Enrolment(course_id=course.id, account_id=accounts[learner].id))
            for position, module in enumerate([MODULE, "m-two"]):
                session.add(
                    Module(
                        course_id=course.id,
                        code=module,
                        title=f"{title}·{module}",
                        kind=ModuleKind.online,
                        position=position,
                        lessons=["lesson.ipynb"],
                        due=now - timedelta(days=10) if (code, module) == (LATE, "m-two") else None,
                    )
                )


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    root = tmp_path_factory.mktemp("exchange")
    service_port = free_port()
    hub = Hub(root / "hub", settings={"service": {"port": service_port, "max_submission_mb": 1}})
    hub.service_port = service_port
    hub.cli("db", "upgrade")
    hub.cli("demo", "seed")
    platform = Platform(hub, root)
    _setup_courses(platform.database)
    hub.start()
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{platform.url}/api/openapi.json", timeout=2).ok:
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, f"service did not start:\n{hub.log()}"
            time.sleep(0.3)
        for user in ("wangfang", "liuyang", "sunli", "zhouqing", "lihua"):
            browser = hub.browser()
            assert browser.login(user, DEMO_PASSWORD, allow_redirects=False).status_code == 302
            platform.tokens[user] = browser.token()
        for trainer, course in (("zhouqing", YINYUE), ("lihua", SHUFA), ("lihua", CLOSED)):
            coursedir = platform.home(trainer) / course
            release = coursedir / "release" / MODULE
            release.mkdir(parents=True)
            (release / "lesson.ipynb").write_text(json.dumps(LESSON), encoding="utf-8")
        yield platform
    finally:
        platform.database.dispose()
        hub.stop()


def coursedir(platform: Platform, trainer: str, course: str) -> Path:
    return platform.home(trainer) / course


def tar_gz(members: list[tuple[tarfile.TarInfo, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for info, data in members:
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data) if info.isfile() else None)
    return buffer.getvalue()


def file_member(name: str, data: bytes) -> tuple[tarfile.TarInfo, bytes]:
    return tarfile.TarInfo(name), data


def archive_names(data: bytes) -> set[str]:
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        return {member.name for member in archive}


# -- the scenario, in order ------------------------------------------------------------------


def test_trainers_release_and_learners_list_and_fetch_two_courses(platform, monkeypatch):
    assert platform.listing("wangfang") == []  # nothing released yet
    closed = coursedir(platform, "lihua", CLOSED) / "release" / MODULE
    response = platform.api(
        "lihua", "PUT", f"api/exchange/release/{CLOSED}/{MODULE}", data=pack_module(closed)
    )
    assert response.status_code == 200 and response.json()["release"] == 1
    for trainer, course in (("zhouqing", YINYUE), ("lihua", SHUFA)):
        result = platform.nbgrader(
            trainer,
            "release_assignment",
            MODULE,
            f"--course={course}",
            cwd=coursedir(platform, trainer, course),
        )
        assert "Released as" in result.stderr
    again = platform.nbgrader(
        "zhouqing",
        "release_assignment",
        MODULE,
        f"--course={YINYUE}",
        cwd=coursedir(platform, "zhouqing", YINYUE),
        ok=False,
    )
    assert "已经发布" in again.stderr and "--force" in again.stderr

    listed = platform.listing("wangfang")
    assert {(i["course_id"], i["assignment_id"], i["status"]) for i in listed} == {
        (YINYUE, MODULE, "released"),
        (SHUFA, MODULE, "released"),
        (CLOSED, MODULE, "released"),
    }
    assert [n["notebook_id"] for n in listed[0]["notebooks"]] == ["lesson"]
    assigned = platform.api("liuyang", "GET", "api/exchange/assignments").json()["assignments"]
    assert {i["course_id"] for i in assigned} == {YINYUE}
    assert platform.api("sunli", "GET", "api/exchange/assignments").json()["assignments"] == []

    home = platform.home("wangfang")
    for course in (YINYUE, SHUFA):
        result = platform.nbgrader("wangfang", "fetch_assignment", MODULE, f"--course={course}")
        assert "Fetched as" in result.stderr
        assert (home / course / MODULE / "lesson.ipynb").is_file()
        marker = json.loads((home / course / MODULE / ".yiyuan.json").read_text())
        assert marker == {"course_id": course, "assignment_id": MODULE, "release": 1}
    for course in (YINYUE, SHUFA):
        [shown] = platform.lab_list(monkeypatch, "wangfang", course)
        assert (shown["status"], shown["path"]) == ("fetched", f"{course}/{MODULE}")
        assert shown["notebooks"][0]["path"] == f"{course}/{MODULE}/lesson.ipynb"

    # fetching again never overwrites the learner's work
    (home / YINYUE / MODULE / "lesson.ipynb").write_text("my work", encoding="utf-8")
    again = platform.nbgrader(
        "wangfang", "fetch_assignment", MODULE, f"--course={YINYUE}", ok=False
    )
    assert "已经获取过本单元" in again.stderr
    assert (home / YINYUE / MODULE / "lesson.ipynb").read_text() == "my work"
    (home / YINYUE / MODULE / "lesson.ipynb").write_text(json.dumps(LESSON), encoding="utf-8")

    platform.nbgrader("liuyang", "fetch_assignment", MODULE, f"--course={YINYUE}")


def test_who_may_not_fetch_release_or_collect(platform):
    outsider = platform.nbgrader(
        "sunli", "fetch_assignment", MODULE, f"--course={YINYUE}", ok=False
    )
    assert "您没有参加课程“测试：音乐”" in outsider.stderr
    assert not (platform.home("sunli") / YINYUE).exists()
    # a learner is no trainer: not releasing, not collecting, not withdrawing
    mine = platform.home("wangfang") / "release" / MODULE
    mine.mkdir(parents=True)
    (mine / "lesson.ipynb").write_text(json.dumps(LESSON))
    release = platform.nbgrader(
        "wangfang", "release_assignment", MODULE, f"--course={YINYUE}", "--force", ok=False
    )
    assert "只有课程“测试：音乐”的任课教师" in release.stderr
    collect = platform.nbgrader("wangfang", "collect", MODULE, f"--course={YINYUE}", ok=False)
    assert "只有课程“测试：音乐”的任课教师" in collect.stderr
    assert not (platform.home("wangfang") / "submitted").exists()
    response = platform.api("wangfang", "DELETE", f"api/exchange/release/{YINYUE}/{MODULE}")
    assert response.status_code == 403
    # a trainer of another course neither
    other = platform.api("lihua", "GET", f"api/exchange/release/{YINYUE}/{MODULE}")
    assert other.status_code == 403 and "没有参加" in other.json()["error"]
    unknown = platform.api("wangfang", "GET", f"api/exchange/release/{YINYUE}/m-nine")
    assert unknown.status_code == 404
    unreleased = platform.api("wangfang", "GET", f"api/exchange/release/{YINYUE}/m-two")
    assert unreleased.status_code == 404 and unreleased.json()["code"] == "not-released"
    # a trainer withdraws a release and puts it back; learners follow
    path = f"api/exchange/release/{CLOSED}/{MODULE}"
    assert platform.api("lihua", "DELETE", path).status_code == 200
    assert platform.api("wangfang", "GET", path).status_code == 404
    data = pack_module(coursedir(platform, "lihua", CLOSED) / "release" / MODULE)
    again = platform.api("lihua", "PUT", path, data=data).json()
    assert (again["release"], again["changed"]) == (1, False)
    fetched = platform.api("wangfang", "GET", path)
    assert fetched.status_code == 200 and fetched.headers["X-Yiyuan-Release"] == "1"
    anonymous = requests.get(f"{platform.url}/api/exchange/assignments", timeout=30)
    assert anonymous.status_code in (401, 403)


def test_submit_resubmit_and_collect(platform, monkeypatch):
    home = platform.home("wangfang")
    folder = home / YINYUE / MODULE
    (folder / "answers.json").write_text('{"version": 1, "answers": {"q1": "甲"}}')
    (folder / ".ipynb_checkpoints").mkdir()
    (folder / ".ipynb_checkpoints" / "lesson-checkpoint.ipynb").write_text("{}")
    before = datetime.now(UTC)
    first = platform.nbgrader("wangfang", "submit", MODULE, f"--course={YINYUE}")
    assert "Submitted as" in first.stderr
    platform.nbgrader("liuyang", "submit", MODULE, f"--course={YINYUE}")
    platform.nbgrader("wangfang", "submit", MODULE, f"--course={SHUFA}")  # the other course
    (folder / "answers.json").write_text('{"version": 1, "answers": {"q1": "乙"}}')
    platform.nbgrader("wangfang", "submit", MODULE, f"--course={YINYUE}")  # resubmit

    with platform.database.session() as session:
        rows = session.scalars(select(Submission).order_by(Submission.id)).all()
        mine = [s for s in rows if s.account.username == "wangfang"]
        assert len(rows) == 4 and len(mine) == 3  # every submission kept
        for submission in rows:
            assert before - timedelta(seconds=1) <= submission.submitted_at <= datetime.now(UTC)
            assert submission.release == 1 and submission.checksum and not submission.late
            stored = platform.hub.data_dir / "exchange" / submission.path
            assert stored.is_file() and stored.stat().st_size == submission.size
            expected = {"lesson.ipynb"}
            if (
                submission.account.username == "wangfang"
                and submission.module.course.code == YINYUE
            ):
                expected.add("answers.json")  # the answers go with the notebook
            assert archive_names(stored.read_bytes()) == expected  # no checkpoints, no marker
        jobs = session.scalar(select(func.count()).select_from(GradingJob))
        events = session.scalar(
            select(func.count())
            .select_from(CompletionEvent)
            .where(CompletionEvent.kind == "submitted")
        )
        assert jobs == 4 and events == 4
        latest = mine[-1]
        latest_stamp = latest.submitted_at

    # the learner's own list: two YINYUE submissions, nothing of liuyang's
    shown = platform.lab_list(monkeypatch, "wangfang", YINYUE)
    submitted = [a for a in shown if a["status"] == "submitted"]
    assert [(a["student_id"], len(a["submissions"])) for a in submitted] == [("wangfang", 2)]

    trainer = coursedir(platform, "zhouqing", YINYUE)
    result = platform.nbgrader("zhouqing", "collect", MODULE, f"--course={YINYUE}", cwd=trainer)
    assert "Collecting submission: wangfang" in result.stderr
    collected = trainer / "submitted" / "wangfang" / MODULE
    assert json.loads((collected / "answers.json").read_text())["answers"] == {"q1": "乙"}
    stamp = parse_nbgrader_timestamp((collected / "timestamp.txt").read_text())
    assert stamp == latest_stamp  # the service's clock, not the learner's
    assert (trainer / "submitted" / "liuyang" / MODULE / "lesson.ipynb").is_file()
    inbound = platform.listing("zhouqing", "--inbound", f"--course={YINYUE}")
    assert {(a["student_id"], len(a["submissions"])) for a in inbound} == {
        ("wangfang", 2),
        ("liuyang", 1),
    }
    again = platform.nbgrader("zhouqing", "collect", MODULE, f"--course={YINYUE}", cwd=trainer)
    assert "already exists" in again.stderr


def lab_submissions(platform, monkeypatch, user: str, course: str) -> list[dict]:
    shown = platform.lab_list(monkeypatch, user, course)
    return [s for a in shown if a["status"] == "submitted" for s in a["submissions"]]


def test_feedback_goes_to_its_learner_only(platform, monkeypatch):
    trainer = coursedir(platform, "zhouqing", YINYUE)
    feedback = trainer / "feedback" / "wangfang" / MODULE
    feedback.mkdir(parents=True)
    stamp = (trainer / "submitted" / "wangfang" / MODULE / "timestamp.txt").read_text()
    (feedback / "timestamp.txt").write_text(stamp)
    (feedback / "lesson.html").write_text("<p>反馈：很好</p>", encoding="utf-8")
    result = platform.nbgrader(
        "zhouqing", "release_feedback", MODULE, f"--course={YINYUE}", cwd=trainer
    )
    assert "Releasing feedback for student 'wangfang'" in result.stderr

    # learners may not release feedback
    with platform.database.session() as session:
        ids = {
            s.account.username: s.id
            for s in session.scalars(
                select(Submission)
                .join(Module)
                .join(Course)
                .where(Course.code == YINYUE)
                .order_by(Submission.id)
            )
        }
    refused = platform.api(
        "wangfang",
        "PUT",
        f"api/exchange/feedback/{ids['wangfang']}",
        data=tar_gz([file_member("lesson.html", b"x")]),
    )
    assert refused.status_code == 403

    latest = lab_submissions(platform, monkeypatch, "wangfang", YINYUE)[-1]
    assert latest["has_exchange_feedback"] and not latest["has_local_feedback"]
    platform.nbgrader("wangfang", "fetch_feedback", MODULE, f"--course={YINYUE}")
    page = platform.home("wangfang") / YINYUE / MODULE / "feedback" / stamp / "lesson.html"
    assert page.read_text(encoding="utf-8") == "<p>反馈：很好</p>"
    latest = lab_submissions(platform, monkeypatch, "wangfang", YINYUE)[-1]
    assert latest["has_local_feedback"] and not latest["feedback_updated"]
    assert latest["local_feedback_path"] == f"{YINYUE}/{MODULE}/feedback/{stamp}"

    # liuyang sees neither wangfang's feedback nor her submission
    platform.nbgrader("liuyang", "fetch_feedback", MODULE, f"--course={YINYUE}")
    assert not (platform.home("liuyang") / YINYUE / MODULE / "feedback").exists()
    for path in (
        f"api/exchange/feedback/{ids['wangfang']}/archive",
        f"api/exchange/submissions/{ids['wangfang']}/archive",
    ):
        response = platform.api("liuyang", "GET", path)
        assert response.status_code == 404, path
    listed = platform.api("liuyang", "GET", "api/exchange/submissions").json()["submissions"]
    assert {item["student"] for item in listed} == {"liuyang"}
    assert platform.api("liuyang", "GET", "api/exchange/feedback").json()["submissions"] == []
    course_scope = platform.api(
        "liuyang",
        "GET",
        "api/exchange/submissions",
        params={"course_id": YINYUE, "scope": "course"},
    )
    assert course_scope.status_code == 403
    # the trainer of another course sees nothing of this one
    other = platform.api("lihua", "GET", f"api/exchange/submissions/{ids['wangfang']}/archive")
    assert other.status_code == 404


def test_the_lesson_submit_button_submits_through_the_service(platform, monkeypatch):
    from yiyuan.lesson import Lesson
    from yiyuan.lesson.platform_submit import SUCCESS, submit_folder
    from yiyuan.lesson.submit import SubmitError

    monkeypatch.setenv("YIYUAN_SERVICE_URL", platform.url)
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", platform.tokens["liuyang"])
    folder = platform.home("liuyang") / YINYUE / MODULE
    before = platform.count(Submission)
    lesson = Lesson(folder=folder)
    outcome = lesson.submit()
    assert outcome.ok and outcome.message == SUCCESS
    assert platform.count(Submission) == before + 1
    elsewhere = platform.home("liuyang") / "下载" / "作业"
    elsewhere.mkdir(parents=True)
    with pytest.raises(SubmitError, match="无法确定本课属于哪门课程"):
        submit_folder(elsewhere)
    (platform.home("liuyang") / SHUFA / MODULE).mkdir(parents=True)
    with pytest.raises(SubmitError, match="您没有参加课程“测试：书法”"):
        submit_folder(platform.home("liuyang") / SHUFA / MODULE)
    assert platform.count(Submission) == before + 1


# -- refusals that must leave nothing behind ---------------------------------------------------


def refused_cleanly(
    platform: Platform, user: str, data: bytes, course: str = YINYUE, module: str = MODULE, **kw
):
    rows, files_before = platform.count(Submission), platform.submission_files()
    response = platform.api(
        user, "POST", f"api/exchange/submissions/{course}/{module}", data=data, **kw
    )
    assert platform.count(Submission) == rows
    assert platform.submission_files() == files_before
    return response


def test_forged_timestamps_are_only_recorded(platform):
    forged = "2001-01-01 00:00:00.000000 UTC"
    data = tar_gz(
        [
            file_member("lesson.ipynb", json.dumps(LESSON).encode()),
            file_member("timestamp.txt", forged.encode()),
        ]
    )
    response = platform.api(
        "wangfang", "POST", f"api/exchange/submissions/{YINYUE}/{MODULE}", data=data
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert not body["timestamp"].startswith("2001")
    with platform.database.session() as session:
        submission = session.get(Submission, body["id"])
        assert submission.client_timestamp == forged
        assert submission.submitted_at > datetime.now(UTC) - timedelta(minutes=5)


def symlink_member(name: str, target: str) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.type = tarfile.SYMTYPE
    info.linkname = target
    return info, b""


@pytest.mark.parametrize(
    "member, message",
    [
        (file_member("../../escape.ipynb", b"{}"), "含“..”"),
        (file_member("/etc/evil.ipynb", b"{}"), "绝对路径"),
        (symlink_member("lesson.ipynb", "/etc/passwd"), "是链接"),
    ],
    ids=["traversal", "absolute", "symlink"],
)
def test_unsafe_archives_are_refused(platform, member, message):
    members = [file_member("ok.ipynb", b"{}"), member]
    response = refused_cleanly(platform, "wangfang", tar_gz(members))
    assert response.status_code == 400 and message in response.json()["error"]
    assert not (platform.hub.data_dir / "escape.ipynb").exists()


def test_oversized_uploads_are_refused_before_they_are_read(platform):
    big = os.urandom(1024 * 1024 + 512 * 1024)  # limit is 1 MB in this hub
    response = refused_cleanly(platform, "wangfang", big)
    assert response.status_code == 413 and "超过 1 MB" in response.json()["error"]

    def chunks():  # no Content-Length: refused while streaming
        for _ in range(6):
            yield os.urandom(256 * 1024)

    try:
        response = refused_cleanly(platform, "wangfang", chunks())
    except requests.ConnectionError:
        pass  # the service may close the connection while the client still sends
    else:
        assert response.status_code == 413
    assert platform.count(Submission) == platform.count(GradingJob)


def test_bad_names_late_and_garbage(platform):
    for path in (
        f"api/exchange/submissions/..%2F..%2Fetc/{MODULE}",
        f"api/exchange/release/{YINYUE}/..",
        f"api/exchange/release/{YINYUE}/%2E%2E",
    ):
        response = platform.api(
            "wangfang",
            "GET" if "release" in path else "POST",
            path,
            data=b"x" if "submissions" in path else None,
        )
        assert response.status_code in (400, 404), path
        if response.status_code == 400:
            assert "无效" in response.json()["error"]
    bad = platform.api(
        "wangfang", "POST", f"api/exchange/submissions/Bad..Name/{MODULE}", data=b"x"
    )
    assert bad.status_code == 400 and bad.json()["code"] == "bad-name"
    late = refused_cleanly(
        platform, "wangfang", tar_gz([file_member("lesson.ipynb", b"{}")]), course=CLOSED
    )
    assert late.status_code == 403 and late.json()["code"] == "late"
    assert "已经截止" in late.json()["error"]
    garbage = refused_cleanly(platform, "wangfang", b"not a tar.gz at all")
    assert garbage.status_code == 400 and "不是有效的压缩包" in garbage.json()["error"]
    empty = refused_cleanly(platform, "wangfang", tar_gz([file_member("notes.txt", b"x")]))
    assert empty.status_code == 400 and empty.json()["code"] == "no-notebook"
    outsider = refused_cleanly(platform, "sunli", tar_gz([file_member("lesson.ipynb", b"{}")]))
    assert outsider.status_code == 403


def test_late_work_follows_the_course_policy(platform):
    """Three days after the course's due date: taken, marked late, with what it costs; a
    module whose own due date is ten days gone (over the policy's 5 days) is refused."""
    folder = coursedir(platform, "lihua", CLOSED) / "release" / MODULE
    for module in (MODULE, "m-two"):
        released = platform.api(
            "lihua", "PUT", f"api/exchange/release/{LATE}/{module}", data=pack_module(folder)
        )
        assert released.status_code == 200, released.text
    listed = platform.api("wangfang", "GET", "api/exchange/assignments", params={"course_id": LATE})
    dues = {a["assignment_id"]: a["due"] for a in listed.json()["assignments"]}
    assert dues[MODULE] < datetime.now(UTC).isoformat() and dues["m-two"] < dues[MODULE]
    assert {a["late_policy"]["policy"] for a in listed.json()["assignments"]} == {"penalty"}

    data = tar_gz([file_member("lesson.ipynb", json.dumps(LESSON).encode())])
    taken = platform.api("wangfang", "POST", f"api/exchange/submissions/{LATE}/{MODULE}", data=data)
    assert taken.status_code == 201, taken.text
    body = taken.json()
    assert body["late"] is True
    assert body["late_message"] == "已过截止日期，迟交 3 天，得分率扣 30 个百分点。"
    with platform.database.session() as session:
        assert session.get(Submission, body["id"]).late is True

    refused = refused_cleanly(platform, "wangfang", data, course=LATE, module="m-two")
    assert refused.status_code == 403 and refused.json()["code"] == "late"
    assert "单元“测试：可迟交·m-two”的提交截止日期是" in refused.json()["error"]


# -- nbgrader's own submit scenarios, side by side with stock nbgrader's exchange -------------


def stock_submit(root: Path, work: Path, *args: str) -> subprocess.CompletedProcess:
    """``nbgrader submit`` with nbgrader's own exchange in ``root`` (no platform config)."""
    env = {"PATH": f"{BIN}:/usr/bin:/bin", "HOME": str(work), "LANG": "C.UTF-8"}
    command = ["submit", MODULE, f"--course={YINYUE}", f"--Exchange.root={root}", *args]
    return subprocess.run(
        [str(BIN / "nbgrader"), *command],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("notebooks", "strict", "taken", "said"),
    [
        (["lesson"], False, True, ""),
        (["lesson", "extra"], False, True, "extra"),
        (["extra"], False, True, "missing"),
        (["extra"], True, False, "missing"),
        (["lesson", "extra"], True, True, "extra"),
    ],
    ids=["complete", "extra-notebook", "missing-notebook", "missing-strict", "extra-strict"],
)
def test_submit_scenarios_as_stock_nbgrader(platform, tmp_path, notebooks, strict, taken, said):
    """Missing and extra notebooks, with and without ``--strict``: taken or refused as stock
    nbgrader takes or refuses them, with a warning when something is missing or extra."""
    stock_root = tmp_path / "stock-exchange"
    (stock_root / YINYUE / "outbound" / MODULE).mkdir(parents=True)
    (stock_root / YINYUE / "outbound" / MODULE / "lesson.ipynb").write_text(json.dumps(LESSON))
    (stock_root / YINYUE / "inbound").mkdir(mode=0o777)
    stock_work = tmp_path / "stock"
    ours_folder = platform.home("liuyang") / YINYUE / MODULE
    platform.nbgrader("liuyang", "fetch_assignment", MODULE, f"--course={YINYUE}", ok=False)
    for folder in (stock_work / MODULE, ours_folder):
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.ipynb"):
            old.unlink()
        for name in notebooks:
            (folder / f"{name}.ipynb").write_text(json.dumps(LESSON))
    extra = ["--strict"] if strict else []
    stock = stock_submit(stock_root, stock_work, *extra)
    before = platform.count(Submission)
    ours = platform.nbgrader("liuyang", "submit", MODULE, f"--course={YINYUE}", *extra, ok=taken)

    stock_taken = stock.returncode == 0 and any((stock_root / YINYUE / "inbound").iterdir())
    assert stock_taken == taken, stock.stderr
    assert (platform.count(Submission) == before + 1) == taken, ours.stderr
    warned = "Possible missing notebooks"
    if said:
        assert warned in stock.stderr or "not submitted" in stock.stderr, stock.stderr
        assert warned in ours.stderr or "没有提交" in ours.stderr, ours.stderr
    else:
        assert warned not in stock.stderr and warned not in ours.stderr
    if not taken:
        assert "missing notebooks" in stock.stderr and "缺少课件 lesson" in ours.stderr

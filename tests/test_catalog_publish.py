"""Publishing a demo course end to end with real nbgrader: releases without answers, enrolment,
republishing without losing anything; and the courses that must not be published."""

from __future__ import annotations

import dataclasses
import json
import shutil
import sqlite3
import tarfile
from contextlib import closing

import pytest
import yaml
from sqlalchemy import func, select

from hubtest import ROOT
from learningdata import account, grade, member, submit
from yiyuan.catalog.publish import PublishError, preview, publish, publish_all
from yiyuan.completion import engine
from yiyuan.models import (
    AuditEntry,
    Course,
    Enrolment,
    Module,
    ModuleResult,
    Role,
    Standing,
    StudyHours,
    Submission,
)
from yiyuan.settings import load_settings
from yiyuan.storage import LocalStorage

COURSE = "ershida-wenyi"


@pytest.fixture
def settings(tmp_path):
    courses = tmp_path / "courses"
    (courses / "notebooks").mkdir(parents=True)
    shutil.copy(ROOT / "courses" / f"{COURSE}.yml", courses)
    shutil.copytree(ROOT / "courses" / "notebooks" / COURSE, courses / "notebooks" / COURSE)
    return dataclasses.replace(
        load_settings({}, cwd=tmp_path), data_dir=tmp_path / "data", courses_dir=courses
    )


def edit_manifest(settings, change) -> None:
    path = settings.courses_dir / f"{COURSE}.yml"
    data = yaml.safe_load(path.read_text("utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")


def release_files(path):
    with tarfile.open(path) as archive:
        return {m.name: archive.extractfile(m).read() for m in archive if m.isfile()}


def test_publish_end_to_end(database, settings):
    storage = LocalStorage(settings.exchange_dir)
    # a trainer's own answer file left beside a lesson never reaches learners
    folder = settings.courses_dir / "notebooks" / COURSE / "wenhua-zixin"
    (folder / "answers.json").write_text('{"q1": "答案"}', "utf-8")
    with database.session() as session:
        account(session, "lihua", role=Role.trainer)
        learners = [account(session, name) for name in ("wangfang", "liuyang")]
        member(session, learners[0], ("书协", Standing.member))
        account(session, "old", active=False)
        report = publish(settings, session, storage, COURSE, "admin")
    assert report.released == [
        ("wenhua-zixin", 1),
        ("renmin-daoxiang", 1),
        ("shouzheng-chuangxin", 1),
    ]
    assert (report.unchanged, report.withdrawn, report.onsite) == ([], [], ["xianchang-shijian"])
    assert report.enrolled == 2  # required, 全部: both active learners, not the inactive one
    assert "  必修课，新报名学员：2 人" in report.lines()
    releases = settings.exchange_dir / "releases" / COURSE
    for module in ("wenhua-zixin", "renmin-daoxiang", "shouzheng-chuangxin"):
        files = release_files(releases / module / "1.tar.gz")
        assert list(files) == [f"{module}.ipynb"]  # no answers.json
        text = files[f"{module}.ipynb"].decode()
        assert "BEGIN HIDDEN TESTS" not in text and "expect(" not in text
        assert "lesson.reflection" in text  # the lesson itself is there
    with database.session() as session:
        course = session.scalar(select(Course).where(Course.code == COURSE))
        assert (course.version, course.published_by, course.enrolment) == (1, "admin", "required")
        assert course.manifest["audience"] == {"associations": ["全部"]}
        assert course.due.isoformat() == "2027-02-28T15:59:59+00:00"  # end of the day, Beijing
        assert [t.account.username for t in course.trainers] == ["lihua"]
        first = {m.code: m for m in course.modules}
        assert first["wenhua-zixin"].reflections == ["r1"]
        assert first["wenhua-zixin"].pass_rule == {"quiz": 60, "reflection": True}
        assert (
            first["xianchang-shijian"].kind == "onsite" and first["xianchang-shijian"].release == 0
        )
        # a learner passes a module before the republish
        wangfang = learners[0]
        grade(session, submit(session, wangfang, first["wenhua-zixin"]), auto=(4, 4))
        engine.update(session, wangfang.id, first["wenhua-zixin"].id)

    with database.session() as session:  # unchanged sources: no new release
        report = publish(settings, session, storage, COURSE, "admin")
    assert (report.released, report.enrolled, report.version) == ([], 0, 2)
    assert report.unchanged == ["wenhua-zixin", "renmin-daoxiang", "shouzheng-chuangxin"]
    assert sorted(p.name for p in (releases / "wenhua-zixin").iterdir()) == ["1.tar.gz"]

    # the trainer edits a lesson and drops a module
    lesson = settings.courses_dir / "notebooks" / COURSE / "wenhua-zixin" / "wenhua-zixin.ipynb"
    notebook = json.loads(lesson.read_text("utf-8"))
    notebook["cells"].insert(
        0, {"cell_type": "markdown", "id": "updated", "metadata": {}, "source": "（本课已更新）"}
    )
    lesson.write_text(json.dumps(notebook, ensure_ascii=False), "utf-8")
    edit_manifest(
        settings,
        lambda d: d.update(modules=[m for m in d["modules"] if m["id"] != "shouzheng-chuangxin"]),
    )
    with database.session() as session:
        report = publish(settings, session, storage, COURSE, "lihua")
    assert report.released == [("wenhua-zixin", 2)]
    assert (report.unchanged, report.withdrawn) == (["renmin-daoxiang"], ["shouzheng-chuangxin"])
    assert "（本课已更新）" in release_files(releases / "wenhua-zixin" / "2.tar.gz")[
        "wenhua-zixin.ipynb"
    ].decode("utf-8")
    assert (releases / "wenhua-zixin" / "1.tar.gz").is_file()
    with database.session() as session:
        modules = {m.code: m for m in session.scalars(select(Module))}
        dropped = modules["shouzheng-chuangxin"]
        assert (dropped.active, dropped.released_at, dropped.release) == (False, None, 1)
        assert [m.position for m in (modules["wenhua-zixin"], modules["renmin-daoxiang"])] == [0, 1]
        # what learners did is still there, and still counts
        assert session.scalar(select(func.count()).select_from(Submission)) == 1
        result = session.scalar(select(ModuleResult))
        assert (result.status, result.score) == ("passed", 100.0)
        assert session.scalar(select(func.sum(StudyHours.hours))) == 1.0
        assert session.scalar(select(func.count()).select_from(Enrolment)) == 2


def files_under(folder) -> dict[str, bytes | str]:
    """Every file below ``folder`` by path (nothing when it does not exist); an SQLite database
    (nbgrader's gradebook) by its rows, whichever of its files they are in at the moment."""
    found: dict[str, bytes | str] = {}
    for path in sorted(folder.rglob("*")) if folder.exists() else ():
        if not path.is_file() or path.name.endswith(("-wal", "-shm")):
            continue
        if path.suffix == ".db":
            with closing(sqlite3.connect(path)) as connection:
                found[str(path.relative_to(folder))] = "\n".join(connection.iterdump())
        else:
            found[str(path.relative_to(folder))] = path.read_bytes()
    return found


def counts(database) -> tuple[int, int, int, int]:
    with database.session() as session:
        return tuple(
            session.scalar(select(func.count()).select_from(table))
            for table in (Course, Module, Enrolment, AuditEntry)
        )


def test_preview_says_what_publish_will_do_and_keeps_nothing(database, settings):
    storage = LocalStorage(settings.exchange_dir)
    with database.session() as session:
        account(session, "lihua", role=Role.trainer)
        for name in ("wangfang", "liuyang"):
            account(session, name)
    title = "学习贯彻党的二十大精神·文艺专题"
    online = ["wenhua-zixin", "renmin-daoxiang", "shouzheng-chuangxin"]

    # never published: everything is new
    with database.session() as session:
        plan = preview(settings, session, storage, COURSE)
    assert (plan.dry_run, plan.version, plan.enrolled) == (True, 1, 2)
    assert plan.added == [*online, "xianchang-shijian"]
    assert plan.released == [(code, 1) for code in online]
    assert plan.lessons == {
        "wenhua-zixin": ["文化自信自强"],
        "renmin-daoxiang": ["以人民为中心的创作导向"],
        "shouzheng-chuangxin": ["守正创新"],
    }
    assert plan.summary() == f"将发布《{title}》（第 1 次发布）：新增单元 4 个；新报名学员 2 人。"
    assert plan.items()[0] == "新增单元「文化自信自强」（1 个课件）"
    assert (
        "新增单元「现场教学：走进新时代文明实践中心，参加文艺志愿服务」（现场教学）" in plan.items()
    )
    assert plan.items()[-1] == "必修课：按面向的学员，新报名 2 人"
    # nothing kept: no course, enrolment or audit entry; no release, no nbgrader folder
    assert counts(database) == (0, 0, 0, 0)
    assert files_under(settings.data_dir) == {}

    with database.session() as session:
        report = publish(settings, session, storage, COURSE, "lihua")
    # what was previewed is what was done
    assert (report.added, report.released, report.lessons, report.enrolled) == (
        plan.added,
        plan.released,
        plan.lessons,
        plan.enrolled,
    )
    assert report.summary() == f"已发布《{title}》（第 1 次发布）：新增单元 4 个；新报名学员 2 人。"
    published = files_under(settings.data_dir)
    assert counts(database) == (1, 4, 2, 1)

    # nothing changed since (on SQLite and PostgreSQL alike: dates, JSON and numbers read
    # back from the database compare equal to the manifest's)
    with database.session() as session:
        again = preview(settings, session, storage, COURSE)
    assert (
        again.summary()
        == f"将发布《{title}》（第 2 次发布）：课件和设置都没有变化；新报名学员 0 人。"
    )
    assert (again.added, again.released, again.retuned, again.course_changes) == ([], [], {}, [])
    assert again.items()[0] == "与上次发布相比，课件和设置都没有变化"

    # the trainer edits a lesson, the hours of another module and the due date
    lesson = settings.courses_dir / "notebooks" / COURSE / "wenhua-zixin" / "wenhua-zixin.ipynb"
    notebook = json.loads(lesson.read_text("utf-8"))
    notebook["cells"].insert(
        0, {"cell_type": "markdown", "id": "updated", "metadata": {}, "source": "（本课已更新）"}
    )
    lesson.write_text(json.dumps(notebook, ensure_ascii=False), "utf-8")

    def change(data):
        data["modules"][1]["hours"] = 2
        data["due"] = "2027-03-31"

    edit_manifest(settings, change)
    with database.session() as session:
        plan = preview(settings, session, storage, COURSE)
    assert plan.released == [("wenhua-zixin", 2)]
    assert plan.lessons == {"wenhua-zixin": ["文化自信自强"]}
    assert (plan.retuned, plan.course_changes) == ({"renmin-daoxiang": ["学时"]}, ["截止日期"])
    assert plan.summary() == (
        f"将发布《{title}》（第 2 次发布）：更新课件 1 个，修改单元设置 1 个，"
        "修改课程信息（截止日期）；新报名学员 0 人。"
    )
    assert plan.items()[:3] == [
        "更新单元「文化自信自强」的课件：《文化自信自强》",
        "修改单元「以人民为中心的创作导向」的学时",
        "修改课程信息：截止日期",
    ]
    assert (
        "没有变化的单元：「守正创新」、「现场教学：走进新时代文明实践中心，参加文艺志愿服务」"
        in (plan.items())
    )
    # still nothing kept: no second release, the gradebook untouched, version 1
    assert files_under(settings.data_dir) == published
    assert counts(database) == (1, 4, 2, 1)
    with database.session() as session:
        assert session.scalar(select(Course.version)) == 1

    with database.session() as session:
        report = publish(settings, session, storage, COURSE, "lihua")
    assert report.summary() == plan.summary().replace("将发布", "已发布")
    assert report.items() == plan.items()


def test_publish_refuses_a_broken_course_with_every_problem(database, settings):
    edit_manifest(settings, lambda d: d.update(title="", enrolment="sometimes"))
    storage = LocalStorage(settings.exchange_dir)
    with database.session() as session:
        account(session, "lihua", role=Role.trainer)
        with pytest.raises(PublishError) as raised:
            publish(settings, session, storage, COURSE, "admin")
        assert len(raised.value.problems) == 2
        message = str(raised.value)
        assert message.startswith(f"课程 {COURSE} 有 2 个问题，没有发布：")
        assert "“标题”" in message and "“报名方式”" in message
        with pytest.raises(PublishError, match="找不到课程 nope"):
            publish(settings, session, storage, "nope", "admin")
        with pytest.raises(PublishError, match=r"课程代码“\.\./x”无效"):
            publish(settings, session, storage, "../x", "admin")
        assert session.scalar(select(func.count()).select_from(Course)) == 0
    assert not settings.exchange_dir.exists()


def test_publish_refuses_unknown_or_unfit_trainers(database, settings):
    edit_manifest(settings, lambda d: d.update(trainers=["lihua", "nobody", "wangfang", "gone"]))
    storage = LocalStorage(settings.exchange_dir)
    with database.session() as session:
        account(session, "lihua", role=Role.trainer)
        account(session, "wangfang")  # a learner, not a trainer
        account(session, "gone", role=Role.trainer, active=False)
        with pytest.raises(PublishError) as raised:
            publish(settings, session, storage, COURSE, "admin")
        assert str(raised.value).startswith(
            f"课程 {COURSE} 的教师 nobody、wangfang、gone 不是平台上在用的教师账号，没有发布"
        )
        assert session.scalar(select(func.count()).select_from(Course)) == 0


def test_publish_all_goes_on_after_a_broken_course(database, settings):
    (settings.courses_dir / "broken.yml").write_text("id: broken\n", "utf-8")
    with database.session() as session:
        outcomes = publish_all(settings, session, LocalStorage(settings.exchange_dir), "admin")
    assert [code for code, _ in outcomes] == ["broken", COURSE]
    assert isinstance(outcomes[0][1], PublishError)
    # lihua is missing: this one is refused too, and nothing is half-written
    assert "教师 lihua" in str(outcomes[1][1])
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(Course)) == 0


def test_the_manifests_player_decides_who_needs_a_server(database, settings):
    """Compiled modules need no server; ``player: live`` a lesson server; ``player:
    jupyterlab`` a full one — for the learners enrolled in the course, and nobody else."""
    from yiyuan.catalog.players import FULL_SERVER, LESSON_SERVER, NO_SERVER, server_needed

    storage = LocalStorage(settings.exchange_dir)
    with database.session() as session:
        account(session, "lihua", role=Role.trainer)
        learner = account(session, "wangfang")
        member(session, learner, ("书协", Standing.member))
        publish(settings, session, storage, COURSE, "admin")  # required: wangfang enrolled
        assert server_needed(session, storage, "wangfang") == NO_SERVER
        for player, needed in (("live", LESSON_SERVER), ("jupyterlab", FULL_SERVER)):
            edit_manifest(settings, lambda data, p=player: data["modules"][0].update(player=p))
            report = publish(settings, session, storage, COURSE, "admin")
            assert report.live == [report_module(settings)]
            assert server_needed(session, storage, "wangfang") == needed
            assert server_needed(session, storage, "nobody") == NO_SERVER  # no such learner
        edit_manifest(settings, lambda data: data["modules"][0].pop("player"))
        report = publish(settings, session, storage, COURSE, "admin")
        assert report.compiled == [report_module(settings)]  # compiled again
        assert server_needed(session, storage, "wangfang") == NO_SERVER


def report_module(settings) -> str:
    path = settings.courses_dir / f"{COURSE}.yml"
    return yaml.safe_load(path.read_text("utf-8"))["modules"][0]["id"]

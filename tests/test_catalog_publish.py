"""Publishing a demo course end to end with real nbgrader: releases without answers, enrolment,
republishing without losing anything; and the courses that must not be published."""

from __future__ import annotations

import dataclasses
import json
import shutil
import tarfile

import pytest
import yaml
from sqlalchemy import func, select

from hubtest import ROOT
from learningdata import account, grade, member, submit
from yiyuan.catalog.publish import PublishError, publish, publish_all
from yiyuan.completion import engine
from yiyuan.models import (
    Course,
    Enrolment,
    Module,
    ModuleResult,
    Role,
    Standing,
    StudyHours,
    Submission,
)
from yiyuan.service.storage import Storage
from yiyuan.settings import load_settings

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
    storage = Storage(settings.exchange_dir)
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


def test_publish_refuses_a_broken_course_with_every_problem(database, settings):
    edit_manifest(settings, lambda d: d.update(title="", enrolment="sometimes"))
    storage = Storage(settings.exchange_dir)
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
    storage = Storage(settings.exchange_dir)
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
        outcomes = publish_all(settings, session, Storage(settings.exchange_dir), "admin")
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

    storage = Storage(settings.exchange_dir)
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

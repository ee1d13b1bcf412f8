"""On-site sessions: sessions in manifests and at publish, the trainer's roster (completion,
study hours, rollups and the audit log follow), and check-in codes with their window."""

from __future__ import annotations

import dataclasses
import threading
from datetime import UTC, datetime, timedelta

import pytest
import yaml
from sqlalchemy import func, select

from learningdata import account, course
from yiyuan.catalog import enrolment
from yiyuan.catalog.onsite_sessions import sync_sessions
from yiyuan.catalog.publish import publish
from yiyuan.courses.check import check_course
from yiyuan.db import Database
from yiyuan.members.matching import standard_matcher
from yiyuan.models import (
    Account,
    Attendance,
    AuditEntry,
    CourseTrainer,
    Enrolment,
    Module,
    ModuleResult,
    OnsiteSession,
    Role,
    StudyHours,
    WrongCheckinCode,
)
from yiyuan.onsite import OnsiteError, attendance, checkin
from yiyuan.onsite.sessions import may_run, sessions_of_course
from yiyuan.settings import Settings, load_settings
from yiyuan.storage import LocalStorage

MATCHER = standard_matcher("深圳市")
#: 09:00 in Shanghai on the day of the session
NOW = datetime(2027, 1, 16, 1, 0, tzinfo=UTC)
SETTINGS = Settings()
CODE = "xianchang"


def manifest(*modules, trainers=("lihua", "zhouqing")) -> dict:
    return {
        "id": "xianchang-ke",
        "title": "现场教学课",
        "summary": "只有一个现场教学单元的小课程，用于测试场次。",
        "category": "艺术鉴赏",
        "trainers": list(trainers),
        "audience": {"associations": ["全部"]},
        "enrolment": "elective",
        "opens": "2026-12-01",
        "due": "2027-03-31",
        "modules": list(modules) or [onsite_module()],
    }


def onsite_module(**changes) -> dict:
    data = {
        "id": CODE,
        "title": "现场教学：临摹体验",
        "kind": "onsite",
        "hours": 3,
        "required": True,
        "pass": {"attendance": True},
        "sessions": [
            {
                "id": "shangwu",
                "place": "书协创作基地",
                "starts": "2027-01-16T09:00:00+08:00",
                "hours": 3,
                "trainer": "lihua",
            },
            {"place": "文化馆二楼", "starts": "2027-01-23T09:00:00+08:00", "hours": 3},
        ],
    }
    data.update(changes)
    return data


def write(folder, data) -> object:
    path = folder / f"{data['id']}.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    return path


def problems(tmp_path, data) -> list[str]:
    return [str(p) for p in check_course(write(tmp_path, data), MATCHER).problems]


# -- manifests ---------------------------------------------------------------------------------


def test_manifest_sessions_parse(tmp_path):
    checked = check_course(write(tmp_path, manifest()), MATCHER)
    assert checked.problems == []
    [module] = checked.course.modules
    first, second = module.sessions
    assert (first.id, first.trainer, first.starts_at.utcoffset()) == (
        "shangwu",
        "lihua",
        timedelta(hours=8),
    )
    assert (second.id, second.place, second.trainer) == ("s2", "文化馆二楼", "")
    # older readers keep the first session as a mapping
    assert module.session == {
        "place": "书协创作基地",
        "starts": "2027-01-16T09:00:00+08:00",
        "hours": 3,
    }
    # the older single ``session`` (an unquoted YAML time too) is session s1
    old_style = manifest(onsite_module(session={"place": "基地", "hours": 3}))
    del old_style["modules"][0]["sessions"]
    path = write(tmp_path, old_style)
    text = path.read_text("utf-8")
    path.write_text(
        text.replace(
            "    place: 基地\n", "    place: 基地\n    starts: 2027-01-16T09:00:00+08:00\n"
        ),
        "utf-8",
    )
    old = check_course(path, MATCHER)
    assert old.problems == []
    [sitting] = old.course.modules[0].sessions
    assert (sitting.id, sitting.place, sitting.starts) == (
        "s1",
        "基地",
        "2027-01-16T09:00:00+08:00",
    )


def test_manifest_sessions_problems_in_chinese(tmp_path):
    sessions = onsite_module()["sessions"]
    duplicate = [dict(sessions[0]), dict(sessions[0])]
    found = problems(tmp_path, manifest(onsite_module(sessions=duplicate)))
    assert any("场次代码 shangwu 重复了 2 次" in p for p in found), found

    naive = [{**sessions[0], "starts": "2027-01-16T09:00:00"}]
    found = problems(tmp_path, manifest(onsite_module(sessions=naive)))
    assert any("不是有效的时间" in p for p in found), found

    late = [{**sessions[0], "starts": "2027-06-01T09:00:00+08:00"}]
    found = problems(tmp_path, manifest(onsite_module(sessions=late)))
    assert any("不在课程的开放日期和截止日期之间" in p for p in found), found

    stranger = [{**sessions[0], "trainer": "wangfang"}]
    found = problems(tmp_path, manifest(onsite_module(sessions=stranger)))
    assert any("主讲教师 wangfang 不是本课程的教师" in p for p in found), found

    bad_id = [{**sessions[0], "id": "第一场"}]
    found = problems(tmp_path, manifest(onsite_module(sessions=bad_id)))
    assert any("场次代码只能由小写字母" in p for p in found), found

    both = onsite_module(session={"place": "基地"})
    found = problems(tmp_path, manifest(both))
    assert any("不要同时写旧的“session”" in p for p in found), found

    online = {
        "id": "xianshang",
        "title": "线上单元",
        "kind": "online",
        "hours": 1,
        "required": True,
        "pass": {"quiz": 60},
        "lessons": ["a.ipynb"],
        "sessions": sessions,
    }
    found = problems(tmp_path, manifest(online))
    assert any("只有现场教学单元（kind: onsite）可以安排场次" in p for p in found), found


# -- sessions at publish -----------------------------------------------------------------------


def test_publish_syncs_sessions_and_keeps_attendance(database, tmp_path):
    courses = tmp_path / "courses"
    courses.mkdir()
    write(courses, manifest())
    settings = dataclasses.replace(
        load_settings({}, cwd=tmp_path), data_dir=tmp_path / "data", courses_dir=courses
    )
    storage = LocalStorage(settings.exchange_dir)
    with database.session() as session:
        lihua = account(session, "lihua", role=Role.trainer)
        account(session, "zhouqing", role=Role.trainer)
        learner = account(session, "wangfang")
        publish(settings, session, storage, "xianchang-ke", "admin")
        module = session.scalar(select(Module).where(Module.code == CODE))
        assert module.session["place"] == "书协创作基地"
        first, second = sessions_of_course(session, module.course_id)
        assert (first.code, first.trainer_id, first.place) == ("shangwu", lihua.id, "书协创作基地")
        assert first.starts_at == NOW
        assert (second.code, second.trainer_id, second.position) == ("s2", None, 1)
        enrolment.enrol(session, module.course, learner, source="self")
        attendance.record_roster(session, second, lihua, {"wangfang"}, set(), NOW)

        # the second session is dropped from the manifest: kept, inactive, attendance intact
        write(courses, manifest(onsite_module(sessions=onsite_module()["sessions"][:1])))
        publish(settings, session, storage, "xianchang-ke", "admin")
        assert [s.code for s in sessions_of_course(session, module.course_id)] == ["shangwu"]
        session.refresh(second)
        assert second.active is False
        row = session.scalar(select(Attendance))
        assert (row.present, row.session_id) == (True, second.id)
        result = session.scalar(select(ModuleResult))
        assert result.status == "passed"
        assert session.scalar(select(func.count(OnsiteSession.id))) == 2


# -- the roster --------------------------------------------------------------------------------


@dataclasses.dataclass
class World:
    lihua: object
    zhouqing: object
    admin: object
    learners: dict
    module: Module
    first: OnsiteSession
    second: OnsiteSession


def world(session) -> World:
    lihua = account(session, "lihua", role=Role.trainer)
    zhouqing = account(session, "zhouqing", role=Role.trainer)
    admin = account(session, "admin", role=Role.administrator)
    learners = {name: account(session, name) for name in ("wangfang", "liuyang", "zhaolei")}
    account(session, "outsider")
    c = course(
        session,
        "xianchang-ke",
        modules=[
            {
                "code": CODE,
                "title": "现场教学：临摹体验",
                "kind": "onsite",
                "hours": 3.0,
                "pass_rule": {"attendance": True},
                "reflections": [],
            }
        ],
        enrolment="elective",
    )
    session.add(CourseTrainer(course_id=c.id, account_id=lihua.id))
    for learner in learners.values():
        enrolment.enrol(session, c, learner, source="self")
    [module] = c.modules
    from yiyuan.courses.manifest import to_course

    sync_sessions(session, module, to_course(manifest()).modules[0])
    first, second = sessions_of_course(session, c.id)
    return World(lihua, zhouqing, admin, learners, module, first, second)


def audit_rows(session, action=None) -> list[AuditEntry]:
    query = select(AuditEntry).order_by(AuditEntry.id)
    if action:
        query = query.where(AuditEntry.action == action)
    return list(session.scalars(query))


def ledger(session, learner) -> list[float]:
    return list(
        session.scalars(
            select(StudyHours.hours)
            .where(StudyHours.account_id == learner.id)
            .order_by(StudyHours.id)
        )
    )


def test_roster_record_passes_the_module_with_hours_and_rollup(database):
    with database.session() as session:
        w = world(session)
        wangfang, liuyang = w.learners["wangfang"], w.learners["liuyang"]
        before = {line.username: line.state for line in attendance.roster(session, w.first)}
        assert before == {"wangfang": "none", "liuyang": "none", "zhaolei": "none"}

        saved = attendance.record_roster(session, w.first, w.lihua, {"wangfang"}, {"liuyang"}, NOW)
        assert (saved.recorded, saved.corrected, saved.unchanged) == (2, 0, 0)
        result = session.scalar(select(ModuleResult).where(ModuleResult.account_id == wangfang.id))
        assert result.status == "passed"  # 已通过
        assert ledger(session, wangfang) == [3.0] and ledger(session, liuyang) == []
        rollup = session.scalar(select(Enrolment).where(Enrolment.account_id == wangfang.id))
        assert (rollup.modules_passed, rollup.hours, rollup.completed_at) == (1, 3.0, NOW)
        row = session.scalar(select(Attendance).where(Attendance.account_id == wangfang.id))
        assert (row.session_id, row.method, row.recorded_by) == (w.first.id, "roster", "lihua")
        entries = audit_rows(session, "attendance.record")
        assert len(entries) == 2
        mine = next(e for e in entries if e.account_id == wangfang.id)
        assert mine.actor == "lihua" and "wangfang" in mine.summary and "出勤" in mine.summary
        assert mine.detail["before"] is None
        assert mine.detail["after"] == {"present": True, "session": "shangwu"}
        states = {line.username: line.state for line in attendance.roster(session, w.first)}
        assert states == {"wangfang": "present", "liuyang": "absent", "zhaolei": "none"}
        elsewhere = {line.username: line.state for line in attendance.roster(session, w.second)}
        assert elsewhere["wangfang"] == "elsewhere"

        # saving the same again writes nothing; absent at the second session changes nothing
        again = attendance.record_roster(session, w.first, w.lihua, {"wangfang"}, {"liuyang"}, NOW)
        elsewhere = attendance.record_roster(session, w.second, w.lihua, set(), {"wangfang"}, NOW)
        assert (again.unchanged, elsewhere.unchanged) == (2, 1)
        assert len(audit_rows(session)) == 2 and ledger(session, wangfang) == [3.0]


def test_who_may_run_a_session_and_roster_strangers(database):
    with database.session() as session:
        w = world(session)
        assert may_run(session, w.first, w.lihua) and may_run(session, w.second, w.admin)
        assert not may_run(session, w.first, w.zhouqing)  # a trainer, of another course
        assert not may_run(session, w.first, w.learners["wangfang"])
        # a roster with unknown or not enrolled learners is refused whole
        for present, absent in (
            ({"wangfang", "nobody"}, set()),
            ({"wangfang"}, {"outsider"}),  # exists, not enrolled
        ):
            with pytest.raises(OnsiteError) as refused:
                attendance.record_roster(session, w.first, w.lihua, present, absent, NOW)
            assert "不是本课程在读的学员" in str(refused.value)
            assert ("nobody" in str(refused.value)) or ("outsider" in str(refused.value))
        with pytest.raises(OnsiteError, match="不能同时记为出勤和缺席"):
            attendance.record_roster(session, w.first, w.lihua, {"liuyang"}, {"liuyang"}, NOW)
        assert session.scalar(select(func.count(Attendance.id))) == 0
        assert audit_rows(session) == []


def test_correction_reverses_hours_and_is_audited(database):
    with database.session() as session:
        w = world(session)
        wangfang = w.learners["wangfang"]
        attendance.record_roster(session, w.first, w.lihua, {"wangfang"}, set(), NOW)
        later = NOW + timedelta(hours=2)
        saved = attendance.record_roster(session, w.first, w.admin, set(), {"wangfang"}, later)
        assert saved.corrected == 1
        assert ledger(session, wangfang) == [3.0, -3.0]
        result = session.scalar(select(ModuleResult).where(ModuleResult.account_id == wangfang.id))
        assert result.status == "failed"
        rollup = session.scalar(select(Enrolment).where(Enrolment.account_id == wangfang.id))
        assert (rollup.modules_passed, rollup.hours) == (0, 0.0)
        [entry] = audit_rows(session, "attendance.correct")
        assert entry.actor == "admin" and entry.account_id == wangfang.id
        assert entry.detail["before"] == {"present": True, "session": "shangwu"}
        assert entry.detail["after"] == {"present": False, "session": "shangwu"}
        assert "出勤 → 缺席" in entry.summary


# -- check-in codes ----------------------------------------------------------------------------


def test_checkin_in_the_window(database):
    with database.session() as session:
        w = world(session)
        code = checkin.open_checkin(session, w.first, w.lihua, 15, NOW, settings=SETTINGS)
        assert len(code) == 6 and code.isdigit()
        [opened] = audit_rows(session, "checkin.open")
        assert opened.actor == "lihua" and "09:15 截止" in opened.summary
        wangfang = w.learners["wangfang"]
        done = checkin.check_in(
            session, wangfang, f" {code} ", NOW + timedelta(minutes=14), SETTINGS
        )
        assert not done.already and "签到成功" in done.message
        assert "本单元已通过，计 3 学时。" in done.message
        row = session.scalar(select(Attendance))
        assert (row.present, row.method, row.recorded_by, row.session_id) == (
            True,
            "checkin",
            "wangfang",
            w.first.id,
        )
        assert session.scalar(select(ModuleResult)).status == "passed"
        assert ledger(session, wangfang) == [3.0]
        again = checkin.check_in(session, wangfang, code, NOW + timedelta(minutes=14), SETTINGS)
        assert again.already and "您已签到" in again.message
        assert ledger(session, wangfang) == [3.0]
        # the second session is a week later: no code for it today (hours for a session
        # nobody attended yet), the roster is where to record it
        with pytest.raises(OnsiteError) as not_today:
            checkin.open_checkin(session, w.second, w.lihua, 15, NOW, settings=SETTINGS)
        assert not_today.value.code == "not-today" and not_today.value.status == 409
        assert "2027-01-23 09:00 举行，签到码只能在当天开放" in str(not_today.value)
        # two sessions the same day: a second open code at the same time is a different one
        w.second.starts_at = w.first.starts_at
        other = checkin.open_checkin(session, w.second, w.lihua, 15, NOW, settings=SETTINGS)
        assert other != code


def test_checkin_after_the_window_is_refused_and_writes_nothing(database):
    with database.session() as session:
        w = world(session)
        code = checkin.open_checkin(session, w.first, w.lihua, 15, NOW, settings=SETTINGS)
        late = NOW + timedelta(minutes=15)  # the window is now..now+15, end excluded
        with pytest.raises(OnsiteError) as refused:
            checkin.check_in(session, w.learners["liuyang"], code, late, SETTINGS)
        assert str(refused.value) == "签到已截止（09:15 截止），请联系任课教师补记。"
        assert refused.value.status == 409
        # closed early by the trainer: refused the same way, with the closing time
        w.second.starts_at = w.first.starts_at  # the same day
        other = checkin.open_checkin(session, w.second, w.lihua, 60, NOW, settings=SETTINGS)
        checkin.close_checkin(session, w.second, w.lihua, NOW + timedelta(minutes=5))
        assert len(audit_rows(session, "checkin.close")) == 1
        with pytest.raises(OnsiteError, match=r"签到已截止（09:05 截止）"):
            checkin.check_in(
                session, w.learners["liuyang"], other, NOW + timedelta(minutes=6), SETTINGS
            )
        with pytest.raises(OnsiteError, match="没有在签到"):
            checkin.close_checkin(session, w.second, w.lihua, NOW + timedelta(minutes=7))
        assert session.scalar(select(func.count(Attendance.id))) == 0
        assert session.scalar(select(func.count(StudyHours.id))) == 0


def test_wrong_codes_are_counted_then_refused_for_a_while(database):
    with database.session() as session:
        w = world(session)
        code = checkin.open_checkin(session, w.first, w.lihua, 60, NOW, settings=SETTINGS)
        wrong = "000000" if code != "000000" else "111111"
        zhaolei = w.learners["zhaolei"]
        for attempt in range(SETTINGS.onsite.max_wrong_codes):
            with pytest.raises(OnsiteError) as refused:
                checkin.check_in(session, zhaolei, wrong if attempt else "12ab", NOW, SETTINGS)
            assert refused.value.status == 400 and "签到码不正确" in str(refused.value)
        with pytest.raises(OnsiteError) as locked:
            checkin.check_in(session, zhaolei, wrong, NOW + timedelta(minutes=1), SETTINGS)
        assert locked.value.status == 429 and "10 分钟后再试" in str(locked.value)
        # even the right code is refused while locked; another learner is not affected
        with pytest.raises(OnsiteError) as still:
            checkin.check_in(session, zhaolei, code, NOW + timedelta(minutes=2), SETTINGS)
        assert still.value.status == 429
        assert not checkin.check_in(session, w.learners["wangfang"], code, NOW, SETTINGS).already
        # ten minutes after the lock the right code works
        done = checkin.check_in(session, zhaolei, code, NOW + timedelta(minutes=12), SETTINGS)
        assert "签到成功" in done.message


def attempt(database: Database, username: str, code: str, when: datetime):
    """One check-in as the service answers it: its own transaction, committed even when the
    check-in is refused (the wrong code's count must survive). The answer or the refusal."""
    with database.session() as session:
        learner = session.scalar(select(Account).where(Account.username == username))
        try:
            return checkin.check_in(session, learner, code, when, SETTINGS)
        except OnsiteError as refused:
            return refused


def test_wrong_codes_are_counted_once_for_every_process_of_the_service(database):
    """Two Database objects are two processes (or replicas) of the service: a learner's wrong
    codes add up across them, and parallel guesses are counted one after another."""
    with database.session() as session:
        w = world(session)
        code = checkin.open_checkin(session, w.first, w.lihua, 60, NOW, settings=SETTINGS)
    wrong = "000000" if code != "000000" else "111111"
    allowed = SETTINGS.onsite.max_wrong_codes
    other = Database(database.url)
    try:
        for n in range(allowed):
            answer = attempt(other if n % 2 else database, "zhaolei", wrong, NOW)
            assert (answer.status, answer.code) == (400, "wrong-code"), answer
        locked = attempt(other, "zhaolei", wrong, NOW + timedelta(minutes=1))
        assert (locked.status, locked.code) == (429, "too-many-wrong-codes")
        assert "10 分钟后再试" in str(locked)
        # the other process refuses too, even the right code
        still = attempt(database, "zhaolei", code, NOW + timedelta(minutes=2))
        assert (still.status, still.code) == (429, "too-many-wrong-codes")

        # eight guesses of another learner at once, four in each process
        guesses = 8
        barrier = threading.Barrier(guesses)
        answers: list = []

        def guess(db: Database) -> None:
            barrier.wait()
            answers.append(attempt(db, "liuyang", wrong, NOW))

        threads = [
            threading.Thread(target=guess, args=(other if n % 2 else database,))
            for n in range(guesses)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        refusals = sorted(getattr(answer, "code", repr(answer)) for answer in answers)
        assert refusals == ["too-many-wrong-codes"] * (guesses - allowed) + ["wrong-code"] * allowed
        with database.session() as session:
            counted = session.scalar(
                select(func.count())
                .select_from(WrongCheckinCode)
                .where(WrongCheckinCode.account_id == w.learners["liuyang"].id)
            )
            assert counted == allowed + 1  # the one that locked; refused ones are not counted

        # ten minutes after the lock the right code works, in either process; the learner's
        # old wrong codes are forgotten then
        done = attempt(other, "zhaolei", code, NOW + timedelta(minutes=12))
        assert "签到成功" in done.message
        with database.session() as session:
            left = session.scalars(
                select(WrongCheckinCode.account_id).where(
                    WrongCheckinCode.account_id == w.learners["zhaolei"].id
                )
            ).all()
            assert left == []
    finally:
        other.dispose()


def test_checkin_refuses_the_not_enrolled_and_codes_not_open_yet(database):
    with database.session() as session:
        w = world(session)
        outsider = session.scalar(select(type(w.lihua)).where(type(w.lihua).username == "outsider"))
        code = checkin.open_checkin(session, w.first, w.lihua, 15, NOW, settings=SETTINGS)
        with pytest.raises(OnsiteError) as refused:
            checkin.check_in(session, outsider, code, NOW, SETTINGS)
        assert refused.value.status == 403 and "您没有参加课程" in str(refused.value)
        # before the window opens the code is simply not right (yet)
        with pytest.raises(OnsiteError, match="签到码不正确"):
            checkin.check_in(
                session, w.learners["wangfang"], code, NOW - timedelta(minutes=1), SETTINGS
            )
        assert session.scalar(select(func.count(Attendance.id))) == 0


def test_checkin_minutes_out_of_range(database):
    with database.session() as session:
        w = world(session)
        for minutes in (0, -5, 241, "15", True, 2.5):
            with pytest.raises(OnsiteError, match="签到时长应为 1 到 240 分钟之间的整数"):
                checkin.open_checkin(session, w.first, w.lihua, minutes, NOW, settings=SETTINGS)
        assert w.first.checkin_code == "" and audit_rows(session) == []

"""Messages (消息): what happened becomes one message per person and happening, in the words
the portal uses; reminders before a due date; outside channels recorded once per message."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from learningdata import account, course, grade, member, submit
from yiyuan.completion import engine
from yiyuan.errors import YiyuanError
from yiyuan.messages import inbox
from yiyuan.messages.channels import load_channels
from yiyuan.messages.collect import collect
from yiyuan.messages.deliver import send_due
from yiyuan.models import (
    CompletionEvent,
    Enrolment,
    Message,
    MessageDelivery,
    ModuleResult,
    Standing,
)
from yiyuan.settings import load_settings

NOW = datetime.now(UTC)


def titles(session, acc) -> list[tuple[str, str, str]]:
    return [
        (m.kind, m.title, m.body)
        for m in session.scalars(
            select(Message).where(Message.account_id == acc.id).order_by(Message.id)
        )
    ]


def settings_with(tmp_path, text: str = ""):
    config = tmp_path / "yiyuan.yml"
    config.write_text(f"data_dir: {tmp_path}\n{text}", encoding="utf-8")
    return load_settings({"YIYUAN_CONFIG": str(config)})


def test_fail_teacher_comment_pass_each_told_once_with_the_portal_score(database):
    with database.session() as session:
        learner = account(session, "wangfang")
        c = course(session, modules=[{"code": "m1", "title": "书体演变", "hours": 1.5}])
        m1 = c.modules[0]
        first = submit(session, learner, m1)
        grade(session, first, auto=(2, 5))
        engine.update(session, learner.id, m1.id)
        redo = submit(session, learner, m1, minutes=30)
        g = grade(session, redo, auto=(4, 5))
        engine.update(session, learner.id, m1.id)
        # the teacher scores the reflection and writes a comment (what grading.manual records)
        g.manual_score, g.manual_max = 1.5, 2.0
        g.items = {"r1": {"score": 1.5, "max": 2.0, "auto": False, "comment": "用笔很有体会。"}}
        session.add(
            CompletionEvent(
                account_id=learner.id,
                kind="manual-graded",
                course_id=c.id,
                module_id=m1.id,
                submission_id=redo.id,
            )
        )
        session.flush()

        assert collect(session, account_id=learner.id) == 4
        told = titles(session, learner)
        assert told == [
            ("failed", "《书体演变》未通过", "测验得分 40%。请查看反馈，重新学习后可以再次提交。"),
            ("passed", "《书体演变》已通过", "测验得分 80%。计 1.5 学时。"),
            (
                "course-completed",
                "恭喜您完成课程《c1》",
                "共计 1.5 学时，可以在「我的学时」查看明细。",
            ),
            (
                "teacher-graded",
                "教师已评阅《书体演变》的学习心得",
                "得分 1.5 / 2。教师评语：用笔很有体会。",
            ),
        ]
        # the same figure the portal shows (the module result's score)
        result = session.scalar(select(ModuleResult).where(ModuleResult.account_id == learner.id))
        assert f"测验得分 {result.score:g}%" in told[1][2]
        links = [m.link for m in session.scalars(select(Message).order_by(Message.id))]
        assert links == [
            f"feedback/{first.id}",
            f"feedback/{redo.id}",
            "hours",
            f"feedback/{redo.id}",
        ]
        # again, and for everyone: nothing twice
        assert collect(session, account_id=learner.id) == 0
        assert collect(session) == 0
        assert len(titles(session, learner)) == 4


def test_collecting_for_one_person_leaves_the_others_to_their_turn(database):
    with database.session() as session:
        one, other = account(session, "liuyang"), account(session, "lihua")
        m1 = course(session, modules=[{"code": "m1"}]).modules[0]
        for acc in (one, other):
            grade(session, submit(session, acc, m1), auto=(1, 5))
            engine.update(session, acc.id, m1.id)
        assert collect(session, account_id=one.id) == 1
        assert titles(session, other) == []
        assert collect(session) == 1
        assert [kind for kind, *_ in titles(session, other)] == ["failed"]


def test_old_news_is_not_brought_up(database):
    with database.session() as session:
        learner = account(session, "zhouqing")
        m1 = course(session, modules=[{"code": "m1"}]).modules[0]
        grade(session, submit(session, learner, m1), auto=(1, 5))
        engine.update(session, learner.id, m1.id, now=NOW - timedelta(days=45))
        assert collect(session) == 0


def test_enrolments_made_by_others_are_announced_not_the_learners_own(database):
    with database.session() as session:
        learner = account(session, "sunli")
        required = course(session, code="bixiu", modules=[{"code": "m1"}])
        required.due = datetime(2027, 3, 1, 15, 59, tzinfo=UTC)
        elective = course(session, code="xuanxiu", modules=[{"code": "m1"}], enrolment="elective")
        old = course(session, code="jiuke", modules=[{"code": "m1"}])
        session.add_all(
            [
                Enrolment(course_id=required.id, account_id=learner.id, source="rule"),
                Enrolment(course_id=elective.id, account_id=learner.id, source="self"),
                Enrolment(
                    course_id=old.id,
                    account_id=learner.id,
                    source="cohort",
                    enrolled_at=NOW - timedelta(days=40),
                ),
            ]
        )
        session.flush()
        collect(session)
        # China time: 2027-03-01 15:59 UTC is 23:59 on 1 March in Beijing
        assert titles(session, learner) == [
            ("enrolled", "您已报名课程《bixiu》", "请在 2027-03-01 前完成学习。")
        ]


@pytest.mark.parametrize(
    ("hours_left", "kind", "title"),
    [
        (24 * 5, "due-soon", "《c1》还有 5 天截止"),
        (26, "due-tomorrow", "《c1》明天截止"),
        (2, "due-tomorrow", "《c1》今天截止"),
    ],
)
def test_a_due_date_coming_reminds_the_unfinished(database, hours_left, kind, title):
    # 09:00 in Beijing, so that N × 24 hours later is N calendar days later there
    now = datetime(2027, 2, 1, 1, 0, tzinfo=UTC)
    with database.session() as session:
        busy, done, gone = account(session, "a1"), account(session, "a2"), account(session, "a3")
        c = course(session, modules=[{"code": "m1"}])
        c.due = now + timedelta(hours=hours_left)
        session.add_all(
            [
                Enrolment(course_id=c.id, account_id=busy.id, source="self"),
                Enrolment(course_id=c.id, account_id=done.id, source="self", completed_at=now),
                Enrolment(course_id=c.id, account_id=gone.id, source="self", active=False),
            ]
        )
        session.flush()
        assert collect(session, now=now) == 1
        assert [(k, t) for k, t, _ in titles(session, busy)] == [(kind, title)]
        assert titles(session, done) == titles(session, gone) == []
        assert collect(session, now=now + timedelta(minutes=30)) == 0


def test_the_seven_day_reminder_then_the_one_day_reminder(database):
    now = datetime(2027, 2, 1, 1, 0, tzinfo=UTC)
    with database.session() as session:
        learner = account(session, "a1")
        c = course(session, modules=[{"code": "m1"}])
        c.due = now + timedelta(days=6)
        session.add(Enrolment(course_id=c.id, account_id=learner.id, source="self"))
        session.flush()
        collect(session, now=now)
        collect(session, now=now + timedelta(days=2))  # still the 7-day step: nothing new
        collect(session, now=now + timedelta(days=5, hours=1))
        assert [t for _, t, _ in titles(session, learner)] == [
            "《c1》还有 6 天截止",
            "《c1》明天截止",
        ]
        # no reminders once the due date has passed
        collect(session, now=now + timedelta(days=7))
        assert len(titles(session, learner)) == 2


def test_marking_read_touches_only_the_callers_messages(database):
    with database.session() as session:
        one, other = account(session, "liuyang"), account(session, "lihua")
        m1 = course(session, modules=[{"code": "m1"}]).modules[0]
        for acc in (one, other):
            grade(session, submit(session, acc, m1), auto=(1, 5))
            engine.update(session, acc.id, m1.id)
        collect(session)
        theirs = session.scalar(select(Message.id).where(Message.account_id == other.id))
        assert inbox.mark_read(session, one.id, [theirs]) == 0
        assert inbox.unread_count(session, other.id) == 1
        assert inbox.mark_read(session, one.id) == 1
        assert (inbox.unread_count(session, one.id), inbox.unread_count(session, other.id)) == (
            0,
            1,
        )


class Nameless:
    def __init__(self, settings) -> None:
        pass


class Flaky:
    """A plug-in gateway that fails for one person and has no number for another."""

    name = "sms"

    def __init__(self, settings) -> None:
        self.sent = []

    def send(self, recipient, message):
        if recipient.username == "a2":
            raise ConnectionError("网关超时")
        if recipient.username == "a3":
            return "skipped", "没有手机号码"
        self.sent.append((recipient.mobile, message.title))
        return "sent", "ok"


def test_outside_channels_send_each_message_once_and_record_every_outcome(database, tmp_path):
    settings = settings_with(
        tmp_path,
        "messages:\n  channels: [file, 'test_messages:Flaky']\n  outside_kinds: [enrolled]\n",
    )
    with database.session() as session:
        people = [account(session, name) for name in ("a1", "a2", "a3")]
        member(session, people[0], ("美协", Standing.member))
        c = course(session, modules=[{"code": "m1"}])
        for acc in people:
            session.add(Enrolment(course_id=c.id, account_id=acc.id, source="rule"))
        # a failed module: in the message centre, not sent outside
        grade(session, submit(session, people[0], c.modules[0]), auto=(1, 5))
        engine.update(session, people[0].id, c.modules[0].id)
        session.commit()
        report = send_due(session, settings)
        assert report.new == 4
        assert report.sent == {
            "file": {"sent": 3, "failed": 0, "skipped": 0},
            "sms": {"sent": 1, "failed": 1, "skipped": 1},
        }
        assert "sms：已发送 1、失败 1、跳过 1" in report.summary()
        lines = (tmp_path / "messages" / "outbox.jsonl").read_text(encoding="utf-8").splitlines()
        assert [json.loads(line)["to"] for line in lines] == ["a1", "a2", "a3"]
        assert json.loads(lines[0])["mobile"].startswith("138")
        failed = session.scalar(select(MessageDelivery).where(MessageDelivery.state == "failed"))
        assert "网关超时" in failed.detail
        # a second round sends nothing again, failures included (recorded, for the admin)
        again = send_due(session, settings)
        assert again.new == 0 and all(not any(s.values()) for s in again.sent.values())
        assert session.scalar(select(func.count(MessageDelivery.id))) == 6


def test_a_bad_channel_is_refused_in_chinese(tmp_path):
    for spec, words in [
        ("sms", "无效"),
        ("nosuch.module:Gateway", "无法加载"),
        ("test_messages:Nameless", "须有 name"),
    ]:
        with pytest.raises(YiyuanError, match=words):
            load_channels(settings_with(tmp_path, f"messages:\n  channels: ['{spec}']\n"))

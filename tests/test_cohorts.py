"""Programmes and cohorts (yiyuan.cohorts): creation with every bad input named, enrolment by
rule and by hand, closing, audit entries, the reports' by-cohort table, a course manifest's
``audience.cohorts``, and the ``yiyuan programmes`` / ``yiyuan cohorts`` commands."""

from __future__ import annotations

import os
from datetime import date

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from learningdata import account, course, member
from yiyuan import cohorts
from yiyuan.catalog import enrolment
from yiyuan.cli import cli, main
from yiyuan.db import Database, migrate
from yiyuan.models import (
    AuditEntry,
    Cohort,
    CohortMember,
    Enrolment,
    Member,
    Role,
    Standing,
)
from yiyuan.reports.participation import by_cohort
from yiyuan.reports.scope import Scope


def people(session) -> dict:
    made = {
        "shu": (account(session, "shu"), [("书协", Standing.member)]),
        "shumei": (
            account(session, "shumei"),
            [("书协", Standing.council), ("美协", Standing.member)],
        ),
        "zuo": (account(session, "zuo"), [("作协", Standing.presidium)]),
        "yin": (account(session, "yin"), [("音协", Standing.member)]),
        "left": (account(session, "left"), [("书协", Standing.member, False)]),
        "gone": (account(session, "gone", active=False), [("作协", Standing.member)]),
        "trainer": (account(session, "trainer", role=Role.trainer), [("书协", Standing.member)]),
        "nomember": (account(session, "nomember"), None),
    }
    for acc, memberships in made.values():
        if memberships is not None:
            member(session, acc, *memberships)
    inactive = account(session, "inactivemember")
    member(session, inactive, ("作协", Standing.member), active=False)
    made["inactivemember"] = (inactive, None)
    return {name: acc for name, (acc, _) in made.items()}


def good(**overrides) -> dict:
    values = dict(
        code="2026-3qi",
        name="2026年第三期文艺骨干培训班",
        programme_code="",
        starts_on="2026-09-01",
        ends_on="2026-11-30",
        associations=["书协", "作协"],
        standings=[],
        courses=["c1"],
        description="",
        actor="admin",
    )
    values.update(overrides)
    return values


def names_of(session, ids) -> set[str]:
    from yiyuan.models import Account

    return set(session.scalars(select(Account.username).where(Account.id.in_(list(ids)))))


def test_create_and_every_bad_input_named(database):
    with database.session() as session:
        people(session)
        course(session, "c1", modules=[{"code": "m1"}])
        offline = course(session, "old")
        offline.active = False
        programme = cohorts.create_programme(session, "gugan", "文艺骨干培训", actor="admin")
        cohort = cohorts.create_cohort(
            session, **good(programme_code="gugan", standings=["理事", "presidium"])
        )
        assert cohort.associations == ["calligraphy", "writers"]
        assert cohort.standings == ["council", "presidium"]
        assert (cohort.starts_on, cohort.ends_on) == (date(2026, 9, 1), date(2026, 11, 30))
        assert cohort.programme_id == programme.id and cohort.active
        bad = [
            (dict(code="Bad Code"), "期次代码“Bad Code”无效"),
            (dict(code="x"), "期次代码“x”无效"),
            (dict(name="  "), "请填写期次名称"),
            (dict(programme_code="nope"), "没有培训项目“nope”"),
            (dict(starts_on=""), "请填写开始日期"),
            (dict(ends_on="2026/13/01"), "结束日期“2026/13/01”无法识别"),
            (dict(ends_on="2026-08-01"), "结束日期 2026-08-01 早于开始日期 2026-09-01"),
            (dict(associations=["书协", "火星协"]), "没有这些协会：火星协"),
            (dict(standings=["会长"]), "没有这些会员身份：会长"),
            (dict(courses=["c1", "nope"]), "没有这些课程：nope"),
            (dict(courses=["old"]), "这些课程已下线，不能加入期次：old"),
            ({}, "期次代码“2026-3qi”已被使用"),
        ]
        for change, message in bad:
            values = good(code="2026-4qi")
            values.update(change)
            if not change:
                values["code"] = "2026-3qi"
            with pytest.raises(cohorts.CohortError, match=message):
                cohorts.create_cohort(session, **values)
        with pytest.raises(cohorts.CohortError, match="培训项目代码“gugan”已被使用"):
            cohorts.create_programme(session, "gugan", "又一个", actor="admin")
        with pytest.raises(cohorts.CohortError, match="请填写培训项目名称"):
            cohorts.create_programme(session, "other", "", actor="admin")
        [line] = cohorts.list_programmes(session)
        assert (line.code, line.cohorts) == ("gugan", 1)
        cohorts.update_programme(session, "gugan", description="历年骨干班", actor="admin")
        cohorts.update_cohort(session, "2026-3qi", name="第三期（调整）", actor="admin")
        with pytest.raises(cohorts.CohortError, match="结束日期 2026-01-01 早于"):
            cohorts.update_cohort(session, "2026-3qi", ends_on="2026-01-01", actor="admin")
        actions = list(session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
        assert actions == ["programme.create", "cohort.create", "programme.update", "cohort.update"]


def test_rule_targets_enrol_idempotent_and_by_hand(database):
    with database.session() as session:
        who = people(session)
        c1 = course(session, "c1", modules=[{"code": "m1"}], audience={"associations": ["音协"]})
        c2 = course(session, "c2", modules=[{"code": "m1"}], audience={"associations": ["音协"]})
        cohort = cohorts.create_cohort(session, **good(courses=["c1", "c2"]))
        targets = names_of(session, session.scalars(cohorts.rule_targets(session, cohort)))
        # inactive members, ended memberships, inactive accounts and non-learners excluded
        assert targets == {"shu", "shumei", "zuo"}
        preview = cohorts.preview_rule(session, cohort)
        assert preview["would_add"] == 3 and preview["members"] == 0
        assert {p["username"] for p in preview["sample"]} == targets
        # a hand-deactivated enrolment stays as the administrator left it
        session.add(Enrolment(course_id=c2.id, account_id=who["zuo"].id, active=False))
        session.flush()

        assert cohorts.enrol_by_rule(session, cohort, "admin") == 3
        assert cohorts.enrol_by_rule(session, cohort, "admin") == 0
        members = session.scalars(select(CohortMember).where(CohortMember.cohort_id == cohort.id))
        assert {m.source for m in members} == {"rule"}
        for name in ("shu", "shumei", "zuo"):
            assert enrolment.is_enrolled(session, c1.id, who[name].id)
        assert not enrolment.is_enrolled(session, c2.id, who["zuo"].id)
        sources = set(session.scalars(select(Enrolment.source).where(Enrolment.course_id == c1.id)))
        assert sources == {"cohort"}
        assert cohorts.preview_rule(session, cohort)["would_add"] == 0

        council = cohorts.create_cohort(session, **good(code="lishi", standings=["理事"]))
        assert names_of(session, session.scalars(cohorts.rule_targets(session, council))) == {
            "shumei"
        }
        everyone = cohorts.create_cohort(session, **good(code="quanbu", associations=["全部"]))
        assert names_of(session, session.scalars(cohorts.rule_targets(session, everyone))) == {
            "shu", "shumei", "zuo", "yin"
        }  # fmt: skip
        by_hand_only = cohorts.create_cohort(session, **good(code="shougong", associations=[]))
        assert list(session.scalars(cohorts.rule_targets(session, by_hand_only))) == []

        # by hand: username or mobile; unknown, inactive and non-learners named, not added
        mobile = session.scalar(select(Member.mobile).where(Member.account_id == who["yin"].id))
        added, problems = cohorts.add_members(
            session, cohort, [mobile, "nomember", "shu", "nobody", "gone", "trainer", ""], "admin"
        )
        assert added == ["yin", "nomember"]
        assert problems == [
            "“nobody”：没有这个用户名或手机号。",
            "“gone”：账号已停用。",
            "“trainer”：不是学员账号。",
        ]
        assert enrolment.is_enrolled(session, c1.id, who["yin"].id)
        assert enrolment.is_enrolled(session, c2.id, who["nomember"].id)
        detail = cohorts.cohort_detail(session, "2026-3qi")
        assert detail["members"] == 5
        by_user = {m["username"]: m for m in detail["member_list"]}
        assert by_user["yin"]["source_label"] == "手工" and by_user["shu"]["source_label"] == "规则"
        assert set(by_user["shumei"]["associations"]) == {"美协", "书协"}
        figures = {c["code"]: (c["enrolled"], c["completed"]) for c in detail["courses"]}
        assert figures == {"c1": (5, 0), "c2": (4, 0)}

        # completion counts: one enrolment completed
        done = session.scalar(
            select(Enrolment).where(
                Enrolment.course_id == c1.id, Enrolment.account_id == who["shu"].id
            )
        )
        from yiyuan.models import utcnow

        done.completed_at = utcnow()
        session.flush()
        [row] = [r for r in cohorts.cohort_summary(session) if r["code"] == "2026-3qi"]
        assert (row["members"], row["courses"], row["enrolments"], row["completed"]) == (5, 2, 9, 1)
        assert row["completion_rate"] == round(1 / 9, 4) and row["state"] == "进行中"

        # the report layer counts the cohort and its members
        table = by_cohort(session, Scope(username="admin", everything=True))
        [report_row] = [r for r in table.rows if r["cohort_code"] == "2026-3qi"]
        # the reports count people with a member record: nomember (added by hand) is not one
        assert report_row["members"] == 4 and report_row["enrolled"] == 4
        assert report_row["courses_completed"] == 1

        # closing: nothing deleted, no more enrolment
        cohorts.close_cohort(session, cohort, "admin")
        assert cohort.active is False and cohort.closed_at is not None
        with pytest.raises(cohorts.CohortClosed, match="已结束，不能再报名"):
            cohorts.enrol_by_rule(session, cohort, "admin")
        with pytest.raises(cohorts.CohortClosed, match="已结束"):
            cohorts.add_members(session, cohort, ["nomember"], "admin")
        with pytest.raises(cohorts.CohortClosed, match="已经结束"):
            cohorts.close_cohort(session, cohort, "admin")
        assert cohorts.cohort_detail(session, "2026-3qi")["members"] == 5
        entries = session.scalars(
            select(AuditEntry).where(AuditEntry.target == "2026-3qi").order_by(AuditEntry.id)
        ).all()
        assert [e.action for e in entries] == [
            "cohort.create", "cohort.enrol", "cohort.enrol", "cohort.enrol", "cohort.close"
        ]  # fmt: skip
        assert entries[3].detail["added"] == ["yin", "nomember"]
        with pytest.raises(cohorts.CohortNotFound, match="没有期次“nope”"):
            cohorts.cohort_detail(session, "nope")


def test_manifest_audience_cohorts_count(database):
    with database.session() as session:
        who = people(session)
        course(session, "c1")
        cohort = cohorts.create_cohort(session, **good(associations=[]))
        cohorts.add_members(session, cohort, ["yin"], "admin")
        aimed = course(
            session, "aimed", audience={"associations": ["美协"], "cohorts": ["2026-3qi", "none"]}
        )
        ids = set(session.scalars(enrolment.target_account_ids(session, aimed)))
        assert ids == {who["shumei"].id, who["yin"].id}
        assert enrolment.enrol_targets(session, aimed) == 2
        # a closed cohort brings nobody new
        cohorts.close_cohort(session, cohort, "admin")
        ids = set(session.scalars(enrolment.target_account_ids(session, aimed)))
        assert ids == {who["shumei"].id}


# --- the commands ---------------------------------------------------------------------------


@pytest.fixture
def env(tmp_path):
    url = f"sqlite:///{tmp_path / 'yiyuan.sqlite'}"
    (tmp_path / "yiyuan.yml").write_text("city: 深圳市\n", "utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("YIYUAN_")}
    env.update(
        YIYUAN_CONFIG=str(tmp_path / "yiyuan.yml"),
        YIYUAN_DATA_DIR=str(tmp_path / "data"),
        YIYUAN_DB_URL=url,
    )
    database = Database(url)
    migrate.upgrade(database)
    with database.session() as session:
        people(session)
        course(session, "c1", modules=[{"code": "m1"}])
    database.dispose()
    return env


def run(env, *args, code=0):
    main(register_only=True)
    result = CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result


def test_cli(env):
    assert (
        "已创建培训项目 gugan"
        in run(
            env, "programmes", "create", "gugan", "--name", "文艺骨干培训", "--actor", "wangmin"
        ).output
    )
    assert "gugan" in run(env, "programmes", "list").output
    created = run(
        env, "cohorts", "create", "2026-3qi", "--name", "2026年第三期文艺骨干培训班",
        "--programme", "gugan", "--starts", "2026-09-01", "--ends", "2026-11-30",
        "--association", "书协,作协", "--course", "c1", "--actor", "wangmin",
    )  # fmt: skip
    assert "已创建期次 2026-3qi" in created.output
    bad = run(
        env, "cohorts", "create", "2026-4qi", "--name", "第四期", "--starts", "2026-12-01",
        "--ends", "2026-11-01", code=1,
    )  # fmt: skip
    assert bad.stderr.startswith("错误：结束日期 2026-11-01 早于开始日期")
    assert "将添加 3 名学员" in run(env, "cohorts", "enrol", "2026-3qi", "--dry-run").output
    assert "新增 3 名学员" in run(env, "cohorts", "enrol", "2026-3qi").output
    assert "新增 0 名学员" in run(env, "cohorts", "enrol", "2026-3qi").output
    added = run(env, "cohorts", "add", "2026-3qi", "yin", "nobody")
    assert (
        "已添加 1 名学员：yin" in added.output
        and "“nobody”：没有这个用户名或手机号" in added.output
    )
    assert run(env, "cohorts", "add", "2026-3qi", "nobody", code=1).stderr.startswith("错误：")
    listed = run(env, "cohorts", "list").output
    assert "2026年第三期文艺骨干培训班" in listed and "学员 4" in listed and "进行中" in listed
    shown = run(env, "cohorts", "show", "2026-3qi").output
    assert "面向协会：书协、作协" in shown and "报名 4" in shown and "yin" in shown
    assert "已结束" in run(env, "cohorts", "close", "2026-3qi").output
    refused = run(env, "cohorts", "enrol", "2026-3qi", code=1)
    assert "已结束，不能再报名" in refused.stderr
    assert "没有期次“nope”" in run(env, "cohorts", "show", "nope", code=1).stderr
    database = Database(env["YIYUAN_DB_URL"])
    with database.session() as session:
        actors = set(session.scalars(select(AuditEntry.actor)))
        assert "wangmin" in actors
        assert session.scalar(select(Cohort.active).where(Cohort.code == "2026-3qi")) is False
    database.dispose()


def test_migration_0007_keeps_existing_cohorts(db_url):
    from sqlalchemy import inspect, text

    database = Database(db_url)
    try:
        migrate.upgrade(database, "0006")
        with database.engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO cohorts (code, name, active, created_at)"
                    " VALUES ('old-1', '第一期', :t, CURRENT_TIMESTAMP)"
                ),
                {"t": True},
            )
        migrate.upgrade(database, "0007")
        migrate.upgrade(database)  # the models are today's: read the row at the newest schema
        with database.session() as session:
            old = session.scalar(select(Cohort).where(Cohort.code == "old-1"))
            assert (old.associations, old.standings, old.description) == ([], [], "")
            assert list(session.scalars(cohorts.rule_targets(session, old))) == []
        migrate.downgrade(database, "0006")
        columns = {c["name"] for c in inspect(database.engine).get_columns("cohorts")}
        assert not {"associations", "standings", "description"} & columns
        migrate.upgrade(database)
    finally:
        database.dispose()


def test_the_demo_cohort_is_made_once_after_the_courses_are_published(database):
    from yiyuan.demo import DEMO_COHORT, seed_demo, seed_demo_cohort

    with database.session() as session:
        seed_demo(session, "深圳市")
        assert seed_demo_cohort(session, "admin") is None  # no demo course published yet
        course(session, code="ershida-wenyi")
        name, enrolled = seed_demo_cohort(session, "admin")
        assert name == DEMO_COHORT[1] and enrolled == 2
        detail = cohorts.cohort_detail(session, DEMO_COHORT[0])
        assert {m["username"] for m in detail["member_list"]} == {"wangfang", "zhaolei"}
        cohort = cohorts.get_cohort(session, DEMO_COHORT[0])
        assert cohort.certificate == {"title": "结业证书"}  # the demo shows a class certificate
        assert seed_demo_cohort(session, "admin") is None  # make run twice adds nothing


def test_a_cohort_is_not_under_way_before_its_first_day():
    from yiyuan.cohorts.figures import state_label
    from yiyuan.models import Cohort

    today = date(2026, 12, 7)
    later = Cohort(code="2027-1qi", name="x", active=True, starts_on=date(2027, 1, 5))
    assert state_label(later, today) == "未开始"
    running = Cohort(code="2026-4qi", name="x", active=True, starts_on=today)
    assert state_label(running, today) == "进行中"
    closed = Cohort(code="2026-1qi", name="x", active=False, starts_on=date(2027, 1, 5))
    assert state_label(closed, today) == "已结束"

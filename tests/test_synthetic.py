"""Synthetic data (``yiyuan.synthetic``, ``yiyuan demo generate``) on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import case, func, select

from yiyuan.associations.records import ensure_standard_associations
from yiyuan.cli import cli, main
from yiyuan.completion.rollup import refresh_enrolments
from yiyuan.db import Database, migrate
from yiyuan.models import (
    Account,
    AccountRole,
    Association,
    Attendance,
    Cohort,
    CohortCourse,
    CohortMember,
    CompletionEvent,
    CourseCompletion,
    Enrolment,
    Member,
    Membership,
    Module,
    ModuleKind,
    ModuleResult,
    OnsiteSession,
    ResultStatus,
    Role,
    Standing,
    StudyHours,
)
from yiyuan.synthetic import SyntheticDataRefused, generate

NOW = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)
SMALL = {"members": 300, "courses": 6, "now": NOW}


@pytest.fixture
def database(database):
    """The platform database as `yiyuan db upgrade` leaves it: with the eleven associations."""
    with database.session() as session:
        ensure_standard_associations(session, "深圳市")
    return database


def pairs(session, statement) -> dict:
    return {key: value for key, value in session.execute(statement)}


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def test_counts_and_shape(database):
    counts = generate(database, **SMALL)
    with database.session() as session:
        for model in (Member, Enrolment, ModuleResult, StudyHours, CompletionEvent, Cohort):
            assert counts[model.__tablename__] == count(session, model)
        assert counts["members"] == 300
        # learners, one administrator, one manager per association, a few trainers
        staff = counts["accounts"] - 300
        assert 1 + 11 + 2 <= staff <= 1 + 11 + 12
        # every module of every enrolled course has a result (not-started included)
        assert counts["module_results"] == counts["enrolments"] * 5
        assert 300 <= counts["enrolments"] <= 300 * 6

        per_member = (
            select(Membership.member_id, func.count().label("n"))
            .group_by(Membership.member_id)
            .subquery()
        )
        spread = pairs(session, select(per_member.c.n, func.count()).group_by(per_member.c.n))
        assert sum(spread.values()) == 300  # nobody without an association
        assert set(spread) == {1, 2} and 10 <= spread[2] <= 100  # about 15 % in two
        standings = pairs(
            session, select(Membership.standing, func.count()).group_by(Membership.standing)
        )
        assert standings[Standing.presidium] >= 1
        assert standings[Standing.council] > standings[Standing.presidium]
        assert standings[Standing.member] > standings[Standing.council]

        mobiles = session.scalars(select(Member.mobile)).all()
        assert len(set(mobiles)) == 300
        assert all(re.fullmatch(r"1[3-9]\d{9}", m) for m in mobiles)
        usernames = set(session.scalars(select(Account.username)))
        assert {"syn00001", "syn00300", "synadmin", "synmgr01"} <= usernames
        assert not session.scalar(select(func.count()).where(Account.must_change_password))
        # one hash for everyone
        assert session.scalar(select(func.count(func.distinct(Account.password_hash)))) == 1

        managed = session.scalars(
            select(AccountRole.association_id).where(AccountRole.role == Role.manager)
        ).all()
        assert sorted(managed) == sorted(session.scalars(select(Association.id)))
        assert count(session, AccountRole) == counts["accounts"]

        statuses = pairs(
            session, select(ModuleResult.status, func.count()).group_by(ModuleResult.status)
        )
        assert set(statuses) == set(ResultStatus)
        assert statuses[ResultStatus.passed] == max(statuses.values())
        first, last = session.execute(
            select(func.min(ModuleResult.passed_at), func.max(ModuleResult.passed_at))
        ).one()
        assert NOW - timedelta(weeks=26) <= first and last <= NOW
        # graded results have a score, the others none
        graded = ModuleResult.status.in_([ResultStatus.passed, ResultStatus.failed])
        online = ModuleResult.module_id.in_(select(Module.id).where(Module.kind == "online"))
        assert not session.scalar(
            select(func.count()).where(graded, online, ModuleResult.score.is_(None))
        )
        assert not session.scalar(
            select(func.count()).where(~graded, ModuleResult.score.isnot(None))
        )
        kinds = set(session.scalars(select(CompletionEvent.kind).distinct()))
        assert kinds == {"opened", "submitted", "module-passed", "course-completed"}
        assert counts["completion_events"] <= 2.5 * counts["module_results"]
        assert session.scalar(
            select(func.count()).where(CompletionEvent.at >= NOW - timedelta(days=30))
        )
        assert counts["attendance"] > 0  # 1 course in 5 has an on-site module
        assert counts["course_completions"] > 0
        # a passed module earns its hours once in the ledger
        assert counts["study_hours"] == statuses[ResultStatus.passed]

        assert counts["cohorts"] == 6
        sizes = session.scalars(
            select(func.count()).select_from(CohortMember).group_by(CohortMember.cohort_id)
        ).all()
        assert sizes == [20] * 6
        per_cohort = session.scalars(
            select(func.count()).select_from(CohortCourse).group_by(CohortCourse.cohort_id)
        ).all()
        assert all(3 <= n <= 6 for n in per_cohort)
        # cohort members are enrolled in their cohort's courses
        missing = (
            select(func.count())
            .select_from(CohortMember)
            .join(CohortCourse, CohortCourse.cohort_id == CohortMember.cohort_id)
            .outerjoin(
                Enrolment,
                (Enrolment.account_id == CohortMember.account_id)
                & (Enrolment.course_id == CohortCourse.course_id),
            )
            .where(Enrolment.id.is_(None))
        )
        assert session.scalar(missing) == 0
        # every on-site module has its sitting, and attendance points at it
        onsite = session.scalar(
            select(func.count()).select_from(Module).where(Module.kind == ModuleKind.onsite)
        )
        assert onsite > 0 and count(session, OnsiteSession) == onsite
        elsewhere = (
            select(func.count())
            .select_from(Attendance)
            .outerjoin(OnsiteSession, OnsiteSession.id == Attendance.session_id)
            .where((OnsiteSession.id.is_(None)) | (OnsiteSession.module_id != Attendance.module_id))
        )
        assert count(session, Attendance) > 0 and session.scalar(elsewhere) == 0


def rollups(session) -> dict:
    rows = session.execute(
        select(
            Enrolment.account_id,
            Enrolment.course_id,
            Enrolment.modules_passed,
            Enrolment.score_sum,
            Enrolment.score_count,
            Enrolment.hours,
            Enrolment.completed_at,
            Enrolment.last_active_at,
        )
    )
    return {(row[0], row[1]): tuple(row[2:]) for row in rows}


def test_rollups_equal_the_rows(database):
    generate(database, **SMALL)
    with database.session() as session:
        stored = rollups(session)
        results = (
            select(
                ModuleResult.account_id,
                Module.course_id,
                func.sum(case((ModuleResult.status == ResultStatus.passed, 1), else_=0)),
                func.coalesce(func.sum(ModuleResult.score), 0.0),
                func.count(ModuleResult.score),
            )
            .join(Module, Module.id == ModuleResult.module_id)
            .group_by(ModuleResult.account_id, Module.course_id)
        )
        hours = dict(
            ((account_id, course_id), total)
            for account_id, course_id, total in session.execute(
                select(StudyHours.account_id, Module.course_id, func.sum(StudyHours.hours))
                .join(Module, Module.id == StudyHours.module_id)
                .group_by(StudyHours.account_id, Module.course_id)
            )
        )
        completed = dict(
            ((account_id, course_id), at)
            for account_id, course_id, at in session.execute(
                select(
                    CourseCompletion.account_id,
                    CourseCompletion.course_id,
                    CourseCompletion.completed_at,
                )
            )
        )
        computed = {
            (account_id, course_id): (
                passed,
                score_sum,
                score_count,
                hours.get((account_id, course_id), 0.0),
                completed.get((account_id, course_id)),
            )
            for account_id, course_id, passed, score_sum, score_count in session.execute(results)
        }
        assert computed == {key: value[:5] for key, value in stored.items()}
        assert any(value[4] is not None for value in stored.values())
        assert any(value[5] is not None for value in stored.values())
        # the completion engine's own refresh agrees too (latest activity included): it changes
        # nothing
        refresh_enrolments(session)
    with database.session() as session:
        assert rollups(session) == stored


def _real_member(database) -> None:
    with database.session() as session:
        account = Account(username="zhangsan", display_name="张三")
        account.roles.append(AccountRole(role=Role.learner))
        session.add(account)
        session.flush()
        association = session.scalars(select(Association).where(Association.short_name == "书协"))
        member = Member(name="张三", mobile="13800000001", account_id=account.id)
        member.memberships.append(
            Membership(association_id=association.one().id, standing=Standing.council)
        )
        session.add(member)


def test_refuses_real_data_unless_forced(database):
    _real_member(database)
    with pytest.raises(SyntheticDataRefused, match="--force"):
        generate(database, **SMALL)
    with database.session() as session:
        assert count(session, Account) == 1 and count(session, Member) == 1
        assert count(session, ModuleResult) == 0

    counts = generate(database, force=True, **SMALL)
    with database.session() as session:
        assert count(session, Member) == 301
        assert session.scalar(select(Member.name).where(Member.mobile == "13800000001")) == "张三"
        assert "syn00001" in set(session.scalars(select(Account.username)))
    assert counts["members"] == 300


def test_refuses_an_account_without_members(database):
    with database.session() as session:
        session.add(Account(username="admin", display_name="管理员"))
    with pytest.raises(SyntheticDataRefused):
        generate(database, **SMALL)


def test_refuses_a_database_without_associations(db_url):
    bare = Database(db_url)
    migrate.upgrade(bare)
    with pytest.raises(SyntheticDataRefused, match="yiyuan db upgrade"):
        generate(bare, **SMALL)
    bare.dispose()


def test_refuses_bad_arguments(database):
    for bad in ({"members": 0}, {"courses": 0}, {"modules_per_course": 0}, {"cohorts": -1}):
        with pytest.raises(SyntheticDataRefused, match="至少为 1"):
            generate(database, **{**SMALL, **bad})


def test_same_seed_same_counts_and_second_run_needs_force(database):
    first = generate(database, **SMALL)
    with pytest.raises(SyntheticDataRefused):
        generate(database, **SMALL)  # synthetic members are members too
    second = generate(database, force=True, **SMALL)
    assert second == first
    with database.session() as session:
        usernames = set(session.scalars(select(Account.username)))
        assert {"syn00001", "syn2-00001", "syn2-admin"} <= usernames
        assert len(set(session.scalars(select(Member.mobile)))) == 600
        # the same seed draws the same people (their numbers differ: those are taken)
        names = pairs(
            session,
            select(Account.username, Account.display_name).where(
                Account.username.in_(["syn00042", "syn2-00042"])
            ),
        )
        assert names["syn00042"] == names["syn2-00042"]
    third = generate(database, force=True, **{**SMALL, "seed": 7})
    assert third != first


def test_cli(database, monkeypatch):
    monkeypatch.setenv("YIYUAN_DB_URL", database.url)
    main(register_only=True)
    runner = CliRunner()
    result = runner.invoke(cli, ["demo", "generate", "--members", "40", "--courses", "3"])
    assert result.exit_code == 0, result.output
    assert "已写入模拟数据" in result.output and "40 行  会员" in result.output
    assert re.search(r"用时 \d+\.\d 秒", result.output)
    again = runner.invoke(cli, ["demo", "generate", "--members", "40", "--courses", "3"])
    assert again.exit_code == 1
    assert "错误：" in again.output and "--force" in again.output
    assert "Traceback" not in again.output
    bad = runner.invoke(cli, ["demo", "generate", "--members", "0"])
    assert bad.exit_code == 2

"""Participation reports against hand-computed figures on a small world (SQLite and PostgreSQL).

The world, graded through the completion engine so the enrolment rollups are the real ones:

- a: 书协 member and 美协 presidium (two associations); enrolled in c1 and c2; passes both
  modules of c1 (100 %, 80 %) and so completes it; fails c2's module (40 %).
- b: 书协 member; enrolled in c1; passes m1 (60 %), fails m2 (20 %).
- c: 美协 council; enrolled in c1; only opened a lesson (yesterday).
- d: 作协 presidium; enrolled in nothing.
- e: 书协, inactive member: counted nowhere.
- cohort k1 = {a, b} taking c1.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from learningdata import T0, account, course, grade, member, submit
from yiyuan.completion import engine
from yiyuan.completion.progress import record_opened
from yiyuan.completion.rollup import refresh_enrolments
from yiyuan.models import (
    Account,
    AccountRole,
    Association,
    Cohort,
    CohortCourse,
    CohortMember,
    CompletionEvent,
    Course,
    CourseCompletion,
    CourseTrainer,
    Role,
    Standing,
)
from yiyuan.reports import participation as P
from yiyuan.reports.filters import BadFilter, ReportFilter
from yiyuan.reports.scope import ReportAccessDenied, Scope, viewer_scope

NOW = T0 + timedelta(days=10)
EVERYTHING = ReportFilter()
RULE = {"quiz": 60}


@pytest.fixture
def world(database):
    with database.session() as s:
        accounts = {n: account(s, n) for n in "abcde"}
        member(s, accounts["a"], ("书协", Standing.member), ("美协", Standing.presidium))
        member(s, accounts["b"], ("书协", Standing.member))
        member(s, accounts["c"], ("美协", Standing.council))
        member(s, accounts["d"], ("作协", Standing.presidium))
        member(s, accounts["e"], ("书协", Standing.member), active=False)
        modules = [{"code": code, "pass_rule": RULE, "reflections": []} for code in ("m1", "m2")]
        c1 = course(s, "c1", modules)
        c1.due = T0 + timedelta(days=5)
        c2 = course(
            s,
            "c2",
            [{"code": "n1", "hours": 0.5, "pass_rule": RULE, "reflections": []}],
            enrolment="elective",
        )
        m1, m2 = c1.modules
        (n1,) = c2.modules
        from yiyuan.models import Enrolment

        for name, courses in {"a": (c1, c2), "b": (c1,), "c": (c1,), "e": (c1,)}.items():
            for c in courses:
                s.add(Enrolment(course_id=c.id, account_id=accounts[name].id))
        s.flush()

        def take(name, module, right, minutes):
            acc = accounts[name]
            sub = submit(s, acc, module, minutes)
            grade(s, sub, auto=(right, 5), written=(), manual_max=0, minutes=1)
            s.add(
                CompletionEvent(
                    account_id=acc.id,
                    kind="submitted",
                    course_id=module.course_id,
                    module_id=module.id,
                    submission_id=sub.id,
                    at=sub.submitted_at,
                )
            )
            engine.update(s, acc.id, module.id, now=sub.submitted_at + timedelta(minutes=1))

        take("a", m1, 5, 0)
        take("a", m2, 4, 1)
        take("a", n1, 2, 2)
        take("b", m1, 3, 3)
        take("b", m2, 1, 4)
        s.add(
            CompletionEvent(
                account_id=accounts["c"].id,
                kind="opened",
                course_id=c1.id,
                module_id=m1.id,
                at=NOW - timedelta(days=1),
            )
        )
        k1 = Cohort(code="k1", name="2027年第一期文艺骨干培训班", starts_on=date(2027, 1, 1))
        s.add(k1)
        s.flush()
        s.add_all(
            [
                CohortMember(cohort_id=k1.id, account_id=accounts["a"].id),
                CohortMember(cohort_id=k1.id, account_id=accounts["b"].id),
                CohortCourse(cohort_id=k1.id, course_id=c1.id),
            ]
        )
        # events written directly above: refresh the rollups as the writers in the code do
        refresh_enrolments(s)
        # viewers
        manager = account(s, "mgr", Role.manager)
        manager.roles[0].association_id = s.query(Association).filter_by(short_name="美协").one().id
        trainer = account(s, "tr", Role.trainer)
        s.add(CourseTrainer(course_id=c2.id, account_id=trainer.id))
        account(s, "boss", Role.administrator)
    return database


def scope_of(database, username):
    with database.session() as s:
        return viewer_scope(s, username)


def report(database, fn, scope, filters=EVERYTHING, **kwargs):
    with database.session() as s:
        return fn(s, scope, filters, now=NOW, **kwargs)


def rows_by(table, key):
    return {row[key]: row for row in table.rows}


SHU = {
    "members": 2,
    "enrolled": 2,
    "active": 2,
    "enrolments": 3,
    "modules_passed": 3,
    "courses_completed": 1,
    "hours": 3.0,
    "average_score": 60.0,
    "presidium": 0,
    "presidium_enrolled": 0,
    "enrolment_rate": 1.0,
    "completion_rate": round(1 / 3, 4),
    "presidium_rate": None,
}
MEI = {
    "members": 2,
    "enrolled": 2,
    "active": 2,
    "enrolments": 3,
    "modules_passed": 2,
    "courses_completed": 1,
    "hours": 2.0,
    "average_score": round(220 / 3, 1),
    "presidium": 1,
    "presidium_enrolled": 1,
    "enrolment_rate": 1.0,
    "completion_rate": round(1 / 3, 4),
    "presidium_rate": 1.0,
}
ZUO = {
    "members": 1,
    "enrolled": 0,
    "active": 0,
    "enrolments": 0,
    "modules_passed": 0,
    "courses_completed": 0,
    "hours": 0.0,
    "average_score": None,
    "presidium": 1,
    "presidium_enrolled": 0,
    "enrolment_rate": 0.0,
    "completion_rate": None,
    "presidium_rate": 0.0,
}


def test_by_association_counts_each_person_once_in_the_totals(world):
    table = report(world, P.by_association, scope_of(world, "boss"))
    rows = rows_by(table, "association")
    assert len(rows) == 11  # every standard association, zeros included
    assert {k: rows["书协"][k] for k in SHU} == SHU
    assert {k: rows["美协"][k] for k in MEI} == MEI
    assert {k: rows["作协"][k] for k in ZUO} == ZUO
    assert rows["剧协"]["members"] == 0
    totals = table.totals
    assert totals["association"] == "合计"
    assert {k: totals[k] for k in ("members", "enrolled", "active", "presidium")} == {
        "members": 4,  # a once although in two associations; e inactive
        "enrolled": 3,
        "active": 3,
        "presidium": 2,
    }
    assert totals["enrolments"] == 4 and totals["modules_passed"] == 3
    assert totals["hours"] == 3.0 and totals["average_score"] == 60.0
    assert totals["presidium_enrolled"] == 1 and totals["courses_completed"] == 1
    assert table.labels[0] == "协会" and len(table.records()) == 12


def test_manager_sees_only_their_association(world):
    scope = scope_of(world, "mgr")
    assert not scope.everything and scope.label.startswith("美协")
    table = report(world, P.by_association, scope)
    assert [row["association"] for row in table.rows] == ["美协"]
    assert {k: table.rows[0][k] for k in MEI} == MEI
    assert table.totals["members"] == 2 and table.totals["hours"] == 2.0
    # asking for another association shows nothing of it
    other = report(world, P.by_association, scope, ReportFilter(associations=("书协",)))
    assert other.rows == [] and other.totals["members"] == 0
    with world.session() as s:
        opts = P.options(s, scope)
    assert [name for _, name in opts.associations] == ["美协"]


def test_trainer_sees_only_their_course(world):
    scope = scope_of(world, "tr")
    table = report(world, P.by_association, scope)
    rows = rows_by(table, "association")
    assert set(rows) == {"书协", "美协"}  # where a, their only learner, belongs
    for row in rows.values():
        assert (row["members"], row["enrolments"], row["modules_passed"]) == (1, 1, 0)
        assert row["average_score"] == 40.0
    assert table.totals["members"] == 1
    courses = report(world, P.by_course, scope)
    assert [row["course"] for row in courses.rows] == ["c2"]
    with world.session() as s:
        assert [code for code, _ in P.options(s, scope).courses] == ["c2"]


def test_learners_and_strangers_are_refused(world):
    for name in ("a", "nobody"):
        with pytest.raises(ReportAccessDenied, match="只有管理员"):
            scope_of(world, name)
    with world.session() as s:
        s.query(Account).filter_by(username="boss").one().active = False
    with pytest.raises(ReportAccessDenied):
        scope_of(world, "boss")


def test_by_course(world):
    table = report(world, P.by_course, Scope.all())
    rows = rows_by(table, "course")
    assert {k: rows["c1"][k] for k in ("enrolled", "active", "modules_passed")} == {
        "enrolled": 3,
        "active": 3,
        "modules_passed": 3,
    }
    assert rows["c1"]["courses_completed"] == 1 and rows["c1"]["hours"] == 3.0
    assert rows["c1"]["average_score"] == 65.0 and rows["c1"]["presidium_enrolled"] == 1
    assert rows["c1"]["completion_rate"] == round(1 / 3, 4)
    assert (rows["c2"]["enrolled"], rows["c2"]["average_score"]) == (1, 40.0)
    assert table.totals["enrolled"] == 3 and table.totals["active"] == 3
    assert table.totals["modules_passed"] == 3 and table.totals["average_score"] == 60.0
    only_c2 = report(world, P.by_course, Scope.all(), ReportFilter(courses=("c2",)))
    assert [row["course"] for row in only_c2.rows] == ["c2"]


def test_by_cohort_and_cohort_filter(world):
    table = report(world, P.by_cohort, Scope.all())
    (row,) = table.rows
    assert row["cohort"] == "2027年第一期文艺骨干培训班"
    assert {k: row[k] for k in ("members", "enrolled", "enrolments", "modules_passed")} == {
        "members": 2,
        "enrolled": 2,
        "enrolments": 2,  # c2 is not a course of the cohort
        "modules_passed": 3,
    }
    assert row["average_score"] == 65.0 and row["presidium"] == 1 and row["hours"] == 3.0
    assert table.totals["members"] == 2 and table.totals["modules_passed"] == 3
    filtered = report(world, P.by_association, Scope.all(), ReportFilter(cohorts=("k1",)))
    rows = rows_by(filtered, "association")
    assert rows["书协"]["members"] == 2 and rows["美协"]["members"] == 1
    assert rows["美协"]["enrolments"] == 1  # a's c1 only
    assert filtered.totals["members"] == 2


def test_standing_filter(world):
    table = report(
        world, P.by_association, Scope.all(), ReportFilter(standings=(Standing.presidium,))
    )
    rows = rows_by(table, "association")
    assert rows["美协"]["members"] == 1 and rows["作协"]["members"] == 1
    assert rows["书协"]["members"] == 0
    assert table.totals["members"] == 2


def test_date_range_reads_raw_rows_and_agrees_with_the_rollups(world):
    everything = report(
        world,
        P.by_association,
        Scope.all(),
        ReportFilter(date_from=date(2026, 1, 1), date_to=date(2027, 1, 31)),
    )
    undated = report(world, P.by_association, Scope.all())
    assert everything.rows == undated.rows and everything.totals == undated.totals
    later = report(world, P.by_association, Scope.all(), ReportFilter(date_from=date(2027, 1, 11)))
    assert later.totals["modules_passed"] == 0 and later.totals["hours"] == 0.0
    assert later.totals["courses_completed"] == 0 and later.totals["enrolled"] == 3


def test_laggards_are_required_overdue_and_incomplete(world):
    table = report(world, P.laggards, Scope.all())
    assert [(row["username"], row["course"]) for row in table.rows] == [("b", "c1"), ("c", "c1")]
    b = table.rows[0]
    assert b["associations"] == "书协" and b["days_overdue"] == 5
    assert (b["modules_passed"], b["modules_required"]) == (1, 2)
    # the manager of 美协 sees c only
    mine = report(world, P.laggards, scope_of(world, "mgr"))
    assert [row["username"] for row in mine.rows] == ["c"]
    # … and of a learner in two associations, only their own
    with world.session() as s:
        a = s.query(Account).filter_by(username="a").one()
        c1 = s.query(Course).filter_by(code="c1").one()
        s.query(CourseCompletion).filter_by(account_id=a.id).delete()
        refresh_enrolments(s, account_id=a.id)
        assert c1.due is not None
    everyone = rows_by(report(world, P.laggards, Scope.all()), "username")
    assert set(everyone["a"]["associations"].split("、")) == {"书协", "美协"}
    mine = rows_by(report(world, P.laggards, scope_of(world, "mgr")), "username")
    assert set(mine) == {"a", "c"} and mine["a"]["associations"] == "美协"


def test_weekly_trend(world):
    table = report(world, P.weekly_trend, Scope.all(), weeks=4)
    weeks = rows_by(table, "week")
    assert list(weeks) == [
        date(2026, 12, 28),
        date(2027, 1, 4),
        date(2027, 1, 11),
        date(2027, 1, 18),
    ]
    assert weeks[date(2027, 1, 4)] == {
        "week": date(2027, 1, 4),
        "active": 2,
        "submissions": 5,
        "modules_passed": 3,
        "hours": 3.0,
    }
    assert weeks[date(2027, 1, 18)]["active"] == 1  # c opened a lesson yesterday
    assert weeks[date(2027, 1, 11)]["active"] == 0


def test_unknown_filters_are_chinese_errors(world):
    with world.session() as s:
        for filters, words in [
            (ReportFilter(associations=("不存在协",)), "没有这个协会"),
            (ReportFilter(courses=("nope",)), "没有这个课程"),
            (ReportFilter(cohorts=("nope",)), "没有这个期次"),
            (ReportFilter(programmes=("nope",)), "没有这个培训项目"),
        ]:
            with pytest.raises(BadFilter, match=words):
                P.by_association(s, Scope.all(), filters, now=NOW)
    with pytest.raises(BadFilter, match="晚于"):
        ReportFilter(date_from=date(2027, 2, 1), date_to=date(2027, 1, 1))


def test_manager_role_without_association_sees_nothing(world):
    with world.session() as s:
        acc = account(s, "mgr2", Role.manager)
        assert acc.roles[0].association_id is None
        s.add(AccountRole(account_id=acc.id, role=Role.learner))
    with pytest.raises(ReportAccessDenied):
        scope_of(world, "mgr2")


# --- the command line ---------------------------------------------------------------------


def run_cli(database, tmp_path, *args):
    import os

    from click.testing import CliRunner

    from yiyuan.cli import cli, main

    main(register_only=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("YIYUAN_")}
    env.update(YIYUAN_DATA_DIR=str(tmp_path / "data"), YIYUAN_DB_URL=database.url)
    return CliRunner().invoke(cli, ["report", "participation", *args], env=env)


#: the command on SQLite only: the reports themselves are tested on both databases above
SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


@SQLITE_ONLY
def test_cli_writes_the_same_table_as_xlsx_csv_and_json(world, tmp_path):
    import json

    from openpyxl import load_workbook

    expected = P.by_association(world.new_session(), Scope.all(), ReportFilter())
    out = tmp_path / "各协会.xlsx"
    result = run_cli(world, tmp_path, "--by", "association", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert "已写出" in result.output
    sheet = load_workbook(out).worksheets[0]
    cells = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert cells[0] == list(expected.labels)
    body = {row[0]: row for row in cells[1:]}
    assert body["书协"][1:3] == [2, 2] and body["合计"][1] == 4
    assert len(load_workbook(out).worksheets) == 3  # + trend and laggards

    csv_out = tmp_path / "r.csv"
    result = run_cli(
        world, tmp_path, "--by", "course", "--standing", "主席团成员", "-o", str(csv_out)
    )
    assert result.exit_code == 0, result.output
    text = csv_out.read_text("utf-8-sig")
    assert text.splitlines()[0].startswith("课程,参训人数")

    json_out = tmp_path / "r.json"
    result = run_cli(
        world, tmp_path, "--by", "cohort", "--format", "json", "--as", "mgr", "-o", str(json_out)
    )
    assert result.exit_code == 0, result.output
    data = json.loads(json_out.read_text("utf-8"))
    assert data[0]["title"] == "各期次参训情况"
    assert data[0]["totals"]["members"] == 1  # of k1 = {a, b}, only a is in 美协
    assert [t["title"] for t in data] == ["各期次参训情况", "每周学习趋势", "逾期未完成名单"]


@pytest.mark.parametrize(
    "args, words",
    [
        (["--from", "2026/1/1"], "无法识别"),
        (["--standing", "会长"], "不认识的会员身份"),
        (["--as", "a"], "只有管理员"),
        (["--association", "不存在协"], "没有这个协会"),
        (["--from", "2027-02-01", "--to", "2027-01-01"], "晚于"),
        (["--format", "csv", "--by", "course", "-o", "{tmp}/x.txt"], None),
    ],
)
@SQLITE_ONLY
def test_cli_bad_input_is_one_chinese_sentence(world, tmp_path, args, words):
    args = [arg.replace("{tmp}", str(tmp_path)) for arg in args]
    if "-o" not in args:
        args = [*args, "-o", str(tmp_path / "out.xlsx")]
    result = run_cli(world, tmp_path, *args)
    if words is None:  # an explicit format wins over the file's extension
        assert result.exit_code == 0, result.output
        assert (tmp_path / "x.txt").read_text("utf-8-sig").startswith("课程,")
        return
    assert result.exit_code != 0
    assert words in result.output and "Traceback" not in result.output
    assert not (tmp_path / "out.xlsx").exists()


def test_opening_a_lesson_makes_a_learner_active_at_once(world):
    with world.session() as s:
        d = s.query(Account).filter_by(username="d").one()
        from yiyuan.models import Enrolment

        course_row = s.query(Course).filter_by(code="c2").one()
        s.add(Enrolment(course_id=course_row.id, account_id=d.id))
        s.flush()
        assert record_opened(s, d.id, course_row.modules[0])
    with world.session() as s:
        table = P.by_association(s, Scope.all())  # ends now (real time): d opened just now
    assert rows_by(table, "association")["作协"]["active"] == 1

"""The audit log: recording, filtering (the same words in the page, the API and the CLI),
export with spreadsheet formulas defused, and the publish that writes an entry."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import openpyxl
import pytest
from click.testing import CliRunner

from learningdata import account, course
from yiyuan import audit
from yiyuan.cli import cli, main
from yiyuan.clock import local_zone
from yiyuan.models import AuditEntry, Role


@pytest.fixture
def world(database):
    with database.session() as session:
        lihua = account(session, "lihua", Role.trainer)
        learner = account(session, "wangfang")
        c1 = course(session, "c1", [{"code": "m1"}])
        c2 = course(session, "c2", [{"code": "m1"}])
        audit.record(session, "admin", "course.publish", "发布课程“c1”", course_id=c1.id)
        audit.record(
            session,
            "lihua",
            "grade.manual",
            '=HYPERLINK("http://evil")',  # what a hostile name could make a summary start with
            course_id=c1.id,
            account_id=learner.id,
            detail={"before": {"r1": None}, "after": {"r1": 2.0}},
        )
        audit.record(session, "lihua", "attendance.correct", "更正", course_id=c2.id)
        ids = {"c1": c1.id, "c2": c2.id, "lihua": lihua.id}
    return ids


def test_entries_newest_first_and_filtered(database, world):
    with database.session() as session:
        everything = audit.entries(session)
        assert [e.action for e in everything] == [
            "attendance.correct",
            "grade.manual",
            "course.publish",
        ]
        by_label = audit.parse_filter(session, action="评阅")
        assert [e.action for e in audit.entries(session, by_label)] == ["grade.manual"]
        by_course = audit.parse_filter(session, course="c1", actor="lihua")
        assert [e.action for e in audit.entries(session, by_course)] == ["grade.manual"]
        today = datetime.now(UTC).astimezone(local_zone()).strftime("%Y-%m-%d")
        assert len(audit.entries(session, audit.parse_filter(session, date_from=today))) == 3
        tomorrow = (datetime.now(local_zone()) + timedelta(days=1)).strftime("%Y-%m-%d")
        assert audit.entries(session, audit.parse_filter(session, date_from=tomorrow)) == []
        assert len(audit.entries(session, audit.parse_filter(session, date_to=today))) == 3
        assert len(audit.entries(session, limit=2)) == 2


@pytest.mark.parametrize(
    ("words", "fragment"),
    [
        ({"action": "删除"}, "没有“删除”这种操作"),
        ({"course": "no-such"}, "没有课程“no-such”"),
        ({"date_from": "2026/11/01"}, "开始日期“2026/11/01”无法识别"),
        ({"date_to": "昨天"}, "结束日期“昨天”无法识别"),
    ],
)
def test_bad_filter_words_are_named(database, world, words, fragment):
    with database.session() as session:
        with pytest.raises(audit.BadAuditFilter) as caught:
            audit.parse_filter(session, **words)
    assert fragment in str(caught.value)


def test_unknown_action_is_a_programming_error(database):
    with database.session() as session, pytest.raises(ValueError):
        audit.record(session, "x", "course.delete", "…")


def test_table_names_course_and_learner(database, world):
    with database.session() as session:
        table = audit.as_table(session, audit.entries(session))
    row = table.rows[1]
    assert (row["actor"], row["action"], row["course"], row["learner"]) == (
        "lihua",
        "评阅",
        "c1",
        "wangfang",
    )
    assert table.labels == ("时间", "操作人", "操作", "课程", "学员", "内容")


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_cli_lists_and_exports(database, world, db_url, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("YIYUAN_")}
    env.update(YIYUAN_DATA_DIR=str(tmp_path / "data"), YIYUAN_DB_URL=db_url)
    main(register_only=True)
    runner = CliRunner()
    listed = runner.invoke(cli, ["audit", "list", "--course", "c1"], env=env)
    assert listed.exit_code == 0, listed.output
    assert "发布课程" in listed.output and "评阅" in listed.output
    assert "更正" not in listed.output
    target = tmp_path / "audit.xlsx"
    written = runner.invoke(cli, ["audit", "list", "-o", str(target)], env=env)
    assert written.exit_code == 0 and "3 条" in written.output
    sheet = openpyxl.load_workbook(target).active
    summaries = [row[5] for row in sheet.iter_rows(min_row=2, values_only=True)]
    # a formula is shown as text, never run
    assert '\'=HYPERLINK("http://evil")' in summaries
    bad = runner.invoke(cli, ["audit", "list", "--action", "删除"], env=env)
    assert bad.exit_code == 1 and "没有“删除”这种操作" in bad.stderr
    with database.session() as session:
        assert session.query(AuditEntry).count() == 3

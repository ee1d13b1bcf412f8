"""Roster import into the platform database, on SQLite and PostgreSQL."""

from datetime import datetime

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

import rosters
from yiyuan.associations.records import ensure_standard_associations
from yiyuan.members import importer
from yiyuan.members.importer import apply_rows
from yiyuan.members.roster import read_roster
from yiyuan.members.rows import associations_matcher, check_rows
from yiyuan.members.spreadsheets import error_report_path, write_error_report
from yiyuan.members.usernames import derive_username, username_base
from yiyuan.models import Account, HubSync, Member, Membership, Standing

HEADER = ["姓名", "手机号", "所属协会", "会员身份", "性别", "工作单位", "邮箱"]
GOOD = [
    ["王芳", "13812345678", "书协、美协", "理事", "女", "深圳画院", "wf@example.com"],
    ["刘　洋", "１３９ ０００１ ２３４５", "作协，摄协（主席团成员）", "会员", "男", "", ""],
    ["陈默", 13700001111, "深圳市音乐家协会", "", "", "深圳交响乐团", ""],
]
BAD = [
    ["赵磊", "1234", "书协", "", "", "", ""],  # mobile
    ["孙丽", "13600002222", "书法协会", "", "", "", ""],  # near-miss association
    ["", "13600003333", "书协", "", "", "", ""],  # no name
    ["王芳芳", "13812345678", "书协", "", "", "", ""],  # same mobile as row 3
    ["周青", "13600004444", "书协", "秘书长", "", "", ""],  # unknown standing
    ["吴越", "13600005555", "书协", "", "", "", "abc@"],  # email
    ["郑和", "13600006666", "书协", "", "未知", "", ""],  # gender
    ["冯唐", "13600007777", "", "", "", "", ""],  # no association
    ["=SUM(A1)", "13600008888", "书协", "", "", "", ""],  # a formula where a name goes
]


def write_roster(path, rows):
    return rosters.write_roster(path, HEADER, rows, title="2026年会员名册")


@pytest.fixture
def federation(database):
    with database.session() as session:
        ensure_standard_associations(session, "深圳市")
    return database


def run_import(database, path, **options):
    roster = read_roster(path)
    with database.session() as session:
        matcher = associations_matcher(session, "深圳市")
    rows, errors = check_rows(roster, matcher)
    result = apply_rows(database, rows, **options)
    result.errors = errors
    return roster, result


def count(database, model):
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_good_rows_land_and_every_bad_row_is_reported(federation, tmp_path):
    path = write_roster(tmp_path / "roster.xlsx", GOOD + BAD)
    roster, result = run_import(federation, path)
    assert (result.created, result.rejected_rows) == (3, len(BAD))
    by_row = {e.row: e for e in result.errors}
    # rows are numbered as Excel shows them: title row 1, header row 2, data from row 3
    assert "11 位" in by_row[6].reason and by_row[6].column == "手机号"
    assert "书协" in by_row[7].reason and "书法协会" in by_row[7].value
    assert by_row[8].column == "姓名"
    assert "第 3 行" in by_row[9].reason
    assert "会员、理事、常务理事、主席团成员" in by_row[10].reason
    assert by_row[11].column == "邮箱"
    assert by_row[12].column == "性别"
    assert by_row[13].column == "所属协会"
    assert by_row[14].column == "姓名"
    assert str(by_row[6]).startswith("第 6 行「手机号」")

    with federation.session() as session:
        wang = session.scalar(select(Member).where(Member.mobile == "13812345678"))
        assert wang.account.username == "wangfang5678"
        assert wang.account.must_change_password
        assert {(m.association.short_name, m.standing) for m in wang.memberships} == {
            ("书协", Standing.council),
            ("美协", Standing.council),
        }
        liu = session.scalar(select(Member).where(Member.mobile == "13900012345"))
        assert liu.name == "刘洋"
        assert {(m.association.short_name, m.standing) for m in liu.memberships} == {
            ("作协", Standing.member),
            ("摄协", Standing.presidium),
        }
    assert {p.username for p in result.passwords} == {"wangfang5678", "liuyang2345", "chenmo1111"}

    report = write_error_report(roster, result.errors, error_report_path(path, datetime.now()))
    sheet = load_workbook(report).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "原行号" and rows[0][-1] == "错误原因"
    assert [r[0] for r in rows[1:]] == list(range(6, 6 + len(BAD)))
    formula_cell = sheet.cell(row=len(BAD) + 1, column=2)
    assert formula_cell.value == "=SUM(A1)" and formula_cell.data_type == "s"


def test_reimport_changes_nothing(federation, tmp_path):
    path = write_roster(tmp_path / "roster.xlsx", GOOD)
    run_import(federation, path)
    with federation.session() as session:
        version = session.get(HubSync, 1).wanted_version
        stamps = dict(session.execute(select(Member.mobile, Member.updated_at)).all())
    _, again = run_import(federation, path)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert not again.groups_changed and again.passwords == []
    with federation.session() as session:
        assert session.get(HubSync, 1).wanted_version == version
        assert dict(session.execute(select(Member.mobile, Member.updated_at)).all()) == stamps


def test_changes_add_and_end_memberships_and_history_stays(federation, tmp_path):
    run_import(federation, write_roster(tmp_path / "v1.xlsx", GOOD))
    changed = [list(GOOD[0]), *GOOD[1:]]
    changed[0][2] = "书协（主席团成员）"  # leaves 美协, becomes presidium in 书协
    changed[0][5] = "深圳美术馆"
    _, result = run_import(federation, write_roster(tmp_path / "v2.xlsx", changed))
    assert (result.updated, result.unchanged) == (1, 2) and result.groups_changed
    with federation.session() as session:
        wang = session.scalar(select(Member).where(Member.mobile == "13812345678"))
        assert wang.work_unit == "深圳美术馆"
        state = {m.association.short_name: (m.active, m.standing) for m in wang.memberships}
        assert state == {"书协": (True, Standing.presidium), "美协": (False, Standing.council)}
        left = next(m for m in wang.memberships if m.association.short_name == "美协")
        assert left.left_at is not None


def test_deactivate_missing_keeps_records_and_reactivates(federation, tmp_path):
    run_import(federation, write_roster(tmp_path / "all.xlsx", GOOD))
    _, result = run_import(
        federation,
        write_roster(tmp_path / "two.xlsx", GOOD[:2]),
        deactivate_missing=True,
        roster_mobiles={"13812345678", "13900012345"},
    )
    assert result.deactivated == 1
    with federation.session() as session:
        chen = session.scalar(select(Member).where(Member.mobile == "13700001111"))
        assert not chen.active and not chen.account.active and chen.deactivated_at
        assert len(chen.memberships) == 1  # history stays
    _, back = run_import(federation, write_roster(tmp_path / "all2.xlsx", GOOD))
    assert back.reactivated == 1
    assert count(federation, Member) == 3


def test_deactivate_missing_refuses_when_a_mobile_is_unreadable(federation, tmp_path):
    run_import(federation, write_roster(tmp_path / "all.xlsx", GOOD))
    _, result = run_import(
        federation,
        write_roster(tmp_path / "one.xlsx", GOOD[:1]),
        deactivate_missing=True,
        roster_mobiles={"13812345678"},
        invalid_mobiles=1,
    )
    assert result.deactivated == 0 and "误停用" in result.deactivation_skipped
    with federation.session() as session:
        assert session.scalar(select(func.count()).where(Member.active)) == 3


def test_dry_run_writes_nothing(federation, tmp_path):
    _, result = run_import(federation, write_roster(tmp_path / "r.xlsx", GOOD), dry_run=True)
    assert result.created == 3 and result.passwords == []
    assert count(federation, Member) == 0 and count(federation, Account) == 0


def test_a_crash_mid_import_leaves_whole_members_only(federation, tmp_path, monkeypatch):
    rows = [[f"会员{chr(0x4E00 + i)}", f"1360000{i:04d}", "书协", "", "", "", ""] for i in range(7)]
    monkeypatch.setattr(importer, "BATCH_SIZE", 3)
    calls = {"n": 0}
    real = importer.request_hub_sync

    def crash_in_second_batch(session):
        # runs after the batch's inserts, inside its transaction
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("disk full")
        real(session)

    monkeypatch.setattr(importer, "request_hub_sync", crash_in_second_batch)
    result = importer.ImportResult()
    roster = read_roster(write_roster(tmp_path / "r.xlsx", rows))
    with federation.session() as session:
        valid, _ = check_rows(roster, associations_matcher(session, "深圳市"))
    with pytest.raises(RuntimeError):
        apply_rows(federation, valid, result=result)
    # the first batch of three landed whole; nothing of the second batch did
    assert count(federation, Member) == 3
    assert count(federation, Account) == 3
    assert count(federation, Membership) == 3
    # and the passwords kept are exactly those of the accounts that exist
    with federation.session() as session:
        assert {p.username for p in result.passwords} == set(
            session.scalars(select(Account.username))
        )


def test_a_roster_without_optional_columns_keeps_stored_values(federation, tmp_path):
    run_import(federation, write_roster(tmp_path / "full.xlsx", GOOD))
    workbook = Workbook()
    workbook.active.append(["姓名", "手机号", "所属协会"])
    workbook.active.append(["王芳", "13812345678", "书协、美协（理事）"])
    workbook.save(tmp_path / "short.xlsx")
    _, result = run_import(federation, tmp_path / "short.xlsx")
    with federation.session() as session:
        wang = session.scalar(select(Member).where(Member.mobile == "13812345678"))
        assert (wang.email, wang.gender, wang.work_unit) == ("wf@example.com", "F", "深圳画院")
        # the standing column is absent too: stored standings stay
        assert {(m.association.short_name, m.standing) for m in wang.memberships} == {
            ("书协", Standing.council),
            ("美协", Standing.council),
        }
    assert (result.updated, result.unchanged) == (0, 1)


def test_usernames_are_stable_and_collision_safe():
    assert username_base("吕洞宾") == "lvdongbin"
    assert username_base("买买提·艾力") == "maimaitiaili"
    assert username_base("Ａnna") == "anna"
    assert username_base("···") == "member"
    assert derive_username("王芳", "13812345678", set()) == "wangfang5678"
    assert derive_username("汪芳", "13912345678", {"wangfang5678"}) == "wangfang5678b"
    assert len(derive_username("欧阳" * 20, "13812345678", set())) <= 32

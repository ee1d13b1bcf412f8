"""会员 and 学时 in the administrator workspace: the search, a member's page, account actions
and manual study-hours credits — the domain functions (SQLite and PostgreSQL), the CLI that
calls them, and the same functions through the service and a browser on the shared
``admin_platform`` hub (with accounts of this module's own: acct-b, lock-c, web-d, hours-a).
"""

from __future__ import annotations

import io
import os
import re
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from people import Person
from sqlalchemy import select

from hubtest import login_page
from learningdata import account, course, member
from yiyuan import audit
from yiyuan.accounts import admin as accounts
from yiyuan.accounts import login
from yiyuan.accounts.passwords import verify_password
from yiyuan.accounts.throttle import ThrottlePolicy
from yiyuan.cli import cli, main
from yiyuan.clock import local_zone
from yiyuan.completion import credits
from yiyuan.completion.rollup import refresh_enrolments
from yiyuan.demo import DEMO_PASSWORD
from yiyuan.errors import YiyuanError
from yiyuan.members import directory
from yiyuan.models import (
    Account,
    AuditEntry,
    CompletionEvent,
    Enrolment,
    Member,
    ModuleResult,
    ResultStatus,
    Role,
    Standing,
    StudyHours,
    utcnow,
)
from yiyuan.reports import participation
from yiyuan.reports.scope import Scope

CHINESE = re.compile(r"[\u4e00-\u9fff]")
PHONE = {"width": 390, "height": 844}


def _person(session, username, name, *memberships, active=True, role=Role.learner):
    acc = account(session, username, role, active=active)
    acc.display_name = name
    if memberships:
        member(session, acc, *memberships, active=active)
    return acc


@pytest.fixture
def world(database):
    with database.session() as session:
        _person(session, "admin", "管理员甲", role=Role.administrator)
        wang = _person(
            session,
            "wangfang",
            "王芳",
            ("书协", Standing.member),
            ("美协", Standing.council),
            ("音协", Standing.member, False),  # left: history only
        )
        _person(session, "liuyang", "刘洋", ("音协", Standing.member))
        _person(session, "zhaolei", "赵磊", ("作协", Standing.presidium))
        _person(session, "old_one", "老会员", ("书协", Standing.member), active=False)
        c1 = course(session, "c1", [{"code": "m1", "hours": 2.0}, {"code": "m2"}])
        session.add(Enrolment(course_id=c1.id, account_id=wang.id))
        m1 = c1.modules[0]
        session.add(
            ModuleResult(
                account_id=wang.id,
                module_id=m1.id,
                status=ResultStatus.passed,
                score=80.0,
                passed_at=utcnow(),
            )
        )
        session.add(
            StudyHours(account_id=wang.id, hours=2.0, module_id=m1.id, rule="单元通过，计 2.0 学时")
        )
        session.flush()
        refresh_enrolments(session, account_id=wang.id, course_ids=[c1.id])  # as the engine does
        mobile = session.query(Member).filter(Member.account_id == wang.id).one().mobile
    return {"wangfang_mobile": mobile}


def _search(database, **kwargs):
    with database.session() as session:
        rows, total = directory.search_members(session, **kwargs)
        return [r.username for r in rows], total


# --- search and profile ---------------------------------------------------------------------


def test_search_filters_in_sql(database, world):
    assert _search(database) == (["admin", "liuyang", "wangfang", "zhaolei"], 4)
    assert _search(database, text="王")[0] == ["wangfang"]
    assert _search(database, text="WANG")[0] == ["wangfang"]
    assert _search(database, text=world["wangfang_mobile"])[0] == ["wangfang"]
    assert _search(database, text="%")[0] == []  # a wildcard is a character, not "anything"
    assert _search(database, association="书协")[0] == ["wangfang"]
    assert _search(database, association="美术家协会", city="深圳市")[0] == ["wangfang"]
    assert _search(database, association="音协")[0] == ["liuyang"]  # wangfang left it
    assert _search(database, association="美协", standing="理事")[0] == ["wangfang"]
    # the same membership must match both filters
    assert _search(database, association="书协", standing="理事")[0] == []
    assert _search(database, standing="主席团成员")[0] == ["zhaolei"]
    assert _search(database, active=False)[0] == ["old_one"]
    assert _search(database, active=None)[1] == 5
    page, total = _search(database, offset=1, limit=2)
    assert (page, total) == (["liuyang", "wangfang"], 4)
    with database.session() as session:
        rows, _ = directory.search_members(session, text="wangfang")
    (row,) = rows
    assert row.name == "王芳" and "****" in row.mobile and row.mobile != world["wangfang_mobile"]
    assert [(a["association"], a["standing_label"]) for a in row.associations] == [
        ("美协", "理事"),
        ("书协", "会员"),
    ] or [(a["association"], a["standing_label"]) for a in row.associations] == [
        ("书协", "会员"),
        ("美协", "理事"),
    ]
    assert row.active and not row.locked


@pytest.mark.parametrize(
    "kwargs, fragment",
    [({"association": "书画院"}, "未知的协会"), ({"standing": "秘书长"}, "会员身份")],
)
def test_search_refuses_unknown_filters_in_chinese(database, world, kwargs, fragment):
    with database.session() as session, pytest.raises(directory.BadSearch, match=fragment):
        directory.search_members(session, **kwargs)


def test_profile_has_account_memberships_courses_and_ledger(database, world):
    with database.session() as session:
        credits.credit_manual(session, "wangfang", 6, "参加市文联外出培训", "张主任", "admin")
        profile = directory.member_profile(session, "WangFang")
        data = profile.as_json()
    assert (profile.username, profile.display_name, profile.roles) == ("wangfang", "王芳", ["学员"])
    assert profile.active and not profile.locked and profile.last_login_at is None
    assert profile.member["name"] == "王芳" and "****" in profile.member["mobile"]
    joined = {(a["association"], a["standing_label"], a["active"]) for a in profile.associations}
    assert joined == {("书协", "会员", True), ("美协", "理事", True), ("音协", "会员", False)}
    (c1,) = profile.courses
    assert c1.code == "c1" and [m.status for m in c1.modules] == ["passed", "not-started"]
    assert c1.modules[0].score == 80.0
    assert profile.hours_this_year == 8.0
    assert [(line.source, line.hours) for line in profile.ledger] == [
        ("manual", 6.0),
        ("module", 2.0),
    ]
    manual = profile.ledger[0]
    assert (manual.reason, manual.approved_by, manual.rule) == (
        "参加市文联外出培训",
        "张主任",
        "手工计入",
    )
    assert profile.ledger[1].course == "c1" and profile.ledger[1].module
    assert profile.certificates == [] and data["certificates"] == []
    assert data["courses"][0]["passed"] == 1
    with database.session() as session, pytest.raises(accounts.UnknownAccount, match="没有"):
        directory.member_profile(session, "nobody")


# --- account actions ------------------------------------------------------------------------


def _entries(database, action):
    with database.session() as session:
        return [
            (e.actor, e.target, e.summary) for e in audit.entries(session) if e.action == action
        ]


def test_the_members_export_has_this_years_hours(database, world):
    with database.session() as session:
        wang = session.scalar(select(Account).where(Account.username == "wangfang"))
        # a credit of last year is not this year's
        last_year = datetime(utcnow().year - 1, 6, 1, tzinfo=UTC)
        session.add(StudyHours(account_id=wang.id, hours=5.0, rule="旧", credited_at=last_year))
        session.flush()
        lines, _ = directory.search_members(session, limit=None)
        table = directory.as_table(lines, directory.hours_this_year(session))
    assert table.labels[-1] == "今年学时"
    hours = {row["username"]: row["hours"] for row in table.rows}
    assert hours["wangfang"] == 2.0 and hours["liuyang"] == 0.0


def test_deactivate_and_activate_are_audited_and_refuse_oneself(database, world):
    with database.session() as session:
        accounts.deactivate(session, "liuyang", "admin")
        accounts.deactivate(session, "liuyang", "admin")  # again: nothing changes, no entry
    with database.session() as session:
        acc = session.query(Account).filter_by(username="liuyang").one()
        assert not acc.active
        assert not session.query(Member).filter_by(account_id=acc.id).one().active
    assert [e[:2] for e in _entries(database, "account.deactivate")] == [("admin", "liuyang")]
    with database.session() as session:
        accounts.activate(session, "liuyang", "admin")
        assert session.query(Account).filter_by(username="liuyang").one().active
    assert [e[:2] for e in _entries(database, "account.activate")] == [("admin", "liuyang")]
    with database.session() as session, pytest.raises(accounts.SelfDeactivation, match="自己"):
        accounts.deactivate(session, "admin", "admin")
    with database.session() as session, pytest.raises(accounts.UnknownAccount, match="nobody"):
        accounts.activate(session, "nobody", "admin")


def _lock(database, username: str) -> None:
    """Five wrong passwords from a stranger's browser: the account is blocked for strangers."""
    for _ in range(5):
        with database.session() as session:
            login.attempt(session, username, "wrong", login.Client("192.0.2.1"), ThrottlePolicy())


def test_reset_password_and_unlock_are_audited(database, world):
    _lock(database, "liuyang")
    with database.session() as session:
        acc = session.query(Account).filter_by(username="liuyang").one()
        assert directory.member_profile(session, "liuyang").locked
        acc.must_change_password = False
    with database.session() as session:
        password = accounts.reset_password(session, "liuyang", "admin", 8)
    assert len(password) >= 12
    with database.session() as session:
        acc = session.query(Account).filter_by(username="liuyang").one()
        assert verify_password(acc.password_hash, password)
        profile = directory.member_profile(session, "liuyang")
        assert acc.must_change_password and not profile.locked and not profile.throttle.any
    ((actor, target, summary),) = _entries(database, "account.password")
    assert (actor, target) == ("admin", "liuyang") and password not in summary
    # the new password lifted the block: that is an unlock too, in the log
    assert [e[:2] for e in _entries(database, "account.unlock")] == [("admin", "liuyang")]
    _lock(database, "liuyang")
    with database.session() as session:
        accounts.unlock(session, "liuyang", "admin")
    with database.session() as session:
        assert not directory.member_profile(session, "liuyang").throttle.any
        entries = session.query(AuditEntry).filter_by(action="account.unlock").all()
        assert entries[-1].detail == {"was_locked": True, "failures": 5, "clients_blocked": 0}
        assert entries[-1].account_id is not None
        locks = session.query(AuditEntry).filter_by(action="account.lock").all()
        assert [(e.actor, e.target) for e in locks] == [("system", "liuyang")] * 2


# --- manual study hours ---------------------------------------------------------------------


def test_credit_manual_writes_ledger_event_and_audit(database, world):
    day = (datetime.now(local_zone()) - timedelta(days=3)).date()
    with database.session() as session:
        entry = credits.credit_manual(
            session,
            world["wangfang_mobile"],  # a mobile number names the member too
            "6.5",
            "  参加市文联外出培训（2026年11月） ",
            "张主任",
            "admin",
            credited_on=day.isoformat(),
        )
        entry_id = entry.id
    with database.session() as session:
        row = session.get(StudyHours, entry_id)
        assert (row.source, row.module_id, row.rule, row.hours) == ("manual", None, "手工计入", 6.5)
        assert (row.reason, row.approved_by) == ("参加市文联外出培训（2026年11月）", "张主任")
        assert row.credited_at.astimezone(local_zone()).date() == day
        event = session.query(CompletionEvent).filter_by(kind="hours-credited").one()
        assert event.account_id == row.account_id and event.detail["study_hours_id"] == entry_id
        (listed,) = credits.manual_credits(session)
        assert (listed.username, listed.hours, listed.entered_by) == ("wangfang", 6.5, "admin")
        assert listed.date == day.isoformat()
    ((actor, target, summary),) = _entries(database, "hours.manual")
    assert (actor, target) == ("admin", "wangfang") and "6.5 学时" in summary


TOMORROW = (datetime.now(local_zone()) + timedelta(days=1)).date().isoformat()


BAD_CREDITS = [
    ("wangfang", 0, "培训", "张主任", None, "大于 0"),
    ("wangfang", -2, "培训", "张主任", None, "大于 0"),
    ("wangfang", 100.5, "培训", "张主任", None, "不超过 100"),
    ("wangfang", 0.3, "培训", "张主任", None, "0.5 为单位"),
    ("wangfang", "六", "培训", "张主任", None, "不是数字"),
    ("wangfang", "nan", "培训", "张主任", None, "大于 0"),
    ("wangfang", 2, "  ", "张主任", None, "请填写事由"),
    ("wangfang", 2, "长" * 201, "张主任", None, "最多 200 字"),
    ("wangfang", 2, "培训", "", None, "批准人"),
    ("wangfang", 2, "培训", "张" * 33, None, "最多 32 字"),
    ("wangfang", 2, "培训", "张主任", TOMORROW, "晚于今天"),
    ("wangfang", 2, "培训", "张主任", "2026/11/20", "无法识别"),
    ("old_one", 2, "培训", "张主任", None, "已停用"),
    ("nobody", 2, "培训", "张主任", None, "没有用户名"),
]


def test_credit_manual_refuses_bad_input_in_chinese(database, world):
    for who, hours, reason, approver, day, fragment in BAD_CREDITS:
        with database.session() as session, pytest.raises(YiyuanError) as error:
            credits.credit_manual(session, who, hours, reason, approver, "admin", credited_on=day)
        message = str(error.value)
        assert fragment in message and CHINESE.search(message), (hours, reason, message)
    with database.session() as session:
        assert session.query(StudyHours).filter_by(source="manual").count() == 0
        assert session.query(AuditEntry).count() == 0


def test_reports_and_portal_count_manual_credits(database, world):
    """Participation by association (and its total) and the weekly trend add hand-entered
    hours to the module hours; a report limited to a course leaves them out."""
    from yiyuan.reports.filters import ReportFilter

    with database.session() as session:
        credits.credit_manual(session, "wangfang", 6, "外出培训", "张主任", "admin")
        table = participation.by_association(session, Scope.all())
        shufa = next(r for r in table.rows if r["association"] == "书协")
        assert shufa["hours"] == 8.0 and table.totals["hours"] == 8.0
        trend = participation.weekly_trend(session, Scope.all(), weeks=2)
        assert trend.rows[-1]["hours"] == 8.0
        by_course = participation.by_association(
            session, Scope.all(), ReportFilter(courses=("c1",))
        )
        assert by_course.totals["hours"] == 2.0
        # a credit entered by hand is not learning on the platform: liuyang does not become
        # an active learner of the week
        active = trend.rows[-1]["active"]
        credits.credit_manual(session, "liuyang", 3, "外出培训", "张主任", "admin")
        trend = participation.weekly_trend(session, Scope.all(), weeks=2)
        assert trend.rows[-1]["hours"] == 11.0 and trend.rows[-1]["active"] == active


# --- the CLI --------------------------------------------------------------------------------


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_cli_hours_and_users_go_through_the_audited_functions(database, world, db_url, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("YIYUAN_")}
    env.update(YIYUAN_DATA_DIR=str(tmp_path / "data"), YIYUAN_DB_URL=db_url)
    main(register_only=True)
    runner = CliRunner()

    def run(*args):
        return runner.invoke(cli, list(args), env=env)

    rules = run("hours", "rules")
    assert rules.exit_code == 0 and "手工计入" in rules.output and "c1" in rules.output
    credited = run(
        "hours", "credit", "wangfang", "--hours", "6", "--reason", "外出培训",
        "--approver", "张主任", "--date", "2026-01-05", "--actor", "zhangsan",
    )  # fmt: skip
    assert credited.exit_code == 0, credited.output
    assert "计入 6 学时（2026-01-05）" in credited.output
    listed = run("hours", "list", "wangfang")
    assert "外出培训" in listed.output and "批准人 张主任" in listed.output
    bad = run("hours", "credit", "wangfang", "--hours", "0.2", "--reason", "x", "--approver", "y")
    assert bad.exit_code == 1 and "0.5 为单位" in bad.stderr and "Traceback" not in bad.output

    reset = run("users", "reset-password", "liuyang", "--actor", "zhangsan")
    assert reset.exit_code == 0 and "请当面或电话告知本人" in reset.output
    password = re.search(r"初始密码：(\S+)（", reset.output).group(1)
    assert run("users", "deactivate", "liuyang", "--actor", "zhangsan").exit_code == 0
    assert run("users", "activate", "liuyang", "--actor", "zhangsan").exit_code == 0
    assert run("users", "unlock", "liuyang", "--actor", "zhangsan").exit_code == 0
    self_stop = run("users", "deactivate", "admin", "--actor", "admin")
    assert self_stop.exit_code == 1 and "自己" in self_stop.stderr
    setp = runner.invoke(
        cli, ["users", "set-password", "zhaolei", "--actor", "zhangsan"], input="Shanshui-2026\n",
        env=env,
    )  # fmt: skip
    assert setp.exit_code == 0, setp.output
    made = run(
        "users", "create", "xinren", "--name", "新人", "--role", "trainer", "--actor", "zhangsan"
    )
    assert made.exit_code == 0 and "初始密码" in made.output, made.output
    with database.session() as session:
        acc = session.query(Account).filter_by(username="liuyang").one()
        assert verify_password(acc.password_hash, password)
        logged = {(e.actor, e.action, e.target) for e in audit.entries(session)}
    assert logged == {
        ("zhangsan", "hours.manual", "wangfang"),
        ("zhangsan", "account.password", "liuyang"),
        ("zhangsan", "account.deactivate", "liuyang"),
        ("zhangsan", "account.activate", "liuyang"),
        ("zhangsan", "account.unlock", "liuyang"),
        ("zhangsan", "account.password", "zhaolei"),
        ("zhangsan", "account.create", "xinren"),
    }


# --- through the hub --------------------------------------------------------------------------

PASSWORD = "Chushi-2026"
OWN = ("acct-b", "lock-c", "web-d", "hours-a")


@pytest.fixture(scope="module")
def platform(admin_platform):
    for username in OWN:
        admin_platform.cli(
            "users", "create", username, "--name", f"测试{username[-1].upper()}",
            "--password-stdin", stdin=PASSWORD + "\n",
        )  # fmt: skip
    return admin_platform


@pytest.fixture(scope="module")
def admin(platform):
    return Person(platform, "admin")


def test_api_search_and_profile(admin):
    found = admin.call("GET", "api/admin/members", params={"text": "acct-b", "active": "all"})
    assert found.status_code == 200, found.text
    assert found.json()["total"] == 1 and found.json()["members"][0]["username"] == "acct-b"
    shufa = admin.call("GET", "api/admin/members", params={"association": "书协"}).json()
    assert "wangfang" in [m["username"] for m in shufa["members"]]
    assert all("****" in m["mobile"] for m in shufa["members"])
    bad = admin.call("GET", "api/admin/members", params={"association": "书画院"})
    assert bad.status_code == 400 and "未知的协会" in bad.json()["error"]
    bad_state = admin.call("GET", "api/admin/members", params={"active": "maybe"})
    assert bad_state.status_code == 400
    profile = admin.call("GET", "api/admin/members/wangfang").json()
    assert profile["member"]["name"] == "王芳" and profile["certificates"] == []
    assert {a["association"] for a in profile["associations"]} >= {"书协", "美协"}
    missing = admin.call("GET", "api/admin/members/nobody")
    assert missing.status_code == 404 and "没有用户名" in missing.json()["error"]
    assert admin.call("POST", "api/admin/members/nobody/unlock").status_code == 404


def test_export_the_search_as_excel_and_csv(admin):
    masked = admin.call("GET", "api/admin/export/members", params={"association": "书协"})
    assert masked.status_code == 200 and masked.headers["Cache-Control"] == "no-store"
    rows = list(load_workbook(io.BytesIO(masked.content)).active.values)
    assert rows[0][:3] == ("用户名", "姓名", "手机号")
    wangfang = next(r for r in rows if r[0] == "wangfang")
    assert wangfang[2] == "199****0001" and "书协（会员）" in wangfang[6]
    full = admin.call(
        "GET",
        "api/admin/export/members",
        params={"text": "wangfang", "format": "csv", "show_mobile": "1"},
    )
    assert full.content.startswith("\ufeff".encode()) and "19900000001" in full.text
    bad = admin.call("GET", "api/admin/export/members", params={"format": "pdf"})
    assert bad.status_code == 400 and "xlsx 或 csv" in bad.json()["error"]


def test_reset_deactivate_activate_through_the_api(platform, admin):
    reset = admin.call("POST", "api/admin/members/acct-b/reset-password")
    assert reset.status_code == 200, reset.text
    password = reset.json()["password"]
    first = platform.browser().login("acct-b", password)
    assert first.ok and "/hub/change-password" in first.url  # must set their own first
    assert not platform.browser().login("acct-b", PASSWORD).url.endswith("change-password")

    refused = admin.call("POST", "api/admin/members/admin/deactivate")
    assert refused.status_code == 400 and "自己" in refused.json()["error"]
    assert admin.call("POST", "api/admin/members/acct-b/deactivate").json()["active"] is False
    stopped = platform.browser().login("acct-b", password)
    assert stopped.status_code == 403 and "已停用" in stopped.text
    assert admin.call("POST", "api/admin/members/acct-b/activate").json()["active"] is True
    assert "/hub/change-password" in platform.browser().login("acct-b", password).url
    log = admin.call("GET", "api/audit", params={"actor": "admin"}).json()["entries"]
    done = [(e["action_key"], e["target"]) for e in log if e["target"] == "acct-b"]
    assert ("account.password", "acct-b") in done and ("account.deactivate", "acct-b") in done
    assert ("account.activate", "acct-b") in done


def test_unlock_after_five_wrong_passwords(platform, admin):
    owner = platform.browser()
    assert owner.login("lock-c", PASSWORD).ok  # this browser is now a known client
    owner.get("/hub/logout")
    stranger = platform.browser()
    for _ in range(5):
        stranger.login("lock-c", "wrong-password")
    locked = platform.browser().login("lock-c", PASSWORD)
    assert locked.status_code == 403 and "稍后再试" in locked.text and "锁定" not in locked.text
    profile = admin.call("GET", "api/admin/members/lock-c").json()
    assert profile["locked"] is True
    assert profile["throttle"]["failures"] == 5 and profile["throttle"]["refused"] == 1
    page = admin.call("GET", "admin/members/lock-c").text
    assert "暂停登录至" in page and 'data-action="unlock"' in page
    # the owner's own browser is not kept out by a stranger's guesses
    assert owner.login("lock-c", PASSWORD, allow_redirects=False).status_code == 302
    assert admin.call("POST", "api/admin/members/lock-c/unlock").status_code == 200
    assert platform.browser().login("lock-c", PASSWORD).ok
    assert 'data-action="unlock"' not in admin.call("GET", "admin/members/lock-c").text
    log = admin.call("GET", "api/audit").json()["entries"]
    done = [(e["actor"], e["action_key"]) for e in log if e["target"] == "lock-c"]
    assert ("system", "account.lock") in done and ("admin", "account.unlock") in done


def test_manual_credit_through_the_api(admin):
    body = {
        "username": "hours-a",
        "hours": 6,
        "date": "2026-11-20",
        "reason": "参加市文联外出培训（2026年11月）",
        "approver": "张主任",
    }
    made = admin.call("POST", "api/admin/hours/credits", json=body)
    assert made.status_code == 201, made.text
    assert made.json()["credit"]["entered_by"] == "admin"
    bad = admin.call("POST", "api/admin/hours/credits", json={**body, "hours": 0.3})
    assert bad.status_code == 400 and "0.5 为单位" in bad.json()["error"]
    unknown = admin.call("POST", "api/admin/hours/credits", json={**body, "username": "nobody"})
    assert unknown.status_code == 404
    profile = admin.call("GET", "api/admin/members/hours-a").json()
    assert profile["hours_this_year"] == 6
    (line,) = profile["ledger"]
    assert (line["reason"], line["approved_by"], line["date"]) == (
        body["reason"],
        "张主任",
        "2026-11-20",
    )
    listed = admin.call("GET", "api/admin/hours/credits").json()
    assert any(c["username"] == "hours-a" and c["entered_by"] == "admin" for c in listed["credits"])
    assert listed["rules"]["modules"]  # yinyue-jichu's modules with their hours


ROUTES = [
    ("GET", "admin/members"),
    ("GET", "admin/members/acct-b"),
    ("GET", "admin/hours"),
    ("GET", "api/admin/members"),
    ("GET", "api/admin/members/acct-b"),
    ("POST", "api/admin/members/acct-b/deactivate"),
    ("POST", "api/admin/members/acct-b/activate"),
    ("POST", "api/admin/members/acct-b/reset-password"),
    ("POST", "api/admin/members/acct-b/unlock"),
    ("GET", "api/admin/hours/credits"),
    ("POST", "api/admin/hours/credits"),
]


@pytest.mark.parametrize("username", ["wangfang", "lihua", "chenjing"])
def test_learner_trainer_and_manager_are_refused(platform, username):
    person = Person(platform, username)
    for method, path in ROUTES:
        response = person.call(method, path, json={} if method == "POST" else None)
        assert response.status_code == 403, (username, method, path, response.status_code)


def test_cookie_post_without_xsrf_is_refused(platform):
    browser = platform.browser()
    assert browser.login("admin", DEMO_PASSWORD).ok
    page = browser.get("/services/yiyuan/admin/members")  # through the OAuth dance
    assert page.status_code == 200 and "查找会员" in page.text
    url = f"{platform.url}/services/yiyuan/api/admin/members/lock-c/unlock"
    refused = browser.session.post(url, json={}, timeout=30)
    assert refused.status_code in (401, 403)
    with_token = browser.session.post(
        url, json={}, timeout=30, headers={"X-XSRFToken": browser.xsrf("/services/yiyuan/")}
    )
    assert with_token.status_code == 200, with_token.text


@pytest.mark.browser
def test_admin_finds_resets_and_credits_in_the_browser(platform, chromium, artifacts):
    prefix = f"{platform.url}/services/yiyuan/"
    page = login_page(chromium, platform, "admin")
    page.wait_for_load_state()
    page.goto(prefix + "admin/members")
    page.get_by_label("姓名/用户名/手机号", exact=True).fill("web-d")
    page.get_by_label("状态", exact=True).select_option("all")
    page.get_by_role("button", name="查找").click()
    page.wait_for_url(re.compile(r"text=web-d"))
    page.get_by_role("link", name="web-d").click()
    page.wait_for_url(re.compile(r"admin/members/web-d$"))
    page.get_by_label("我确认重置密码", exact=False).check()
    page.get_by_role("button", name="重置密码").click()
    shown = page.locator(".password")
    shown.wait_for()
    password = shown.inner_text().strip()
    assert len(password) >= 12
    assert page.get_by_text("请当面或电话告知本人，登录后须修改").is_visible()
    page.screenshot(path=str(artifacts / "admin-member.png"), full_page=True)
    page.reload()
    assert page.locator(".password").count() == 0  # shown once
    assert "/hub/change-password" in platform.browser().login("web-d", password).url

    page.goto(prefix + "admin/hours")
    page.get_by_label("用户名或手机号", exact=True).fill("web-d")
    page.get_by_label("学时", exact=True).fill("6")
    page.get_by_label("事由", exact=True).fill("参加市文联外出培训（2026年11月）")
    assert page.get_by_label("批准人", exact=True).input_value()  # the admin's own name
    page.get_by_role("button", name="计入学时").click()
    page.wait_for_url(re.compile(r"credited=\d+"))
    assert "已为" in page.locator("[data-credited]").inner_text()
    page.screenshot(path=str(artifacts / "admin-hours.png"), full_page=True)

    page.goto(prefix + "admin/members/web-d")
    ledger = page.locator("tr[data-source=manual]")
    assert "参加市文联外出培训（2026年11月）" in ledger.inner_text()
    page.goto(prefix + "admin/members")
    page.screenshot(path=str(artifacts / "admin-members.png"), full_page=True)
    page.context.close()

    phone = login_page(chromium, platform, "admin", viewport=PHONE)
    phone.wait_for_load_state()
    phone.goto(prefix + "admin/members/web-d")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"] + 1  # tables scroll inside their own box
    phone.screenshot(path=str(artifacts / "admin-member-390.png"), full_page=True)
    phone.context.close()

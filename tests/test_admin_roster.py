"""导入名册 in the browser: upload → preview → confirm → error report and passwords (once).

Domain tests of the shared import (``members.rosterimport``, also behind ``yiyuan members
import``) and of the staged uploads on SQLite and PostgreSQL; then the shared
``admin_platform`` hub over HTTP (through the hub's proxy, as browsers reach it) and in
Chromium. Mobile numbers 137000001xx–137000003xx are this module's own.
"""

from __future__ import annotations

import io
import json
import os
import stat
import time
import zipfile

import pytest
import requests
from openpyxl import Workbook, load_workbook
from people import Person
from sqlalchemy import func, select

from hubtest import login_page
from rosters import write_roster
from yiyuan import audit
from yiyuan.associations.records import ensure_standard_associations
from yiyuan.db import Database
from yiyuan.members import rosterimport, uploads
from yiyuan.models import AuditEntry, Member

HEADER = ["姓名", "手机号", "所属协会", "会员身份", "备注"]
FORMULA = '=HYPERLINK("http://evil.example","点我")'
PHONE = {"width": 390, "height": 844}


def messy_rows(prefix: str) -> list[list]:
    """Three good rows and four rejected ones (rows 3–5 good, 6–9 rejected, in file rows)."""
    return [
        ["林晓燕", f"{prefix}01", "书协、美协", "理事", "甲"],
        ["郭建华", f"{prefix}02", "音协", "", ""],
        ["何静", f"{prefix}03", "美协", "会员", ""],
        ["钱多", "1370000", "书协", "", ""],  # bad mobile
        ["韩梅", f"{prefix}05", "书法协会", "", ""],  # near-miss association
        ["林晓燕二", f"{prefix}01", "书协", "", ""],  # same mobile as the first row
        [FORMULA, "1370000999", "书协", "", ""],  # a formula where a name goes, bad mobile
    ]


def messy_xlsx(prefix: str) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["2026年会员名册"])
    sheet.append(HEADER)
    for row in messy_rows(prefix):
        sheet.append(row)
    for cell in sheet["A"]:
        if isinstance(cell.value, str) and cell.value.startswith("="):
            cell.data_type = "s"  # text that looks like a formula, as exported rosters have
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# -- domain: the shared import ----------------------------------------------------------------


@pytest.fixture
def federation(database):
    with database.session() as session:
        ensure_standard_associations(session, "深圳市")
    return database


def _members(database) -> int:
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(Member))


def test_preview_writes_nothing_then_the_import_lands_and_is_audited(federation, tmp_path):
    path = write_roster(tmp_path / "名册.xlsx", HEADER, messy_rows("137000001"), title="名册")
    checked = rosterimport.check(federation, "深圳市", path)
    assert (len(checked.roster.rows), len(checked.rows)) == (7, 3)

    preview = rosterimport.apply(federation, checked, actor="admin", dry_run=True)
    assert preview.counts() == {
        "created": 3,
        "updated": 0,
        "unchanged": 0,
        "reactivated": 0,
        "deactivated": 0,
        "rejected": 4,
    }
    assert preview.summary().startswith("【试运行，未写入】新增 3 人")
    assert preview.changes["created"] == [
        "林晓燕（137****0101）",
        "郭建华（137****0102）",
        "何静（137****0103）",
    ]
    data = preview.as_json()
    assert data["ignored_headers"] == ["备注"]
    rejected = {row["row"]: row["reasons"] for row in data["rejected"]}
    assert set(rejected) == {6, 7, 8, 9}
    assert rejected[7][0]["column"] == "所属协会" and "书协" in rejected[7][0]["reason"]
    assert "第 3 行" in rejected[8][0]["reason"]
    assert rejected[9][0]["column"] == "手机号"
    assert data["rejected"][-1]["name"] == FORMULA
    assert json.loads(json.dumps(data)) == data  # stored as JSON between the steps
    # nothing written, not even the audit entry
    assert _members(federation) == 0
    with federation.session() as session:
        assert audit.entries(session) == []

    done = rosterimport.apply(
        federation, rosterimport.check(federation, "深圳市", path), actor="ops"
    )
    assert done.counts()["created"] == 3 and len(done.result.passwords) == 3
    assert _members(federation) == 3
    with federation.session() as session:
        (entry,) = audit.entries(session)
        assert (entry.actor, entry.action, entry.target) == ("ops", "members.import", "名册.xlsx")
        assert entry.detail["created"] == 3 and entry.detail["rejected"] == 4
        assert "新增 3 人" in entry.summary

    # a renamed member shows as updated; the deactivation is previewed by name
    rows = messy_rows("137000001")[:2]
    rows[1][0] = "郭建国"
    write_roster(path, HEADER, rows)
    checked = rosterimport.check(federation, "深圳市", path)
    again = rosterimport.apply(
        federation, checked, actor="ops", dry_run=True, deactivate_missing=True
    )
    assert (again.counts()["unchanged"], again.counts()["updated"]) == (1, 1)
    assert again.changes["updated"] == ["郭建国（137****0102）"]
    assert again.changes["deactivated"] == ["何静（137****0103）"]
    with federation.session() as session:
        assert session.scalar(select(Member.name).where(Member.mobile == "13700000102")) == "郭建华"
        assert session.scalar(select(func.count()).select_from(AuditEntry)) == 1


def test_staged_upload_previews_confirms_once_and_hands_out_passwords_once(federation, tmp_path):
    data_dir = tmp_path / "data"
    upload = uploads.create(data_dir, "admin", "名册.xlsx", messy_xlsx("137000001"), False)
    assert stat.S_IMODE(upload.folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(upload.file.stat().st_mode) == 0o600
    preview = uploads.preview(federation, "深圳市", upload, "admin")
    assert preview["counts"]["created"] == 3 and _members(federation) == 0
    assert upload.error_report.exists()

    found = uploads.find(data_dir, upload.token)
    assert [u.token for u in uploads.recent(data_dir)] == [upload.token]
    assert found.as_json()["preview"] == preview and found.meta.state == uploads.PREVIEWED
    result = uploads.confirm(federation, "深圳市", found, "admin")
    assert result["counts"]["created"] == 3 and _members(federation) == 3
    assert uploads.find(data_dir, upload.token).as_json()["state"] == uploads.IMPORTED
    with pytest.raises(uploads.AlreadyConfirmed):
        uploads.confirm(federation, "深圳市", found, "admin")
    assert _members(federation) == 3

    assert stat.S_IMODE(found.passwords.stat().st_mode) == 0o600
    sheet = list(load_workbook(io.BytesIO(found.take_passwords())).active.values)
    assert [row[2] for row in sheet[1:]] == ["linxiaoyan0101", "guojianhua0102", "hejing0103"]
    assert not found.passwords.exists()
    with pytest.raises(uploads.PasswordsGone, match="初始密码已下载过一次"):
        found.take_passwords()

    for token in ("../" + upload.token, "a" * 32, upload.token[:-1], "", "x/../y"):
        with pytest.raises(uploads.UploadNotFound):
            uploads.find(data_dir, token)


@pytest.mark.parametrize(
    "name",
    [
        "../名册.xlsx",
        "a/b.xlsx",
        "a\\b.csv",
        "名册..xlsx",
        "名\x00册.xlsx",
        "名\u202e册.xlsx",
        "x" * 120 + ".csv",
        "名册.exe",
        "名册.xls",
        "名册",
        "",
    ],
)
def test_hostile_or_wrong_names_are_refused(name):
    with pytest.raises(uploads.UploadRefused):
        uploads.check_name(name)


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("名册.xlsx", "姓名,手机号\n".encode(), "不是有效的 Excel"),
        ("名册.csv", b"", "空的"),
        ("名册.xlsx", b"", "空的"),
        ("名册.csv", b"PK\x03\x04rest", "实际上是 Excel"),
        ("名册.csv", bytes(range(128, 256)) * 4, "UTF-8 或 GBK"),
    ],
)
def test_content_that_is_not_what_the_name_says_is_refused(name, content, reason):
    with pytest.raises(uploads.UploadRefused, match=reason):
        uploads.check_content(name, content)
    uploads.check_content("名册.csv", "姓名,手机号\n王芳,13812345678\n".encode("gbk"))


# -- the hub: HTTP through the proxy ----------------------------------------------------------

API = "api/admin/roster/uploads"


@pytest.fixture(scope="module")
def admin(admin_platform):
    return Person(admin_platform, "admin")


@pytest.fixture(scope="module")
def staged(admin):
    """A previewed upload, never confirmed (for the permission checks)."""
    response = admin.call("POST", f"{API}?name=staged.xlsx", data=messy_xlsx("137000003"))
    assert response.status_code == 201, response.text
    return response.json()["token"]


def _platform_db(hub) -> Database:
    return Database(f"sqlite:///{hub.data_dir / 'yiyuan.sqlite'}")


def _members_with(hub, prefix: str) -> dict[str, str]:
    database = _platform_db(hub)
    try:
        with database.session() as session:
            return dict(
                session.execute(
                    select(Member.mobile, Member.name).where(Member.mobile.like(prefix + "%"))
                ).all()
            )
    finally:
        database.dispose()


def test_messy_roster_preview_confirm_passwords_and_error_report(admin_platform, admin):
    response = admin.call(
        "POST", f"{API}?name=会员名册.xlsx&deactivate_missing=0", data=messy_xlsx("137000001")
    )
    assert response.status_code == 201, response.text
    token, preview = response.json()["token"], response.json()["preview"]
    assert preview["counts"]["created"] == 3 and preview["counts"]["rejected"] == 4
    rejected = {row["row"]: row["reasons"] for row in preview["rejected"]}
    assert set(rejected) == {6, 7, 8, 9}
    assert rejected[9][0]["value"] == "1370000999"
    assert _members_with(admin_platform, "137000001") == {}  # the preview wrote nothing

    state = admin.call("GET", f"{API}/{token}").json()
    assert (state["state"], state["file"], state["result"]) == ("previewed", "会员名册.xlsx", None)
    early = admin.call("POST", f"{API}/{token}/passwords")
    assert early.status_code == 409

    confirmed = admin.call("POST", f"{API}/{token}/confirm")
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["result"]["counts"]["created"] == 3
    assert _members_with(admin_platform, "137000001") == {
        "13700000101": "林晓燕",
        "13700000102": "郭建华",
        "13700000103": "何静",
    }
    again = admin.call("POST", f"{API}/{token}/confirm")
    assert again.status_code == 409 and "已经确认导入过" in again.json()["error"]

    passwords = admin.call("POST", f"{API}/{token}/passwords")
    assert passwords.status_code == 200
    assert "attachment" in passwords.headers["Content-Disposition"]
    sheet = list(load_workbook(io.BytesIO(passwords.content)).active.values)
    logins = {row[2]: row[3] for row in sheet[1:]}
    assert set(logins) == {"linxiaoyan0101", "guojianhua0102", "hejing0103"}
    # who took the passwords is on record (once: the refused second try is not)
    taken = admin.call("GET", "api/audit", params={"action": "members.passwords"}).json()
    assert [(e["actor"], e["target"]) for e in taken["entries"]][:1] == [("admin", "会员名册.xlsx")]
    gone = admin.call("POST", f"{API}/{token}/passwords")
    assert gone.status_code == 410
    again = admin.call("GET", "api/audit", params={"action": "members.passwords"}).json()
    assert len(again["entries"]) == len(taken["entries"])
    assert gone.json()["error"].startswith("初始密码已下载过一次")
    assert "重置密码" in gone.json()["error"]
    # the initial password works (the hub then asks for a new one)
    member = admin_platform.browser()
    member.login("hejing0103", logins["hejing0103"])
    assert member.get("/hub/api/user", headers={"X-XSRFToken": member.xsrf()}).ok

    report = admin.call("GET", f"{API}/{token}/errors")
    assert report.status_code == 200
    sheet = load_workbook(io.BytesIO(report.content)).active
    assert [row[0].value for row in sheet.iter_rows(min_row=2)] == [6, 7, 8, 9]
    formula_cell = sheet.cell(5, 2)
    assert (formula_cell.value, formula_cell.data_type) == (FORMULA, "s")
    xml = zipfile.ZipFile(io.BytesIO(report.content)).read("xl/worksheets/sheet1.xml")
    assert b"<f>" not in xml and b"<f " not in xml  # text, never a formula

    with _platform_db(admin_platform).session() as session:
        entry = session.scalars(
            select(AuditEntry)
            .where(AuditEntry.action == "members.import", AuditEntry.target == "会员名册.xlsx")
            .order_by(AuditEntry.id.desc())
        ).first()
        assert entry.actor == "admin" and entry.detail["created"] == 3


def test_refusals_arrive_in_chinese_through_the_proxy(admin_platform, admin):
    big = b"PK\x03\x04" + b"\0" * (11 * 1024 * 1024)
    response = admin.call("POST", f"{API}?name=大名册.xlsx", data=big)
    assert response.status_code == 413, response.text[:200]
    assert "10 MB" in response.json()["error"]
    # the connection is still good for the next request
    assert admin.call("GET", f"{API}/{'a' * 32}").status_code == 404

    header_only = io.BytesIO()
    workbook = Workbook()
    workbook.active.append(HEADER)
    workbook.save(header_only)
    for name, body, reason in [
        ("../x.xlsx", messy_xlsx("137000001"), "不能含有路径"),
        ("名册.exe", b"MZ\x90\x00", "只能上传 .xlsx 或 .csv"),
        ("名册.xlsx", "姓名,手机号,所属协会\n".encode(), "不是有效的 Excel"),
        ("名册.csv", b"", "空的"),
        ("名册.xlsx", header_only.getvalue(), "只有表头"),
    ]:
        refused = admin.call("POST", API, params={"name": name}, data=body)
        assert refused.status_code == 400, (name, refused.text)
        assert reason in refused.json()["error"], (name, refused.json())


def test_learners_trainers_and_managers_get_403_everywhere(admin_platform, staged):
    for username in ("wangfang", "lihua", "chenjing"):
        person = Person(admin_platform, username)
        for method, path in [
            ("GET", "admin/roster"),
            ("GET", f"admin/roster/{staged}"),
            ("POST", f"{API}?name=x.xlsx"),
            ("GET", f"{API}/{staged}"),
            ("POST", f"{API}/{staged}/confirm"),
            ("GET", f"{API}/{staged}/errors"),
            ("POST", f"{API}/{staged}/passwords"),
        ]:
            data = messy_xlsx("137000003") if path.startswith(f"{API}?") else None
            response = person.call(method, path, data=data)
            assert response.status_code == 403, (username, method, path, response.status_code)
    assert _members_with(admin_platform, "137000003") == {}


def test_a_cookie_authenticated_post_needs_the_xsrf_header(admin_platform, admin, staged):
    browser = admin.browser  # logged in to the hub; the service's cookie comes by OAuth
    assert browser.get("/services/yiyuan/admin/roster").status_code == 200
    base = f"{admin_platform.url}/services/yiyuan/"
    refused = browser.session.post(base + f"{API}/{staged}/confirm", timeout=30)
    assert refused.status_code in (401, 403)
    upload = browser.session.post(base + f"{API}?name=x.xlsx", data=b"PK\x03\x04", timeout=30)
    assert upload.status_code in (401, 403)
    xsrf = browser.xsrf("/services/yiyuan/")
    assert xsrf
    # the same upload with the header is accepted (and refused only for its content)
    headed = browser.session.post(
        base + f"{API}?name=x.xlsx",
        data=b"PK\x03\x04",
        headers={"X-XSRFToken": xsrf},
        timeout=30,
    )
    assert headed.status_code == 400 and "Excel" in headed.json()["error"]
    assert admin.call("GET", f"{API}/{staged}").json()["state"] == "previewed"


# -- the browser ------------------------------------------------------------------------------


@pytest.mark.browser
def test_admin_uploads_previews_confirms_in_the_browser(
    admin_platform, chromium, artifacts, tmp_path
):
    roster = tmp_path / "协会名册.xlsx"
    roster.write_bytes(messy_xlsx("137000002"))
    page = login_page(chromium, admin_platform, "admin", next_url="/services/yiyuan/admin/roster")
    page.wait_for_url("**/services/yiyuan/admin/roster")
    page.get_by_role("heading", name="导入会员名册").wait_for()
    page.screenshot(path=artifacts / "admin-roster.png", full_page=True)

    page.get_by_label("名册文件", exact=True).set_input_files(str(roster))
    page.get_by_role("button", name="上传并预览").click()
    page.wait_for_url("**/admin/roster/*")
    page.get_by_role("heading", name="被拒绝的行（4 行）").wait_for()
    assert page.locator("td[data-count=created]").inner_text() == "3 人"
    assert page.locator("table.rejected tr[data-row='9']").count() == 1
    assert FORMULA in page.locator("table.rejected").inner_text()  # shown as text
    assert _members_with(admin_platform, "137000002") == {}
    page.screenshot(path=artifacts / "admin-roster-preview.png", full_page=True)

    confirm = page.get_by_role("button", name="确认导入")
    assert confirm.is_disabled()
    page.get_by_label("我已核对以上内容", exact=True).check()
    confirm.click()
    page.get_by_role("heading", name="导入完成：协会名册.xlsx").wait_for()
    assert page.locator("td[data-count=created]").inner_text() == "3 人"
    assert len(_members_with(admin_platform, "137000002")) == 3
    with page.expect_download() as download:
        page.get_by_role("button", name="下载初始密码（仅一次）").click()
    saved = tmp_path / "passwords.xlsx"
    download.value.save_as(saved)
    assert len(list(load_workbook(saved).active.values)) == 4
    page.get_by_text("初始密码已下载").wait_for()
    page.screenshot(path=artifacts / "admin-roster-done.png", full_page=True)
    url = page.url
    page.goto(f"{admin_platform.url}/services/yiyuan/admin/roster")
    row = page.locator("table.recent tr", has_text="协会名册.xlsx")
    assert "已导入" in row.inner_text() and "初始密码未下载" not in row.inner_text()

    # one of the new members: found by mobile number, password reset, and they log in with it
    page.goto(f"{admin_platform.url}/services/yiyuan/admin/members?text=13700000203")
    page.locator("tr", has_text="何静").get_by_role("link").first.click()
    page.wait_for_url("**/admin/members/*")
    username = page.url.rsplit("/", 1)[1]
    page.get_by_label("我确认重置密码", exact=False).check()
    page.get_by_role("button", name="重置密码").click()
    password = page.locator(".password").inner_text().strip()
    landed = admin_platform.browser().login(username, password)
    assert "/hub/change-password" in landed.url  # logged in; first asked for a new password
    page.context.close()

    phone = login_page(chromium, admin_platform, "admin", viewport=PHONE, next_url=url)
    phone.get_by_role("heading", name="导入完成：协会名册.xlsx").wait_for()
    assert phone.get_by_text("初始密码已下载过一次").count() == 1
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    phone.screenshot(path=artifacts / "admin-roster-390.png", full_page=True)
    phone.context.close()


def test_passwords_are_never_readable_by_others_on_disk(admin_platform):
    for folder in uploads.root(admin_platform.data_dir).iterdir():
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        for file in folder.iterdir():
            assert stat.S_IMODE(file.stat().st_mode) == 0o600, file


def test_requests_without_login_are_refused(admin_platform, staged):
    base = f"{admin_platform.url}/services/yiyuan/"
    assert requests.get(base + f"{API}/{staged}", timeout=30).status_code == 401


def test_the_cli_import_is_audited_with_its_actor(admin_platform, tmp_path):
    path = write_roster(
        tmp_path / "命令行名册.csv.xlsx", HEADER, [["钟琴", "13700000401", "音协", "", ""]]
    )
    done = admin_platform.cli("members", "import", str(path), "--actor", "zhangsan", "--no-sync")
    assert "新增 1 人" in done.stdout
    with _platform_db(admin_platform).session() as session:
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.target == "命令行名册.csv.xlsx")
        ).one()
        assert (entry.actor, entry.action, entry.detail["created"]) == (
            "zhangsan",
            "members.import",
            1,
        )


def test_old_uploads_are_removed_at_the_next_upload(tmp_path):
    roster = "姓名,手机号,协会\n王芳,13800000001,书协\n".encode()
    old = uploads.create(tmp_path, "admin", "旧名册.csv", roster, False)
    recent = uploads.create(tmp_path, "admin", "新名册.csv", roster, False)
    long_ago = time.time() - (uploads.KEEP_DAYS + 1) * 86400
    os.utime(old.folder / "meta.json", (long_ago, long_ago))
    uploads.create(tmp_path, "admin", "今天的名册.csv", roster, False)
    assert not old.folder.exists()
    assert recent.folder.exists()
    assert len(uploads.recent(tmp_path)) == 2

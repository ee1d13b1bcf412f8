"""结业证书 in the administrator workspace: what a member's page and a class's page read
(SQLite and PostgreSQL), then the shared ``admin_platform`` hub: revoke, reissue and issue by
hand through the API (and their refusals), the class's certificate setting, the batch job in
its own process until done, the ZIP and the register; learners, trainers and managers refused;
the two pages in a browser.

This module's own people (cert-a 周文华 and cert-b 吴晓梅 completed 音乐基础, cert-c 郑国强
did not) are written into the hub's database directly: how a learner completes a course is
tested elsewhere.
"""

from __future__ import annotations

import io
import re
import time
import zipfile

import pytest
from openpyxl import load_workbook
from people import Person

from hubtest import login_page
from learningdata import T0, account, course, member
from yiyuan import cohorts
from yiyuan.certificates import issuing
from yiyuan.db import Database
from yiyuan.models import CohortMember, CourseCompletion, Role, Standing
from yiyuan.service.certificate_views import (
    cohort_certificates,
    member_certificates,
)
from yiyuan.settings import load_settings

COURSE = "yinyue-jichu"
COHORT = "2026-zs-api"
UI_COHORT = "2026-zs-ui"
PEOPLE = {"cert-a": "周文华", "cert-b": "吴晓梅", "cert-c": "郑国强"}
COMPLETED = ("cert-a", "cert-b")
PHONE = {"width": 390, "height": 844}


# --- what the pages read, on both databases ---------------------------------------------------


def test_member_and_class_figures(database, tmp_path):
    settings = load_settings({"YIYUAN_DATA_DIR": str(tmp_path / "data")})
    with database.session() as session:
        learner = account(session, "wenhua")
        c1 = course(session, "c1", [{"code": "m1"}])
        c2 = course(session, "c2", [{"code": "m1"}])
        course(session, "c3", [{"code": "m1"}])
        for done in (c1, c2):
            session.add(CourseCompletion(account_id=learner.id, course_id=done.id, completed_at=T0))
        whole = cohorts.create_cohort(
            session, code="k-whole", name="第一期", starts_on="2027-01-01",
            ends_on="2027-03-01", courses=["c1", "c2"],
        )  # fmt: skip
        part = cohorts.create_cohort(
            session, code="k-part", name="第二期", starts_on="2027-01-01",
            ends_on="2027-03-01", courses=["c1", "c3"],
        )  # fmt: skip
        session.add_all(
            CohortMember(cohort_id=c.id, account_id=learner.id, source="admin")
            for c in (whole, part)
        )
        session.flush()
        found = member_certificates(session, "wenhua", "/p/")
        assert found["certificates"] == []
        # both completed courses; no class: neither has a certificate
        assert [i["code"] for i in found["issuable"]] == ["c1", "c2"]
        for cohort in (whole, part):
            cohorts.update_cohort(
                session, cohort.code, certificate={"title": "结业证书"}, actor="admin"
            )
        found = member_certificates(session, "wenhua", "/p/")
        # and now the class whose every course is completed; not 第二期
        assert [(i["kind"], i["code"]) for i in found["issuable"]] == [
            ("course", "c1"),
            ("course", "c2"),
            ("cohort", "k-whole"),
        ]
        made = issuing.issue_by_hand(
            session, learner.id, course_code="c1", reason="补录", actor="admin"
        )
        issuing.reissue(session, made.serial, reason="姓名有误", actor="admin", name="周文華")
        issuing.issue_by_hand(
            session, learner.id, cohort_code="k-whole", reason="补录", actor="admin"
        )
        found = member_certificates(session, "wenhua", "/p/")
        assert [i["code"] for i in found["issuable"]] == ["c2"]
        lines = {(c["subject"], c["edition"]): c for c in found["certificates"]}
        old, new = lines[("c1", 1)], lines[("c1", 2)]
        assert (old["state"], old["newest"], old["revoked_by"]) == ("已撤销", False, "admin")
        assert old["revoked_reason"] == "重新颁发：姓名有误"
        assert (new["state"], new["newest"], new["name"], new["replaces"]) == (
            "有效",
            True,
            "周文華",
            old["serial"],
        )
        assert new["pdf"] == f"/p/certificates/{new['serial']}.pdf"
        assert lines[("第一期", 1)]["kind_label"] == "期次"
        assert member_certificates(session, "nobody", "/p/") == {
            "certificates": [],
            "issuable": [],
        }

        figures = cohort_certificates(session, settings, whole)
        assert figures["certificate"]["title"] == "结业证书"
        assert (figures["valid"], figures["revoked"], figures["job"]) == (1, 0, None)
        cohorts.update_cohort(
            session, "k-part", certificate={"title": "培训证书", "issuer": "federation"},
            actor="admin",
        )  # fmt: skip
        figures = cohort_certificates(session, settings, part)
        assert figures["certificate"]["title"] == "培训证书"
        assert figures["certificate"]["issuer_name"] == settings.federation_name
        cohorts.update_cohort(session, "k-part", certificate={}, actor="admin")
        assert cohort_certificates(session, settings, part)["certificate"] is None


# --- through the hub ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def platform(admin_platform):
    """This module's people, written into the hub's database."""
    database = Database(f"sqlite:///{admin_platform.data_dir / 'yiyuan.sqlite'}")
    from sqlalchemy import select

    from yiyuan.models import Course

    with database.session() as session:
        music = session.scalar(select(Course).where(Course.code == COURSE))
        for username, name in PEOPLE.items():
            person = account(session, username, Role.learner)
            person.display_name = name
            member(session, person, ("音协", Standing.member))
            if username in COMPLETED:
                session.add(
                    CourseCompletion(account_id=person.id, course_id=music.id, completed_at=T0)
                )
    database.dispose()
    return admin_platform


@pytest.fixture(scope="module")
def admin(platform):
    return Person(platform, "admin")


def _serials(admin, username):
    answer = admin.call("GET", f"api/admin/members/{username}/certificates")
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_issue_revoke_and_reissue_through_the_api(admin):
    issuable = _serials(admin, "cert-a")["issuable"]
    assert [(i["kind"], i["code"]) for i in issuable] == [("course", COURSE)]
    url = "api/admin/members/cert-a/certificates"
    missing = admin.call("POST", url, json={"course": COURSE, "reason": "  "})
    assert missing.status_code == 400 and "须填写原因" in missing.json()["error"]
    neither = admin.call("POST", url, json={"reason": "补录"})
    assert neither.status_code == 400 and "二选一" in neither.json()["error"]
    not_done = admin.call(
        "POST", "api/admin/members/cert-c/certificates", json={"course": COURSE, "reason": "补录"}
    )
    assert not_done.status_code == 400 and "尚未完成" in not_done.json()["error"]
    nobody = admin.call("POST", "api/admin/members/nobody/certificates", json={"reason": "x"})
    assert nobody.status_code == 404

    made = admin.call("POST", url, json={"course": COURSE, "reason": "线下考核合格，补发"})
    assert made.status_code == 201, made.text
    first = made.json()["certificate"]
    assert (first["name"], first["state"], first["issued_by"]) == ("周文华", "有效", "admin")
    again = admin.call("POST", url, json={"course": COURSE, "reason": "再来一份"})
    assert again.status_code == 400 and "不会重复颁发" in again.json()["error"]

    serial = first["serial"]
    blank = admin.call("POST", f"api/admin/certificates/{serial}/revoke", json={})
    assert blank.status_code == 400 and "撤销证书须填写原因" in blank.json()["error"]
    unknown = admin.call(
        "POST", "api/admin/certificates/2026-ZS-999999-ABCDEFGH/revoke", json={"reason": "x"}
    )
    assert unknown.status_code == 404 and "没有编号为" in unknown.json()["error"]
    revoked = admin.call(
        "POST", f"api/admin/certificates/{serial}/revoke", json={"reason": "发错了人"}
    )
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["certificate"]["state"] == "已撤销"
    twice = admin.call("POST", f"api/admin/certificates/{serial}/revoke", json={"reason": "x"})
    assert twice.status_code == 400 and "已于此前撤销" in twice.json()["error"]

    no_reason = admin.call("POST", f"api/admin/certificates/{serial}/reissue", json={"name": "x"})
    assert no_reason.status_code == 400 and "须填写原因" in no_reason.json()["error"]
    reissued = admin.call(
        "POST",
        f"api/admin/certificates/{serial}/reissue",
        json={"reason": "核实无误，重新颁发并更正姓名", "name": "周文華"},
    )
    assert reissued.status_code == 201, reissued.text
    new = reissued.json()["certificate"]
    assert (new["name"], new["edition"], new["replaces"]) == ("周文華", 2, serial)
    older = admin.call("POST", f"api/admin/certificates/{serial}/reissue", json={"reason": "x"})
    assert older.status_code == 400 and new["serial"] in older.json()["error"]

    mine = _serials(admin, "cert-a")
    assert [(c["serial"], c["state"]) for c in mine["certificates"]] == [
        (new["serial"], "有效"),
        (serial, "已撤销"),
    ]
    assert mine["issuable"] == []
    profile = admin.call("GET", "api/admin/members/cert-a").json()
    assert [c["serial"] for c in profile["certificates"]] == [new["serial"], serial]
    page = admin.call("GET", "admin/members/cert-a").text
    assert new["serial"] in page and "已撤销" in page and "发错了人" in page
    assert f"certificates/{new['serial']}.pdf" in page
    log = admin.call("GET", "api/audit", params={"actor": "admin"}).json()["entries"]
    done = {(e["action_key"], e["target"]) for e in log}
    assert {
        ("certificate.issue", serial),
        ("certificate.revoke", serial),
        ("certificate.reissue", new["serial"]),
    } <= done


def _wait_for_job(admin, code: str) -> dict:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        state = admin.call("GET", f"api/admin/cohorts/{code}/certificates").json()
        if not state["job"]["running"]:
            return state
        time.sleep(0.5)
    raise AssertionError(f"the certificate job of {code} did not end: {state}")


def test_class_setting_job_zip_and_register(admin):
    body = {
        "code": COHORT,
        "name": "2026年音乐基础培训班（证书测试）",
        "starts_on": "2026-09-01",
        "ends_on": "2026-12-31",
        "associations": [],
        "courses": [COURSE],
    }
    assert admin.call("POST", "api/admin/cohorts", json=body).status_code == 201
    added = admin.call("POST", f"api/admin/cohorts/{COHORT}/members", json={"people": list(PEOPLE)})
    assert added.json()["added"] == list(PEOPLE)
    base = f"api/admin/cohorts/{COHORT}"
    unset = admin.call("POST", f"{base}/certificates")
    assert unset.status_code == 400 and "没有设置结业证书" in unset.json()["error"]
    nothing = admin.call("GET", f"{base}/certificates/zip")
    assert nothing.status_code == 409 and "还没有有效的证书" in nothing.json()["error"]

    no_title = admin.call("POST", f"{base}/certificate", json={"title": " "})
    assert no_title.status_code == 400 and "证书名称" in no_title.json()["error"]
    bad_issuer = admin.call(
        "POST", f"{base}/certificate", json={"title": "结业证书", "issuer": "x"}
    )
    assert bad_issuer.status_code == 400 and "federation" in bad_issuer.json()["error"]
    cleared = admin.call("POST", f"{base}/certificate", json={"clear": True})
    assert cleared.status_code == 200 and cleared.json()["certificate"] is None
    setting = admin.call(
        "POST", f"{base}/certificate", json={"title": "结业证书", "issuer": "federation"}
    )
    assert setting.status_code == 200, setting.text
    assert setting.json()["certificate"]["title"] == "结业证书"
    assert admin.call("GET", base).status_code == 200
    updates = admin.call("GET", "api/audit", params={"action": "cohort.update"}).json()
    assert any(e["target"] == COHORT for e in updates["entries"])

    started = admin.call("POST", f"{base}/certificates")
    assert started.status_code == 202, started.text
    assert started.json()["job"]["state"] in ("queued", "running", "done")
    state = _wait_for_job(admin, COHORT)
    job = state["job"]
    assert (job["state"], job["done"], job["total"], job["issued"]) == ("done", 3, 3, 2)
    assert job["problems"] == [] and state["valid"] == 2
    again = admin.call("POST", f"{base}/certificates")  # a new job issues nothing twice
    assert again.status_code == 202
    assert _wait_for_job(admin, COHORT)["job"]["issued"] == 0

    cert_b = _serials(admin, "cert-b")["certificates"]
    [class_b] = [c for c in cert_b if c["kind"] == "cohort"]
    assert class_b["subject"] == body["name"] and class_b["name"] == "吴晓梅"
    revoked = admin.call(
        "POST", f"api/admin/certificates/{class_b['serial']}/revoke", json={"reason": "重复报名"}
    )
    assert revoked.status_code == 200

    bundle = admin.call("GET", f"{base}/certificates/zip")
    assert bundle.status_code == 200 and bundle.headers["Cache-Control"] == "no-store"
    assert bundle.headers["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(bundle.content)) as archive:
        names = archive.namelist()
        assert len(names) == 1 and names[0].endswith(".pdf") and "周文" in names[0]
        assert archive.read(names[0]).startswith(b"%PDF")

    register = admin.call("GET", f"{base}/certificates/register")
    assert register.status_code == 200
    rows = list(load_workbook(io.BytesIO(register.content)).active.values)
    header = rows.index(next(r for r in rows if r and r[0] == "证书编号"))
    lines = {r[3]: r for r in rows[header + 1 :] if r and r[0]}
    assert set(lines) == {"cert-a", "cert-b"}
    state_column = rows[header].index("状态")
    assert lines["cert-a"][state_column] == "有效" and lines["cert-b"][state_column] == "已撤销"

    exports = admin.call("GET", "api/audit", params={"action": "certificate.export"}).json()
    assert len([e for e in exports["entries"] if e["target"] == COHORT]) == 2
    batches = admin.call("GET", "api/audit", params={"action": "certificate.batch"}).json()
    assert any(e["target"] == COHORT for e in batches["entries"])


ROUTES = [
    ("GET", "api/admin/members/cert-a/certificates"),
    ("POST", "api/admin/members/cert-c/certificates"),
    ("POST", "api/admin/certificates/2026-ZS-000001-ABCDEFGH/revoke"),
    ("POST", "api/admin/certificates/2026-ZS-000001-ABCDEFGH/reissue"),
    ("POST", f"api/admin/cohorts/{COHORT}/certificate"),
    ("GET", f"api/admin/cohorts/{COHORT}/certificates"),
    ("POST", f"api/admin/cohorts/{COHORT}/certificates"),
    ("GET", f"api/admin/cohorts/{COHORT}/certificates/zip"),
    ("GET", f"api/admin/cohorts/{COHORT}/certificates/register"),
]


@pytest.mark.parametrize("who", ["wangfang", "lihua", "chenjing"])
def test_learners_trainers_and_managers_are_refused(platform, admin, who):
    person = Person(platform, who)
    for method, path in ROUTES:
        body = {"reason": "x", "course": COURSE, "title": "x"} if method == "POST" else None
        response = person.call(method, path, json=body, allow_redirects=False)
        assert response.status_code == 403, (who, method, path, response.status_code)


def test_a_cookie_post_without_the_xsrf_token_is_refused(platform, admin):
    browser = admin.browser
    assert browser.get("/services/yiyuan/admin/members/cert-b").status_code == 200
    url = admin.base + "api/admin/members/cert-b/certificates"
    forged = browser.session.post(url, json={"course": COURSE, "reason": "伪造"}, timeout=30)
    assert forged.status_code in (401, 403)
    assert [i["code"] for i in _serials(admin, "cert-b")["issuable"]] == [COURSE]


@pytest.mark.browser
def test_the_pages_in_a_browser(chromium, platform, admin, artifacts):
    from playwright.sync_api import expect

    body = {
        "code": UI_COHORT,
        "name": "2026年第五期音乐基础培训班",
        "starts_on": "2026-09-01",
        "ends_on": "2026-12-31",
        "associations": [],
        "courses": [COURSE],
    }
    assert admin.call("POST", "api/admin/cohorts", json=body).status_code == 201
    admin.call("POST", f"api/admin/cohorts/{UI_COHORT}/members", json={"people": list(PEOPLE)})
    prefix = f"{platform.url}/services/yiyuan/"
    page = login_page(chromium, platform, "admin")
    page.wait_for_url("**/services/yiyuan/admin")

    # 补发 the course certificate of cert-b, who completed 音乐基础 and has none
    page.goto(prefix + "admin/members/cert-b")
    section = page.locator("section", has=page.get_by_role("heading", name="证书", exact=True))
    section.get_by_label("课程或期次").select_option(f"course:{COURSE}")
    section.get_by_label("补发原因（必填，记入审计日志）").fill("线下结业考核合格，补发证书")
    section.get_by_role("button", name="补发证书").click()
    issued = page.locator("article.cert", has_text="线下结业考核合格")
    expect(issued).to_contain_text("有效", timeout=15000)
    expect(page.locator("#issue-form")).to_have_count(0)  # nothing else to issue
    # revoking asks for the reason before anything is sent
    issued.get_by_text("撤销证书…").click()
    issued.get_by_role("button", name="确认撤销").click()
    reason = issued.get_by_label("撤销原因（必填，记入审计日志）")
    assert reason.evaluate("field => field.validity.valueMissing")
    expect(issued).to_contain_text("有效")
    # cert-a: a reissued course certificate (第 2 版, 周文華), the revoked first, the class's
    page.goto(prefix + "admin/members/cert-a")
    expect(page.locator("article.cert", has_text="第 2 版")).to_contain_text("周文華")
    expect(page.locator("article.cert.revoked")).to_contain_text("发错了人")
    expect(page.locator("article.cert", has_text="期次")).to_contain_text("有效")
    page.get_by_text("重新颁发（如更正姓名）…").first.click()
    page.screenshot(path=str(artifacts / "admin-member-certificates.png"), full_page=True)

    # the class: set its certificate, start the job, watch it end
    page.goto(prefix + f"admin/cohorts/{UI_COHORT}")
    expect(page.locator("#cert-setting")).to_contain_text("没有设置")
    page.get_by_label("证书名称").fill("结业证书")
    page.get_by_role("button", name="保存证书设置").click()
    expect(page.locator("#cert-setting")).to_contain_text("颁发“结业证书”", timeout=15000)
    page.get_by_role("button", name="批量颁发证书").click()
    expect(page.locator("#cert-job-state")).to_have_text("已完成：", timeout=180000)
    expect(page.locator("#cert-job-figures")).to_contain_text("已处理 3 / 3 名学员")
    expect(page.locator("#cert-job-figures")).to_contain_text("颁发 2 份")
    expect(page.locator("#cert-valid")).to_have_text("2")
    expect(page.get_by_role("link", name="下载全部有效证书（ZIP）")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="导出证书登记册（Excel）").click()
    assert re.search(r"证书登记册\.xlsx$", download.value.suggested_filename)
    page.screenshot(path=str(artifacts / "admin-cohort-certificates.png"), full_page=True)
    page.context.close()

    phone = login_page(chromium, platform, "admin", viewport=PHONE)
    phone.wait_for_url("**/services/yiyuan/admin")
    for path in ("admin/members/cert-a", f"admin/cohorts/{UI_COHORT}"):
        phone.goto(prefix + path)
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"] + 1, (path, width)
    phone.screenshot(path=str(artifacts / "admin-cohort-certificates-390.png"), full_page=True)
    phone.context.close()

"""Certificates on the web (issue 20), against one real hub for the whole module:

- the public verify page (``verify/<serial>``, what the QR code opens, and ``verify?serial=``
  for a number typed from paper): 有效 or 已撤销 with the day (not the reason), the name
  masked, no login and no cookie; unknown, malformed and ``..`` numbers get one Chinese
  sentence and 404; look-ups are limited per client address (429 over the limit), counted in
  the database (``service/ratelimit.py``, also tested directly on SQLite and PostgreSQL);
- downloads: the owner's certificate, an administrator's any, another learner 403, revoked
  410, a name outside the font a Chinese page; the 学时证明 of a year;
- in Chromium: wangfang completes 书法艺术鉴赏入门 through the lesson player's API (answers
  saved and submitted, graded by the platform), finds the certificate from 我的学习, downloads
  the PDF (its picture and text checked, its QR code decoded to the verify page), opens the
  verify page (有效, desktop and phone), and after a revocation it says 已撤销. Screenshots in
  ``test-artifacts/screenshots``; axe-core on the new pages.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
import requests
from people import Person
from sqlalchemy import select
from test_accessibility import SMALL_TARGETS, TARGET, violations
from test_certificates import decoded_qr, pdf_png, pdf_text
from test_grading_equivalence import right_answers

from hubtest import DESKTOP, PHONE, ROOT, Hub, login_page, wait_for
from yiyuan.certificates import files, issuing
from yiyuan.clock import local_zone
from yiyuan.db import Database
from yiyuan.models import Account, RequestCount
from yiyuan.service import ratelimit
from yiyuan.storage import LocalStorage

COURSE = "shufa-jianshang"
MODULES = ("shuti-yanbian", "kaishu-ziti", "jianshang-fangfa")
SERVICE = "/services/yiyuan/"
#: look-ups one address may make per minute on this hub (low, so the limit is reached quickly)
LIMIT = 8


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    hub = Hub(
        tmp_path_factory.mktemp("certificates-web"),
        {"courses_dir": str(ROOT / "courses"), "certificates": {"verify_per_minute": LIMIT}},
    )
    hub.cli("db", "upgrade")
    hub.cli("demo", "seed")
    hub.cli("courses", "publish", COURSE, "--actor", "admin")
    hub.cli("courses", "enrol", COURSE, "wangfang")
    hub.start()
    yield hub
    hub.stop()


@pytest.fixture(scope="module")
def platform_db(platform):
    """The hub's own platform database (SQLite in its data folder)."""
    db = Database(f"sqlite:///{platform.data_dir / 'yiyuan.sqlite'}")
    yield db
    db.dispose()


@pytest.fixture(scope="module")
def people(platform):
    return {name: Person(platform, name) for name in ("wangfang", "liuyang", "admin")}


def submit_right_answers(person: Person, module: str) -> None:
    """What the lesson page does: save the answers (right ones, a long enough reflection) and
    submit; then wait for the platform's grading."""
    page = person.call("GET", f"lessons/{COURSE}/{module}/").text
    data = json.loads(
        page.split('<script id="yiyuan-lesson-data" type="application/json">')[1].split(
            "</script>"
        )[0]
    )
    right = {}
    for lesson in sorted((ROOT / "courses" / "notebooks" / COURSE / module).glob("*.ipynb")):
        right.update(right_answers(lesson))
    answers = {}
    for question in data["questions"]:
        name, kind = question["id"], question["type"]
        if name in right:
            answers[name] = right[name]
        elif kind in ("SingleChoice", "Rating"):
            answers[name] = question["values"][0]
        else:
            answers[name] = "我临摹了《兰亭序》，体会到行书的笔势连贯。" * 8
    api = f"api/lessons/{COURSE}/{module}/"
    saved = person.call("PUT", api + "answers", json={"answers": answers})
    assert saved.ok, saved.text
    created = person.call("POST", api + "submit", json={})
    assert created.status_code == 201, created.text
    number = created.json()["id"]
    result = wait_for(
        lambda: (r := person.call("GET", f"{api}result/{number}").json()).get("final") and r,
        timeout=300,
        what=f"{module} graded",
    )
    assert result["ok"], result


@pytest.fixture(scope="module")
def serial(people, platform_db) -> str:
    """wangfang completes the course through the platform; her certificate's serial."""
    for module in MODULES:
        submit_right_answers(people["wangfang"], module)
    with platform_db.session() as session:
        account = session.scalar(select(Account).where(Account.username == "wangfang"))
        [certificate] = [c for c in issuing.of_account(session, account.id) if c.kind == "course"]
        return certificate.serial


def verify(platform: Hub, path: str, address: str) -> requests.Response:
    """The verify page as a stranger at ``address`` opens it (no login). The address is what
    the deployment's nginx passes on (X-Real-IP): each test is its own client."""
    response = requests.get(
        f"{platform.url}{SERVICE}{path}",
        headers={"X-Real-IP": address},
        timeout=60,
        allow_redirects=False,
    )
    if "charset" not in response.headers.get("Content-Type", ""):
        response.encoding = "utf-8"
    return response


# --- the verify page --------------------------------------------------------------------------


def test_a_valid_certificate_is_shown_to_anyone_with_the_name_masked(platform, serial, platform_db):
    with platform_db.session() as session:
        day = issuing.get(session, serial).achieved_on
    page = verify(platform, f"verify/{serial}", "203.0.113.1")
    assert page.status_code == 200, page.text
    for shown in ("结业证书", "有效", "王*", "书法艺术鉴赏入门", "3 学时", serial, "书法家协会"):
        assert shown in page.text, shown
    assert "王芳" not in page.text and "已撤销" not in page.text
    assert '<meta name="robots" content="noindex">' in page.text
    assert page.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in page.headers  # nobody is asked to log in, nothing is kept
    assert f"{day.year}年{day.month}月{day.day}日" in page.text


def test_a_number_typed_from_paper_is_found(platform, serial):
    form = verify(platform, "verify", "203.0.113.2")
    assert form.status_code == 200 and 'name="serial"' in form.text and "证书编号" in form.text
    typed = f" {serial.lower()} "  # as typed: lower case, spaces around
    found = verify(platform, f"verify?serial={quote(typed)}", "203.0.113.2")
    assert found.status_code == 200 and "有效" in found.text and serial in found.text


@pytest.mark.parametrize(
    "path",
    [
        "verify/2026-ZS-999999-7KQ4M9XA",  # well formed, not issued
        "verify/abc",
        "verify?serial=%E8%AF%81%E4%B9%A6",  # 证书
        "verify/..%2F..%2Fetc%2Fpasswd",
        "verify?serial=..%2F..%2Fyiyuan.sqlite",
    ],
)
def test_unknown_and_malformed_numbers_get_one_sentence(platform, serial, path):
    page = verify(platform, path, "203.0.113.3")
    assert page.status_code == 404, page.text
    assert "没有找到编号为" in page.text and "请核对编号" in page.text
    assert "root:" not in page.text and "SQLite" not in page.text
    assert "王" not in page.text and "有效" not in page.text


def test_dot_segments_reach_no_certificate(platform, serial):
    # the hub's proxy resolves ``..`` before the service sees it: the portal, which asks for
    # a login; never a file or a certificate
    page = verify(platform, "verify/%2E%2E", "203.0.113.6")
    assert page.status_code in (302, 404) and serial not in page.text


def test_look_ups_are_limited_per_address(platform, serial):
    here, elsewhere = "198.51.100.7", "198.51.100.8"
    answers = [
        verify(platform, f"verify/{serial if i % 2 else 'nope'}", here).status_code
        for i in range(LIMIT)
    ]
    assert answers == [404, 200] * (LIMIT // 2)
    refused = verify(platform, f"verify/{serial}", here)
    assert refused.status_code == 429
    assert "查询太频繁，请一分钟后再试" in refused.text
    assert "有效" not in refused.text and "王*" not in refused.text  # not looked up
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert verify(platform, f"verify/{serial}", elsewhere).status_code == 200
    assert verify(platform, "verify", here).status_code == 200  # the empty form is no look-up


def test_the_count_is_one_row_per_address_and_minute(platform_db, platform, serial):
    with platform_db.session() as session:
        rows = session.scalars(
            select(RequestCount).where(RequestCount.key == "verify:198.51.100.7")
        ).all()
    assert len(rows) == 1 and rows[0].count == LIMIT + 1


# --- downloads ---------------------------------------------------------------------------------


def test_the_owner_downloads_her_certificate(people, serial, platform_db):
    response = people["wangfang"].call("GET", f"certificates/{serial}.pdf")
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    with platform_db.session() as session:
        name = files.file_name(issuing.get(session, serial))
    assert name.startswith("结业证书-书法艺术鉴赏入门-王芳-")
    assert response.headers["Content-Disposition"] == f"attachment; filename*=UTF-8''{quote(name)}"
    text = pdf_text(response.content)
    assert "王芳" in text and serial in text


def test_another_learner_is_refused_and_an_administrator_may(people, serial):
    refused = people["liuyang"].call("GET", f"certificates/{serial}.pdf")
    assert refused.status_code == 403 and "这不是您的证书" in refused.text
    assert "%PDF" not in refused.text and "<html" in refused.text
    admin = people["admin"].call("GET", f"certificates/{serial}.pdf")
    assert admin.status_code == 200 and admin.content.startswith(b"%PDF")
    unknown = people["admin"].call("GET", "certificates/2026-ZS-999999-7KQ4M9XA.pdf")
    assert unknown.status_code == 404 and "没有找到编号为" in unknown.text


def test_a_download_needs_a_login(platform, serial):
    response = requests.get(
        f"{platform.url}{SERVICE}certificates/{serial}.pdf", allow_redirects=False, timeout=60
    )
    assert response.status_code == 302 and not response.content.startswith(b"%PDF")


def test_the_statement_of_a_year_and_a_revoked_one(people, serial, platform_db, platform):
    wangfang = people["wangfang"]
    year = datetime.now(local_zone()).year
    first = wangfang.call("GET", f"certificates/hours/{year}.pdf")
    assert first.status_code == 200, first.text
    text = pdf_text(first.content)
    assert "学时证明" in text and "王芳" in text
    with platform_db.session() as session:
        account = session.scalar(select(Account).where(Account.username == "wangfang"))
        [statement] = [c for c in issuing.of_account(session, account.id) if c.kind == "hours"]
    assert statement.serial in text and statement.hours == 3
    again = wangfang.call("GET", f"certificates/hours/{year}.pdf")
    assert again.headers["Content-Disposition"] == first.headers["Content-Disposition"]

    none = people["liuyang"].call("GET", f"certificates/hours/{year}.pdf")
    assert none.status_code == 404 and "还没有学时记录" in none.text
    assert wangfang.call("GET", "certificates/hours/2001.pdf").status_code == 404

    with platform_db.session() as session:
        issuing.revoke(session, statement.serial, reason="学员本人申请作废（私事）", actor="admin")
    gone = wangfang.call("GET", f"certificates/{statement.serial}.pdf")
    assert gone.status_code == 410 and "此证书已撤销" in gone.text
    page = verify(platform, f"verify/{statement.serial}", "203.0.113.4")
    assert page.status_code == 200 and "已撤销" in page.text and "学时证明" in page.text
    assert "私事" not in page.text and "作废" not in page.text  # the reason stays inside
    fresh = wangfang.call("GET", f"certificates/hours/{year}.pdf")
    assert fresh.status_code == 200 and statement.serial not in fresh.headers["Content-Disposition"]


def test_a_name_outside_the_font_gets_a_chinese_page(people, serial, platform_db, platform):
    wangfang = people["wangfang"]
    year = datetime.now(local_zone()).year
    with platform_db.session() as session:
        account = session.scalar(select(Account).where(Account.username == "wangfang"))
        latest = next(
            c for c in issuing.of_account(session, account.id) if c.kind == "hours" and c.valid
        )
        # the rules issue with the roster's name whatever it is (reissue refuses such a name):
        # a name the font lacks, as a completion would have printed it, not rendered yet
        latest.name = "王𪚥"
        odd = latest.serial
    kept = LocalStorage(platform.data_dir / "exchange")  # the hub's storage (backend local)
    assert kept.exists(files.key_of(kept, odd))  # rendered with the old name: to be made again
    kept.delete(files.key_of(kept, odd))
    page = wangfang.call("GET", f"certificates/{odd}.pdf")
    assert page.status_code == 409 and "不在证书字体里" in page.text and "𪚥" in page.text
    assert "<html" in page.text and "Traceback" not in page.text
    # the statement of the year is that one: the same sentence, and nothing broke
    assert wangfang.call("GET", f"certificates/hours/{year}.pdf").status_code == 409
    assert verify(platform, f"verify/{odd}", "203.0.113.5").status_code == 200
    assert wangfang.call("GET", f"certificates/{serial}.pdf").status_code == 200


def test_my_certificates_page(people, serial):
    mine = people["wangfang"].call("GET", "certificates")
    assert mine.status_code == 200
    for shown in (
        "我的证书",
        "结业证书",
        "书法艺术鉴赏入门",
        serial,
        "下载证书（PDF）",
        "学时证明",
    ):
        assert shown in mine.text, shown
    assert f"certificates/{serial}.pdf" in mine.text
    theirs = people["liuyang"].call("GET", "certificates")
    assert theirs.status_code == 200 and "您还没有结业证书" in theirs.text
    assert serial not in theirs.text and "暂不能开具" in theirs.text


# --- in the browser ------------------------------------------------------------------------


def screenshot(page, path: Path) -> None:
    page.screenshot(path=str(path), full_page=True)


@pytest.mark.browser
def test_a_completed_course_gives_a_certificate_anyone_can_check(
    chromium, platform, serial, platform_db, artifacts, tmp_path
):
    page = login_page(chromium, platform, "wangfang")
    try:
        page.wait_for_url(f"**{SERVICE}**")
        course = page.locator(f"section.course[data-course='{COURSE}']")
        assert "已结业" in course.inner_text()
        course.get_by_role("link", name="我的证书").click()
        page.wait_for_url(f"**{SERVICE}certificates")
        item = page.locator(f"li.certificate[data-serial='{serial}']")
        assert "书法艺术鉴赏入门" in item.inner_text() and "有效" in item.inner_text()
        assert violations(page) == []
        screenshot(page, artifacts / "certificates-portal.png")
        page.set_viewport_size(PHONE)  # the learner's phone: the same page, one column
        screenshot(page, artifacts / "certificates-portal-phone.png")
        page.set_viewport_size(DESKTOP)

        with page.expect_download() as download:
            item.get_by_role("link", name="下载证书（PDF）").click()
        saved = tmp_path / download.value.suggested_filename
        download.value.save_as(saved)
        assert saved.name == f"结业证书-书法艺术鉴赏入门-王芳-{serial}.pdf"
        data = saved.read_bytes()
        text = pdf_text(data)
        assert "王芳" in text and serial in text and "书法艺术鉴赏入门" in text
        picture = artifacts / "certificate-downloaded.png"
        pdf_png(data, picture)
        [url] = decoded_qr(picture)
        assert url == f"{platform.url}{SERVICE}verify/{serial}"
    finally:
        page.context.close()

    # a stranger scans the QR code: a phone, no login
    for name, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        context = chromium.new_context(
            locale="zh-CN",
            viewport=viewport,
            extra_http_headers={"X-Real-IP": f"192.0.2.{len(name)}"},
        )
        try:
            stranger = context.new_page()
            response = stranger.goto(url)
            assert response is not None and response.status == 200
            state = stranger.locator(".state")
            assert "有效" in state.inner_text() and "王*" in stranger.inner_text("main")
            assert stranger.evaluate(SMALL_TARGETS, TARGET) == []
            assert violations(stranger) == []
            screenshot(stranger, artifacts / f"verify-valid-{name}.png")
        finally:
            context.close()

    with platform_db.session() as session:
        issuing.revoke(session, serial, reason="测试撤销", actor="admin")
    context = chromium.new_context(
        locale="zh-CN", viewport=PHONE, extra_http_headers={"X-Real-IP": "192.0.2.20"}
    )
    try:
        stranger = context.new_page()
        stranger.goto(url)
        state = stranger.locator(".state")
        assert "已撤销" in state.inner_text() and "有效" not in state.inner_text().replace(
            "不再有效", ""
        )
        assert "测试撤销" not in stranger.content()
        screenshot(stranger, artifacts / "verify-revoked-phone.png")
        stranger.goto(f"{platform.url}{SERVICE}verify")
        stranger.get_by_label("证书编号").fill("2026-ZS-000001-AAAAAAAA")
        stranger.get_by_role("button", name="查验").click()
        stranger.wait_for_load_state()
        assert "没有找到编号为 2026-ZS-000001-AAAAAAAA 的证书" in stranger.inner_text("main")
        screenshot(stranger, artifacts / "verify-unknown-phone.png")
    finally:
        context.close()


# --- the rate limit's counting, on both databases ----------------------------------------------


@pytest.fixture
def fresh_database(db_url):
    from yiyuan.db import migrate

    db = Database(db_url)
    migrate.upgrade(db)
    yield db
    db.dispose()


def test_counting_is_exact_across_connections_and_old_minutes_go(fresh_database):
    db = fresh_database
    now = datetime(2027, 1, 10, 8, 30, 15, tzinfo=UTC)
    earlier = now - timedelta(minutes=5)
    assert ratelimit.hit(db, "verify:a", 3, now=earlier).count == 1

    def hits() -> None:
        for _ in range(10):
            ratelimit.hit(db, "verify:b", 100, now=now)

    threads = [threading.Thread(target=hits) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    verdicts = [ratelimit.hit(db, "verify:c", 2, now=now) for _ in range(3)]
    assert [v.allowed for v in verdicts] == [True, True, False]
    assert verdicts[-1].retry_after == 45
    with db.session() as session:
        counts = {r.key: r.count for r in session.scalars(select(RequestCount))}
    # verify:b's first hit began its minute and deleted verify:a's old one
    assert counts == {"verify:b": 40, "verify:c": 3}
    assert ratelimit.hit(db, "verify:b", 40, now=now + timedelta(minutes=1)).count == 1

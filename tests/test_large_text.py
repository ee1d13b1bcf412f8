"""大字 (large text), remembered per person (issue 18, 适老化): the switch in every service
page's header enlarges the page at once, is kept on the account (``api/me/preferences``), and
every page — on another device too, and the compiled lessons — opens with it from the first
paint. The API changes the caller's own preference only and refuses anything else in Chinese.
Pages in large text still pass axe-core and fit a phone.
"""

from __future__ import annotations

import re

import pytest
from people import Person
from test_accessibility import SMALL_TARGETS, TARGET, violations

from hubtest import DESKTOP, PHONE, ROOT, Hub, login_page

COURSE, MODULE = "shufa-jianshang", "shuti-yanbian"
SERVICE = "/services/yiyuan/"
LESSON = f"{SERVICE}lessons/{COURSE}/{MODULE}/"
LESSON_READY = "body[data-yiyuan-ready='1']"


def large_from_first_paint(html: str) -> bool:
    """The page's own HTML (before any script runs) has <html class="large-text">."""
    return re.search(r'<html[^>]* class="large-text"', html) is not None


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    hub = Hub(tmp_path_factory.mktemp("large-text"), {"courses_dir": str(ROOT / "courses")})
    hub.cli("db", "upgrade")
    hub.cli("demo", "seed")
    hub.cli("courses", "publish", COURSE, "--actor", "admin")
    hub.cli("courses", "enrol", COURSE, "wangfang", check=False)  # enrolled already if required
    hub.start()
    yield hub
    hub.stop()


@pytest.fixture(scope="module")
def people(platform):
    return {name: Person(platform, name) for name in ("wangfang", "lihua")}


def preference(person: Person) -> bool:
    response = person.call("GET", "api/me/preferences")
    assert response.status_code == 200, response.text
    return response.json()["large_text"]


def test_the_api_sets_the_callers_own_preference_only(people):
    wangfang, lihua = people["wangfang"], people["lihua"]
    assert preference(wangfang) is False and preference(lihua) is False
    for body, words in (
        ({"large_text": "yes"}, "只能是 true 或 false"),
        ({"large_text": 1}, "只能是 true 或 false"),
        ({}, "没有要改的设置"),
        ([True], "JSON 对象"),
        # no way to name another person: the API knows only the caller
        ({"large_text": True, "username": "lihua"}, "不能设置“username”"),
        ({"large_text": True, "account_id": 2}, "不能设置“account_id”"),
    ):
        response = wangfang.call("POST", "api/me/preferences", json=body)
        assert response.status_code == 400, (body, response.text)
        assert words in response.json()["error"], (body, response.json())
    not_json = wangfang.call("POST", "api/me/preferences", data="large_text=1")
    assert not_json.status_code == 400 and "JSON" in not_json.json()["error"]
    assert preference(wangfang) is False and preference(lihua) is False

    response = wangfang.call("POST", "api/me/preferences", json={"large_text": True})
    assert response.status_code == 200, response.text
    assert response.json()["large_text"] is True and "大字" in response.json()["message"]
    assert preference(wangfang) is True
    assert preference(lihua) is False  # hers is her own
    portal = lihua.browser.get(SERVICE).text
    assert not large_from_first_paint(portal) and 'aria-pressed="false"' in portal
    assert large_from_first_paint(wangfang.browser.get(SERVICE).text)

    # the session cookie alone (no X-XSRFToken) cannot change it
    forged = wangfang.browser.session.post(
        wangfang.base + "api/me/preferences", json={"large_text": False}, timeout=60
    )
    assert forged.status_code == 403
    assert preference(wangfang) is True
    response = wangfang.call("POST", "api/me/preferences", json={"large_text": False})
    assert response.status_code == 200 and response.json() == {
        "large_text": False,
        "message": "已恢复标准字号。",
    }


def font_size(page, selector: str = "body") -> float:
    return page.evaluate(
        "(s) => parseFloat(getComputedStyle(document.querySelector(s)).fontSize)", selector
    )


def switch(page):
    """The 大字 button of the page's header."""
    return page.locator("header").get_by_role("button", name="大字")


def press(page) -> None:
    """Press 大字 and wait until the account keeps it."""
    with page.expect_response(lambda r: r.url.endswith("api/me/preferences")) as answer:
        switch(page).click()
    assert answer.value.status == 200, answer.value.text()


@pytest.mark.browser
def test_large_text_switches_at_once_and_follows_the_person(chromium, platform, artifacts):
    from playwright.sync_api import expect

    page = login_page(chromium, platform, "wangfang", viewport=DESKTOP)
    phone = None
    try:
        page.wait_for_url(f"**{SERVICE}")
        button = switch(page)
        expect(button).to_have_attribute("aria-pressed", "false")
        box = button.bounding_box()
        assert box["width"] >= TARGET and box["height"] >= TARGET, box
        assert font_size(page) == 17
        heading = font_size(page, "section.course h2")

        press(page)  # the page switches at once: no reload
        expect(button).to_have_attribute("aria-pressed", "true")
        assert page.evaluate("document.documentElement.classList.contains('large-text')")
        assert font_size(page) == pytest.approx(21.25)
        assert font_size(page, "section.course h2") == pytest.approx(heading * 1.25)
        assert violations(page) == []
        page.screenshot(path=artifacts / "portal-large-text.png", full_page=True)

        # from the first paint after a reload: the server puts the class on
        response = page.reload()
        assert large_from_first_paint(response.text())
        expect(switch(page)).to_have_attribute("aria-pressed", "true")
        assert font_size(page) == pytest.approx(21.25)

        # every page, e.g. 我的学时; and the compiled lesson (18 px → 22 px)
        page.goto(platform.url + f"{SERVICE}hours")
        assert font_size(page) == pytest.approx(21.25)
        lesson = page.goto(platform.url + LESSON)
        assert large_from_first_paint(lesson.text())
        page.locator(LESSON_READY).wait_for(timeout=180_000)
        assert font_size(page) == 22
        assert font_size(page, "#yiyuan-lesson-main .jp-RenderedHTMLCommon p") == 22
        expect(switch(page)).to_have_attribute("aria-pressed", "true")
        assert violations(page) == []
        page.screenshot(path=artifacts / "lesson-large-text.png", full_page=False)

        # another device: a new browser, a phone — large from the start
        phone = login_page(chromium, platform, "wangfang", viewport=PHONE)
        phone.wait_for_url(f"**{SERVICE}")
        assert phone.evaluate("document.documentElement.className") == "large-text"
        assert font_size(phone) == pytest.approx(21.25)
        assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        assert phone.evaluate(SMALL_TARGETS, TARGET) == []
        assert violations(phone) == []
        phone.screenshot(path=artifacts / "portal-large-text-phone.png", full_page=True)
        phone.goto(platform.url + LESSON)
        phone.locator(LESSON_READY).wait_for(timeout=180_000)
        assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        phone.screenshot(path=artifacts / "lesson-large-text-phone.png", full_page=False)

        # off again, from the lesson's own bar: the lesson is back to 18 px, and so is the
        # portal on the phone
        press(page)
        expect(switch(page)).to_have_attribute("aria-pressed", "false")
        assert font_size(page) == 18
        response = phone.goto(platform.url + SERVICE)
        assert not large_from_first_paint(response.text())
        assert font_size(phone) == 17
    finally:
        page.context.close()
        if phone is not None:
            phone.context.close()


@pytest.mark.browser
def test_a_switch_that_cannot_be_saved_says_so(chromium, platform):
    from playwright.sync_api import expect

    page = login_page(chromium, platform, "lihua", viewport=DESKTOP)
    try:
        page.wait_for_url(f"**{SERVICE}**")
        page.route("**/api/me/preferences", lambda route: route.abort())
        switch(page).click()
        # this page is large, but the person is told it is not kept
        expect(page.locator("#large-text-status")).to_contain_text("没有保存成功")
        assert font_size(page) == pytest.approx(21.25)
        page.unroute("**/api/me/preferences")
        page.reload()
        expect(switch(page)).to_have_attribute("aria-pressed", "false")
    finally:
        page.context.close()

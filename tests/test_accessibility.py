"""Every page a learner, trainer, manager or administrator opens, checked by axe-core (from npm,
``node_modules/axe-core``) in a real Chromium, at desktop and phone size: no serious or critical
violation of WCAG 2.x A/AA (适老化: what artists of 55 and screen-reader users need).

A violation's report names the rule, the page and the elements, so a failure says what to fix.
"""

from __future__ import annotations

import json

import pytest

from hubtest import DESKTOP, PHONE, ROOT, Hub, login_page, wait_for
from yiyuan.demo import DEMO_PASSWORD

pytestmark = pytest.mark.browser

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
COURSE, MODULE = "shufa-jianshang", "shuti-yanbian"
SERVICE = "/services/yiyuan/"
#: what a failure is: axe-core's two highest impacts
FAILING = ("serious", "critical")


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    hub = Hub(tmp_path_factory.mktemp("a11y"), {"courses_dir": str(ROOT / "courses")})
    hub.cli("db", "upgrade")
    hub.cli("demo", "seed")
    hub.cli("courses", "publish", COURSE, "--actor", "admin")
    hub.cli("courses", "enrol", COURSE, "wangfang", check=False)  # enrolled already if required
    hub.start()
    yield hub
    hub.stop()


@pytest.fixture(scope="module")
def submission(platform) -> int:
    """wangfang's graded submission of the module (for the feedback page)."""
    browser = platform.browser()
    assert browser.login("wangfang", DEMO_PASSWORD).ok
    client = browser.session
    client.headers["Authorization"] = f"token {browser.token()}"
    api = f"{platform.url}{SERVICE}api/lessons/{COURSE}/{MODULE}/"
    page = client.get(f"{platform.url}{SERVICE}lessons/{COURSE}/{MODULE}/", timeout=60).text
    data = json.loads(
        page.split('<script id="yiyuan-lesson-data" type="application/json">')[1].split(
            "</script>"
        )[0]
    )
    answers = {}
    for question in data["questions"]:
        kind = question["type"]
        if kind in ("SingleChoice", "Rating"):
            answers[question["id"]] = question["values"][0]
        elif kind == "TrueFalse":
            answers[question["id"]] = True
        elif kind == "MultipleChoice":
            answers[question["id"]] = question["values"][:1]
        else:
            answers[question["id"]] = "楷书" * 60
    assert client.put(api + "answers", json={"answers": answers}, timeout=60).ok
    created = client.post(api + "submit", json={}, timeout=60)
    assert created.status_code == 201, created.text
    number = created.json()["id"]
    wait_for(
        lambda: client.get(f"{api}result/{number}", timeout=60).json().get("ok") is not None,
        timeout=180,
        what="the submission graded",
    )
    return number


def violations(page) -> list[str]:
    """axe-core's serious and critical findings on the page as it is now, one line each."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        """async () => {
            const r = await axe.run(document, {
                runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]},
            });
            return r.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 3).map(n => n.target.join(" ") + " — " +
                                                    (n.failureSummary || "").slice(0, 160)),
            }));
        }"""
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {page.url}: {v['nodes']}"
        for v in result
        if v["impact"] in FAILING
    ]


def walk(page, paths: list[str], base: str, ready: dict | None = None) -> list[str]:
    found = []
    for path in paths:
        response = page.goto(base + path)
        assert response is not None and response.status < 400, (path, response)
        selector = (ready or {}).get(path)
        if selector:
            page.locator(selector).wait_for(timeout=180_000)
        page.wait_for_load_state("networkidle")
        found += violations(page)
    return found


def learner_paths(submission: int) -> list[str]:
    return [
        SERVICE,
        f"{SERVICE}lessons/{COURSE}/{MODULE}/",
        f"{SERVICE}feedback/{submission}",
        f"{SERVICE}hours",
        f"{SERVICE}courses",
        f"{SERVICE}courses/{COURSE}",
        f"{SERVICE}messages",
        "/hub/change-password",
    ]


LESSON_READY = {f"{SERVICE}lessons/{COURSE}/{MODULE}/": "body[data-yiyuan-ready='1']"}


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_login_page(chromium, platform, viewport):
    context = chromium.new_context(locale="zh-CN", viewport=viewport)
    try:
        page = context.new_page()
        assert walk(page, ["/hub/login"], platform.url) == []
    finally:
        context.close()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_learners_pages(chromium, platform, submission, viewport):
    page = login_page(chromium, platform, "wangfang", viewport=viewport)
    try:
        page.wait_for_url(f"**{SERVICE}**")
        found = walk(page, learner_paths(submission), platform.url, LESSON_READY)
        assert found == [], "\n".join(found)
    finally:
        page.context.close()


def test_a_trainers_pages(chromium, platform, submission):
    page = login_page(chromium, platform, "lihua")
    try:
        page.wait_for_url(f"**{SERVICE}**")
        paths = [
            f"{SERVICE}trainer",
            f"{SERVICE}grading/{COURSE}",
            f"{SERVICE}feedback/{submission}",
        ]
        found = walk(page, paths, platform.url)
        assert found == [], "\n".join(found)
    finally:
        page.context.close()


def test_a_managers_landing_page(chromium, platform):
    page = login_page(chromium, platform, "chenjing")
    try:
        page.wait_for_url(f"**{SERVICE}**")
        found = walk(page, [SERVICE], platform.url)
        assert found == [], "\n".join(found)
        # an association's secretary meets the reports, not「您还没有参加任何课程」
        text = page.inner_text("main")
        assert "统计报表" in text and "还没有参加任何课程" not in text, text
        assert text.index("统计报表") < 20, text
    finally:
        page.context.close()


def test_an_administrators_pages(chromium, platform):
    page = login_page(chromium, platform, "admin")
    try:
        page.wait_for_url(f"**{SERVICE}**")
        paths = [
            f"{SERVICE}admin",
            f"{SERVICE}admin/members",
            f"{SERVICE}admin/members/wangfang",
            f"{SERVICE}admin/roster",
            f"{SERVICE}admin/cohorts",
            f"{SERVICE}admin/courses",
            f"{SERVICE}admin/hours",
            f"{SERVICE}audit",
        ]
        found = walk(page, paths, platform.url)
        assert found == [], "\n".join(found)
    finally:
        page.context.close()


def test_the_walk_finds_what_it_should(chromium, platform):
    # the check itself: a page with an unlabelled field and faint text fails it
    context = chromium.new_context(locale="zh-CN")
    try:
        page = context.new_page()
        page.set_content(
            "<html lang='zh-CN'><head><title>t</title></head><body><main>"
            "<input type='text'><p style='color:#ccc;background:#fff'>看不清的字</p>"
            "</main></body></html>"
        )
        found = " ".join(violations(page))
        assert "label" in found and "color-contrast" in found, found
    finally:
        context.close()


#: what a finger can hit (WCAG 2.5.5 and the Chinese 适老化 rules for apps): CSS pixels
TARGET = 44
SMALL_TARGETS = """(min) => Array.from(document.querySelectorAll(
        'a[href], button, input, select, textarea, summary, [role=button]'))
    .filter(e => e.offsetParent !== null && !e.disabled)
    .map(e => {
        // a radio button or a check box is hit through its label
        const target = (e.type === 'radio' || e.type === 'checkbox') && e.closest('label')
            ? e.closest('label') : e;
        const r = target.getBoundingClientRect();
        return {what: e.tagName.toLowerCase() + ' ' + (e.innerText || e.value || e.name || '')
                    .trim().slice(0, 24), w: Math.round(r.width), h: Math.round(r.height)};
    })
    .filter(t => t.w < min || t.h < min)"""
SMALL_TEXT = """(min) => Array.from(document.querySelectorAll('main p, main li, main td, main label'))
    .filter(e => e.offsetParent !== null && e.innerText.trim())
    .map(e => ({what: e.innerText.trim().slice(0, 24),
                size: parseFloat(getComputedStyle(e).fontSize)}))
    .filter(t => t.size < min)"""


def test_a_learners_text_and_targets_are_big_enough_on_a_phone(chromium, platform, submission):
    page = login_page(chromium, platform, "wangfang", viewport=PHONE)
    try:
        page.wait_for_url(f"**{SERVICE}**")
        problems = {}
        for path in learner_paths(submission)[:-1]:  # the service's pages, not the hub's
            page.goto(platform.url + path)
            if path in LESSON_READY:
                page.locator(LESSON_READY[path]).wait_for(timeout=180_000)
            small = page.evaluate(SMALL_TARGETS, TARGET)
            # body text: 16 px everywhere, 18 px in lessons
            text = page.evaluate(SMALL_TEXT, 18 if path in LESSON_READY else 16)
            if small or text:
                problems[path] = {"targets": small, "text": text}
            if path in LESSON_READY:  # a chosen 正确 / 错误 shows a tick, not only a colour
                marks = page.evaluate(
                    """() => Array.from(document.querySelectorAll(
                        '.widget-toggle-button.mod-active')).map(
                        e => getComputedStyle(e, '::before').content)"""
                )
                assert marks and all("✓" in mark for mark in marks), marks
        assert problems == {}, json.dumps(problems, ensure_ascii=False, indent=1)
    finally:
        page.context.close()


def test_learners_see_their_learning_not_the_hubs_technical_pages(chromium, platform):
    for user, staff in (("wangfang", False), ("lihua", True)):
        page = login_page(chromium, platform, user)
        try:
            page.wait_for_url(f"**{SERVICE}**")
            page.goto(platform.url + "/hub/change-password")
            nav = page.locator("nav")
            assert (nav.get_by_role("link", name="令牌").count() == 1) is staff, user
            assert (nav.get_by_role("link", name="我的学习").count() == 1) is not staff, user
        finally:
            page.context.close()

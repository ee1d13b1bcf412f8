"""The Voila lesson player, end to end: a real hub, the learner's real single-user server
(spawned by the test), real Voila and a real headless Chromium. Since lessons are compiled
(tests/test_lessons_compiled.py), the portal links to the compiled page and only live lessons
come here; these tests open the player's ``yiyuan/open/<course>/<module>`` link directly on a
demo module, answer, reload, submit with confirmation and see the grading result; bad links
give Chinese pages.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from hubtest import PHONE, ROOT, BrowserSession, Hub
from yiyuan.demo import DEMO_PASSWORD

pytestmark = pytest.mark.browser

COURSE, MODULE = "shufa-jianshang", "shuti-yanbian"
#: published but the learner does not enrol in it
OTHER_COURSE, OTHER_MODULE = "yinyue-jichu", "yingao-yinming"
LEARNER = "wangfang"
REFLECTION = "我最喜欢行书，它既有楷书的法度，又有草书的流动。" * 5
DESKTOP = {"width": 1280, "height": 800}
OPEN = f"/hub/user-redirect/yiyuan/open/{COURSE}/{MODULE}"


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    hub = Hub(tmp_path_factory.mktemp("player"), {"courses_dir": str(ROOT / "courses")})
    hub.cli("db", "upgrade")
    hub.cli("demo", "seed")
    hub.cli("courses", "publish", COURSE, "--actor", "admin")
    hub.cli("courses", "publish", OTHER_COURSE, "--actor", "admin")
    hub.start()
    browser = hub.browser()
    assert browser.login(LEARNER, DEMO_PASSWORD).ok
    headers = {"Authorization": f"token {browser.token()}"}
    service = f"{hub.url}/services/yiyuan/"
    enrol = browser.session.post(
        f"{service}api/courses/{COURSE}/enrol", headers=headers, timeout=60
    )
    assert enrol.status_code == 201, enrol.text
    catalog = browser.session.get(f"{service}api/courses", headers=headers, timeout=60).json()
    assert not any(c["code"] == OTHER_COURSE and c["enrolled"] for c in catalog["courses"])
    yield hub
    hub.stop()


class Session(BrowserSession):
    def __init__(self, chromium, hub: Hub, viewport: dict, user: str = LEARNER) -> None:
        super().__init__(chromium, hub, viewport, user, DEMO_PASSWORD)


@pytest.fixture(scope="module")
def desktop(chromium, platform):
    session = Session(chromium, platform, DESKTOP)
    yield session
    session.close()


def module_folder(hub: Hub, user: str = LEARNER) -> Path:
    return hub.data_dir / "homes" / user / COURSE / MODULE


def saved_answers(hub: Hub, user: str = LEARNER) -> dict:
    try:
        data = json.loads((module_folder(hub, user) / "answers.json").read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return data.get("answers", {})


def wait_until_saved(hub: Hub, keys: set[str], timeout: float = 60, user: str = LEARNER) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answers = saved_answers(hub, user)
        if keys <= {k for k, v in answers.items() if v not in (None, "", [])}:
            return answers
        time.sleep(0.3)
    raise AssertionError(f"answers not saved within {timeout} s: {saved_answers(hub, user)}")


def wait_for_lesson(page) -> None:
    page.get_by_label("小篆").wait_for(timeout=180_000)  # the widgets are drawn


def test_opening_a_module_fetches_it_and_renders_the_lesson(platform, desktop, artifacts):
    from playwright.sync_api import expect

    page = desktop.page
    assert not module_folder(platform).exists()
    # from「我的学习」(where the login landed), the course's next step
    course = page.locator(f'section[data-course="{COURSE}"]')
    expect(course.locator(f'li[data-module="{MODULE}"]')).to_contain_text("未开始")
    next_step = course.get_by_role("link", name=re.compile("^开始学习"))
    # the portal offers the compiled page; the player is what live lessons get
    assert next_step.get_attribute("href") == f"/services/yiyuan/lessons/{COURSE}/{MODULE}/"
    started = time.monotonic()
    page.goto(platform.url + OPEN)
    wait_for_lesson(page)
    print(f"first open (spawn + fetch + render): {time.monotonic() - started:.1f} s")
    assert f"/user/{LEARNER}/voila/render/{COURSE}/{MODULE}/{MODULE}.ipynb" in page.url
    marker = json.loads((module_folder(platform) / ".yiyuan.json").read_text("utf-8"))
    assert marker["course_id"] == COURSE and marker["assignment_id"] == MODULE
    assert marker["release"] >= 1
    # Markdown and widgets, no code, no English loading text, no JupyterLab chrome
    body = page.inner_text("body")
    assert "书体" in body
    for code in ("lesson.single_choice", "from yiyuan", "import matplotlib", "expect("):
        assert code not in body and code not in page.content()
    expect(page.locator(".jp-InputArea-editor")).to_have_count(0)
    assert "Running" not in body
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    # the lesson frame, as on compiled lessons: the way back and where the learner is
    bar = page.locator("header.yiyuan-bar")
    back = bar.get_by_role("link", name="← 返回我的学习")
    expect(back).to_have_attribute("href", "/services/yiyuan/")
    expect(bar).to_contain_text(re.compile(r"书法艺术鉴赏入门 · 第 \d+ / \d+ 单元：汉字书体的演变"))
    assert desktop.external == [], desktop.external
    # the player told the service: the portal now shows 学习中
    courses = page.request.get(platform.url + "/services/yiyuan/api/me/courses").json()
    [state] = [m for c in courses["courses"] for m in c["modules"] if m["code"] == MODULE]
    assert state["status_label"] == "学习中"


def test_answers_survive_a_reload_and_submitting_shows_the_result(platform, desktop, artifacts):
    from playwright.sync_api import expect

    page = desktop.page
    page.get_by_label("小篆").check()
    page.get_by_role("button", name="错误", exact=True).click()
    for option in ("章草", "今草", "狂草"):
        page.get_by_label(option, exact=True).check()
    page.get_by_placeholder("请填写两个字").fill("隶变")
    page.get_by_label("柳公权").check()
    page.locator("textarea").fill(REFLECTION)
    page.get_by_role("button", name="满意", exact=True).click()
    wait_until_saved(platform, {"q1", "q2", "q3", "q4", "q5", "r1", "s1"})

    page.reload()
    wait_for_lesson(page)
    expect(page.get_by_label("小篆")).to_be_checked()
    expect(page.get_by_label("狂草", exact=True)).to_be_checked()
    expect(page.get_by_label("魏碑", exact=True)).not_to_be_checked()
    expect(page.get_by_placeholder("请填写两个字")).to_have_value("隶变")
    expect(page.locator("textarea")).to_have_value(REFLECTION)
    expect(page.get_by_label("柳公权")).to_be_checked()

    # the first click only asks; 取消 leaves nothing submitted
    submit = page.get_by_role("button", name="提交本单元")
    submit.click()
    confirm = page.get_by_role("button", name="确认提交")
    expect(confirm).to_be_visible()
    page.get_by_role("button", name="取消", exact=True).click()
    expect(confirm).to_be_hidden()
    expect(page.locator(".yiyuan-message")).to_contain_text("尚未提交")

    submit.click()
    confirm.focus()
    page.keyboard.press("Enter")  # keyboard usable
    message = page.locator(".yiyuan-message")
    expect(message).to_contain_text("已通过", timeout=180_000)
    expect(message).to_contain_text("测验得分 100%")
    feedback = message.get_by_role("link", name="查看评分反馈")
    assert feedback.get_attribute("target") == "_blank"
    assert feedback.get_attribute("href").startswith("/services/yiyuan/feedback/")
    message.scroll_into_view_if_needed()
    page.screenshot(path=artifacts / "lesson-player.png", full_page=True)
    assert desktop.external == [], desktop.external
    # and「我的学习」says so
    page.goto(platform.url + "/services/yiyuan/")
    row = page.locator(f'section[data-course="{COURSE}"] li[data-module="{MODULE}"]')
    expect(row).to_contain_text("已通过")
    expect(row).to_contain_text("得分 100%")


def test_the_lesson_at_phone_size(chromium, platform, artifacts):
    from playwright.sync_api import expect

    phone = Session(chromium, platform, PHONE)
    try:
        started = time.monotonic()
        # on a phone too, from「我的学习」: the passed module offers 复习 (review)
        row = phone.page.locator(f'section[data-course="{COURSE}"] li[data-module="{MODULE}"]')
        expect(row.get_by_role("link", name="复习")).to_be_visible()
        phone.page.goto(platform.url + OPEN)
        wait_for_lesson(phone.page)
        print(f"open again (server running, fetched): {time.monotonic() - started:.1f} s")
        width = phone.page.evaluate("document.documentElement.scrollWidth")
        phone.page.screenshot(path=artifacts / "lesson-player-phone.png", full_page=True)
        assert width <= PHONE["width"] + 1  # no sideways scrolling
        assert phone.external == [], phone.external
    finally:
        phone.close()


UNLABELLED = """() => [...document.querySelectorAll('input, textarea, select, button')]
    .filter(el => el.offsetParent !== null)
    .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                  && !el.getAttribute('aria-labelledby') && !(el.innerText || '').trim()
                  && !el.getAttribute('title'))
    .map(el => el.outerHTML.slice(0, 120))"""


def test_on_a_phone_enrol_study_fail_and_resubmit(chromium, platform, artifacts):
    """A second learner, at 390×844: enrols on the portal, opens the module from it, fails
    the quiz, corrects one answer and resubmits, and passes."""
    from playwright.sync_api import expect

    user = "liuyang"
    phone = Session(chromium, platform, PHONE, user=user)
    page = phone.page
    try:
        page.locator(f'.elective[data-course="{COURSE}"]').get_by_role(
            "button", name="报名"
        ).click()
        course = page.locator(f'section.course[data-course="{COURSE}"]')
        expect(course).to_be_visible(timeout=15_000)
        expect(course.get_by_role("link", name=re.compile("^开始学习"))).to_be_visible()
        page.goto(platform.url + OPEN)
        wait_for_lesson(page)
        # accessibility basics: every visible control has a name a screen reader can read
        assert page.evaluate(UNLABELLED) == []

        page.get_by_role("radio", name="隶书").check()  # wrong
        page.get_by_role("button", name="错误", exact=True).click()
        for option in ("章草", "今草", "狂草"):
            page.get_by_label(option, exact=True).check()
        page.get_by_placeholder("请填写两个字").fill("楷变")  # wrong
        page.get_by_role("radio", name="柳永").check()  # wrong: 2 of 5 is below the 60 % bar
        page.locator("textarea").fill(REFLECTION)
        page.get_by_role("button", name="满意", exact=True).click()
        wait_until_saved(platform, {"q1", "q2", "q3", "q4", "q5", "r1", "s1"}, user=user)
        message = page.locator(".yiyuan-message")
        for expected in ("未通过", "已通过"):
            page.get_by_role("button", name="提交本单元").click()
            page.get_by_role("button", name="确认提交").click()
            expect(message).to_contain_text(expected, timeout=180_000)
            if expected == "未通过":
                expect(message.get_by_role("link", name="查看评分反馈")).to_be_visible()
                page.get_by_label("小篆").check()  # corrected
                page.get_by_placeholder("请填写两个字").fill("隶变")
                page.get_by_role("radio", name="柳公权").check()
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline:
                    saved = saved_answers(platform, user)
                    if (saved.get("q1"), saved.get("q4"), saved.get("q5")) == (
                        "小篆",
                        "隶变",
                        "柳公权",
                    ):
                        break
                    time.sleep(0.3)
        message.scroll_into_view_if_needed()
        page.screenshot(path=artifacts / "lesson-player-phone-passed.png")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
        assert phone.external == [], phone.external
    finally:
        phone.close()


@pytest.mark.parametrize(
    "path, status, words",
    [
        (f"{COURSE}/no-such-module", 404, "没有找到这个单元"),
        (f"{COURSE}/Bad_Name", 404, "单元代码"),
        (f"{OTHER_COURSE}/{OTHER_MODULE}", 403, "无法打开这个单元"),
    ],
)
def test_bad_links_give_a_chinese_page(platform, desktop, path, status, words):
    page = desktop.page
    response = page.goto(f"{platform.url}/user/{LEARNER}/yiyuan/open/{path}")
    assert response.status == status
    body = page.inner_text("body")
    assert words in body and "Traceback" not in body
    link = page.get_by_role("link", name="回到“我的学习”")
    assert link.get_attribute("href") == "/services/yiyuan/"
    course, module = path.split("/")
    assert not (platform.data_dir / "homes" / LEARNER / course / module).exists()


def test_a_missing_lesson_in_voila_is_a_chinese_page(platform, desktop):
    page = desktop.page
    response = page.goto(f"{platform.url}/user/{LEARNER}/voila/render/{COURSE}/{MODULE}/nope.ipynb")
    assert response.status == 404
    body = page.inner_text("body")
    assert "没有找到这篇课件" in body and "Traceback" not in body
    assert page.get_by_role("link", name="回到“我的学习”").get_attribute("href") == (
        "/services/yiyuan/"
    )
    assert desktop.external == [], desktop.external


# -- the result message, without a hub ---------------------------------------------------------

SERVICE = "http://127.0.0.1:8090/services/yiyuan"


def state(grading="done", status=None, needs_manual=False, feedback=(), score=None, **extra):
    result = None if status is None else {"status": status, "score": score, "latest": True}
    grade = {"auto_score": 3, "auto_max": 5, "score": 60.0, "needs_manual": needs_manual}
    grade["feedback"] = feedback
    return {
        "id": 7,
        "grading": grading,
        "grading_error": "",
        "grade": grade,
        "result": result,
        **extra,
    }


def test_result_messages():
    from yiyuan.lesson.platform_submit import AWAITING_TRAINER, result_outcome

    assert result_outcome(state("queued"), SERVICE) == (None, False)
    assert result_outcome(state("done"), SERVICE) == (None, False)  # no result yet
    failed, final = result_outcome(state(status="failed", feedback=["a b.html"]), SERVICE)
    assert final and not failed.ok
    assert failed.message.startswith("未通过（测验得分 60%）")
    # the page that names each question (「学习反馈」), whether or not nbgrader made a page
    assert failed.link == ("查看评分反馈", "/services/yiyuan/feedback/7")
    passed, final = result_outcome(state(status="passed", score=80.0), SERVICE)
    assert final and passed.ok and passed.message == "已通过（测验得分 80%）。"
    assert passed.link == failed.link
    waiting, final = result_outcome(state(status="submitted", needs_manual=True), SERVICE)
    assert not final and waiting.message == AWAITING_TRAINER
    broken = state("failed", grading_error="课件运行超时。")
    outcome, final = result_outcome(broken, SERVICE)
    assert final and not outcome.ok and outcome.message.startswith("评分失败：课件运行超时。")
    # the module passed on another (earlier, better) submission: this one still has its result
    older = state(status="passed", feedback=["a.html"])
    older["result"]["latest"] = False
    outcome, final = result_outcome(older, SERVICE)
    assert final and outcome.ok and outcome.message.startswith("本次提交已评分（测验得分")
    assert "成绩按您最好的一次计算" in outcome.message and outcome.link is not None


def test_following_a_submission_stops_at_the_final_state():
    from yiyuan.exchange.client import ServiceError
    from yiyuan.lesson.platform_submit import follow_submission

    answers = iter(
        [state("queued"), ServiceError("down"), state(status="passed", score=100), state()]
    )

    class Client:
        url = SERVICE

        def get_json(self, path):
            assert path == "api/submissions/7"
            answer = next(answers)
            if isinstance(answer, Exception):
                raise answer
            return answer

    shown = []
    follow_submission(Client(), 7, shown.append, seconds=30, interval=0)
    assert [o.message for o in shown] == ["已通过（测验得分 100%）。"]
    assert next(answers) == state()  # it stopped asking


def test_the_confirmation_pair(monkeypatch):
    from yiyuan.lesson.submit import CANCELLED, Outcome, SubmitPanel

    calls = []
    missing = [Outcome(False, "还有 1 项没有完成", ["判断题"])]

    def precheck():
        return missing.pop() if missing else None

    panel = SubmitPanel(lambda: calls.append(1) or Outcome(True, "提交成功"), precheck)
    panel.button.click()  # incomplete: no confirmation, the list of what is missing
    assert panel.confirm_box.layout.display == "none" and "判断题" in panel.message.value
    panel.button.click()
    assert panel.confirm_box.layout.display == "flex" and calls == []
    panel.cancel_button.click()
    assert panel.confirm_box.layout.display == "none" and CANCELLED in panel.message.value
    assert calls == []
    panel.button.click()
    panel.confirm_button.click()
    assert calls == [1] and "提交成功" in panel.message.value


# -- fetching, without a hub ---------------------------------------------------------------


class FakeService:
    url = SERVICE

    def __init__(self, error=None, data=b""):
        self.error, self.data, self.calls = error, data, 0

    def release(self, course, module):
        self.calls += 1
        if self.error:
            raise self.error
        return self.data, 3


@pytest.mark.parametrize(
    "status, expected", [(0, 503), (404, 404), (403, 403), (401, 403), (500, 503)]
)
def test_service_failures_become_chinese_player_errors(tmp_path, status, expected):
    from yiyuan.exchange.client import ServiceError
    from yiyuan.exchange.player import PlayerError, fetch_module

    client = FakeService(ServiceError("无法连接平台服务，请稍后再试。", status))
    with pytest.raises(PlayerError) as caught:
        fetch_module(tmp_path / COURSE / MODULE, COURSE, MODULE, client)
    assert caught.value.status == expected
    assert caught.value.message == "无法连接平台服务，请稍后再试。"
    assert not (tmp_path / COURSE).exists()


def test_a_fetched_module_has_its_marker_and_a_first_lesson(tmp_path):
    from yiyuan.exchange import archives
    from yiyuan.exchange.modulefolder import module_of
    from yiyuan.exchange.player import PlayerError, fetch_module, first_lesson

    source = tmp_path / "source"
    source.mkdir()
    for name in ("b.ipynb", "a.ipynb", "notes.txt"):
        (source / name).write_text("{}")
    folder = tmp_path / "home" / COURSE / MODULE
    fetch_module(folder, COURSE, MODULE, FakeService(data=archives.pack(source)))
    assert module_of(folder).release == 3
    assert first_lesson(folder, MODULE) == "a.ipynb"
    (folder / f"{MODULE}.ipynb").write_text("{}")
    assert first_lesson(folder, MODULE) == f"{MODULE}.ipynb"
    broken = FakeService(data=b"not an archive")
    with pytest.raises(PlayerError, match="课件包无法解开") as caught:
        fetch_module(tmp_path / "home" / COURSE / "other", COURSE, "other", broken)
    assert caught.value.title == "课件获取失败"
    assert not (tmp_path / "home" / COURSE / "other").exists()
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(PlayerError, match="没有可以打开的课件"):
        first_lesson(empty, MODULE)


def test_where_a_live_lesson_is_in_its_course():
    from yiyuan.exchange.player import where_of

    courses = [
        {
            "code": "shufa",
            "title": "书法鉴赏",
            "modules": [{"code": "a", "title": "甲"}, {"code": "b", "title": "乙"}],
        }
    ]
    assert where_of(courses, "shufa", "b") == "书法鉴赏 · 第 2 / 2 单元：乙"
    assert where_of(courses, "shufa", "c") == where_of(courses, "other", "a") == ""

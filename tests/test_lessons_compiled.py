"""Compiled lessons, end to end: a real hub, the yiyuan service, the real grading worker and a
real headless Chromium — and no single-user server for the learner. Publishing compiles each
lesson into a page; the learner opens it from「我的学习」, answers, reloads (answers kept by the
service), submits with confirmation, fails, corrects and passes, at desktop and phone size.
Bad requests and other people's requests get Chinese refusals.
"""

from __future__ import annotations

import json
import re
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import requests

from hubtest import PHONE, ROOT, BrowserSession, Hub, wait_until_marked, watch_problems
from yiyuan.demo import DEMO_PASSWORD

pytestmark = pytest.mark.browser

COURSE, MODULE = "shufa-jianshang", "shuti-yanbian"
LIVE_COURSE, LIVE_MODULE = "xinmeiti-chuanbo", "yunzhanlan"
#: the other demo courses: every demo lesson is opened once
MORE_COURSES = ("ershida-wenyi", "yinyue-jichu")
DEMO_MODULES = [
    (course, folder.name)
    for course in (COURSE, LIVE_COURSE, *MORE_COURSES)
    for folder in sorted((ROOT / "courses" / "notebooks" / course).iterdir())
    if (course, folder.name) != (LIVE_COURSE, LIVE_MODULE)
]
LEARNER = "wangfang"
#: another learner, not enrolled in COURSE
STRANGER = "zhaolei"
REFLECTION = "我最喜欢行书，它既有楷书的法度，又有草书的流动。" * 5
DESKTOP = {"width": 1280, "height": 800}
SERVICE = "/services/yiyuan/"
PAGE = f"{SERVICE}lessons/{COURSE}/{MODULE}/"
API = f"{SERVICE}api/lessons/{COURSE}/{MODULE}/"


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    hub = Hub(
        tmp_path_factory.mktemp("compiled"),
        # as deployed: only learners with a live lesson may start a server
        {"courses_dir": str(ROOT / "courses"), "hub": {"learner_servers": "needed"}},
    )
    hub.cli("db", "upgrade")
    hub.cli("demo", "seed")
    published = hub.cli("courses", "publish", COURSE, "--actor", "admin").stdout
    assert "课件已编译为网页" in published, published
    live = hub.cli("courses", "publish", LIVE_COURSE, "--actor", "admin").stdout
    assert "含实时代码" in live and LIVE_MODULE in live, live
    hub.cli("courses", "publish", *MORE_COURSES, "--actor", "admin")
    for user, course in [(LEARNER, c) for c in (COURSE, LIVE_COURSE, *MORE_COURSES)] + [
        ("liuyang", COURSE)
    ]:
        hub.cli("courses", "enrol", course, user, check=False)  # required ones: enrolled already
    hub.start()
    yield hub
    hub.stop()


def api_client(hub: Hub, user: str) -> requests.Session:
    browser = hub.browser()
    assert browser.login(user, DEMO_PASSWORD).ok
    browser.session.headers["Authorization"] = f"token {browser.token()}"
    return browser.session


class Session(BrowserSession):
    def __init__(self, chromium, hub: Hub, viewport: dict, user: str = LEARNER) -> None:
        super().__init__(chromium, hub, viewport, user, DEMO_PASSWORD)


@pytest.fixture(scope="module")
def desktop(chromium, platform):
    session = Session(chromium, platform, DESKTOP)
    yield session
    session.close()


def wait_for_lesson(page) -> None:
    # a page of static files: seconds at most, but CI machines stall now and then
    wait_until_marked(page, "body[data-yiyuan-ready='1']", 180_000)


def saved(hub: Hub, client: requests.Session) -> dict:
    return client.get(f"{hub.url}{API}answers", timeout=30).json()["answers"]


def wait_until_saved(hub: Hub, client, keys: set[str], timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answers = saved(hub, client)
        if keys <= set(answers):
            return answers
        time.sleep(0.3)
    raise AssertionError(f"answers not saved within {timeout} s: {saved(hub, client)}")


def servers_of(hub: Hub, user: str) -> dict:
    """The user's servers as the hub's API tells the user (a token of their own)."""
    response = api_client(hub, user).get(f"{hub.url}/hub/api/users/{user}", timeout=30)
    assert response.status_code == 200, response.text
    return response.json()["servers"]


def compile_processes() -> str:
    """Processes of the compile sandbox's uid (yiyuan.catalog.compile)."""
    import subprocess

    from yiyuan.catalog.compile import COMPILE_SLOT
    from yiyuan.settings import GradingSettings

    uid = GradingSettings().sandbox_uid + COMPILE_SLOT
    return subprocess.run(
        ["ps", "-o", "pid=,args=", "-u", str(uid)], capture_output=True, text=True
    ).stdout.strip()


def test_publishing_compiles_each_lesson_into_a_page(platform):
    # every kernel a compile started is gone (a client given its kernel manager would have
    # left each running, until the uid's process limit refused the next kernel)
    assert compile_processes() == ""
    compiled = platform.data_dir / "exchange" / "compiled" / COURSE / MODULE
    [release] = [p for p in compiled.iterdir() if p.is_dir()]
    spec = json.loads((release / "lessons.json").read_text("utf-8"))
    assert spec["live"] is False
    [lesson] = spec["lessons"]
    assert lesson["name"] == f"{MODULE}.ipynb" and lesson["submit"] is True
    assert [q["id"] for q in lesson["questions"]] == ["q1", "q2", "q3", "q4", "q5", "r1", "s1"]
    page = (release / f"{MODULE}.html").read_text("utf-8")
    for code in ("lesson.single_choice", "from yiyuan", "import matplotlib", "expect("):
        assert code not in page
    assert "application/vnd.jupyter.widget-state+json" in page
    live = json.loads(
        next(
            (platform.data_dir / "exchange" / "compiled" / LIVE_COURSE / LIVE_MODULE).glob(
                "*/lessons.json"
            )
        ).read_text("utf-8")
    )
    assert live["live"] is True


def test_the_learner_opens_a_lesson_from_the_portal_without_a_server(platform, desktop, artifacts):
    from playwright.sync_api import expect

    page = desktop.page
    course = page.locator(f'section[data-course="{COURSE}"]')
    next_step = course.get_by_role("link", name=re.compile("^开始学习"))
    assert next_step.get_attribute("href") == PAGE
    next_step.click()
    wait_for_lesson(page)
    body = page.inner_text("body")
    assert "书体" in body and "返回我的学习" in body
    for code in ("lesson.single_choice", "from yiyuan", "import matplotlib", "expect("):
        assert code not in page.content()
    assert "Executing" not in body and "Running" not in body
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    expect(page.get_by_label("小篆")).to_be_visible()
    # how much is done, and the lesson's sections at hand: folded, then a jump to one
    expect(page.locator(".yiyuan-progress")).to_have_text("已完成 0 / 7 项")
    contents = page.locator("details.yiyuan-contents")
    summary = contents.locator("summary")
    expect(summary).to_have_text(re.compile(r"^本课内容（共 \d+ 节）$"))
    sections = contents.get_by_role("navigation", name="本课内容").get_by_role("link")
    expect(sections.first).to_be_hidden()
    summary.click()
    page.screenshot(path=artifacts / "lesson-contents.png")  # what a learner sees first
    headings = page.locator("#yiyuan-lesson-main h2")
    assert sections.count() == headings.count() >= 3
    last = sections.last
    assert "¶" not in last.inner_text() and last.inner_text().strip()
    last.click()
    assert page.evaluate("decodeURIComponent(location.hash)") == "#" + headings.last.get_attribute(
        "id"
    )
    expect(headings.last).to_be_in_viewport()
    assert desktop.external == [], desktop.external
    courses = page.request.get(platform.url + SERVICE + "api/me/courses").json()
    [state] = [m for c in courses["courses"] for m in c["modules"] if m["code"] == MODULE]
    assert state["status_label"] == "学习中"
    assert servers_of(platform, LEARNER) == {}


def test_answers_are_saved_kept_over_a_reload_and_submitted(platform, desktop, artifacts):
    from playwright.sync_api import expect

    page = desktop.page
    client = api_client(platform, LEARNER)
    page.get_by_label("小篆").check()
    page.get_by_role("button", name="错误", exact=True).click()
    for option in ("章草", "今草", "狂草"):
        page.get_by_label(option, exact=True).check()
    page.get_by_placeholder("请填写两个字").fill("隶变")
    page.get_by_label("柳公权").check()
    page.locator("textarea").fill(REFLECTION[:20])
    expect(page.locator(".yiyuan-count")).to_contain_text("已写 20 字，至少")
    # the reflection is too short to count yet
    expect(page.locator(".yiyuan-progress")).to_have_text("已完成 5 / 7 项")
    page.get_by_role("button", name="满意", exact=True).click()
    expect(page.locator(".yiyuan-progress")).to_have_text("已完成 6 / 7 项")
    answers = wait_until_saved(platform, client, {"q1", "q2", "q3", "q4", "q5", "r1", "s1"})
    assert answers["q2"] is False and answers["s1"] == 4
    assert sorted(answers["q3"]) == sorted(["章草", "今草", "狂草"])
    expect(page.locator(".yiyuan-save-state")).to_contain_text("已自动保存")

    page.reload()
    wait_for_lesson(page)
    expect(page.get_by_label("小篆")).to_be_checked()
    expect(page.get_by_label("狂草", exact=True)).to_be_checked()
    expect(page.get_by_label("魏碑", exact=True)).not_to_be_checked()
    expect(page.get_by_placeholder("请填写两个字")).to_have_value("隶变")
    expect(page.locator("textarea")).to_have_value(REFLECTION[:20])

    # too short a reflection: the list of what is missing, nothing submitted
    submit = page.get_by_role("button", name="提交本单元")
    submit.click()
    message = page.locator(".yiyuan-message")
    expect(message).to_contain_text("还有 1 项没有完成")
    expect(message).to_contain_text("已写 20 字，至少 100 字")

    page.locator("textarea").fill(REFLECTION)
    expect(page.locator(".yiyuan-progress")).to_have_text("已完成 7 / 7 项")
    # the first click only asks; 取消 leaves nothing submitted
    submit.click()
    confirm = page.get_by_role("button", name="确认提交")
    expect(confirm).to_be_visible()
    page.get_by_role("button", name="取消", exact=True).click()
    expect(confirm).to_be_hidden()
    expect(message).to_contain_text("尚未提交")

    submit.click()
    confirm.focus()
    page.keyboard.press("Enter")  # keyboard usable
    expect(message).to_contain_text("已通过", timeout=20_000)
    expect(message).to_contain_text("测验得分 100%")
    feedback = message.get_by_role("link", name="查看评分反馈")
    assert feedback.get_attribute("href").startswith(SERVICE + "feedback/")
    # where the learner is, and the way on after passing
    expect(page.locator(".yiyuan-where")).to_contain_text("第 1 / 4 单元：汉字书体的演变")
    # the due date and what happens after it, beside the button
    expect(page.locator(".yiyuan-due")).to_have_text("截止日期：2027年3月31日；截止后不能再提交。")
    onward = message.get_by_role("link", name="下一单元：楷书与印刷字体")
    assert onward.get_attribute("href") == f"{SERVICE}lessons/{COURSE}/kaishu-ziti/"
    page.screenshot(path=artifacts / "lesson-compiled.png", full_page=True)
    assert desktop.external == [], desktop.external
    assert servers_of(platform, LEARNER) == {}
    # back to「我的学习」(the lesson was opened from it): what changed, without a reload
    page.go_back()
    expect(page).to_have_url(platform.url + SERVICE)
    row = page.locator(f'section[data-course="{COURSE}"] li[data-module="{MODULE}"]')
    expect(row).to_contain_text("已通过")


def test_a_resubmission_shows_its_own_result_at_phone_size(chromium, platform, artifacts):
    from playwright.sync_api import expect

    phone = Session(chromium, platform, PHONE)
    try:
        page = phone.page
        row = page.locator(f'section[data-course="{COURSE}"] li[data-module="{MODULE}"]')
        row.get_by_role("link", name="复习").click()
        wait_for_lesson(page)
        expect(page.get_by_label("小篆")).to_be_checked()  # the earlier answers
        message = page.locator(".yiyuan-message")
        expect(message).to_contain_text("您上次的提交：已通过")  # and how they went
        page.get_by_label("大篆").check()  # now wrong
        page.get_by_role("button", name="提交本单元").click()
        page.get_by_role("button", name="确认提交").click()
        message = page.locator(".yiyuan-message")
        # graded on its own: the module stays passed on the better, earlier submission
        expect(message).to_contain_text("本次提交已评分", timeout=20_000)
        expect(message).to_contain_text("成绩按您最好的一次计算")
        page.screenshot(path=artifacts / "lesson-compiled-phone.png", full_page=True)
        assert phone.external == [], phone.external
    finally:
        phone.close()
    assert servers_of(platform, LEARNER) == {}


def test_the_feedback_names_each_question_and_shows_the_teachers_comment(
    platform, desktop, artifacts
):
    from playwright.sync_api import expect

    # the resubmission above: 大篆 for q1 (wrong), the rest right, the reflection waiting
    trainer = api_client(platform, "lihua")
    queue = trainer.get(f"{platform.url}{SERVICE}api/grading/{COURSE}/queue", timeout=30).json()
    [item] = [i for i in queue["items"] if i["username"] == LEARNER and i["module_code"] == MODULE]
    submission = item["submission_id"]
    page = desktop.page
    page.goto(f"{platform.url}{SERVICE}feedback/{submission}")
    lesson = json.loads(
        api_client(platform, LEARNER)
        .get(f"{platform.url}{PAGE}", timeout=30)
        .text.split('<script id="yiyuan-lesson-data" type="application/json">')[1]
        .split("</script>")[0]
    )
    checked = [q for q in lesson["questions"] if q["type"] not in ("Reflection", "Rating")]
    expect(page.locator("h1")).to_have_text(item["module_title"])
    body = page.inner_text("main")
    for question in lesson["questions"]:
        if question["type"] != "Rating":
            assert question["prompt"] in body, question["prompt"]
    assert body.count("✗ 回答不正确") == 1 and body.count("✓ 回答正确") == len(checked) - 1
    assert "您的回答：大篆" in body
    assert "待教师评阅" in body
    assert "成绩按您最好的一次提交计算：已通过" in body
    # one score, the portal's: this submission's quiz alone
    assert f"（{len(checked)} 题中答对 {len(checked) - 1} 题）" in body
    for code in ("q1", "r1", "-check", "-task", "¶", "（得分"):
        assert code not in body, code

    graded = trainer.post(
        f"{platform.url}{SERVICE}api/grading/submissions/{submission}",
        json={"scores": {"r1-task": 2}, "comments": {"r1-task": "体会真切，继续努力。"}},
        timeout=30,
    )
    assert graded.status_code == 200, graded.text
    page.reload()
    body = page.inner_text("main")
    assert "待教师评阅" not in body
    assert "教师评分：2 / 2 分" in body and "教师评语：体会真切，继续努力。" in body
    assert body.index("教师评语") < body.index("随堂测验")  # the teacher's word comes first
    page.screenshot(path=artifacts / "feedback.png", full_page=True)

    # the lesson's own link leads here; strangers and made-up numbers get a Chinese 404
    stranger = api_client(platform, STRANGER)
    for number in (submission, 99999999):
        response = stranger.get(f"{platform.url}{SERVICE}feedback/{number}", timeout=30)
        assert response.status_code == 404 and "找不到这份提交" in response.text
        assert "体会真切" not in response.text


def test_my_hours_lists_each_credit_and_the_portals_total(platform, desktop, artifacts):
    from playwright.sync_api import expect

    page = desktop.page
    page.goto(platform.url + SERVICE)
    portal_total = page.locator(".summary .big").first.inner_text()
    page.get_by_role("link", name="查看明细").click()
    year = datetime.now(ZoneInfo("Asia/Shanghai")).year
    expect(page.get_by_role("heading", name=f"{year} 年共获得")).to_contain_text(
        f"{year} 年共获得 {portal_total} 学时"
    )
    entry = page.locator("ul.ledger li").filter(has_text="汉字书体的演变")
    expect(entry).to_contain_text("书法艺术鉴赏入门 · 汉字书体的演变")
    expect(entry).to_contain_text("+1 学时")
    page.screenshot(path=artifacts / "my-hours.png", full_page=True)
    client = api_client(platform, LEARNER)
    for bad in ("1999", "abc", "../2026"):
        response = client.get(f"{platform.url}{SERVICE}hours", params={"year": bad}, timeout=30)
        assert response.status_code == 404 and "学时记录" in response.text, bad
    # someone else's hours are not there to be asked for: the page is always the caller's own
    stranger = api_client(platform, STRANGER).get(f"{platform.url}{SERVICE}hours", timeout=30)
    assert stranger.status_code == 200 and "汉字书体的演变" not in stranger.text


def test_a_live_lesson_goes_to_the_voila_player(platform):
    client = api_client(platform, LEARNER)
    response = client.get(
        f"{platform.url}{SERVICE}lessons/{LIVE_COURSE}/{LIVE_MODULE}/", allow_redirects=False
    )
    assert response.status_code == 302
    assert (
        response.headers["Location"]
        == f"/hub/user-redirect/yiyuan/open/{LIVE_COURSE}/{LIVE_MODULE}"
    )


def test_bad_answers_and_strangers_are_refused_in_chinese(platform):
    learner = api_client(platform, LEARNER)
    url = f"{platform.url}{API}answers"
    wrong_option = learner.put(url, json={"answers": {"q1": "不存在的选项"}}, timeout=30)
    assert wrong_option.status_code == 400 and "答案无效" in wrong_option.json()["error"]
    unknown = learner.put(url, json={"answers": {"zz": "x"}}, timeout=30)
    assert unknown.status_code == 400 and "没有编号" in unknown.json()["error"]
    not_a_bool = learner.put(url, json={"answers": {"q2": "错误"}}, timeout=30)
    assert not_a_bool.status_code == 400
    huge = learner.put(url, json={"answers": {"r1": "字" * 200_000}}, timeout=30)
    assert huge.status_code == 413 and "太长" in huge.json()["error"]
    no_answers = learner.put(url, data=b"[]", timeout=30)
    assert no_answers.status_code == 400
    assert saved(platform, learner)["q1"] == "大篆"  # nothing above changed what was saved

    stranger = api_client(platform, STRANGER)
    for method, path in (("get", "answers"), ("put", "answers"), ("post", "submit")):
        response = getattr(stranger, method)(f"{platform.url}{API}{path}", json={}, timeout=30)
        assert response.status_code == 403, (path, response.text)
        assert "没有参加课程" in response.json()["error"]
    page = stranger.get(f"{platform.url}{PAGE}", timeout=30)
    assert page.status_code == 403 and "没有参加课程" in page.text
    for path in (
        f"{SERVICE}lessons/{COURSE}/nope/",
        f"{SERVICE}lessons/{COURSE}/{MODULE}/other.ipynb",
        f"{SERVICE}lessons/{COURSE}/{MODULE}/..%2F..%2Fsecrets",
        f"{SERVICE}static/lesson/..%2F..%2Fapp.py",
    ):
        response = learner.get(f"{platform.url}{path}", timeout=30)
        assert response.status_code in (403, 404), (path, response.status_code)
        assert "def make_app" not in response.text
    other = learner.get(f"{platform.url}{API}result/999999", timeout=30)
    assert other.status_code == 404 and "找不到" in other.json()["error"]


def test_the_lesson_scripts_are_versioned_and_gzipped_once(platform):
    learner = api_client(platform, LEARNER)
    page = learner.get(f"{platform.url}{PAGE}", timeout=30).text
    urls = re.findall(r'(?:src|href)="(/services/yiyuan/static/[^"]+)"', page)
    assert {u.split("?")[0].rsplit("/", 1)[1] for u in urls} == {
        "lesson.css", "require.js", "libembed-amd.js", "lesson.js", "large-text.js",
        # LaTeX, drawn by KaTeX from npm (static/katex), before require.js
        "katex.min.css", "katex.min.js", "auto-render.min.js", "math.js",
    }  # fmt: skip
    order = [u.split("?")[0].rsplit("/", 1)[1] for u in urls]
    assert order.index("auto-render.min.js") < order.index("require.js")
    # KaTeX's fonts come from the same place, and nothing else of its package
    font = f"{platform.url}{SERVICE}static/katex/fonts/KaTeX_Main-Regular.woff2"
    assert requests.get(font, timeout=30).status_code == 200
    assert (
        requests.get(f"{platform.url}{SERVICE}static/katex/katex.mjs", timeout=30).status_code
        == 404
    )
    assert all(re.search(r"\?v=[0-9a-f]{32,}$", u) for u in urls), urls
    widgets = next(u for u in urls if "libembed-amd.js" in u)
    on_disk = (
        ROOT / "node_modules/@jupyter-widgets/html-manager/dist/libembed-amd.js"
    ).read_bytes()
    raw = requests.get(f"{platform.url}{widgets}", stream=True, timeout=30)
    zipped = raw.raw.read(decode_content=False)  # the bytes as sent
    assert raw.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in raw.headers["Vary"]
    assert int(raw.headers["Content-Length"]) == len(zipped) < len(on_disk) / 3
    assert "max-age=31536000" in raw.headers["Cache-Control"]  # versioned: a year
    again = requests.get(f"{platform.url}{widgets}", timeout=30)
    assert again.content == on_disk and again.headers["Etag"] == raw.headers["Etag"]
    cached = requests.get(
        f"{platform.url}{widgets}", headers={"If-None-Match": raw.headers["Etag"]}, timeout=30
    )
    assert cached.status_code == 304
    plain = requests.get(
        f"{platform.url}{widgets}", headers={"Accept-Encoding": "identity"}, timeout=30
    )
    assert "Content-Encoding" not in plain.headers and plain.content == on_disk
    part = requests.get(
        f"{platform.url}{widgets}",
        headers={"Accept-Encoding": "identity", "Range": "bytes=0-99"},
        timeout=30,
    )
    assert part.status_code == 206 and part.content == on_disk[:100]
    unversioned = requests.get(f"{platform.url}{SERVICE}static/lesson/lesson.css", timeout=30)
    assert "max-age=86400" in unversioned.headers["Cache-Control"]
    assert (
        requests.get(f"{platform.url}{SERVICE}static/requirejs/bin/r.js", timeout=30).status_code
        == 404
    )


@pytest.mark.parametrize("course, module", DEMO_MODULES)
def test_every_demo_lesson_opens_compiled_with_all_its_questions(platform, desktop, course, module):
    page = desktop.page
    response = page.goto(f"{platform.url}{SERVICE}lessons/{course}/{module}/")
    assert response.status == 200
    wait_for_lesson(page)
    data = json.loads(page.locator("#yiyuan-lesson-data").text_content())
    assert data["questions"], "a demo lesson asks something"
    for question in data["questions"]:  # each question's inputs are drawn
        assert page.get_by_text(question["prompt"], exact=True).count() >= 1, question["prompt"]
    assert page.locator(".yiyuan-message.bad").count() == 0  # no「题目没有显示完整」
    assert page.get_by_role("button", name="提交本单元").count() == 1
    assert desktop.external == [], desktop.external


def test_a_lesson_whose_widgets_cannot_load_says_so(platform, desktop):
    # the widget manager lost on the way (a proxy, a dropped connection): the page must say
    # so in Chinese and stay readable, not wait silently forever
    page = desktop.context.new_page()
    watch_problems(page)
    page.route("**/*html-manager*", lambda route: route.abort())
    page.route("**/libembed-amd.js*", lambda route: route.abort())
    try:
        page.goto(f"{platform.url}{PAGE}")
        wait_for_lesson(page)
        notice = page.get_by_role("alert")
        assert "题目没有显示完整，请刷新页面" in notice.inner_text()
        assert "书体" in page.inner_text("body")
    finally:
        page.close()


def test_answers_from_a_learners_server_are_carried_over(platform):
    module = "kaishu-ziti"
    folder = platform.data_dir / "homes" / "liuyang" / COURSE / module
    folder.mkdir(parents=True)
    marker = {"course_id": COURSE, "assignment_id": module, "release": 1}
    (folder / ".yiyuan.json").write_text(json.dumps(marker), "utf-8")
    sidecar = {"version": 1, "answers": {"q1": "宋体", "q2": False, "gone": "x", "q4": "勒"}}
    (folder / "answers.json").write_text(json.dumps(sidecar, ensure_ascii=False), "utf-8")
    broken = platform.data_dir / "homes" / "liuyang" / COURSE / "jianshang-fangfa"
    broken.mkdir(parents=True)
    (broken / "answers.json").write_text("{not json", "utf-8")

    first = platform.cli("lessons", "compile", "--all").stdout
    assert f"迁移答案：liuyang 的 {COURSE}/{module}" in first, first
    assert "无需重新编译" in first and "无法读取（原样保留）" in first
    assert (broken / "answers.json").read_text("utf-8") == "{not json"
    again = platform.cli("lessons", "compile", "--all").stdout
    assert "迁移了 0 份学员答案" in again  # idempotent

    client = api_client(platform, "liuyang")
    url = f"{platform.url}{SERVICE}api/lessons/{COURSE}/{module}/answers"
    # the question that no longer exists is left out
    assert client.get(url, timeout=30).json()["answers"] == {"q1": "宋体", "q2": False, "q4": "勒"}
    wrong = platform.cli("lessons", "compile", "no-such-course", check=False)
    assert wrong.returncode != 0 and "没有这些已发布的课程" in (wrong.stdout + wrong.stderr)


def test_only_learners_with_a_live_lesson_may_start_a_server(platform):
    # liuyang's courses are all compiled: no server, a Chinese answer
    browser = platform.browser()
    assert browser.login("liuyang", DEMO_PASSWORD).ok
    refused = browser.get("/hub/spawn")
    # the hub's page says why (the spawn hook refused: yiyuan.hub.learnerservers)
    assert "不需要学习环境" in refused.text and "Failed to start" not in refused.text
    assert "Traceback" not in refused.text
    assert servers_of(platform, "liuyang") == {}
    # wangfang has the live 云展览 lesson: her server starts (locked down to lessons)
    learner = platform.browser()
    assert learner.login(LEARNER, DEMO_PASSWORD).ok
    learner.get("/hub/spawn")
    learner.wait_for_server(LEARNER)
    assert "" in servers_of(platform, LEARNER)
    lab = learner.get(f"/user/{LEARNER}/lab")
    assert lab.status_code == 403
    stop = learner.session.delete(
        f"{platform.url}/hub/api/users/{LEARNER}/server",
        headers={"Authorization": f"token {learner.token()}"},
        timeout=60,
    )
    assert stop.status_code in (202, 204), stop.text


def test_late_work_is_taken_and_costs_what_the_course_says(platform, desktop, artifacts):
    """The course two days past its due date, late work taken at 10 points a day: the learner
    reads the rule beside the button and the cost before confirming; the feedback shows the
    score after the penalty (100 - 20)."""
    from playwright.sync_api import expect
    from sqlalchemy import select

    from yiyuan.db import Database
    from yiyuan.models import Course, Grade, Submission

    database = Database(f"sqlite:///{platform.data_dir / 'yiyuan.sqlite'}")

    def set_course(due, policy) -> tuple:
        with database.session() as session:
            course = session.scalars(select(Course).where(Course.code == COURSE)).one()
            before = (course.due, course.late_policy)
            course.due, course.late_policy = due, policy
            session.commit()
        return before

    client = api_client(platform, LEARNER)
    right = {"q1": "小篆", "q2": False, "q3": ["章草", "今草", "狂草"], "q4": "隶变"}
    right |= {"q5": "柳公权", "r1": REFLECTION, "s1": 4}
    saved_answers = client.put(f"{platform.url}{API}answers", json={"answers": right}, timeout=30)
    assert saved_answers.status_code == 200, saved_answers.text
    two_days_ago = datetime.now(ZoneInfo("Asia/Shanghai")) - timedelta(days=2)
    before = set_course(two_days_ago, {"policy": "penalty", "penalty": 10, "days": 7})
    try:
        page = desktop.page
        page.goto(f"{platform.url}{PAGE}")
        wait_for_lesson(page)
        expect(page.locator(".yiyuan-due")).to_contain_text(
            "截止后 7 天内仍可提交，每迟交一天，得分率扣 10 个百分点"
        )
        page.get_by_role("button", name="提交本单元").click()
        expect(page.locator(".yiyuan-confirm")).to_contain_text(
            "已过截止日期，迟交 2 天，得分率扣 20 个百分点。"
        )
        page.get_by_role("button", name="确认提交").click()
        message = page.locator(".yiyuan-message")
        # this submission's own score, after the penalty (in the whole file, the module stays
        # passed on the earlier 100: 本次提交已评分（测验得分 80%）)
        expect(message).to_contain_text("（测验得分 80%）", timeout=20_000)
        page.screenshot(path=artifacts / "lesson-late.png", full_page=True)
        with database.session() as session:
            latest = session.scalars(
                select(Submission).order_by(Submission.id.desc()).limit(1)
            ).one()
            grade = session.scalars(select(Grade).where(Grade.submission_id == latest.id)).one()
            assert latest.late and grade.auto_score == grade.auto_max  # all right: 100 raw
        page.goto(f"{platform.url}{SERVICE}feedback/{latest.id}")
        body = page.inner_text("main")
        assert "已过截止日期，迟交 2 天，得分率扣 20 个百分点。" in body
        assert "测验得分 80%" in body
        page.screenshot(path=artifacts / "feedback-late.png", full_page=True)
        # the trainer's queue says it came late, and what it cost
        trainer = api_client(platform, "lihua")
        queue = trainer.get(f"{platform.url}{SERVICE}api/grading/{COURSE}/queue", timeout=30)
        [item] = [i for i in queue.json()["items"] if i["submission_id"] == latest.id]
        assert item["late"] == "迟交 2 天，测验得分率扣 20 个百分点"
        grading = trainer.get(f"{platform.url}{SERVICE}grading/{COURSE}", timeout=30).text
        assert '<span class="tag late">迟交 2 天，测验得分率扣 20 个百分点</span>' in grading
    finally:
        set_course(*before)
        database.dispose()

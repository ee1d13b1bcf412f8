"""Flows 2–4 end to end with a real hub: publish → enrol → fetch → submit → autograde →
completion → feedback → manual grading, through the yiyuan service's HTTP API with each
person's own hub token (what their single-user server would use).
"""

from __future__ import annotations

import os
import re
import signal
import time
from pathlib import Path

import people as people_
import pytest
import requests

from hubtest import PHONE, ROOT, Hub, wait_for
from yiyuan.demo import DEMO_PASSWORD
from yiyuan.exchange import archives

COURSE, MODULE = "shufa-jianshang", "shuti-yanbian"
RIGHT = {"q1": "小篆", "q2": False, "q3": ["章草", "今草", "狂草"], "q4": "隶变", "q5": "柳公权"}
WRONG = {"q1": "隶书", "q2": True, "q3": ["魏碑"], "q4": "楷变", "q5": "柳永"}
REFLECTION = "我最喜欢行书。" * 20
DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    settings = {
        "courses_dir": str(ROOT / "courses"),
        # the hub's messages service, sending through the log and a file a gateway would read
        "messages": {"every": 5, "channels": ["log", "file"]},
    }
    hub = Hub(tmp_path_factory.mktemp("platform"), settings)
    hub.cli("db", "upgrade")
    hub.cli("demo", "seed")
    hub.cli("courses", "publish", COURSE, "--actor", "admin")
    hub.start()
    yield hub
    hub.stop()


class Person(people_.Person):
    """A person of this flow: the course and module are this module's."""

    def submit(self, tmp_path, answers: dict, reflection: str) -> int:
        return self.submit_module(tmp_path, COURSE, MODULE, {**answers, "r1": reflection, "s1": 4})

    def module(self) -> dict:
        return self.module_state(COURSE, MODULE)


@pytest.fixture(scope="module")
def people(platform):
    return {name: Person(platform, name) for name in ("wangfang", "liuyang", "lihua", "zhouqing")}


def test_learner_enrols_in_the_elective(people):
    wangfang = people["wangfang"]
    catalog = {c["code"]: c for c in wangfang.call("GET", "api/courses").json()["courses"]}
    assert catalog[COURSE]["may_enrol"] and not catalog[COURSE]["enrolled"]
    assert wangfang.call("POST", f"api/courses/{COURSE}/enrol").status_code == 201
    assert people["liuyang"].call("POST", f"api/courses/{COURSE}/enrol").status_code == 201
    assert wangfang.module()["status"] == "not-started"


def test_opening_a_module_shows_it_in_progress(people):
    liuyang, zhouqing = people["liuyang"], people["zhouqing"]
    path = f"api/me/modules/{COURSE}/kaishu-ziti/opened"
    assert liuyang.call("POST", path).status_code == 201
    assert liuyang.call("POST", path).json() == {"opened": True, "first": False}
    courses = liuyang.call("GET", "api/me/courses").json()["courses"]
    [module] = [m for c in courses for m in c["modules"] if m["code"] == "kaishu-ziti"]
    assert (module["status"], module["status_label"]) == ("in-progress", "学习中")
    refused = zhouqing.call("POST", path)  # a trainer, not enrolled
    assert refused.status_code == 403 and refused.json()["code"] == "not-enrolled"
    assert liuyang.call("POST", f"api/me/modules/{COURSE}/no-such/opened").status_code == 404


def test_right_answers_pass_the_module_and_credit_hours(people, tmp_path):
    wangfang = people["wangfang"]
    before = time.time()
    submission = wangfang.submit(tmp_path, RIGHT, REFLECTION)
    state = wangfang.wait_for_result(submission)
    assert state["result"]["status"] == "passed", state
    assert state["grade"]["auto_score"] == state["grade"]["auto_max"] == 5
    assert state["grade"]["needs_manual"] is True  # the trainer still reads the reflection
    # the service's clock, not the forged 2020 timestamp
    submitted = state["submitted_at"]
    assert submitted.startswith(time.strftime("%Y-", time.gmtime(before)))
    module = wangfang.module()
    assert module["status"] == "passed" and module["score"] == 100
    me = wangfang.call("GET", "api/me").json()
    assert me["hours_this_year"] == 1.0


def test_wrong_answers_fail_with_readable_feedback(people, tmp_path):
    liuyang = people["liuyang"]
    submission = liuyang.submit(tmp_path, WRONG, REFLECTION)
    state = liuyang.wait_for_result(submission)
    assert state["result"]["status"] == "failed", state
    assert state["grade"]["auto_score"] == 0
    [page] = state["grade"]["feedback"]
    feedback = liuyang.call("GET", f"api/submissions/{submission}/feedback/{page}")
    assert feedback.status_code == 200
    assert "sandbox" in feedback.headers["Content-Security-Policy"]
    assert "回答不正确" in feedback.text
    # no answer key, no hidden test source, no traceback
    assert "expect(" not in feedback.text and "Traceback" not in feedback.text
    assert "BEGIN HIDDEN TESTS" not in feedback.text
    # the home page says so in Chinese
    home = liuyang.call("GET", "")
    assert home.status_code == 200 and "未通过" in home.text


def test_learners_cannot_see_each_others_submissions_or_grade(people, tmp_path):
    wangfang, liuyang = people["wangfang"], people["liuyang"]
    mine = wangfang.call("GET", "api/exchange/submissions").json()
    [theirs] = [s for s in liuyang.call("GET", "api/exchange/submissions").json()["submissions"]][
        -1:
    ]
    assert all(s["student"] == "wangfang" for s in mine["submissions"])
    assert wangfang.call("GET", f"api/submissions/{theirs['id']}").status_code == 404
    assert wangfang.call("GET", f"api/exchange/submissions/{theirs['id']}/archive").status_code in (
        403,
        404,
    )
    refused = wangfang.call("GET", f"api/grading/{COURSE}/queue")
    assert refused.status_code == 403 and "任课教师" in refused.json()["error"]
    graded = wangfang.call(
        "POST", f"api/grading/submissions/{theirs['id']}", json={"scores": {"r1-task": 2}}
    )
    assert graded.status_code in (403, 404)


def test_trainer_grades_reflections_and_completion_follows(people):
    lihua, zhouqing, wangfang = people["lihua"], people["zhouqing"], people["wangfang"]
    assert zhouqing.call("GET", f"api/grading/{COURSE}/queue").status_code == 403
    queue = lihua.call("GET", f"api/grading/{COURSE}/queue")
    assert queue.status_code == 200, queue.text
    items = {item["username"]: item for item in queue.json()["items"]}
    assert set(items) == {"wangfang", "liuyang"}
    item = items["wangfang"]
    assert item["reflections"] == {"r1": REFLECTION}
    assert item["items"]["r1-task"]["max"] == 2
    submission = item["submission_id"]

    too_high = lihua.call(
        "POST", f"api/grading/submissions/{submission}", json={"scores": {"r1-task": 99}}
    )
    assert too_high.status_code == 400 and "分" in too_high.json()["error"]
    # a trainer's 0 rejects the reflection: the module is no longer passed, hours reversed
    rejected = lihua.call(
        "POST",
        f"api/grading/submissions/{submission}",
        json={"scores": {"r1-task": 0}, "comments": {"r1-task": "请重写"}},
    )
    assert rejected.status_code == 200, rejected.text
    assert wangfang.module()["status"] == "failed"
    assert wangfang.call("GET", "api/me").json()["hours_this_year"] == 0.0
    accepted = lihua.call(
        "POST",
        f"api/grading/submissions/{submission}",
        json={"scores": {"r1-task": 2}, "comments": {"r1-task": "写得好"}},
    )
    assert accepted.status_code == 200 and accepted.json()["needs_manual"] is False
    assert wangfang.module()["status"] == "passed"
    assert wangfang.call("GET", "api/me").json()["hours_this_year"] == 1.0
    page = lihua.browser.get(f"/services/yiyuan/grading/{COURSE}")
    assert page.status_code == 200 and "批改学习心得" in page.text


def test_cookie_writes_need_the_xsrf_token(people):
    """A page's script may write with the session cookie only with the XSRF token."""
    lihua = people["lihua"]
    lihua.browser.get("/services/yiyuan/")  # OAuth round trip: the service's cookie
    without = lihua.browser.session.post(
        lihua.base + "api/courses/shufa-jianshang/enrol",
        headers={"Sec-Fetch-Mode": "cors", "Sec-Fetch-Site": "same-origin"},
        timeout=30,
    )
    assert without.status_code in (401, 403)
    page = lihua.browser.get(f"/services/yiyuan/grading/{COURSE}")  # hands out the token
    token = lihua.browser.session.cookies.get("_xsrf", path="/services/yiyuan/")
    assert token, (page.status_code, [(c.name, c.path) for c in lihua.browser.session.cookies])
    with_token = lihua.browser.session.post(
        lihua.base + "api/courses/shufa-jianshang/enrol",
        headers={"Sec-Fetch-Mode": "cors", "Sec-Fetch-Site": "same-origin", "X-XSRFToken": token},
        timeout=30,
    )
    # authenticated now: refused for what it asks (a trainer is not a learner), not for who
    assert with_token.status_code == 403 and with_token.json()["code"] == "not-eligible"


def test_unknown_and_bad_names(people):
    wangfang = people["wangfang"]
    assert wangfang.call("GET", "api/exchange/release/no-such/m1").status_code == 404
    bad = wangfang.call("POST", "api/courses/..%2Fetc/enrol")
    assert bad.status_code in (400, 404)


def test_openapi_is_served(platform):
    spec = requests.get(f"{platform.url}/services/yiyuan/api/openapi.json", timeout=30).json()
    assert "/api/exchange/submissions/{course}/{module}" in spec["paths"]


# -- in a real browser ------------------------------------------------------------------------


def _login(chromium, platform, username: str, viewport: dict | None = None):
    context = chromium.new_context(locale="zh-CN", viewport=viewport or DESKTOP)
    page = context.new_page()
    page.goto(f"{platform.url}/hub/login?next=/services/yiyuan/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/services/yiyuan/")
    return page


@pytest.mark.browser
def test_learner_enrols_on_the_page_and_sees_results(chromium, platform, people, artifacts):
    from playwright.sync_api import expect

    page = _login(chromium, platform, "zhaolei")
    elective = page.locator(f'.elective[data-course="{COURSE}"]')
    expect(elective).to_be_visible()
    page.screenshot(path=artifacts / "portal-home.png", full_page=True)
    elective.get_by_role("button", name="报名").click()
    expect(page.locator(f'section[data-course="{COURSE}"]')).to_be_visible(timeout=15000)
    expect(page.locator(f'li[data-module="{MODULE}"]')).to_contain_text("未开始")
    # hours and dates as a person writes them, as in 课程中心: 1 学时, 2027年3月31日
    facts = page.locator(f'section[data-course="{COURSE}"]').inner_text()
    assert re.search(r"共 \d+(\.5)? 学时", facts) and ".0 学时" not in facts, facts
    assert re.search(r"截止 \d{4}年\d{1,2}月\d{1,2}日", facts), facts
    page.context.close()

    phone = _login(chromium, platform, "wangfang", viewport=PHONE)
    row = phone.locator(f'section[data-course="{COURSE}"] li[data-module="{MODULE}"]')
    expect(row).to_contain_text("已通过")
    expect(row.get_by_role("link", name="反馈")).to_be_visible()
    phone.screenshot(path=artifacts / "portal-home-phone.png", full_page=True)
    phone.context.close()


@pytest.mark.browser
def test_trainer_grades_a_reflection_on_the_page(chromium, platform, people, artifacts):
    from playwright.sync_api import expect

    page = _login(chromium, platform, "lihua")
    page.get_by_role("link", name="批改学习心得").first.click()
    item = page.locator(".grading-item").filter(has_text="刘洋")
    expect(item).to_contain_text(REFLECTION[:20])
    # the question the learner answered, and a time in China's, not the reflection's id
    expect(item.locator(".prompt")).to_contain_text("题目：")
    text = item.inner_text()
    assert re.search(r"提交时间：\d{4}年\d{2}月\d{2}日 \d{2}:\d{2}", text), text
    assert not re.search(r"学习心得 r\d|\+00:00", text), text
    page.screenshot(path=artifacts / "grading.png", full_page=True)
    item.get_by_label("分数").fill("1.5")
    item.get_by_label("评语").fill("请结合自己的创作再多谈一些。")
    item.get_by_role("button", name="保存评分").click()
    expect(item.locator(".message")).to_have_text("已保存。")
    state = people["liuyang"].module()
    assert state["status"] == "failed"  # the quiz is still below the bar
    # graded work stays at hand: 已评阅 shows it with its score and comment, to change
    page.get_by_role("link", name=re.compile(r"已评阅（\d+）")).click()
    expect(page.get_by_text(re.compile(r"已评阅（2）"))).to_have_attribute("aria-current", "page")
    graded = page.locator(".grading-item").filter(has_text="王芳")
    expect(graded.get_by_label("分数")).to_have_value("2")
    expect(graded.get_by_label("评语")).to_have_value("写得好")
    expect(graded.locator(".graded")).to_contain_text("评阅：李华")
    page.screenshot(path=artifacts / "grading-graded.png", full_page=True)
    graded.get_by_label("评语").fill("写得很好，继续努力。")
    graded.get_by_role("button", name="修改评分").click()
    expect(graded.locator(".message")).to_have_text("已保存。")
    page.reload()
    graded = page.locator(".grading-item").filter(has_text="王芳")
    expect(graded.get_by_label("评语")).to_have_value("写得很好，继续努力。")
    assert people["wangfang"].module()["status"] == "passed"
    refused = page.goto(f"{platform.url}/services/yiyuan/grading/{COURSE}?show=everything")
    assert refused.status == 404 and "没有这个页面" in page.content()
    page.context.close()


@pytest.mark.browser
def test_each_step_is_announced_with_one_score_everywhere(
    chromium, platform, people, artifacts, tmp_path
):
    """刘洋 failed, then her teacher scored the reflection (above); now she passes: the message
    centre tells each step in order, with the score the portal and the lesson show."""
    from playwright.sync_api import expect

    liuyang = people["liuyang"]
    state = liuyang.wait_for_result(liuyang.submit(tmp_path, RIGHT, REFLECTION))
    assert state["result"]["status"] == "passed", state
    module = liuyang.module()
    score = round(module["score"])
    assert round(state["result"]["score"]) == score == 100
    found = liuyang.call("GET", "api/me/messages").json()
    told = {m["kind"]: m for m in reversed(found["messages"])}
    order = [m["kind"] for m in reversed(found["messages"])]
    assert order.index("failed") < order.index("teacher-graded") < order.index("passed"), order
    title = module["title"]
    assert told["failed"]["title"] == f"《{title}》未通过"
    assert "测验得分 0%" in told["failed"]["body"]
    assert told["teacher-graded"]["body"] == "得分 1.5 / 2。教师评语：请结合自己的创作再多谈一些。"
    assert told["passed"]["title"] == f"《{title}》已通过"
    assert f"测验得分 {score}%" in told["passed"]["body"] and "计 1 学时" in told["passed"]["body"]
    assert found["unread"] == len(found["messages"]) >= 3
    # nobody else's news
    assert all(
        m["title"] != told["passed"]["title"]
        for m in people["zhouqing"].call("GET", "api/me/messages").json()["messages"]
    )

    page = _login(chromium, platform, "liuyang")
    news = page.locator("section.news")
    expect(news).to_contain_text(f"《{title}》已通过")
    expect(page.locator(f'li[data-module="{MODULE}"]')).to_contain_text(f"得分 {score}%")
    badge = page.locator("header .messages-link .badge")
    expect(badge).to_have_text(str(found["unread"]))
    page.locator("header .messages-link").click()
    page.wait_for_url("**/services/yiyuan/messages")
    items = page.locator("ul.messages li")
    expect(items.first).to_contain_text("新")
    expect(page.locator('li[data-kind="teacher-graded"]')).to_contain_text("请结合自己的创作")
    page.screenshot(path=artifacts / "messages.png", full_page=True)
    # seen: the next view has nothing new, and the feedback is one tap away
    page.reload()
    expect(page.locator("header .messages-link .badge")).to_have_count(0)
    expect(page.locator("ul.messages li.unread")).to_have_count(0)
    passed = page.locator('li[data-kind="passed"]').first
    passed.get_by_role("link", name="查看反馈").click()
    expect(page.locator("body")).to_contain_text(f"测验得分 {score}%")
    # the lesson, reopened, shows the same figure
    page.goto(f"{platform.url}/services/yiyuan/lessons/{COURSE}/{MODULE}/")
    expect(page.locator("body")).to_contain_text(f"测验得分 {score}%", timeout=60000)
    page.context.close()

    phone = _login(chromium, platform, "liuyang", viewport=PHONE)
    phone.goto(f"{platform.url}/services/yiyuan/messages")
    expect(phone.locator("ul.messages li").first).to_be_visible()
    phone.screenshot(path=artifacts / "messages-phone.png", full_page=True)
    phone.context.close()


def test_the_messages_service_sends_outside_once(platform, people):
    """The hub's messages service (every 5 s here) sent 刘洋's teacher's comment through both
    channels, once each, and left her failed module to the message centre."""
    import json

    outbox = platform.data_dir / "messages" / "outbox.jsonl"

    def sent() -> list[dict]:
        if not outbox.exists():
            return []
        lines = outbox.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if '"liuyang"' in line]

    wait_for(lambda: any(m["kind"] == "teacher-graded" for m in sent()), 60, "a send")
    time.sleep(6)  # another round of the service: nothing twice
    kinds = [m["kind"] for m in sent()]
    assert kinds.count("teacher-graded") == 1 and "failed" not in kinds, kinds
    listed = platform.cli("messages", "list", "liuyang").stdout
    assert "教师已评阅" in listed and "外发：file 已发送、log 已发送" in listed, listed
    refused = platform.cli("messages", "list", "nobody", check=False)
    assert refused.returncode != 0 and "没有用户名为 nobody 的账号" in refused.stderr


# -- the service restarted mid-submission ------------------------------------------------------


def _service_pids(hub: Hub) -> list[int]:
    """The pids of this hub's ``yiyuan service run`` (found by its settings file): the watching
    process and those answering (``service.processes``)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().split(b"\0")
            environ = (entry / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if command[-3:-1] == [b"service", b"run"] and (
            f"YIYUAN_CONFIG={hub.config_file}".encode() in environ
        ):
            found.append(int(entry.name))
    assert found, "the yiyuan service is not running"
    return found


def test_service_killed_mid_submission_leaves_nothing_half_there(platform, people, tmp_path):
    wangfang = people["wangfang"]
    before = wangfang.call("GET", "api/exchange/submissions").json()["submissions"]
    folder = tmp_path / "module"
    release = wangfang.call("GET", f"api/exchange/release/{COURSE}/{MODULE}")
    archives.unpack(release.content, folder, 10**8)
    (folder / "big.bin").write_bytes(os.urandom(3 * 1024 * 1024))  # sent slowly, below
    data = archives.pack(folder)
    pids = _service_pids(platform)

    def slowly():
        for start in range(0, len(data), 64 * 1024):
            if start == 5 * 64 * 1024:
                for pid in pids:  # the service dies with the body half received
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.01)
            yield data[start : start + 64 * 1024]

    try:  # through the proxy: a reset, or the proxy's own error page
        response = requests.post(
            wangfang.base + f"api/exchange/submissions/{COURSE}/{MODULE}",
            data=slowly(),  # chunked
            headers=wangfang.headers,
            timeout=60,
        )
        assert response.status_code >= 500, response.text
    except requests.ConnectionError:
        pass
    # the hub starts its service again; the submission is not there, nor any file of it
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            after = wangfang.call("GET", "api/exchange/submissions")
            if after.status_code == 200:
                break
        except requests.ConnectionError:
            pass
        time.sleep(0.5)
    assert after.json()["submissions"] == before
    stored = platform.data_dir / "exchange" / "submissions" / COURSE / MODULE / "wangfang"
    files = stored.iterdir() if stored.exists() else []
    assert sorted(p.name for p in files) == sorted(f"{s['id']}.tar.gz" for s in before)
    # and the next submission lands whole
    assert wangfang.submit(tmp_path / "again", RIGHT, REFLECTION) > 0

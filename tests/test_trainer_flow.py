"""Issue 8 end to end, through one real hub: a trainer publishes a demo course from the
workspace, grades a reflection so that the learner's module becomes 已通过, runs an on-site
session with a check-in code (one learner in time, another too late), and the numbers the
dashboards read move accordingly; every step lands in the audit log. Learners reach no trainer
endpoint, and a trainer cannot touch another trainer's course.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from people import Person
from tornado import web

from hubtest import PHONE, ROOT, Hub, hold_session_on
from yiyuan.demo import DEMO_PASSWORD
from yiyuan.service import (
    audit_handlers,
    authoring_handlers,
    grading_handlers,
    onsite_handlers,
    trainer_handlers,
)

COURSE, ONLINE, ONSITE = "shufa-jianshang", "shuti-yanbian", "xianchang-linmo"
RIGHT = {"q1": "小篆", "q2": False, "q3": ["章草", "今草", "狂草"], "q4": "隶变", "q5": "柳公权"}
REFLECTION = "临帖时我体会到篆书线条的圆转。" * 10
DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    hub = Hub(tmp_path_factory.mktemp("trainer"), {"courses_dir": str(ROOT / "courses")})
    hub.cli("db", "upgrade")
    hub.cli("demo", "seed")
    hub.start()
    yield hub
    hub.stop()


@pytest.fixture(scope="module")
def people(platform):
    names = ("lihua", "zhouqing", "wangfang", "liuyang", "admin", "chenjing")
    return {name: Person(platform, name) for name in names}


def login(chromium, hub: Hub, username: str, viewport: dict | None = None, next_url: str = ""):
    context = chromium.new_context(locale="zh-CN", viewport=viewport or DESKTOP)
    page = context.new_page()
    page.goto(f"{hub.url}/hub/login" + (f"?next={next_url}" if next_url else ""))
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    return page


def course_figures(person: Person) -> dict:
    """The course's totals as the dashboards read them (the report layer, trainer's scope)."""
    response = person.call("GET", "api/reports/by-course", params={"course": COURSE})
    assert response.status_code == 200, response.text
    [row] = response.json()["rows"]
    return row


def session_id(person: Person) -> int:
    overview = person.call("GET", "api/trainer/courses").json()
    [course] = [c for c in overview["courses"] if c["code"] == COURSE]
    [onsite] = course["sessions"]  # the course's one on-site module, taught once
    return onsite["id"]


# -- publish, from the workspace -----------------------------------------------------------------


@pytest.mark.browser
def test_trainer_lands_on_the_workspace_and_publishes(chromium, platform, people, artifacts):
    from playwright.sync_api import expect

    page = login(chromium, platform, "lihua")
    page.wait_for_url("**/services/yiyuan/trainer**")
    # not published yet: listed under 尚未发布的课程, from the sources
    waiting = page.locator(f'ul.unpublished li[data-course="{COURSE}"]')
    expect(waiting).to_be_visible()
    waiting.get_by_role("button", name="发布", exact=True).click()
    # first what will change, in words, and 确认发布？ — nothing is published yet
    confirm = waiting.get_by_role("group", name="确认发布？")
    expect(confirm).to_be_visible(timeout=120_000)
    expect(confirm.locator(".summary")).to_have_text(
        "将发布《书法艺术鉴赏入门》（第 1 次发布）：新增单元 4 个。"
    )
    expect(confirm.get_by_role("listitem").first).to_have_text(
        "新增单元「汉字书体的演变：篆、隶、楷、行、草」（1 个课件）"
    )
    expect(confirm).to_contain_text("选修课：面向的学员可以自行报名")
    expect(page.get_by_role("heading", name="确认发布？")).to_be_focused()
    page.screenshot(path=artifacts / "trainer-publish-confirm.png", full_page=True)
    assert people["lihua"].call("GET", f"api/trainer/courses/{COURSE}/progress").status_code == 404
    confirm.get_by_role("button", name="确认发布").click()
    # then what was done, in the same words
    said = waiting.get_by_role("status")
    expect(said).to_have_text(
        "已发布《书法艺术鉴赏入门》（第 1 次发布）：新增单元 4 个。", timeout=120_000
    )
    assert "✓" not in waiting.inner_text()  # no command-line text
    page.screenshot(path=artifacts / "trainer-published-summary.png", full_page=True)
    page.reload()
    card = page.locator(f'section.trainer-course[data-course="{COURSE}"]')
    expect(card.locator("ul.sessions a")).to_have_count(1)
    page.screenshot(path=artifacts / "trainer-published.png", full_page=True)
    page.context.close()
    published = people["admin"].call("GET", "api/audit", params={"action": "course.publish"})
    assert [e["actor"] for e in published.json()["entries"]] == ["lihua"]


# -- study and grade -----------------------------------------------------------------------------


def test_learners_enrol_and_submit(people, tmp_path):
    for name in ("wangfang", "liuyang"):
        assert people[name].call("POST", f"api/courses/{COURSE}/enrol").status_code == 201
    wangfang = people["wangfang"]
    submission = wangfang.submit_module(
        tmp_path, COURSE, ONLINE, {**RIGHT, "r1": REFLECTION, "s1": 5}
    )
    state = wangfang.wait_for_result(submission)
    assert state["result"]["status"] == "passed" and state["grade"]["needs_manual"], state


@pytest.mark.browser
def test_trainer_grades_the_reflection_and_numbers_follow(chromium, platform, people, artifacts):
    from playwright.sync_api import expect

    lihua, wangfang = people["lihua"], people["wangfang"]
    before = course_figures(lihua)
    page = login(chromium, platform, "lihua")
    page.wait_for_url("**/services/yiyuan/trainer**")
    card = page.locator(f'section.trainer-course[data-course="{COURSE}"]')
    card.get_by_role("link", name=re.compile("待评阅")).click()
    item = page.locator(".grading-item").filter(has_text="王芳")
    expect(item).to_contain_text(REFLECTION[:12])
    # not good enough: 0 points fail the module and take its hours back
    item.get_by_label("分数").fill("0")
    item.get_by_label("评语").fill("请结合临帖的体会再写。")
    item.get_by_role("button", name="保存评分").click()
    expect(item.locator(".message")).to_have_text("已保存。")
    assert wangfang.module_state(COURSE, ONLINE)["status"] == "failed"
    failed = course_figures(lihua)
    assert failed["modules_passed"] == before["modules_passed"] - 1
    assert failed["hours"] == before["hours"] - 1
    # the trainer reconsiders: full marks, 已通过 again
    item.get_by_label("分数").fill("2")
    item.get_by_role("button", name="保存评分").click()
    expect(item.locator(".message")).to_have_text("已保存。")
    page.context.close()
    state = wangfang.module_state(COURSE, ONLINE)
    assert (state["status"], state["status_label"]) == ("passed", "已通过")
    after = course_figures(lihua)
    assert (after["modules_passed"], after["hours"]) == (before["modules_passed"], before["hours"])
    grades = people["admin"].call("GET", "api/audit", params={"action": "grade.manual"})
    changes = [(e["detail"]["before"], e["detail"]["after"]) for e in grades.json()["entries"]]
    assert changes == [({"r1-task": 0.0}, {"r1-task": 2.0}), ({"r1-task": None}, {"r1-task": 0.0})]


# -- on-site session with a check-in code ----------------------------------------------------------


@pytest.mark.browser
def test_onsite_check_in_in_time_and_too_late(chromium, platform, people, artifacts):
    from playwright.sync_api import expect

    lihua, liuyang = people["lihua"], people["liuyang"]
    before = course_figures(lihua)
    hold_session_on(platform, session_id(lihua), datetime.now(UTC))  # the session is today
    trainer = login(chromium, platform, "lihua")
    trainer.wait_for_url("**/services/yiyuan/trainer**")
    trainer.locator(f'section.trainer-course[data-course="{COURSE}"] ul.sessions a').click()
    trainer.get_by_role("button", name="开始签到").click()
    code_box = trainer.locator(".checkin-code")
    expect(code_box).to_have_text(re.compile(r"^\s*\d{6}\s*$"))
    code = code_box.inner_text().strip()
    trainer.screenshot(path=artifacts / "onsite-session.png", full_page=True)

    learner = login(chromium, platform, "wangfang", viewport=PHONE)
    learner.wait_for_url("**/services/yiyuan/**")
    learner.get_by_label("签到码").fill(code)
    learner.get_by_role("button", name="签到").click()
    expect(learner.get_by_role("status").filter(has_text="签到")).to_contain_text("成功")
    # the page reloads itself: the module is passed
    expect(learner.locator(f'li[data-module="{ONSITE}"]')).to_contain_text("已通过", timeout=15_000)
    assert learner.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    learner.screenshot(path=artifacts / "portal-checkin.png", full_page=True)
    learner.context.close()

    after = course_figures(lihua)
    assert after["modules_passed"] == before["modules_passed"] + 1
    assert after["hours"] == before["hours"] + 3

    # the trainer ends check-in; a learner arriving with the code afterwards is refused
    trainer.get_by_role("button", name="结束签到").click()
    expect(trainer.get_by_role("status").first).to_contain_text("结束", timeout=15_000)
    trainer.context.close()
    late = liuyang.call("POST", "api/me/checkin", json={"code": code})
    assert 400 <= late.status_code < 500 and "截止" in late.json()["error"], late.text
    assert liuyang.module_state(COURSE, ONSITE)["status"] != "passed"
    assert course_figures(lihua)["modules_passed"] == after["modules_passed"]


def test_trainer_records_and_corrects_attendance(people):
    lihua, liuyang, admin = people["lihua"], people["liuyang"], people["admin"]
    sid = session_id(lihua)
    recorded = lihua.call(
        "POST", f"api/onsite/sessions/{sid}/attendance", json={"absent": ["liuyang"]}
    )
    assert recorded.status_code == 200, recorded.text
    corrected = lihua.call(
        "POST", f"api/onsite/sessions/{sid}/attendance", json={"present": ["liuyang"]}
    )
    assert corrected.status_code == 200, corrected.text
    assert liuyang.module_state(COURSE, ONSITE)["status"] == "passed"
    unknown = lihua.call(
        "POST", f"api/onsite/sessions/{sid}/attendance", json={"present": ["nobody-here"]}
    )
    assert unknown.status_code == 400 and "nobody-here" in unknown.json()["error"]
    log = admin.call("GET", "api/audit", params={"course": COURSE}).json()["entries"]
    actions = [e["action_key"] for e in log]
    for action in ("course.publish", "grade.manual", "checkin.open", "checkin.close"):
        assert action in actions, actions
    [correction] = [e for e in log if e["action_key"] == "attendance.correct"]
    assert correction["actor"] == "lihua" and correction["learner"] == "liuyang"


@pytest.mark.browser
def test_administrator_reads_the_audit_log(chromium, platform, people, artifacts):
    from playwright.sync_api import expect

    page = login(chromium, platform, "admin", next_url="/services/yiyuan/audit")
    page.wait_for_url("**/services/yiyuan/audit**")
    expect(page.get_by_role("table")).to_contain_text("更正出勤")
    page.get_by_label("操作", exact=True).select_option(label="评阅")
    page.get_by_role("button", name="筛选").click()
    expect(page.locator("tbody tr")).to_have_count(2)
    page.screenshot(path=artifacts / "audit.png", full_page=True)
    page.context.close()


# -- who may reach what ----------------------------------------------------------------------------


def _trainer_routes(sid: int, submission: int) -> list[tuple[str, str]]:
    """(method, path) of every trainer and administrator route, with real ids filled in."""
    modules = (trainer_handlers, onsite_handlers, grading_handlers, authoring_handlers)
    found = []
    for module in (*modules, audit_handlers):
        for pattern, handler in module.routes:
            if pattern.startswith("api/me/"):
                continue  # the learner's own check-in
            number = str(sid if "onsite" in pattern else submission)
            path = re.sub(r"\(\\d\+\)", number, pattern)
            path = re.sub(r"\([^)]*\)", COURSE, path)
            for method in ("get", "post", "put", "delete"):
                if getattr(handler, method) is not getattr(web.RequestHandler, method):
                    found.append((method.upper(), path))
    return found


def test_learners_and_managers_reach_no_trainer_endpoint(people):
    sid = session_id(people["lihua"])
    submission = (
        people["wangfang"].call("GET", "api/exchange/submissions").json()["submissions"][0]["id"]
    )
    routes = _trainer_routes(sid, submission)
    assert len(routes) >= 12, routes
    for name in ("wangfang", "chenjing"):
        for method, path in routes:
            response = people[name].call(method, path, json={})
            assert response.status_code in (403, 404), (name, method, path, response.status_code)
            assert response.status_code == 403 or "api/grading/submissions" in path, (
                name,
                method,
                path,
            )


def test_a_trainer_cannot_touch_another_trainers_course(people):
    zhouqing = people["zhouqing"]
    sid = session_id(people["lihua"])
    refused = [
        zhouqing.call("GET", f"api/trainer/courses/{COURSE}/progress"),
        zhouqing.call("GET", f"api/trainer/courses/{COURSE}/stuck"),
        zhouqing.call("POST", f"api/trainer/courses/{COURSE}/publish"),
        zhouqing.call("GET", f"api/onsite/sessions/{sid}"),
        zhouqing.call(
            "POST", f"api/onsite/sessions/{sid}/attendance", json={"present": ["wangfang"]}
        ),
        zhouqing.call("POST", f"api/onsite/sessions/{sid}/checkin", json={"minutes": 15}),
        zhouqing.call("GET", f"api/grading/{COURSE}/queue"),
        zhouqing.call("GET", "api/audit"),
    ]
    assert [r.status_code for r in refused] == [403] * len(refused), [r.text for r in refused]
    listed = {c["code"] for c in zhouqing.call("GET", "api/trainer/courses").json()["courses"]}
    assert COURSE not in listed

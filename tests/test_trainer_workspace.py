"""The trainer workspace (教师工作台): its queries on SQLite and PostgreSQL with hand-computed
figures, the publishing permission rule, then the page and its API through one real hub
(trainers publish, a broken course lists its problems, everyone else gets 403) and in
Chromium at desktop and phone width.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from datetime import timedelta
from urllib.parse import quote

import people
import pytest
import requests
import yaml

from hubtest import ROOT, Hub
from learningdata import account, course, grade, submit
from yiyuan.catalog import enrolment, rights
from yiyuan.completion import engine
from yiyuan.completion.progress import record_opened
from yiyuan.demo import DEMO_PASSWORD
from yiyuan.models import CourseTrainer, Enrolment, GradingJob, JobState, Role, utcnow
from yiyuan.settings import load_settings
from yiyuan.teaching import progress

# -- queries --------------------------------------------------------------------------------


def _learner(session, c, name):
    acc = account(session, name)
    enrolment.enrol(session, c, acc, source="rule")
    return acc


@pytest.fixture
def classroom(database):
    """One required course (m1, m2 online; m3 on-site, optional) and its learners:

    a1 passed m1, reflection waiting · a2 failed m1 · a3 failed m1 then resubmitted (not
    graded yet) · a4 grading of m1 failed · a5 enrolled 20 days ago, nothing since · a6 passed
    everything (completed; idle since) · a7 opened m2 · a8 failed m1, enrolment removed.
    """
    with database.session() as session:
        c = course(
            session,
            modules=[
                {"code": "m1"},
                {"code": "m2"},
                {
                    "code": "m3",
                    "kind": "onsite",
                    "hours": 3.0,
                    "required": False,
                    "pass_rule": {"attendance": True},
                    "reflections": [],
                },
            ],
        )
        m1, m2, m3 = c.modules
        a = {n: _learner(session, c, f"a{n}") for n in range(1, 9)}
        record_opened(session, a[1].id, m1)
        grade(session, submit(session, a[1], m1), auto=(5, 5))
        grade(session, submit(session, a[2], m1), auto=(1, 5))
        grade(session, submit(session, a[3], m1), auto=(1, 5))
        submit(session, a[3], m1, minutes=30)
        session.add(GradingJob(submission_id=submit(session, a[4], m1).id, state=JobState.failed))
        grade(session, submit(session, a[6], m1), auto=(5, 5), manual=2.0)
        grade(session, submit(session, a[6], m2), auto=(4, 5), manual=2.0)
        record_opened(session, a[7].id, m2)
        grade(session, submit(session, a[8], m1), auto=(0, 5))
        session.flush()
        engine.recompute(session, c.code)
        engine.record_attendance(session, a[6].id, m3.id, True, "t1")
        engine.update(session, a[6].id, m3.id)
        long_ago = utcnow() - timedelta(days=20)
        for n in (5, 6):
            row = session.query(Enrolment).filter_by(account_id=a[n].id).one()
            row.enrolled_at = long_ago
            row.last_active_at = long_ago if n == 6 else None
        session.query(Enrolment).filter_by(account_id=a[8].id).one().active = False
        session.flush()
        yield session, c, a


def test_course_overview_figures_per_module(classroom):
    session, c, _ = classroom
    overview = progress.course_overview(session, c)
    assert (overview.enrolled, overview.completed) == (7, 1)
    assert overview.completion_rate == round(1 / 7, 4)
    # a1: m1 1 学时; a6: m1 1 + m2 1 + m3 3; over seven active learners
    assert overview.average_hours == round(6 / 7, 2)
    figures = {
        m.code: (m.opened, m.submitted, m.passed, m.failed, m.awaiting_trainer, m.attended)
        for m in overview.modules
    }
    assert figures == {
        # opened: a1 a2 a3 a4 a6 (a8 left) · submitted: a3 a4 · passed: a1 a6 · failed: a2 ·
        # awaiting: latest graded submission with a reflection unread: a1 a2 a3
        "m1": (5, 2, 2, 1, 3, None),
        "m2": (2, 0, 1, 0, 0, None),
        "m3": (0, 0, 1, 0, 0, 1),
    }
    assert [m.code for m in overview.modules] == ["m1", "m2", "m3"]
    # 已提交 on the page: everyone who handed it in (never fewer than 已通过)
    assert [m.handed_in for m in overview.modules] == [5, 1, None]
    assert overview.awaiting_trainer == 3
    assert overview.as_json()["awaiting_trainer"] == 3


def test_empty_course_has_zero_figures(database):
    with database.session() as session:
        c = course(session, code="empty", modules=[{"code": "m1"}])
        overview = progress.course_overview(session, c)
        assert (overview.enrolled, overview.completed, overview.completion_rate) == (0, 0, 0.0)
        assert overview.average_hours == 0.0
        assert [(m.opened, m.passed) for m in overview.modules] == [(0, 0)]


def test_stuck_learners_each_reason_exactly_when_it_holds(classroom):
    session, c, a = classroom
    now = utcnow()
    stuck = progress.stuck_learners(session, c, now)
    assert [(s.username, s.module_code, s.reason) for s in stuck] == [
        ("a2", "m1", "未通过，尚未重做"),
        ("a4", "m1", "评分出错"),
        ("a5", "", "超过 14 天没有学习"),
    ]
    # a longer idle window: a5 is not stuck yet
    assert [s.username for s in progress.stuck_learners(session, c, now, idle_days=30)] == [
        "a2",
        "a4",
    ]
    # a4 submits again: the failed grading is behind them
    submit(session, a[4], c.modules[0], minutes=90)
    assert "a4" not in {s.username for s in progress.stuck_learners(session, c, now)}
    # past the due date of a required course: every learner not completed (not a6, not a8)
    c.due = now - timedelta(days=1)
    session.flush()
    overdue = {s.username for s in progress.stuck_learners(session, c, now) if s.reason == "已逾期"}
    assert overdue == {"a1", "a2", "a3", "a4", "a5", "a7"}
    # an elective course has no overdue learners
    c.enrolment = "elective"
    session.flush()
    assert all(s.reason != "已逾期" for s in progress.stuck_learners(session, c, now))


def test_trainers_see_their_courses_administrators_all(database):
    with database.session() as session:
        t1, t2 = account(session, "t1", Role.trainer), account(session, "t2", Role.trainer)
        admin = account(session, "boss", Role.administrator)
        learner = account(session, "l1")
        c1, c2 = course(session, code="c1"), course(session, code="c2")
        session.add_all(
            [
                CourseTrainer(course_id=c1.id, account_id=t1.id),
                CourseTrainer(course_id=c2.id, account_id=t2.id),
            ]
        )
        withdrawn = course(session, code="c3")
        withdrawn.active = False
        session.flush()
        assert [c.code for c in progress.trainer_courses(session, t1)] == ["c1"]
        assert [c.code for c in progress.trainer_courses(session, t2)] == ["c2"]
        assert [c.code for c in progress.trainer_courses(session, admin)] == ["c1", "c2"]
        assert progress.trainer_courses(session, learner) == []
        assert progress.may_view(session, c1, t1) and not progress.may_view(session, c1, t2)
        assert progress.may_view(session, c2, admin) and not progress.may_view(session, c1, learner)


def test_publish_rule_sources_and_published_trainers(database, tmp_path):
    courses = tmp_path / "courses"
    courses.mkdir()
    (courses / "c1.yml").write_text("id: c1\ntitle: 课程一\ntrainers: [t1, t2]\n", "utf-8")
    (courses / "c2.yml").write_text("id: c2\ntitle: 课程二\ntrainers: [t2]\n", "utf-8")
    (courses / "c3.yml").write_text("id: c3\ntitle: [broken\n", "utf-8")
    settings = dataclasses.replace(
        load_settings({}, cwd=tmp_path), data_dir=tmp_path / "data", courses_dir=courses
    )
    with database.session() as session:
        t1, t2 = account(session, "t1", Role.trainer), account(session, "t2", Role.trainer)
        admin = account(session, "boss", Role.administrator)
        learner = account(session, "l1")
        c1 = course(session, code="c1")
        c3 = course(session, code="c3")
        session.add_all(
            [
                CourseTrainer(course_id=c1.id, account_id=t1.id),
                CourseTrainer(course_id=c3.id, account_id=t1.id),
            ]
        )
        session.flush()

        def may(acc, code):
            return rights.may_publish(session, settings, acc, code)

        # c1 published with t1 only: t2 is in the sources but may not take it over
        assert may(t1, "c1") and not may(t2, "c1")
        # c2 not published yet: whoever the sources list
        assert may(t2, "c2") and not may(t1, "c2")
        # c3's manifest cannot be read: its published trainer may try (and see the problems)
        assert may(t1, "c3") and not may(t2, "c3")
        assert not may(t1, "nothing")
        assert all(may(admin, code) for code in ("c1", "c2", "c3"))
        assert not any(may(learner, code) for code in ("c1", "c2", "c3"))
        assert [s.code for s in rights.unpublished_sources(session, settings, t2)] == ["c2"]
        assert rights.unpublished_sources(session, settings, t1) == []
        [c2] = rights.unpublished_sources(session, settings, admin)
        assert (c2.code, c2.title, c2.trainers, c2.uploaded) == ("c2", "课程二", ("t2",), False)


# -- through a real hub ------------------------------------------------------------------------

BROKEN = "shufa-jianshang"  # published, then its sources broken
NEW = "ershida-wenyi"  # lihua's, not published yet: a required course for every learner
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("trainer-workspace")
    courses = workdir / "courses"
    shutil.copytree(ROOT / "courses", courses)
    hub = Hub(workdir, {"courses_dir": str(courses)})
    hub.cli("db", "upgrade")
    hub.cli("demo", "seed")
    hub.cli("courses", "publish", BROKEN, "--actor", "admin")
    path = courses / f"{BROKEN}.yml"
    data = yaml.safe_load(path.read_text("utf-8"))
    data["modules"][0]["hours"] = -1
    data["modules"][1]["hours"] = -2
    path.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    hub.start()
    yield hub
    hub.stop()


class Person(people.Person):
    def page(self) -> requests.Response:
        return self.browser.get("/services/yiyuan/trainer")


@pytest.fixture(scope="module")
def people(platform):
    names = ("lihua", "zhouqing", "admin", "wangfang", "chenjing")
    return {name: Person(platform, name) for name in names}


def _workspace(person: Person) -> dict:
    response = person.call("GET", "api/trainer/courses")
    assert response.status_code == 200, response.text
    return response.json()


def test_each_trainer_sees_their_courses_and_what_they_may_publish(people):
    lihua = _workspace(people["lihua"])
    assert [c["code"] for c in lihua["courses"]] == [BROKEN]
    [course] = lihua["courses"]
    assert (course["enrolled"], course["completed"], course["may_publish"]) == (0, 0, True)
    assert [m["code"] for m in course["modules"]] == [
        "shuti-yanbian",
        "kaishu-ziti",
        "jianshang-fangfa",
        "xianchang-linmo",
    ]
    assert course["modules"][-1]["attended"] == 0 and course["modules"][0]["attended"] is None
    assert course["grading_url"] == f"grading/{BROKEN}"
    assert [s["code"] for s in lihua["unpublished"]] == [NEW]
    assert lihua["author_url"] == "/hub/user-redirect/yiyuan/author/"
    assert "课程详情" in {d["title"] for d in lihua["dashboards"]}
    zhouqing = _workspace(people["zhouqing"])
    assert zhouqing["courses"] == []
    assert [s["code"] for s in zhouqing["unpublished"]] == ["xinmeiti-chuanbo", "yinyue-jichu"]
    admin = _workspace(people["admin"])
    assert [c["code"] for c in admin["courses"]] == [BROKEN]
    assert [s["code"] for s in admin["unpublished"]] == [NEW, "xinmeiti-chuanbo", "yinyue-jichu"]


NEW_TITLE = "学习贯彻党的二十大精神·文艺专题"


def test_a_preview_says_what_will_change_and_writes_nothing(platform, people):
    lihua, admin = people["lihua"], people["admin"]
    response = lihua.call("GET", f"api/trainer/courses/{NEW}/publish")
    assert response.status_code == 200, response.text
    plan = response.json()
    assert (plan["preview"], plan["published"], plan["version"]) == (True, False, 1)
    assert (
        plan["summary"] == f"将发布《{NEW_TITLE}》（第 1 次发布）：新增单元 4 个；新报名学员 4 人。"
    )
    assert plan["items"][:3] == [
        "新增单元「文化自信自强」（1 个课件）",
        "新增单元「以人民为中心的创作导向」（1 个课件）",
        "新增单元「守正创新」（1 个课件）",
    ]
    assert plan["items"][-1] == "必修课：按面向的学员，新报名 4 人"
    assert plan["added"][-1] == "xianchang-shijian" and plan["enrolled"] == 4
    # nothing written: not published, nobody enrolled, no release, nbgrader's folder untouched
    assert lihua.call("GET", f"api/trainer/courses/{NEW}/progress").status_code == 404
    assert [s["code"] for s in _workspace(lihua)["unpublished"]] == [NEW]
    assert NEW_TITLE not in people["wangfang"].browser.get("/services/yiyuan/").text
    assert not (platform.data_dir / "exchange" / "releases" / NEW).exists()
    assert not (platform.data_dir / "coursedirs" / NEW).exists()
    log = admin.call("GET", "api/audit", params={"action": "course.publish"})
    assert log.status_code == 200 and log.json()["entries"], log.text  # BROKEN's
    assert [e for e in log.json()["entries"] if e["target"] == NEW] == []


def test_trainer_publishes_a_new_required_course(people):
    lihua = people["lihua"]
    assert lihua.call("GET", f"api/trainer/courses/{NEW}/progress").status_code == 404
    # the publish the preview showed (第 1 次发布), confirmed
    for bad in ({"version": "1"}, {"version": True}):
        refused = lihua.call("POST", f"api/trainer/courses/{NEW}/publish", json=bad)
        assert refused.status_code == 400 and "version" in refused.json()["error"], refused.text
    response = lihua.call("POST", f"api/trainer/courses/{NEW}/publish", json={"version": 1})
    assert response.status_code == 200, response.text
    outcome = response.json()
    assert outcome["published"] is True and outcome["enrolled"] == 4
    assert (
        outcome["summary"]
        == f"已发布《{NEW_TITLE}》（第 1 次发布）：新增单元 4 个；新报名学员 4 人。"
    )
    assert any("必修课，新报名学员：4 人" in line for line in outcome["lines"])
    # confirming what was seen before someone else published: asked to look again
    again = lihua.call("POST", f"api/trainer/courses/{NEW}/publish", json={"version": 1})
    assert again.status_code == 409 and "第 1 次发布" in again.json()["error"], again.text
    figures = lihua.call("GET", f"api/trainer/courses/{NEW}/progress").json()
    assert (figures["enrolled"], figures["completed"], figures["completion_rate"]) == (4, 0, 0.0)
    assert [m["code"] for m in figures["modules"]][-1] == "xianchang-shijian"
    workspace = _workspace(lihua)
    assert [c["code"] for c in workspace["courses"]] == [NEW, BROKEN]
    assert workspace["unpublished"] == []
    stuck = lihua.call("GET", f"api/trainer/courses/{NEW}/stuck")
    assert stuck.status_code == 200 and stuck.json() == {"course": NEW, "learners": []}
    # the learners see it in their portal
    courses = people["wangfang"].browser.get("/services/yiyuan/").text
    assert "学习贯彻党的二十大精神" in courses


def test_a_republish_preview_names_the_changed_lessons_and_settings(platform, people):
    lihua = people["lihua"]
    courses = platform.workdir / "courses"
    lesson = courses / "notebooks" / NEW / "renmin-daoxiang" / "renmin-daoxiang.ipynb"
    original, manifest = lesson.read_text("utf-8"), (courses / f"{NEW}.yml").read_text("utf-8")
    notebook = json.loads(original)
    notebook["cells"].insert(
        0, {"cell_type": "markdown", "id": "updated", "metadata": {}, "source": "（本课已更新）"}
    )
    lesson.write_text(json.dumps(notebook, ensure_ascii=False), "utf-8")
    data = yaml.safe_load(manifest)
    data["modules"][0]["pass"] = {"quiz": 80, "reflection": True}
    (courses / f"{NEW}.yml").write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    releases = platform.data_dir / "exchange" / "releases" / NEW / "renmin-daoxiang"
    try:
        plan = lihua.call("GET", f"api/trainer/courses/{NEW}/publish").json()
        assert plan["summary"] == (
            f"将发布《{NEW_TITLE}》（第 2 次发布）：更新课件 1 个，修改单元设置 1 个；"
            "新报名学员 0 人。"
        )
        assert plan["items"][:2] == [
            "更新单元「以人民为中心的创作导向」的课件：《以人民为中心的创作导向》",
            "修改单元「文化自信自强」的通过规则",
        ]
        assert sorted(p.name for p in releases.iterdir()) == ["1.tar.gz"]  # nothing kept
        done = lihua.call("POST", f"api/trainer/courses/{NEW}/publish", json={"version": 2})
        assert done.status_code == 200, done.text
        assert done.json()["summary"] == plan["summary"].replace("将发布", "已发布")
        assert sorted(p.name for p in releases.iterdir()) == ["1.tar.gz", "2.tar.gz"]
    finally:
        lesson.write_text(original, "utf-8")
        (courses / f"{NEW}.yml").write_text(manifest, "utf-8")


def test_broken_sources_are_refused_with_every_problem(people):
    # the preview and the publish alike: the checker's reasons, in Chinese
    for method in ("GET", "POST"):
        response = people["lihua"].call(method, f"api/trainer/courses/{BROKEN}/publish")
        assert response.status_code == 400
        outcome = response.json()
        assert outcome["published"] is False and "没有发布" in outcome["error"]
        assert [(p["file"], p["message"]) for p in outcome["problems"]] == [
            (f"{BROKEN}.yml", "不能小于 0。"),
            (f"{BROKEN}.yml", "不能小于 0。"),
        ]
        assert "shuti-yanbian" in outcome["problems"][0]["where"]
        assert "kaishu-ziti" in outcome["problems"][1]["where"]


def test_a_trainer_cannot_touch_another_trainers_course(people):
    zhouqing = people["zhouqing"]
    for method, path in (
        ("GET", f"api/trainer/courses/{BROKEN}/progress"),
        ("GET", f"api/trainer/courses/{BROKEN}/stuck"),
        ("GET", f"api/trainer/courses/{BROKEN}/publish"),
        ("POST", f"api/trainer/courses/{BROKEN}/publish"),
        ("GET", f"api/trainer/courses/{NEW}/publish"),
        ("POST", f"api/trainer/courses/{NEW}/publish"),
    ):
        response = zhouqing.call(method, path)
        assert response.status_code == 403, (path, response.text)
        assert response.json()["code"] == "not-trainer" and "教师" in response.json()["error"]
    # what is hers, and what does not exist
    assert zhouqing.call("GET", "api/trainer/courses/yinyue-jichu/progress").status_code == 404
    assert zhouqing.call("POST", "api/trainer/courses/no-such/publish").status_code == 404
    bad = people["lihua"].call("GET", f"api/trainer/courses/{NEW}/stuck?idle_days=0")
    assert bad.status_code == 400 and "idle_days" in bad.json()["error"]


@pytest.mark.parametrize("who", ["wangfang", "chenjing"])
def test_learners_and_managers_get_403_everywhere(people, who):
    person = people[who]
    for method, path in (
        ("GET", "api/trainer/courses"),
        ("GET", f"api/trainer/courses/{NEW}/progress"),
        ("GET", f"api/trainer/courses/{NEW}/stuck"),
        ("GET", f"api/trainer/courses/{NEW}/publish"),
        ("POST", f"api/trainer/courses/{NEW}/publish"),
        ("GET", "api/trainer/courses/xinmeiti-chuanbo/publish"),
        ("POST", "api/trainer/courses/xinmeiti-chuanbo/publish"),
    ):
        response = person.call(method, path)
        assert response.status_code == 403, (who, path, response.text)
        assert response.json()["error"] == "教师工作台只对教师和管理员开放。"
    page = person.page()
    assert page.status_code == 403
    assert page.headers["Content-Type"].startswith("text/html")
    assert "教师工作台只对教师和管理员开放" in page.text


def test_the_page_and_a_cookie_write_without_xsrf(people):
    lihua = people["lihua"]
    page = lihua.page()
    assert page.status_code == 200
    for words in ("我的课程", "各单元进度", "需要关注的学员", "待评阅", "发布/更新"):
        assert words in page.text
    assert 'href="/hub/user-redirect/yiyuan/author/"' in page.text
    assert f'href="/services/yiyuan/grading/{BROKEN}"' in page.text
    assert "/services/dashboards/voila/render/" + quote("课程详情") in page.text
    home = lihua.browser.get("/services/yiyuan/")
    assert 'href="/services/yiyuan/trainer"' in home.text
    # the session cookie alone (no X-XSRFToken) cannot publish
    forged = lihua.browser.session.post(
        lihua.base + f"api/trainer/courses/{NEW}/publish", timeout=60
    )
    assert forged.status_code == 403


def test_onsite_sessions_are_linked_when_the_onsite_package_is_there(people):
    import importlib.util

    if importlib.util.find_spec("yiyuan.onsite.sessions") is None:
        pytest.skip("on-site sessions (yiyuan.onsite) are not built yet")
    [course] = [c for c in _workspace(people["lihua"])["courses"] if c["code"] == NEW]
    assert course["sessions"], course
    page = people["lihua"].page().text
    assert f"/services/yiyuan/onsite/sessions/{course['sessions'][0]['id']}" in page


@pytest.mark.browser
def test_trainer_page_in_a_browser(chromium, platform, people, artifacts):
    from playwright.sync_api import expect

    context = chromium.new_context(locale="zh-CN", viewport=DESKTOP)
    page = context.new_page()
    page.goto(f"{platform.url}/hub/login?next=/services/yiyuan/")
    page.get_by_label("用户名").fill("lihua")
    page.get_by_label("密码", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/services/yiyuan/")
    page.get_by_role("link", name="进入教师工作台").click()
    page.wait_for_url("**/services/yiyuan/trainer")
    new = page.locator(f'section[data-course="{NEW}"]')
    expect(new.locator('[data-figure="enrolled"]')).to_have_text("4")
    table = new.locator("table", has=page.locator("caption", has_text="各单元进度"))
    expect(table.get_by_role("columnheader", name="已通过")).to_be_visible()
    expect(table.get_by_role("rowheader").first).to_contain_text("文化自信自强")
    expect(page.get_by_role("link", name="在 JupyterLab 中编写课件")).to_have_attribute(
        "href", "/hub/user-redirect/yiyuan/author/"
    )
    broken = page.locator(f'section[data-course="{BROKEN}"]')
    broken.get_by_role("button", name="发布/更新").click()
    problems = broken.get_by_role("alert")
    expect(problems.locator("li")).to_have_count(2, timeout=60_000)
    expect(problems.locator("li").first).to_contain_text("shuti-yanbian")
    expect(problems.locator("li").first).to_contain_text("不能小于 0")
    page.screenshot(path=artifacts / "trainer.png", full_page=True)

    page.set_viewport_size(PHONE)
    page.reload()
    expect(page.locator(f'section[data-course="{NEW}"]')).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
    page.screenshot(path=artifacts / "trainer-mobile.png", full_page=True)

    # 发布/更新 asks first, on a phone too; 取消 publishes nothing. (The sources are back as
    # they were before the second publish: the lesson and the pass rule change back.)
    new = page.locator(f'section[data-course="{NEW}"]')
    new.get_by_role("button", name="发布/更新").click()
    confirm = new.get_by_role("group", name="确认发布？")
    expect(confirm.locator(".summary")).to_have_text(
        f"将发布《{NEW_TITLE}》（第 3 次发布）：更新课件 1 个，修改单元设置 1 个；新报名学员 0 人。",
        timeout=120_000,
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
    confirm.screenshot(path=artifacts / "trainer-publish-confirm-mobile.png")
    confirm.get_by_role("button", name="取消").click()
    expect(new.locator(".outcome")).to_have_text("没有发布。")
    expect(new.get_by_role("button", name="发布/更新")).to_be_focused()
    context.close()
    assert _workspace(people["lihua"])["courses"][0]["version"] == 2

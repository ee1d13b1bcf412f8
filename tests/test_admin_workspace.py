"""The administrator workspace's own pages (概览, 课程) and its one rule: administrators only.

Domain figures on SQLite and PostgreSQL; then the shared ``admin_platform`` hub: the
administrator lands on the workspace, every page shows, and every administrator route of the
service — pages and API, whoever wrote them — refuses a learner, a trainer and an
association manager.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import timedelta

import pytest
import requests
from people import Person
from tornado import web

from hubtest import login_page
from learningdata import account, course, member
from yiyuan.catalog.overview import OFFLINE, PUBLISHED, UNPUBLISHED, course_lines
from yiyuan.glance import platform_figures
from yiyuan.models import (
    Cohort,
    CourseCompletion,
    CourseTrainer,
    Enrolment,
    LoginThrottle,
    Role,
    Standing,
    StudyHours,
    ThrottleKind,
    utcnow,
)
from yiyuan.service import app
from yiyuan.settings import load_settings

PHONE = {"width": 390, "height": 844}


def _settings(tmp_path, courses):
    return dataclasses.replace(
        load_settings({}, cwd=tmp_path), data_dir=tmp_path / "data", courses_dir=courses
    )


def test_course_lines_published_offline_and_sources_only(database, tmp_path):
    courses = tmp_path / "courses"
    courses.mkdir()
    (courses / "c1.yml").write_text("id: c1\ntitle: 课程一\ntrainers: [t1]\n", "utf-8")
    (courses / "c9.yml").write_text("id: c9\ntitle: 新课\ntrainers: [t2]\n", "utf-8")
    settings = _settings(tmp_path, courses)
    with database.session() as session:
        c1 = course(session, code="c1", modules=[{"code": "m1"}, {"code": "m2"}])
        old = course(session, code="c0")
        old.active = False
        t1 = account(session, "t1", Role.trainer)
        t1.display_name = "李老师"
        session.add(CourseTrainer(course_id=c1.id, account_id=t1.id))
        learners = [account(session, f"l{n}") for n in range(4)]
        for n, learner in enumerate(learners):
            session.add(
                Enrolment(
                    course_id=c1.id,
                    account_id=learner.id,
                    active=n != 3,  # removed from the course: not counted
                    hours=2.0 if n == 0 else 0.0,
                    completed_at=utcnow() if n == 0 else None,
                )
            )
        session.flush()
        lines = {line.code: line for line in course_lines(session, settings)}
    assert list(lines) == ["c1", "c0", "c9"]
    c1_line = lines["c1"]
    assert (c1_line.state, c1_line.trainers, c1_line.modules) == (PUBLISHED, ["李老师"], 2)
    assert (c1_line.enrolled, c1_line.completed) == (3, 1)
    assert c1_line.completion_rate == pytest.approx(1 / 3)
    assert c1_line.average_hours == pytest.approx(0.7)
    assert lines["c0"].state == OFFLINE and lines["c0"].enrolled == 0
    assert (lines["c9"].state, lines["c9"].title, lines["c9"].trainers) == (
        UNPUBLISHED,
        "新课",
        ["t2"],
    )


def test_platform_figures(database):
    now = utcnow()
    with database.session() as session:
        a = account(session, "a1")
        member(session, a, ("书协", Standing.member))
        b = account(session, "b1", active=False)
        member(session, b, ("美协", Standing.member), active=False)
        session.flush()
        session.add_all(
            [
                LoginThrottle(
                    kind=ThrottleKind.account,
                    key=str(a.id),
                    account_id=a.id,
                    failures=5,
                    blocked_until=now + timedelta(minutes=10),
                ),
                LoginThrottle(  # long over
                    kind=ThrottleKind.account,
                    key=str(b.id),
                    account_id=b.id,
                    failures=5,
                    blocked_until=now - timedelta(minutes=10),
                ),
            ]
        )
        a.last_login_at = now
        account(session, "c1")  # never logged in
        session.add_all([Cohort(code="q1", name="第一期"), Cohort(code="q2", name="第二期")])
        session.flush()
        session.query(Cohort).filter_by(code="q2").one().active = False
        course(session, code="k1")
        session.add_all(
            [
                StudyHours(account_id=a.id, hours=3.0, credited_at=now),
                StudyHours(account_id=a.id, hours=-1.0, credited_at=now),
                StudyHours(account_id=a.id, hours=9.0, credited_at=now - timedelta(days=800)),
            ]
        )
        session.flush()
        figures = platform_figures(session, now)
    assert (figures.members_active, figures.members_inactive) == (1, 1)
    assert (figures.accounts_locked, figures.never_logged_in) == (1, 1)
    assert (figures.courses_published, figures.cohorts_open, figures.cohorts_closed) == (1, 1, 1)
    assert figures.hours_this_year == 2.0


# -- the hub ---------------------------------------------------------------------------------


def _admin_routes() -> list[tuple[str, list[str]]]:
    """Every administrator route of the service as a callable path (parameters filled in with
    a plausible word) and the methods its handler answers."""
    found = []
    for module in app.ROUTE_MODULES:
        for path, handler in module.routes:
            if not re.match(r"(api/)?(admin|audit)(/|$)", path):
                continue
            concrete = re.sub(r"\([^)]*\)", "x1", path)
            methods = [
                m
                for m in ("get", "post", "put", "delete")
                if getattr(handler, m) is not getattr(web.RequestHandler, m)
            ]
            found.append((concrete, methods))
    return found


def test_the_workspace_has_routes_of_every_part():
    paths = {path for path, _ in _admin_routes()}
    # the skeleton's own pages, and the audit log; the other parts add theirs
    assert {"admin", "admin/courses", "api/admin/overview", "api/admin/courses", "audit"} <= paths


@pytest.mark.parametrize("who", ["wangfang", "lihua", "chenjing"])
def test_every_admin_route_refuses_learners_trainers_and_managers(admin_platform, who):
    person = Person(admin_platform, who)
    refused = []
    for path, methods in _admin_routes():
        for method in methods:
            response = person.call(method.upper(), path, data=b"{}", allow_redirects=False)
            if response.status_code != 403:
                refused.append((method, path, response.status_code))
            elif path.startswith("api/"):
                assert "权限" in response.json()["error"], (path, response.text)
    assert refused == []


def test_anonymous_visitors_are_sent_to_log_in(admin_platform):
    base = f"{admin_platform.url}/services/yiyuan/"
    page = requests.get(base + "admin", allow_redirects=False, timeout=30)
    assert page.status_code == 302
    api = requests.get(base + "api/admin/overview", timeout=30)
    assert api.status_code == 401 and api.json()["error"] == "请先登录。"


def test_overview_and_courses_api(admin_platform):
    admin = Person(admin_platform, "admin")
    figures = admin.call("GET", "api/admin/overview").json()
    assert figures["courses_published"] >= 1 and figures["members_active"] >= 4
    courses = {c["code"]: c for c in admin.call("GET", "api/admin/courses").json()["courses"]}
    assert courses["yinyue-jichu"]["state"] == PUBLISHED
    assert courses["yinyue-jichu"]["version"] == 1
    # the demo's other courses have sources in the courses folder but were not published
    assert courses["ershida-wenyi"]["state"] == UNPUBLISHED


@pytest.mark.browser
def test_administrator_lands_on_the_workspace(chromium, admin_platform, artifacts):
    from playwright.sync_api import expect

    page = login_page(chromium, admin_platform, "admin")
    page.wait_for_url("**/services/yiyuan/admin")
    expect(page.get_by_role("heading", name="平台概况")).to_be_visible()
    nav = page.get_by_role("navigation", name="管理工作台")
    expect(nav.get_by_role("link", name="概览")).to_have_attribute("aria-current", "page")
    page.screenshot(path=artifacts / "admin-home.png", full_page=True)
    nav.get_by_role("link", name="课程").click()
    row = page.locator('tr[data-course="yinyue-jichu"]')
    expect(row).to_contain_text("已发布")
    expect(page.locator('tr[data-course="ershida-wenyi"]')).to_contain_text("未发布")
    page.screenshot(path=artifacts / "admin-courses.png", full_page=True)
    page.get_by_role("navigation", name="管理工作台").get_by_role("link", name="审计日志").click()
    expect(page.get_by_role("button", name="筛选")).to_be_visible()
    page.context.close()
    phone = login_page(chromium, admin_platform, "admin", viewport=PHONE)
    phone.wait_for_url("**/services/yiyuan/admin")
    # nothing wider than the phone but the tables' own scrolling regions
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width
    phone.screenshot(path=artifacts / "admin-home-mobile.png", full_page=True)
    phone.context.close()


def test_completions_do_not_count_removed_enrolments(database, tmp_path):
    """A learner removed from a course who had completed it is not among its completions."""
    with database.session() as session:
        c = course(session, code="c1")
        learner = account(session, "l1")
        session.add(
            Enrolment(course_id=c.id, account_id=learner.id, active=False, completed_at=utcnow())
        )
        session.add(CourseCompletion(account_id=learner.id, course_id=c.id))
        session.flush()
        [line] = course_lines(session, _settings(tmp_path, tmp_path / "none"))
    assert (line.enrolled, line.completed) == (0, 0)

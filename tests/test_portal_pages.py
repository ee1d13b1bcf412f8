"""The learner portal's templates render without a hub: each page is rendered with the
service's template loader (tornado, autoescaped, as ``PageHandler`` renders it) and a small
namespace of stand-ins, in the default catalogue (zh_CN) and in English.

The namespaces cover the pages' branches (empty and full lists, passed and failed, valid and
revoked); they are plain objects, not the database models, so the test is fast.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace as O
from typing import Any
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from tornado import web
from tornado.httputil import HTTPHeaders, HTTPServerRequest, RequestStartLine
from tornado.template import Loader

import yiyuan
from yiyuan.i18n import get_catalogue

TEMPLATES = Path(yiyuan.__file__).parent / "service" / "templates"
ZONE = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 5, 10, 2, 0, tzinfo=UTC)
PREFIX = "/services/yiyuan/"


def _day(value) -> str:
    return f"{value.year}年{value.month}月{value.day}日"


def page_namespace(**extra: Any) -> dict[str, Any]:
    """What ``PageHandler.get_template_namespace`` and every handler put in (base.html)."""
    namespace = {
        "account": O(display_name="李华", username="lihua", large_text=False),
        "roles": ["学员", "教师"],
        "service_prefix": PREFIX,
        "prefix": PREFIX,
        "unread_messages": 2,
        "large_text_script": PREFIX + "static/page/large-text.js",
        "math_assets": "",
        "zone": ZONE,
        "now": NOW,
    }
    namespace.update(extra)
    return namespace


def _module(code: str, status: str, **extra: Any) -> O:
    values = {
        "code": code,
        "title": f"单元 {code}",
        "required": True,
        "hours": 1.5,
        "status": status,
        "status_label": {"passed": "已通过", "failed": "未通过"}.get(status, "未开始"),
        "grading": None,
        "grading_error": "",
        "awaiting_trainer": False,
        "score": None,
        "feedback_files": [],
        "submission_id": 7,
        "kind": "online",
        "attended": False,
        "sessions": [],
        "session": {},
        "released": True,
    }
    values.update(extra)
    return O(**values)


def _course(code: str, modules: list[O], **extra: Any) -> O:
    values = {
        "code": code,
        "title": f"课程 {code}",
        "modules": modules,
        "completed_at": None,
        "percent": 50,
        "passed": 1,
        "hours": 3.0,
        "due": NOW + timedelta(days=3),
        "next_module": modules[0] if modules else None,
        "due_state": lambda now=None: "soon",
        "closed": lambda now=None: False,
        "overdue_text": lambda now=None: "这门课已过截止日期。",
    }
    values.update(extra)
    return O(**values)


def home_pages() -> list[dict[str, Any]]:
    modules = [
        _module("m1", "passed", score=92.4, feedback_files=["a.html"]),
        _module("m2", "failed", grading="failed", grading_error="评分失败。", required=False),
        _module("m3", "submitted", grading="queued", awaiting_trainer=True),
        _module(
            "m4",
            "not-started",
            kind="onsite",
            attended=True,
            sessions=[{"place": "一号厅", "starts_local": "5月12日 14:00", "attended": True}],
        ),
        _module(
            "m5",
            "not-started",
            kind="onsite",
            session={"place": "二号厅", "starts": "2026-05-20T09:30:00"},
        ),
    ]
    elective = O(
        code="e1",
        title="书法入门",
        category="书法",
        summary="从握笔开始。",
        modules=[O(hours=2, active=True), O(hours=1, active=False)],
    )
    full = page_namespace(
        news=[O(title="评分结果", body="单元已通过"), O(title="报名成功", body="")],
        unread_messages=5,
        courses=[
            _course("c1", modules, completed_at=NOW),
            _course("c2", [_module("n1", "failed")], due_state=lambda now=None: "overdue"),
            _course("c3", [_module("k1", "not-started")], due=None),
        ],
        hours=12.5,
        dashboards=[("总览", "全部协会的学习概况", "/services/dashboards/voila/render/x.ipynb")],
        administrator=True,
        trainer_courses=[O(title="课程甲", code="a"), O(title="课程乙", code="b")],
        electives=[elective],
    )
    empty = page_namespace(
        news=[],
        unread_messages=0,
        courses=[],
        hours=0,
        dashboards=[],
        administrator=False,
        trainer_courses=[],
        electives=[elective],
    )
    nothing = dict(empty, electives=[], account=O(display_name="", username="u1", large_text=True))
    return [full, empty, nothing]


def _entry(code: str, state: str, **extra: Any) -> O:
    course = O(
        code=code,
        title=f"课程 {code}",
        category="书法",
        due=NOW - timedelta(days=1) if state == "open" else NOW + timedelta(days=9),
        summary="很长的介绍" * 20 if state == "open" else "短介绍",
    )
    values = {
        "course": course,
        "state": state,
        "state_label": {"open": "可报名", "enrolled": "学习中", "completed": "已结业"}[state],
        "required": state != "open",
        "hours": 4.0,
        "audience_label": "全部协会",
        "trainer_names": ["王老师", "张老师"] if state != "completed" else [],
    }
    values.update(extra)
    return O(**values)


def catalogue_pages() -> list[dict[str, Any]]:
    entries = [_entry("c1", "open"), _entry("c2", "enrolled"), _entry("c3", "completed")]
    common = {
        "categories": [("书法", 2), ("美术", 1)],
        "associations": [O(short_name="书协", full_name="书法家协会")],
        "local_day": _day,
    }
    listing = page_namespace(
        form={"q": "", "category": "", "association": ""},
        filtered=False,
        total=3,
        entries=entries,
        **common,
    )
    found = page_namespace(
        form={"q": "书法", "category": "书法", "association": "书协"},
        filtered=True,
        total=3,
        entries=entries[1:],
        **common,
    )
    none_found = dict(found, entries=[])
    no_courses = dict(listing, total=0, entries=[])
    return [listing, found, none_found, no_courses]


def catalogue_course_pages() -> list[dict[str, Any]]:
    mine_module = _module("m1", "passed", score=88, attended=True, feedback_files=["f.html"])
    modules = [
        O(
            code="m1",
            title="第一讲",
            kind="online",
            kind_label="在线学习",
            hours=2.0,
            required=True,
            due=NOW,
            sessions=[],
            mine=mine_module,
        ),
        O(
            code="m2",
            title="现场课",
            kind="onsite",
            kind_label="现场教学",
            hours=1.0,
            required=False,
            due=None,
            sessions=[("5月12日 14:00", "一号厅")],
            mine=_module("m2", "not-started"),
        ),
        O(
            code="m3",
            title="第三讲",
            kind="online",
            kind_label="在线学习",
            hours=1.0,
            required=True,
            due=None,
            sessions=[],
            mine=None,
        ),
    ]
    course = O(
        code="c1",
        title="书法入门",
        summary="从握笔开始。",
        category="书法",
        opens=NOW - timedelta(days=30),
        due=NOW - timedelta(days=1),
    )
    mine = O(
        passed=1,
        modules=[mine_module, _module("m2", "not-started")],
        next_module=_module("m2", "failed"),
        closed=lambda: False,
        overdue_text=lambda: "已过截止日期，迟交的成绩按规定扣分。",
    )
    common = {
        "course": course,
        "modules": modules,
        "local_day": _day,
        "back": PREFIX + "courses?q=%E4%B9%A6",
        "late_rule": "截止后仍可学习，成绩不扣分",
    }
    open_page = page_namespace(
        entry=_entry("c1", "open"),
        mine=None,
        due_state="",
        overdue=True,
        refusal="",
        enrolled_now=False,
        left_now=True,
        **common,
    )
    enrolled = page_namespace(
        entry=_entry("c1", "enrolled", required=False),
        mine=mine,
        due_state="overdue",
        overdue=True,
        refusal="",
        enrolled_now=True,
        left_now=False,
        **common,
    )
    required = dict(
        enrolled,
        entry=_entry("c1", "completed"),
        due_state="soon",
        refusal="必修课不能退出。",
        enrolled_now=False,
    )
    return [open_page, enrolled, required]


def feedback_pages() -> list[dict[str, Any]]:
    view = O(
        module_title="第一讲",
        course_title="书法入门",
        submitted_at=NOW,
        late="迟交 2 天",
        graded=True,
        other_counts=False,
        status="failed",
        status_label="未通过",
        awaiting_teacher=False,
        quiz_percent=66.7,
        score_name="测验得分",
        questions=[
            O(kind="单选", prompt="哪一个？", answer="甲", verdict="right", score=1, max=1),
            O(kind="多选", prompt="哪些？", answer="甲、乙", verdict="wrong", score=0, max=1),
            O(kind="填空", prompt="填写", answer="丙", verdict="partly", score=0.5, max=1),
            O(kind="简答", prompt="说说", answer="（未作答）", verdict="", score=0, max=1),
        ],
        right=1,
        reflections=[
            O(prompt="写下心得", text="我学到了很多。", score=None, max=10, comment=""),
            O(prompt="再写一段", text="", score=8, max=10, comment="很好"),
        ],
        others=[
            O(name="代码", auto=True, passed=True, score=2, max=2, message="", comment=""),
            O(
                name="图表",
                auto=True,
                passed=False,
                score=None,
                max=2,
                message="x 不对",
                comment="",
            ),
            O(name="作品", auto=False, passed=False, score=None, max=5, message="", comment=""),
            O(name="报告", auto=False, passed=False, score=4, max=5, message="", comment="不错"),
        ],
        course_code="c1",
        module_code="m1",
        pages=["m1.html", "m1-extra.html"],
        submission_id=7,
    )
    variants = [view]
    for changes in (
        {"other_counts": True, "status": "passed", "status_label": "已通过", "pages": ["m1.html"]},
        {"other_counts": True, "status": "failed", "late": ""},
        {"status": "passed", "questions": [], "quiz_percent": None, "others": []},
        {"status": "submitted", "awaiting_teacher": True, "reflections": []},
        {"status": "submitted", "status_label": "", "pages": []},
        {"graded": False},
    ):
        variants.append(O(**dict(vars(view), **changes)))
    return [page_namespace(view=v) for v in variants]


def session_pages() -> list[dict[str, Any]]:
    data = {
        "id": 3,
        "module": {"title": "现场课", "hours": 2},
        "course": {"title": "书法入门"},
        "label": "第一场",
        "starts_local": "5月12日 14:00",
        "place": "一号厅",
        "trainer_name": "王老师",
        "active": True,
        "checkin": {
            "open": True,
            "code": "123456",
            "closes_at_local": "14:30",
            "closes_at": "2026-05-12T06:30:00+00:00",
        },
        "max_checkin_minutes": 240,
        "checkin_minutes": 30,
        "roster": [
            {
                "username": "lihua",
                "display_name": "李华",
                "state": "present",
                "state_label": "出勤",
                "method_label": "签到码",
            },
            {
                "username": "u2",
                "display_name": "张三",
                "state": "absent",
                "state_label": "缺席",
                "method_label": "",
            },
        ],
    }
    closed = dict(
        data,
        starts_local="",
        place="",
        trainer_name="",
        active=False,
        roster=[],
        checkin={"open": False, "code": "", "closes_at_local": "", "closes_at": None},
    )
    return [page_namespace(data=data), page_namespace(data=closed)]


def my_certificates_pages() -> list[dict[str, Any]]:
    award = O(
        serial="2026-ZS-000123-7KQ4M9XA",
        title="结业证书",
        subject="书法入门",
        achieved_on=NOW.date(),
        hours=12.0,
        valid=True,
        revoked_at=None,
        revoked_reason="",
    )
    revoked = O(**dict(vars(award), valid=False, revoked_at=NOW, revoked_reason="重新颁发：改名"))
    revoked2 = O(**dict(vars(revoked), revoked_reason="颁发有误"))
    statement = O(**dict(vars(award), title="学时证明", subject="2025 年学时"))
    full = page_namespace(
        awards=[award, revoked, revoked2],
        statements=[statement, O(**dict(vars(statement), valid=False))],
        years=[(2026, True), (2025, False)],
        day=_day,
    )
    empty = page_namespace(awards=[], statements=[], years=[(2026, False)], day=_day)
    return [full, empty]


def my_hours_pages() -> list[dict[str, Any]]:
    lines = [
        O(id=1, date="2026-03-01", module="第一讲", course="书法入门", reason="", hours=2.0),
        O(id=2, date="2026-03-02", module="", course="", reason="补录", hours=1.5),
        O(id=3, date="2026-03-03", module="", course="", reason="", hours=-1.0),
    ]
    full = page_namespace(year=2026, years=[2026, 2025], lines=lines, total=2.5)
    empty = page_namespace(year=2025, years=[2025], lines=[], total=0)
    return [full, empty]


def messages_pages() -> list[dict[str, Any]]:
    def message(id: int, kind: str, link: str, body: str = "正文") -> O:
        return O(id=id, kind=kind, title=f"标题 {id}", body=body, created_at=NOW, link=link)

    messages = [
        message(1, "passed", "feedback/7"),
        message(2, "failed", "hours", body=""),
        message(3, "enrolled", "courses/c1"),
        message(4, "other", ""),
    ]
    labels = {"passed": "评分", "failed": "评分", "enrolled": "报名"}
    full = page_namespace(messages=messages, unread={1, 3}, labels=labels)
    empty = page_namespace(messages=[], unread=set(), labels=labels)
    return [full, empty]


def verify_pages() -> list[dict[str, Any]]:
    view = {
        "valid": True,
        "revoked_on": "",
        "serial": "2026-ZS-000123-7KQ4M9XA",
        "title": "结业证书",
        "name": "李*华",
        "association": "书法家协会",
        "subject_label": "课程",
        "subject": "书法入门",
        "hours": "12",
        "day_label": "结业日期",
        "day": "2026年5月10日",
        "issuer": "市文联",
    }
    common = {"service_prefix": PREFIX, "site_name": "艺苑"}
    return [
        dict(common, view=view, message="", typed=view["serial"]),
        dict(
            common,
            view=dict(view, valid=False, revoked_on="2026年5月11日", association=""),
            message="",
            typed="",
        ),
        dict(common, view=None, message="没有找到编号为 X 的证书。", typed="X<1>"),
        dict(common, view=None, message="", typed=""),
    ]


#: template -> its namespaces, and a sentence of each that the zh_CN page shows
PAGES = {
    "home.html": (home_pages, "您还没有参加任何课程。"),
    "catalogue.html": (catalogue_pages, "没有找到符合条件的课程。"),
    "catalogue_course.html": (catalogue_course_pages, "这是一门选修课，面向您所在的协会开放"),
    "feedback.html": (feedback_pages, "这份提交正在评分，请稍后再来看。"),
    "session.html": (session_pages, "这一场已从课程清单中撤下，只能查看。"),
    "my_certificates.html": (my_certificates_pages, "您还没有结业证书。"),
    "my_hours.html": (my_hours_pages, "2025 年还没有学时记录。"),
    "messages.html": (messages_pages, "暂时没有消息。"),
    "verify.html": (verify_pages, "请输入证书上印的编号"),
}

#: base.html renders around every page but verify.html; a sentence of its own
BASE_SENTENCE = "放大页面上的字，再按一次恢复"


def render(
    name: str, namespace: dict[str, Any], language: str = "zh_CN", *, templates=TEMPLATES
) -> str:
    """``name`` as ``PageHandler.render`` makes it: the service's templates, autoescaped with
    ``xhtml_escape``, whitespace as tornado's default for ``.html`` files."""
    loader = Loader(str(templates))
    values = dict(namespace)
    values.setdefault("t", get_catalogue(language))
    return loader.load(name).generate(**values).decode("utf-8")


@pytest.mark.parametrize("name", sorted(PAGES))
def test_page_renders_in_chinese(name):
    make, sentence = PAGES[name]
    pages = [render(name, namespace) for namespace in make()]
    assert any(sentence in page for page in pages), f"{name} lacks {sentence!r}"
    for page in pages:
        assert page.startswith("<!DOCTYPE html>")
        assert '<html lang="zh-CN"' in page
        if name != "verify.html":
            assert BASE_SENTENCE in page


@pytest.mark.parametrize("name", sorted(PAGES))
def test_page_renders_in_english(name):
    make, sentence = PAGES[name]
    for namespace in make():
        page = render(name, namespace, "en")
        assert '<html lang="en"' in page
        assert sentence not in page


def test_the_service_hands_pages_the_catalogue():
    """``PageHandler.render_string`` adds ``t``, also for a page that builds its own namespace
    (the public verification page does not use PageHandler's)."""
    from yiyuan.service.certificate_handlers import VerifyHandler

    platform = O(settings=O(site_name="艺苑"))
    app = web.Application(hub_auth=None, yiyuan_prefix=PREFIX, yiyuan_platform=platform)
    start = RequestStartLine("GET", PREFIX + "verify", "HTTP/1.1")
    request = HTTPServerRequest(
        connection=mock.Mock(), start_line=start, headers=HTTPHeaders({"Host": "localhost"})
    )
    handler = VerifyHandler(app, request)
    handler._current_user = None  # nobody logged in; the hub is not asked
    page = handler.render_string("verify.html", typed="", message="", view=None).decode()
    assert "<h1>查验一份证书</h1>" in page
    assert "<title>证书查验 · 艺苑</title>" in page

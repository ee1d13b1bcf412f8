"""「课程中心」end to end with a real hub: each learner sees the courses open to them and no
other association's, finds them by words, category and association (also among fifty), reads a
course's page, enrols (报名成功), leaves an elective (已退出选修) and comes back; what they may not
leave or see is refused in Chinese. In Chromium at desktop and phone size, with screenshots.

The demo seed's learners: 王芳 (书协, 美协), 刘洋 (音协), 赵磊 (作协). Published here:
二十大精神 (required, every association), 书法鉴赏 (elective, every association), 音乐基础
(elective, 音协/舞协/剧协/曲协 only).
"""

from __future__ import annotations

import re
from html import unescape

import people as people_
import pytest

from hubtest import DESKTOP, PHONE, ROOT, BrowserSession, Hub
from yiyuan.demo import DEMO_PASSWORD

SERVICE = "/services/yiyuan/"
REQUIRED = "ershida-wenyi"
ELECTIVE = "shufa-jianshang"
#: for 音协, 舞协, 剧协, 曲协 only
MUSIC = "yinyue-jichu"


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    hub = Hub(tmp_path_factory.mktemp("catalogue"), {"courses_dir": str(ROOT / "courses")})
    hub.cli("db", "upgrade")
    hub.cli("demo", "seed")
    hub.cli("courses", "publish", REQUIRED, ELECTIVE, MUSIC, "--actor", "admin")
    # an administrator's enrolment: 赵磊 may not leave it himself
    hub.cli("courses", "enrol", ELECTIVE, "zhaolei")
    hub.start()
    yield hub
    hub.stop()


@pytest.fixture(scope="module")
def people(platform):
    return {name: people_.Person(platform, name) for name in ("wangfang", "liuyang", "zhaolei")}


def page_text(response) -> str:
    """The page's words without its markup (whitespace folded)."""
    body = re.sub(r"(?s)<(script|style)\b.*?</\1>", " ", response.text)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", body)))


def listed(response) -> dict[str, str]:
    """course code → its state (enrolled / open / completed), in the page's order."""
    assert response.status_code == 200, response.text[:500]
    return dict(re.findall(r'<li data-course="([a-z0-9-]+)" data-state="(\w+)"', response.text))


def enrolment_rows(hub: Hub, username: str, code: str) -> list[tuple]:
    import sqlite3

    with sqlite3.connect(hub.data_dir / "yiyuan.sqlite") as connection:
        return connection.execute(
            "SELECT e.id, e.active, e.source FROM enrolments e JOIN accounts a ON a.id ="
            " e.account_id JOIN courses c ON c.id = e.course_id WHERE a.username = ?"
            " AND c.code = ?",
            (username, code),
        ).fetchall()


# -- the rules, on SQLite and PostgreSQL ----------------------------------------------------


def test_open_courses_leaving_and_coming_back(database):
    from learningdata import account, course, member
    from yiyuan.catalog import catalogue, enrolment
    from yiyuan.models import CourseCompletion, Standing

    with database.session() as session:
        shu = account(session, "shu")
        member(session, shu, ("书协", Standing.member))
        zuo = account(session, "zuo")
        member(session, zuo, ("作协", Standing.council))

        def make(code, associations, kind="elective", **audience):
            audience = {"associations": associations, **audience}
            return course(session, code, [{"code": "m1"}], audience=audience, enrolment=kind)

        everyone = make("everyone", ["全部"], kind="required")
        enrolment.enrol(session, everyone, shu, "rule")
        chosen = make("chosen", ["书协"])
        by_admin = make("by-admin", ["全部"])
        enrolment.enrol(session, by_admin, shu, "admin")
        done = make("done", ["书协"])
        enrolment.enrol(session, done, shu, "self")
        session.add(CourseCompletion(account_id=shu.id, course_id=done.id))
        make("councils", ["全部"], standings=["理事"])  # zuo's standing, not shu's
        make("theirs", ["作协"])
        # more electives than one compound statement asks about (SQLite takes 500)
        for n in range(420):
            make(f"many-{n:03d}", ["美术家协会"] if n % 2 else ["书法家协会"])
        session.flush()

        entries = {e.course.code: e for e in catalogue.open_courses(session, shu)}
        assert {code: e.state for code, e in entries.items() if not code.startswith("many")} == {
            "everyone": "enrolled",
            "chosen": "open",
            "by-admin": "enrolled",
            "done": "completed",
        }
        assert sum(code.startswith("many") for code in entries) == 210  # the 书协 half
        # a required course nobody enrolled him in is not his to take; 理事 of 作协 he is
        assert [e.course.code for e in catalogue.open_courses(session, zuo)] == [
            "by-admin",
            "councils",
            "theirs",
        ]
        assert entries["chosen"].audience_label == "书协"
        assert entries["everyone"].audience_label == "全部协会"
        assert catalogue.open_course(session, shu, done).state == "completed"
        assert catalogue.open_course(session, zuo, chosen) is None

        # 退出选修: only what the learner chose and has not completed
        refusals = {
            code: catalogue.leave_refusal(entries[code])[0]
            for code in ("everyone", "by-admin", "done", "chosen")
        }
        assert refusals == {
            "everyone": "required",
            "by-admin": "not-self",
            "done": "completed",
            "chosen": "not-enrolled",
        }
        enrolment.enrol(session, chosen, shu, "self")
        mine = catalogue.open_course(session, shu, chosen)
        catalogue.leave(session, mine)
        assert not enrolment.is_enrolled(session, chosen.id, shu.id)
        assert catalogue.open_course(session, shu, chosen).state == "open"
        again = enrolment.enrol(session, chosen, shu, "self")
        assert again.id == mine.enrolment.id and again.active
        with pytest.raises(catalogue.LeaveRefused, match="必修课"):
            catalogue.leave(session, entries["everyone"])
        assert enrolment.is_enrolled(session, everyone.id, shu.id)


# -- a real hub -------------------------------------------------------------------------------


def test_each_learner_sees_the_courses_open_to_them(people):
    wangfang, liuyang = people["wangfang"], people["liuyang"]
    mine = listed(wangfang.call("GET", "courses"))
    # enrolled first, then those open to enrol
    assert mine == {REQUIRED: "enrolled", ELECTIVE: "open"}
    assert list(mine) == [REQUIRED, ELECTIVE]
    # the JSON catalogue follows the same rules
    catalog = wangfang.call("GET", "api/courses").json()["courses"]
    assert {c["code"] for c in catalog} == set(mine)
    # another association's course is offered to its members only
    assert listed(liuyang.call("GET", "courses")) == {
        REQUIRED: "enrolled",
        ELECTIVE: "open",
        MUSIC: "open",
    }
    page = page_text(wangfang.call("GET", "courses"))
    assert "音乐基础" not in page
    assert "共 2 门课程" in page
    for words in ("学习贯彻党的二十大精神·文艺专题", "必修", "选修", "已报名", "可报名"):
        assert words in page, words
    # hours, category, due date in China time (2027-02-28 23:59:59 +08:00 is the 28th there)
    assert "理论学习 6 学时 截止 2027年2月28日" in page, page
    assert "面向：全部协会 · 教师：李华老师" in page, page
    music = page_text(liuyang.call("GET", "courses"))
    assert "面向：音协、舞协、剧协、曲协" in music, music


def test_search_by_words_category_and_association(people):
    wangfang, liuyang = people["wangfang"], people["liuyang"]

    def find(person, **query) -> list[str]:
        return list(listed(person.call("GET", "courses", params=query)))

    assert find(wangfang, q="书法") == [ELECTIVE]
    assert find(wangfang, q="书法 李华") == [ELECTIVE]  # every word, the trainer's name too
    assert find(wangfang, q="SHUFA") == [ELECTIVE]  # the code, whatever the case
    assert find(liuyang, q="周青") == [MUSIC]
    assert find(wangfang, category="理论学习") == [REQUIRED]
    assert find(wangfang, category="全部") == [REQUIRED, ELECTIVE]
    # a course for every association counts for each; 音乐基础 only for its own
    assert find(liuyang, association="音协") == [REQUIRED, ELECTIVE, MUSIC]
    assert find(liuyang, association="书协") == [REQUIRED, ELECTIVE]
    assert find(liuyang, association="音协", category="专业技能") == [MUSIC]
    assert find(wangfang, q="音乐") == []  # not hers: not found, not even by name

    found = liuyang.call("GET", "courses", params={"category": "专业技能"})
    text = page_text(found)
    assert "找到 1 门课程（共 3 门）" in text, text
    # the choices: her categories with their counts, her and the courses' associations
    assert '<option value="专业技能" selected>专业技能（1 门）</option>' in found.text
    assert '<option value="音协">音协（' in found.text
    assert '<option value="剧协">剧协（' in found.text
    assert "清除条件" in text

    nothing = wangfang.call("GET", "courses", params={"q": "不存在的课程"})
    text = page_text(nothing)
    assert nothing.status_code == 200 and listed(nothing) == {}
    assert "没有找到符合条件的课程" in text and "清除条件，查看全部 2 门课程" in text
    assert f'href="{SERVICE}courses"' in nothing.text
    # the filled form comes back as it was sent
    assert 'value="不存在的课程"' in nothing.text


def test_a_course_page_tells_what_it_is_and_where_the_learner_stands(people):
    wangfang = people["wangfang"]
    response = wangfang.call("GET", f"courses/{REQUIRED}")
    assert response.status_code == 200, response.text[:500]
    text = page_text(response)
    for words in (
        "面向各文艺家协会全体会员的理论学习必修课",  # the summary
        "任课教师 李华老师",  # a person's name, not the login name
        "共 6 学时（4 个单元）",
        "开课日期 2026年12月1日",
        "截止日期 2027年2月28日",
        "第 1 单元：文化自信自强 在线学习 · 1 学时 · 必修单元",
        "第 4 单元：现场教学：走进新时代文明实践中心，参加文艺志愿服务 现场教学 · 3 学时 · 选修单元",
        # each sitting, in China time with its weekday, and its place
        "2027年1月16日（星期六）09:00，市新时代文明实践中心",
        "2027年1月23日（星期六）09:00，市新时代文明实践中心",
        "我的状态： 未开始",
        "开始学习：文化自信自强",
        "是必修课，不能退出",
    ):
        assert words in text, (words, text)
    assert "lihua" not in text
    order = [text.index(f"第 {n} 单元") for n in (1, 2, 3, 4)]
    assert order == sorted(order)
    assert f'href="{SERVICE}lessons/{REQUIRED}/wenhua-zixin/"' in response.text
    assert 'id="leave"' not in response.text and 'id="enrol"' not in response.text

    elective = wangfang.call("GET", f"courses/{ELECTIVE}")
    text = page_text(elective)
    assert 'id="enrol"' in elective.text and "报名" in text
    assert "我的状态" not in text and "开始学习" not in text
    assert "2027年1月16日（星期六）09:00，市书法家协会创作基地" in text, text


def test_enrol_leave_and_enrol_again(platform, people):
    wangfang = people["wangfang"]
    enrolled = wangfang.call("POST", f"api/courses/{ELECTIVE}/enrol")
    assert enrolled.status_code == 201
    assert enrolled.json()["message"] == "报名成功：“书法艺术鉴赏入门”已加入我的学习。"
    assert f'data-course="{ELECTIVE}"' in wangfang.call("GET", "").text  # in 我的学习 now
    assert listed(wangfang.call("GET", "courses"))[ELECTIVE] == "enrolled"
    said = page_text(wangfang.call("GET", f"courses/{ELECTIVE}", params={"done": "enrolled"}))
    assert "报名成功！ “书法艺术鉴赏入门”已加入 我的学习" in said, said
    page = wangfang.call("GET", f"courses/{ELECTIVE}").text
    assert 'id="leave"' in page and "确定要退出选修" in page  # asked before it is done
    [(row, active, source)] = enrolment_rows(platform, "wangfang", ELECTIVE)
    assert (active, source) == (1, "self")

    left = wangfang.call("POST", f"api/courses/{ELECTIVE}/leave")
    assert left.status_code == 200, left.text
    assert left.json()["message"].startswith("已退出选修“书法艺术鉴赏入门”。")
    assert (
        f'data-course="{ELECTIVE}"' not in wangfang.call("GET", "").text.split("可报名的选修课")[0]
    )
    assert listed(wangfang.call("GET", "courses"))[ELECTIVE] == "open"
    said = page_text(wangfang.call("GET", f"courses/{ELECTIVE}", params={"done": "left"}))
    assert "已退出选修“书法艺术鉴赏入门”" in said and "学习记录和学时都保留着" in said
    # the row is kept, switched off: nothing of the learner's is lost
    assert enrolment_rows(platform, "wangfang", ELECTIVE) == [(row, 0, "self")]
    # an old link does not announce what is not so
    stale = page_text(wangfang.call("GET", f"courses/{ELECTIVE}", params={"done": "enrolled"}))
    assert "报名成功" not in stale
    again = wangfang.call("POST", f"api/courses/{ELECTIVE}/leave")
    assert again.status_code == 200 and "没有报名" in again.json()["message"]

    back = wangfang.call("POST", f"api/courses/{ELECTIVE}/enrol")
    assert back.status_code == 201
    assert enrolment_rows(platform, "wangfang", ELECTIVE) == [(row, 1, "self")]


def test_what_a_learner_did_not_choose_cannot_be_left(people):
    wangfang, zhaolei = people["wangfang"], people["zhaolei"]
    required = wangfang.call("POST", f"api/courses/{REQUIRED}/leave")
    assert required.status_code == 403
    assert required.json()["code"] == "required"
    assert "是必修课，不能退出" in required.json()["error"]
    assert listed(wangfang.call("GET", "courses"))[REQUIRED] == "enrolled"

    by_admin = zhaolei.call("POST", f"api/courses/{ELECTIVE}/leave")
    assert by_admin.status_code == 403 and by_admin.json()["code"] == "not-self"
    assert "管理员为您报名" in by_admin.json()["error"]
    page = zhaolei.call("GET", f"courses/{ELECTIVE}")
    assert 'id="leave"' not in page.text
    assert "管理员为您报名的，不能自行退出" in page_text(page)


def test_other_associations_courses_are_not_there(people):
    wangfang = people["wangfang"]
    theirs = wangfang.call("GET", f"courses/{MUSIC}")
    missing = wangfang.call("GET", "courses/no-such-course")
    assert theirs.status_code == missing.status_code == 404
    assert "没有找到课程“yinyue-jichu”：它可能已下线，或不面向您。" in theirs.text
    # the same answer as for a course that does not exist: nothing tells them apart
    assert theirs.text.replace(MUSIC, "no-such-course") == missing.text
    assert "音乐基础" not in theirs.text and "返回我的学习" in theirs.text
    left = wangfang.call("POST", f"api/courses/{MUSIC}/leave")
    assert left.status_code == 404 and left.json()["code"] == "no-course"
    refused = wangfang.call("POST", f"api/courses/{MUSIC}/enrol")
    assert refused.status_code == 403 and refused.json()["code"] == "not-eligible"
    assert "不能自行报名" in refused.json()["error"]
    assert MUSIC not in listed(wangfang.call("GET", "courses"))


# -- in a real browser ------------------------------------------------------------------------


@pytest.mark.browser
def test_a_learner_finds_enrols_and_leaves_on_the_pages(chromium, platform, artifacts):
    from playwright.sync_api import expect

    session = BrowserSession(chromium, platform, DESKTOP, "wangfang", DEMO_PASSWORD)
    page = session.page
    try:
        page.get_by_role("link", name="课程中心 →").click()
        page.wait_for_url(f"**{SERVICE}courses")
        expect(page.locator("ul.courses > li")).to_have_count(2)
        page.get_by_label("课程名称或内容").fill("鉴赏")
        page.get_by_role("button", name="查找").click()
        expect(page.get_by_role("status").filter(has_text="找到")).to_have_text(
            "找到 1 门课程（共 2 门）"
        )
        page.get_by_role("link", name="书法艺术鉴赏入门").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("书法艺术鉴赏入门")

        # she enrolled herself (the test before): 退出选修 asks first
        page.get_by_role("button", name="退出选修").click()
        confirm = page.locator("#leave-confirm")
        expect(confirm).to_be_visible()
        expect(confirm).to_contain_text("已经完成的单元、得分和学时都会保留")
        page.get_by_role("button", name="不退出").click()
        expect(confirm).to_be_hidden()
        expect(page.locator("section[data-course]")).to_have_attribute("data-state", "enrolled")
        page.get_by_role("button", name="退出选修").click()
        page.get_by_role("button", name="确定退出").click()
        expect(page.locator("[data-done=left]")).to_contain_text("已退出选修“书法艺术鉴赏入门”")
        expect(page.locator("section[data-course]")).to_have_attribute("data-state", "open")

        # back to the list she came from, search and all; then every course again
        page.get_by_role("link", name="← 返回课程中心").click()
        expect(page.get_by_label("课程名称或内容")).to_have_value("鉴赏")
        page.get_by_role("link", name="清除条件，显示全部课程").click()
        expect(page.locator("ul.courses > li")).to_have_count(2)
        expect(page.locator(f'li[data-course="{ELECTIVE}"]')).to_contain_text("可报名")
        page.screenshot(path=artifacts / "catalogue.png", full_page=True)

        page.get_by_role("link", name="书法艺术鉴赏入门").click()
        page.get_by_role("button", name="报名", exact=True).click()
        expect(page.locator("[data-done=enrolled]")).to_contain_text("报名成功")
        study = page.get_by_role("link", name="开始学习：汉字书体的演变：篆、隶、楷、行、草")
        expect(study).to_be_visible()
        expect(page.locator('li[data-module="xianchang-linmo"]')).to_contain_text(
            "2027年1月16日（星期六）09:00，市书法家协会创作基地"
        )
        page.screenshot(path=artifacts / "course-detail.png", full_page=True)

        # and in 我的学习
        page.get_by_role("link", name="我的学习", exact=True).first.click()
        expect(page.locator(f'section.course[data-course="{ELECTIVE}"]')).to_be_visible()
        assert session.problems == [] and session.external == []
    finally:
        session.close()


@pytest.mark.browser
def test_on_a_phone(chromium, platform, artifacts):
    from playwright.sync_api import expect

    session = BrowserSession(chromium, platform, PHONE, "liuyang", DEMO_PASSWORD)
    page = session.page
    try:
        page.goto(f"{platform.url}{SERVICE}courses")
        expect(page.locator("ul.courses > li")).to_have_count(3)
        page.get_by_label("面向协会").select_option("音协")
        page.get_by_label("课程类别").select_option("专业技能")
        page.get_by_role("button", name="查找").click()
        expect(page.locator("ul.courses > li")).to_have_count(1)
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        page.screenshot(path=artifacts / "catalogue-phone.png", full_page=True)
        page.get_by_role("link", name="音乐基础：音高与节奏").click()
        expect(page.get_by_role("button", name="报名", exact=True)).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        page.screenshot(path=artifacts / "course-detail-phone.png", full_page=True)
        assert session.problems == []
    finally:
        session.close()


# -- at fifty ---------------------------------------------------------------------------------

CATEGORIES = ("理论学习", "艺术鉴赏", "专业技能", "创作实践")
#: 王芳 (书协, 美协) is in the audience of the first three
AUDIENCES = (["全部"], ["书协"], ["美协", "作协"], ["音协"], ["摄协"])


def test_fifty_courses_stay_findable(platform, people):
    """Forty-five more published electives (rows as a publish leaves them): the learner's
    list, its count and each filter still find exactly what they should."""
    from datetime import UTC, datetime

    from yiyuan.db import Database
    from yiyuan.models import Course, Module, ModuleKind

    database = Database(f"sqlite:///{platform.data_dir / 'yiyuan.sqlite'}")
    try:
        with database.session() as session:
            for n in range(45):
                course = Course(
                    code=f"kecheng-{n:02d}",
                    title=f"第{n + 1}号专题课",
                    summary="专题讲座。" + ("含篆刻入门。" if n == 37 else ""),
                    category=CATEGORIES[n % 4],
                    enrolment="elective",
                    due=datetime(2027, 6, 30, 15, 59, 59, tzinfo=UTC),
                    manifest={"audience": {"associations": AUDIENCES[n % 5]}},
                    version=1,
                    published_at=datetime.now(UTC),
                    published_by="admin",
                )
                course.modules.append(
                    Module(code="m1", title="专题", kind=ModuleKind.online, hours=2, position=0)
                )
                session.add(course)
            session.commit()
    finally:
        database.dispose()

    def codes(*conditions) -> set[str]:
        return {f"kecheng-{n:02d}" for n in range(45) if all(c(n) for c in conditions)}

    def hers(n):
        return n % 5 in (0, 1, 2)

    wangfang = people["wangfang"]

    def find(**query) -> set[str]:
        return set(listed(wangfang.call("GET", "courses", params=query)))

    assert find() == codes(hers) | {REQUIRED, ELECTIVE}
    text = page_text(wangfang.call("GET", "courses"))
    assert f"共 {len(codes(hers)) + 2} 门课程" in text
    assert "第38号专题课" in text and "截止 2027年6月30日" in text
    # one course among fifty, by a word of its summary
    assert find(q="篆刻") == {"kecheng-37"}
    assert find(category="创作实践") == codes(hers, lambda n: n % 4 == 3)
    # 书协: the courses for every association and those for 书协, not 美协/作协's
    assert find(association="书协") == codes(lambda n: n % 5 in (0, 1)) | {REQUIRED, ELECTIVE}
    assert find(association="美协", category="专业技能") == codes(
        lambda n: n % 5 in (0, 2), lambda n: n % 4 == 2
    )

"""An on-site session through a real hub: the trainer opens a check-in code over HTTP, one
learner checks in in time, another too late; the roster; who may not touch any of it."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

import people
import pytest

from hubtest import ROOT, Hub, hold_session_on

COURSE, MODULE = "shufa-jianshang", "xianchang-linmo"


@pytest.fixture(scope="module")
def onsite_hub(tmp_path_factory):
    hub = Hub(tmp_path_factory.mktemp("onsite"), {"courses_dir": str(ROOT / "courses")})
    hub.cli("db", "upgrade")
    hub.cli("demo", "seed")
    hub.cli("courses", "publish", COURSE, "--actor", "admin")
    hub.start()
    yield hub
    hub.stop()


class Person(people.Person):
    def module(self) -> dict:
        return self.module_state(COURSE, MODULE)


def db(hub: Hub) -> sqlite3.Connection:
    return sqlite3.connect(hub.data_dir / "yiyuan.sqlite")


@pytest.fixture(scope="module")
def people(onsite_hub):
    names = ("wangfang", "liuyang", "zhaolei", "lihua", "zhouqing")
    people = {name: Person(onsite_hub, name) for name in names}
    for learner in ("wangfang", "liuyang", "zhaolei"):
        enrolled = people[learner].call("POST", f"api/courses/{COURSE}/enrol")
        assert enrolled.status_code == 201, enrolled.text
    return people


@pytest.fixture(scope="module")
def session_id(onsite_hub, people) -> int:
    with db(onsite_hub) as connection:
        [(found,)] = connection.execute(
            "SELECT s.id FROM onsite_sessions s JOIN modules m ON m.id = s.module_id"
            " WHERE m.code = ? AND s.active",
            (MODULE,),
        ).fetchall()
    return found


def attendance_of(hub: Hub, username: str):
    with db(hub) as connection:
        return connection.execute(
            "SELECT a.present, a.method, a.recorded_by FROM attendance a"
            " JOIN accounts u ON u.id = a.account_id WHERE u.username = ?",
            (username,),
        ).fetchall()


def test_checkin_in_time_passes_and_too_late_is_refused(onsite_hub, people, session_id):
    lihua, wangfang, liuyang = people["lihua"], people["wangfang"], people["liuyang"]
    facts = lihua.call("GET", f"api/onsite/sessions/{session_id}")
    assert facts.status_code == 200, facts.text
    data = facts.json()
    assert data["place"] == "市书法家协会创作基地" and data["starts_local"] == "2027-01-16 09:00"
    assert {line["username"] for line in data["roster"]} >= {"wangfang", "liuyang"}
    assert data["checkin"]["open"] is False

    # 41 days away: no code yet (the trainer records attendance on the roster instead)
    hold_session_on(onsite_hub, session_id, datetime.now(UTC) + timedelta(days=41))
    early = lihua.call("POST", f"api/onsite/sessions/{session_id}/checkin", json={"minutes": 15})
    assert early.status_code == 409 and "签到码只能在当天开放" in early.json()["error"]
    hold_session_on(onsite_hub, session_id, datetime.now(UTC))

    opened = lihua.call("POST", f"api/onsite/sessions/{session_id}/checkin", json={"minutes": 15})
    assert opened.status_code == 201, opened.text
    code = opened.json()["code"]
    assert len(code) == 6 and opened.json()["closes_at"]
    assert lihua.call("GET", f"api/onsite/sessions/{session_id}").json()["checkin"]["code"] == code

    wrong = wangfang.call("POST", "api/me/checkin", json={"code": "abc"})
    assert wrong.status_code == 400 and "签到码不正确" in wrong.json()["error"]
    with db(onsite_hub) as connection:  # counted in the database although refused
        counted = connection.execute("SELECT count(*) FROM wrong_checkin_codes").fetchone()
    assert counted == (1,)
    done = wangfang.call("POST", "api/me/checkin", json={"code": code})
    assert done.status_code == 200, done.text
    assert "签到成功" in done.json()["message"]
    module = wangfang.module()
    assert module["status"] == "passed" and module["attended"] is True
    assert [s["attended"] for s in module["sessions"]] == [True]
    assert attendance_of(onsite_hub, "wangfang") == [(1, "checkin", "wangfang")]
    again = wangfang.call("POST", "api/me/checkin", json={"code": code})
    assert again.status_code == 200 and "您已签到" in again.json()["message"]
    home = wangfang.call("GET", "")
    assert "现场签到" in home.text and "已签到" in home.text and 'inputmode="numeric"' in home.text

    closed = lihua.call("POST", f"api/onsite/sessions/{session_id}/checkin/close")
    assert closed.status_code == 200, closed.text
    late = liuyang.call("POST", "api/me/checkin", json={"code": code})
    assert late.status_code == 409
    assert (
        late.json()["error"].startswith("签到已截止（")
        and "请联系任课教师补记" in late.json()["error"]
    )
    assert attendance_of(onsite_hub, "liuyang") == []
    assert liuyang.module()["status"] == "not-started"
    again = lihua.call("POST", f"api/onsite/sessions/{session_id}/checkin/close")
    assert again.status_code == 409


def test_window_ended_by_the_clock(onsite_hub, people, session_id):
    hold_session_on(onsite_hub, session_id, datetime.now(UTC))
    lihua, zhaolei = people["lihua"], people["zhaolei"]
    opened = lihua.call("POST", f"api/onsite/sessions/{session_id}/checkin", json={"minutes": 30})
    code = opened.json()["code"]
    with db(onsite_hub) as connection:  # as if the half hour had passed
        connection.execute(
            "UPDATE onsite_sessions SET checkin_closes_at = '2026-01-01 00:00:00.000000',"
            " checkin_opens_at = '2025-12-31 23:30:00.000000' WHERE id = ?",
            (session_id,),
        )
    late = zhaolei.call("POST", "api/me/checkin", json={"code": code})
    assert late.status_code == 409 and "签到已截止（08:00 截止）" in late.json()["error"]
    assert attendance_of(onsite_hub, "zhaolei") == []
    bad = lihua.call("POST", f"api/onsite/sessions/{session_id}/checkin", json={"minutes": 999})
    assert bad.status_code == 400 and "1 到 240 分钟" in bad.json()["error"]


def test_roster_save_marks_present(onsite_hub, people, session_id):
    lihua, liuyang = people["lihua"], people["liuyang"]
    saved = lihua.call(
        "POST", f"api/onsite/sessions/{session_id}/attendance", json={"present": ["liuyang"]}
    )
    assert saved.status_code == 200, saved.text
    assert saved.json()["recorded"] == 1
    states = {line["username"]: line["state"] for line in saved.json()["roster"]}
    assert states["liuyang"] == "present" and states["wangfang"] == "present"
    assert liuyang.module()["status"] == "passed"
    assert attendance_of(onsite_hub, "liuyang") == [(1, "roster", "lihua")]
    stranger = lihua.call(
        "POST", f"api/onsite/sessions/{session_id}/attendance", json={"present": ["nobody"]}
    )
    assert stranger.status_code == 400 and "nobody" in stranger.json()["error"]
    page = lihua.browser.get(f"/services/yiyuan/onsite/sessions/{session_id}")
    assert page.status_code == 200
    assert "出勤名单" in page.text and "开始签到" in page.text and "刘洋" in page.text


@pytest.mark.parametrize("who", ["wangfang", "zhouqing"])
def test_learners_and_other_trainers_are_refused(people, session_id, who):
    person = people[who]
    base = f"api/onsite/sessions/{session_id}"
    for method, path, body in (
        ("GET", base, None),
        ("POST", base + "/attendance", {"present": [who]}),
        ("POST", base + "/checkin", {"minutes": 15}),
        ("POST", base + "/checkin/close", None),
    ):
        refused = person.call(method, path, json=body)
        assert refused.status_code == 403, (method, path, refused.text)
        assert "任课教师" in refused.json()["error"]
    page = person.browser.get(f"/services/yiyuan/onsite/sessions/{session_id}")
    assert page.status_code == 403 and "任课教师" in page.text
    assert person.call("GET", "api/onsite/sessions/999999").status_code == 404


def test_cookie_posts_need_the_xsrf_token(onsite_hub, people, session_id):
    lihua = people["lihua"]
    page = lihua.browser.get(f"/services/yiyuan/onsite/sessions/{session_id}")
    assert page.status_code == 200
    url = f"{lihua.base}api/onsite/sessions/{session_id}/checkin"
    fetch = {"Sec-Fetch-Mode": "cors", "Sec-Fetch-Site": "same-origin"}
    without = lihua.browser.session.post(url, json={"minutes": 5}, headers=fetch, timeout=30)
    assert without.status_code in (401, 403)
    token = lihua.browser.session.cookies.get("_xsrf", path="/services/yiyuan/")
    assert token
    with_token = lihua.browser.session.post(
        url, json={"minutes": 5}, headers={**fetch, "X-XSRFToken": token}, timeout=30
    )
    assert with_token.status_code == 201, with_token.text
    learner = people["zhaolei"].browser
    learner.get("/services/yiyuan/")
    refused = learner.session.post(
        f"{lihua.base}api/me/checkin",
        json={"code": with_token.json()["code"]},
        headers=fetch,
        timeout=30,
    )
    assert refused.status_code in (401, 403)
    assert attendance_of(onsite_hub, "zhaolei") == []

"""Roster import against a real running hub: groups as the hub reports them, sync after
downtime, login by mobile number, and what a learner can and cannot see."""

import time

import pytest
import requests
from openpyxl import Workbook

from yiyuan.demo import DEMO_PASSWORD

HEADER = ["姓名", "手机号", "所属协会", "会员身份"]


def roster(path, rows):
    workbook = Workbook()
    workbook.active.append(HEADER)
    for row in rows:
        workbook.active.append(row)
    workbook.save(path)
    return path


@pytest.fixture(scope="module")
def admin_api(hub):
    browser = hub.browser()
    browser.login("admin", DEMO_PASSWORD, allow_redirects=False)
    token = browser.token()

    def get(path):
        response = requests.get(
            hub.url + "/hub/api" + path, headers={"Authorization": f"token {token}"}, timeout=30
        )
        response.raise_for_status()
        return response.json()

    return get


def hub_groups(admin_api) -> dict[str, set[str]]:
    return {g["name"]: set(g["users"]) for g in admin_api("/groups")}


def wait_for(condition, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.5)
    raise AssertionError("condition not met in time")


def test_import_creates_hub_users_and_groups(hub, admin_api, tmp_path):
    path = roster(
        tmp_path / "r.xlsx",
        [
            ["马兰", "13511110001", "书协、美协", "理事"],
            ["牛犇", "13511110002", "书协（主席团成员）", "会员"],
        ],
    )
    result = hub.cli("members", "import", str(path), "--passwords-out", str(tmp_path / "p.xlsx"))
    assert "已同步到 JupyterHub" in result.stdout, result.stdout + result.stderr
    groups = hub_groups(admin_api)
    assert groups["assoc-calligraphy"] >= {"malan0001", "niuben0002"}
    assert "malan0001" in groups["assoc-fine-arts"]
    assert "malan0001" in groups["standing-council"]
    assert "niuben0002" in groups["standing-presidium"]
    assert {"malan0001", "niuben0002"} <= groups["learners"]
    assert "malan0001" in {u["name"] for u in admin_api("/users")}

    # leaving an association removes the hub membership
    hub.cli(
        "members",
        "import",
        str(roster(tmp_path / "r2.xlsx", [["马兰", "13511110001", "书协", "理事"]])),
    )
    groups = hub_groups(admin_api)
    assert "malan0001" not in groups["assoc-fine-arts"]
    assert "malan0001" in groups["assoc-calligraphy"]


def test_member_logs_in_with_the_mobile_number(hub, tmp_path):
    path = roster(tmp_path / "r.xlsx", [["杨柳", "13522220003", "舞协", ""]])
    hub.cli("members", "import", str(path), "--passwords-out", str(tmp_path / "p.xlsx"))
    from openpyxl import load_workbook

    (_, mobile, username, password, _) = list(load_workbook(tmp_path / "p.xlsx").active.values)[1]
    browser = hub.browser()
    response = browser.login(mobile, password)
    assert "/hub/change-password" in response.url  # first login: set your own password
    assert (
        browser.get("/hub/api/user", headers={"X-XSRFToken": browser.xsrf()}).json()["name"]
        == username
    )


def test_learner_cannot_read_other_members(hub):
    browser = hub.browser()
    browser.login("wangfang", DEMO_PASSWORD, allow_redirects=False)
    token = browser.token()
    headers = {"Authorization": f"token {token}"}
    other = requests.get(hub.url + "/hub/api/users/malan0001", headers=headers, timeout=30)
    assert other.status_code == 404  # the hub does not even confirm the user exists
    assert requests.get(hub.url + "/hub/api/groups", headers=headers, timeout=30).status_code == 403
    assert requests.get(hub.url + "/hub/api/users", headers=headers, timeout=30).status_code == 403


def test_import_while_the_hub_is_down_syncs_when_it_starts(hub, admin_api, tmp_path):
    hub.stop()
    path = roster(tmp_path / "r.xlsx", [["白露", "13533330004", "民协", ""]])
    result = hub.cli("members", "import", str(path), "--passwords-out", str(tmp_path / "p.xlsx"))
    assert "尚未同步" in result.stdout
    hub.start()
    # the hub's roster-sync service catches up by itself
    wait_for(lambda: "bailu0004" in hub_groups(admin_api).get("assoc-folk-arts", set()))

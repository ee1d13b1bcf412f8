"""Roster import against a real running hub: groups as the hub reports them, sync after
downtime, login by mobile number, and what a learner can and cannot see."""

import time

import pytest
import requests
from openpyxl import load_workbook

from rosters import write_roster
from yiyuan.demo import DEMO_PASSWORD

HEADER = ["姓名", "手机号", "所属协会", "会员身份"]


def roster(path, rows):
    return write_roster(path, HEADER, rows)


def import_and_log_in(hub, tmp_path, rows):
    """Import ``rows``, then log each new member in with their mobile number and initial
    password (their hub user is made at this first login). Returns their user names."""
    passwords = tmp_path / "passwords.xlsx"
    result = hub.cli(
        "members",
        "import",
        str(roster(tmp_path / "r.xlsx", rows)),
        "--passwords-out",
        str(passwords),
    )
    assert "已同步到 JupyterHub" in result.stdout, result.stdout + result.stderr
    names = []
    for _, mobile, username, password, _ in list(load_workbook(passwords).active.values)[1:]:
        response = hub.browser().login(mobile, password)
        assert "/hub/change-password" in response.url  # first login: set your own password
        names.append(username)
    return names


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


def test_groups_follow_the_roster(hub, admin_api, tmp_path):
    malan, niuben = import_and_log_in(
        hub,
        tmp_path,
        [
            ["马兰", "13511110001", "书协、美协", "理事"],
            ["牛犇", "13511110002", "书协（主席团成员）", ""],
        ],
    )
    assert (malan, niuben) == ("malan0001", "niuben0002")
    groups = hub_groups(admin_api)
    assert {malan, niuben} <= groups["assoc-calligraphy"]
    assert malan in groups["assoc-fine-arts"] and niuben not in groups["assoc-fine-arts"]
    assert malan in groups["standing-council"]
    assert niuben in groups["standing-presidium"]
    assert {malan, niuben} <= groups["learners"]
    # every association has its group, members or not
    assert {"assoc-writers", "assoc-criticism"} <= set(groups)

    # leaving an association and changing standing reach the hub at once, without a login
    hub.cli(
        "members",
        "import",
        str(roster(tmp_path / "r2.xlsx", [["马兰", "13511110001", "书协", "会员"]])),
    )
    groups = hub_groups(admin_api)
    assert malan not in groups["assoc-fine-arts"] and malan not in groups["standing-council"]
    assert malan in groups["assoc-calligraphy"]


def test_login_by_mobile_number_names_the_account(hub, tmp_path):
    (yang,) = import_and_log_in(hub, tmp_path, [["杨柳", "13522220003", "舞协", ""]])
    browser = hub.browser()
    passwords = list(load_workbook(tmp_path / "passwords.xlsx").active.values)
    browser.login("13522220003", passwords[1][3])
    me = browser.get("/hub/api/user", headers={"X-XSRFToken": browser.xsrf()}).json()
    assert me["name"] == yang == "yangliu0003"
    assert "assoc-dance" in me["groups"]


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
    (bai,) = import_and_log_in(hub, tmp_path, [["白露", "13533330004", "民协", ""]])
    assert bai in hub_groups(admin_api)["assoc-folk-arts"]
    hub.stop()
    moved = roster(tmp_path / "moved.xlsx", [["白露", "13533330004", "曲协", ""]])
    result = hub.cli("members", "import", str(moved))
    assert "尚未同步" in result.stdout
    hub.start()
    # the hub's roster-sync service catches up by itself
    wait_for(lambda: bai in hub_groups(admin_api).get("assoc-quyi", set()))
    assert bai not in hub_groups(admin_api)["assoc-folk-arts"]

"""A real hub, proxy and single-user servers, driven over HTTP like a browser would."""

import socket
import subprocess
import time

import pytest
import requests

from hubtest import BIN, ROOT, Hub
from yiyuan.demo import DEMO_PASSWORD


def test_login_page_is_chinese(hub):
    page = hub.browser().get("/hub/login")
    assert page.status_code == 200
    assert 'lang="zh-CN"' in page.text
    assert "艺苑" in page.text and "用户名" in page.text and "密码" in page.text
    assert "Sign in" not in page.text


def test_wrong_password_is_refused_in_chinese(hub):
    response = hub.browser().login("liuyang", "not-the-password")
    assert response.status_code == 403
    assert "用户名或密码错误" in response.text
    assert "Invalid username or password" not in response.text


def test_unknown_page_is_a_chinese_404(hub):
    response = hub.browser().get("/hub/no-such-page")
    assert response.status_code == 404
    assert 'lang="zh-CN"' in response.text


def test_learner_lands_on_the_portal_and_a_server_is_in_chinese(hub):
    browser = hub.browser()
    response = browser.login("wangfang", DEMO_PASSWORD)
    # learners land on「我的学习」(the yiyuan service, through its hub OAuth), not in JupyterLab
    assert response.status_code == 200, hub.log()
    assert response.url == f"{hub.url}/services/yiyuan/" and "我的学习" in response.text
    # their server still starts on request, behind a Chinese waiting page
    response = browser.get("/hub/spawn")
    assert response.status_code == 200, hub.log()
    if "/hub/spawn-pending/" in response.url:
        assert "正在为您准备学习环境" in response.text
        browser.wait_for_server("wangfang")
    # a learner's own server opens on the portal too (Spawner.default_url via pre_spawn_hook)
    assert browser.get("/user/wangfang/").url == f"{hub.url}/services/yiyuan/"
    # ...and serves lessons only: JupyterLab is a Chinese page saying so (yiyuan.exchange.lockdown)
    lab = browser.get("/user/wangfang/lab")
    assert lab.status_code == 403 and lab.url.startswith(f"{hub.url}/user/wangfang/lab")
    assert 'lang="zh-CN"' in lab.text and "这里只能学习课件" in lab.text
    assert "jupyter-config-data" not in lab.text

    # trainers keep JupyterLab, in Chinese
    trainer = hub.browser()
    assert trainer.login("lihua", DEMO_PASSWORD).status_code == 200, hub.log()
    response = trainer.get("/hub/spawn")
    assert response.status_code == 200, hub.log()
    trainer.wait_for_server("lihua")
    lab = trainer.get("/user/lihua/lab")
    assert lab.status_code == 200 and lab.url.startswith(f"{hub.url}/user/lihua/lab")
    settings = trainer.server_api(
        "lihua", "lab/api/settings/@jupyterlab/translation-extension:plugin"
    ).json()
    # the platform's default (overrides.d/yiyuan.json), which each user may still change
    assert settings["schema"]["properties"]["locale"]["default"] == "zh_CN"
    languages = trainer.server_api("lihua", "lab/api/translations/").json()["data"]
    assert "zh_CN" in languages
    pack = trainer.server_api("lihua", "lab/api/translations/zh_CN").json()["data"]
    assert pack["jupyterlab"]["Help"] == ["帮助"]


def test_learner_is_not_an_admin(hub):
    browser = hub.browser()
    browser.login("liuyang", DEMO_PASSWORD, allow_redirects=False)
    assert browser.get("/hub/admin").status_code == 403
    token = browser.token()
    api = requests.get(
        hub.url + "/hub/api/users", headers={"Authorization": f"token {token}"}, timeout=30
    )
    assert api.status_code == 403
    me = requests.get(
        hub.url + "/hub/api/user", headers={"Authorization": f"token {token}"}, timeout=30
    ).json()
    assert me["admin"] is False
    # the demo makes liuyang a member of 音协 (yiyuan.demo.DEMO_MEMBERS)
    assert sorted(me["groups"]) == ["assoc-music", "learners"]


def test_administrator_has_the_admin_page_but_no_admin_flag(hub):
    browser = hub.browser()
    browser.login("admin", DEMO_PASSWORD, allow_redirects=False)
    assert browser.get("/hub/admin").status_code == 200
    token = browser.token()
    users = requests.get(
        hub.url + "/hub/api/users", headers={"Authorization": f"token {token}"}, timeout=30
    )
    assert users.status_code == 200
    assert {"admin", "wangfang"} <= {u["name"] for u in users.json()}
    assert all(u["admin"] is False for u in users.json())


def test_idle_culler_runs_as_a_service(hub):
    browser = hub.browser()
    browser.login("admin", DEMO_PASSWORD, allow_redirects=False)
    token = browser.token()
    services = requests.get(
        hub.url + "/hub/api/services", headers={"Authorization": f"token {token}"}, timeout=30
    )
    assert services.status_code == 200
    culler = services.json()["idle-culler"]
    assert culler["pid"] > 0
    assert "--timeout=600" in culler["command"]


def test_idle_culler_stops_idle_servers(tmp_path):
    hub = Hub(tmp_path, settings={"culler": {"idle_timeout": 5, "every": 5}})
    hub.cli("db", "upgrade")
    hub.cli("demo", "seed")
    hub.start()
    try:
        browser = hub.browser()
        browser.login("sunli", DEMO_PASSWORD)
        browser.get("/hub/spawn")  # learners land on the portal: start the server by hand
        browser.wait_for_server("sunli")
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            model = browser.get("/hub/api/users/sunli", headers={"X-XSRFToken": browser.xsrf()})
            if not model.json()["servers"]:
                break
            time.sleep(1)
        else:
            raise AssertionError(f"idle server was not culled:\n{hub.log()}")
        assert "idle-culler" in hub.log()
    finally:
        hub.stop()


def test_first_login_must_change_password(hub):
    hub.cli("users", "create", "xinren", "--name", "新人", "--password-stdin", stdin="Chuci-2026\n")
    browser = hub.browser()
    response = browser.login("xinren", "Chuci-2026")
    assert "/hub/change-password" in response.url
    assert "请设置您自己的密码" in response.text or "首次登录" in response.text
    # the server does not start before the password is changed
    spawn = browser.get("/hub/spawn/xinren")
    assert spawn.status_code == 403
    weak = browser.post_form(
        "/hub/change-password",
        {"current_password": "Chuci-2026", "new_password": "123", "confirm_password": "123"},
    )
    assert weak.status_code == 400 and "至少" in weak.text
    done = browser.post_form(
        "/hub/change-password",
        {
            "current_password": "Chuci-2026",
            "new_password": "Zixuan-2027",
            "confirm_password": "Zixuan-2027",
        },
    )
    assert done.status_code == 200 and "已修改" in done.text
    fresh = hub.browser().login("xinren", "Zixuan-2027", allow_redirects=False)
    assert fresh.status_code == 302
    assert "change-password" not in fresh.headers["Location"]


def test_block_on_the_fifth_failure_survives_a_restart(hub):
    hub.cli("users", "create", "suoding", "--name", "锁定", "--password-stdin", stdin="Mima-2026\n")
    browser = hub.browser()
    for _ in range(4):
        assert "用户名或密码错误" in browser.login("suoding", "wrong").text
    fifth = browser.login("suoding", "wrong")
    assert fifth.status_code == 403 and "稍后再试" in fifth.text and "锁定" not in fifth.text
    sixth = browser.login("suoding", "Mima-2026")
    assert sixth.status_code == 403 and "稍后再试" in sixth.text

    hub.stop()
    hub.start()
    again = hub.browser().login("suoding", "Mima-2026")
    assert again.status_code == 403 and "稍后再试" in again.text
    hub.cli("users", "unlock", "suoding")
    unlocked = hub.browser().login("suoding", "Mima-2026", allow_redirects=False)
    assert unlocked.status_code == 302


def start_failing_hub(hub: Hub) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "jupyterhub"), "-f", str(ROOT / "jupyterhub_config.py")],
        cwd=hub.workdir,
        env=hub.env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def assert_one_sentence(result, *fragments):
    assert result.returncode != 0
    assert "Traceback" not in result.stderr, result.stderr
    assert "艺苑无法启动" in result.stderr
    for fragment in fragments:
        assert fragment in result.stderr


def test_port_taken_stops_with_one_sentence(tmp_path):
    hub = Hub(tmp_path)
    hub.cli("db", "upgrade")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", hub.port))
        taken.listen()
        assert_one_sentence(start_failing_hub(hub), f"端口 {hub.port}", "hub.port")


def test_unmigrated_database_stops_with_one_sentence(tmp_path):
    assert_one_sentence(start_failing_hub(Hub(tmp_path)), "yiyuan db upgrade")


def test_malformed_settings_stop_with_one_sentence(tmp_path):
    hub = Hub(tmp_path)
    hub.config_file.write_text("hub:\n  port: 八千\n", encoding="utf-8")
    assert_one_sentence(start_failing_hub(hub), "hub.port")


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_hub_runs_on_postgresql(tmp_path, db_url):
    hub = Hub(tmp_path, settings={"db_url": db_url, "culler": {"enabled": False}})
    hub.cli("db", "upgrade")
    hub.cli("demo", "seed")
    hub.start()
    try:
        response = hub.browser().login("zhaolei", DEMO_PASSWORD, allow_redirects=False)
        assert response.status_code == 302, hub.log()
    finally:
        hub.stop()


def test_unreachable_database_stops_with_one_sentence(tmp_path):
    hub = Hub(tmp_path, settings={"db_url": "postgresql+psycopg://u:secret@127.0.0.1:9/x"})
    result = start_failing_hub(hub)
    assert_one_sentence(result, "无法连接数据库")
    assert "secret" not in result.stderr

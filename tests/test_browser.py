"""What people see, in a real headless Chromium against a real hub.

Screenshots of each main page go to ``test-artifacts/screenshots/`` (ignored by git).
"""

import pytest
from playwright.sync_api import expect

from hubtest import PHONE
from yiyuan.demo import DEMO_PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def page(chromium, hub):
    context = chromium.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
    page = context.new_page()
    external = []
    # every asset must come from the hub itself (intranet users, no CDN)
    page.on(
        "request",
        lambda request: (
            external.append(request.url)
            if not request.url.startswith((hub.url, "data:", "blob:"))
            else None
        ),
    )
    yield page
    context.close()
    assert external == [], f"pages loaded assets from outside the hub: {external}"


def log_in(page, hub, username, password=DEMO_PASSWORD):
    page.goto(hub.url + "/hub/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码", exact=True).fill(password)
    page.get_by_role("button", name="登录").click()


def test_login_page(page, hub, artifacts):
    page.goto(hub.url + "/hub/login")
    assert "艺苑" in page.title()
    expect(page.get_by_label("用户名")).to_be_visible()
    expect(page.get_by_label("密码", exact=True)).to_be_visible()
    page.screenshot(path=artifacts / "hub-login.png", full_page=True)
    page.set_viewport_size(PHONE)
    expect(page.get_by_role("button", name="登录")).to_be_visible()
    page.screenshot(path=artifacts / "hub-login-phone.png", full_page=True)


def test_wrong_password_message(page, hub, artifacts):
    log_in(page, hub, "zhaolei", "wrong-password")
    expect(page.get_by_text("用户名或密码错误")).to_be_visible()
    page.screenshot(path=artifacts / "hub-login-error.png", full_page=True)


def test_trainer_reaches_jupyterlab_in_chinese(page, hub, artifacts):
    # trainers land on their workspace (learners on「我的学习」: tests/test_platform_flow.py)
    # and author in JupyterLab
    log_in(page, hub, "zhouqing")
    page.wait_for_url("**/services/yiyuan/trainer**", timeout=60_000)
    page.goto(hub.url + "/hub/user-redirect/lab")
    page.wait_for_url("**/user/zhouqing/lab**", timeout=90_000)
    # JupyterLab's own menu bar, translated by the zh-CN language pack
    expect(page.get_by_role("menuitem", name="文件")).to_be_visible(timeout=60_000)
    expect(page.get_by_role("menuitem", name="帮助")).to_be_visible()
    page.screenshot(path=artifacts / "jupyterlab-zh.png")


def test_home_page(page, hub, artifacts):
    log_in(page, hub, "liuyang")
    page.goto(hub.url + "/hub/home")
    expect(page.get_by_role("button", name="退出登录")).to_be_visible()
    # learners land on「我的学习」without a server: the hub's home offers to start one
    expect(page.get_by_role("button", name="启动学习环境")).to_be_visible()
    page.screenshot(path=artifacts / "hub-home.png", full_page=True)


def test_change_password_page(page, hub, artifacts):
    hub.cli("users", "create", "gaiming", "--name", "改密", "--password-stdin", stdin="Chuxue-2026")
    log_in(page, hub, "gaiming", "Chuxue-2026")
    page.wait_for_url("**/hub/change-password**")
    page.screenshot(path=artifacts / "hub-change-password.png", full_page=True)
    page.get_by_label("当前密码").fill("Chuxue-2026")
    page.get_by_label("新密码", exact=True).fill("Xinmima-2027")
    page.get_by_label("再次输入新密码").fill("Xinmima-2027")
    page.get_by_role("button", name="保存新密码").click()
    expect(page.get_by_text("密码已修改")).to_be_visible()


def test_administrator_page(page, hub, artifacts):
    log_in(page, hub, "admin")
    page.goto(hub.url + "/hub/admin")
    expect(page.get_by_test_id("user-name-div-admin")).to_be_visible(timeout=30_000)
    page.screenshot(path=artifacts / "hub-admin.png", full_page=True)


def test_not_found_page(page, hub, artifacts):
    page.goto(hub.url + "/hub/no-such-page")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    page.screenshot(path=artifacts / "hub-404.png", full_page=True)

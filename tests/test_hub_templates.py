"""Render every template in extensions/yiyuan/hub/templates the way JupyterHub 6.1.1 does.

The jinja Environment copies JupyterHub.init_tornado_settings: a ChoiceLoader trying
PrefixLoader({"templates": stock dir}) first, then FileSystemLoader(template_paths) with our
directory before the stock one, autoescape on. StrictUndefined (stricter than the hub) makes a
missing variable or catalogue key fail the test instead of rendering as nothing.
"""

from __future__ import annotations

import asyncio
import re
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace

import pytest
from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    PrefixLoader,
    StrictUndefined,
    Undefined,
)
from jupyterhub._data import DATA_FILES_PATH

from yiyuan.i18n import CATALOGUES, get_catalogue

ROOT = Path(__file__).resolve().parents[1]
OUR_DIR = ROOT / "extensions" / "yiyuan" / "hub" / "templates"
# the default JupyterHub.data_files_path, as app.py uses it
STOCK_DIR = Path(DATA_FILES_PATH) / "templates"

TEMPLATES = sorted(p.name for p in OUR_DIR.glob("*.html"))
STOCK_TEMPLATES = sorted(p.name for p in STOCK_DIR.glob("*.html"))

# English from the stock pages that must not survive in the Chinese pages (visible text and
# attributes; inline scripts are left out because ours map the stock JS strings to Chinese).
STOCK_ENGLISH = [
    "Sign in",
    "Logout",
    "Login",
    "Token",
    "Home",
    "Admin",
    "Username:",
    "Password:",
    "Your server is starting up",
    "Stop My Server",
    "My Server",
    "Server Options",
    "Event log",
    "Successfully logged out",
    "Authorize access",
    "Request new API token",
    "Jupyter has lots of moons",
    "Accept sharing invitation",
    "Server not running",
    "refresh",
    "revoke",
    "Never",
]


def make_env(enable_async: bool = False) -> Environment:
    loader = ChoiceLoader(
        [
            PrefixLoader({"templates": FileSystemLoader([str(STOCK_DIR)])}, "/"),
            FileSystemLoader([str(OUR_DIR), str(STOCK_DIR)]),
        ]
    )
    return Environment(
        loader=loader, autoescape=True, enable_async=enable_async, undefined=StrictUndefined
    )


class FakeSpawner(SimpleNamespace):
    pass


def fake_user(name: str = "zhangsan", groups=("trainers",)) -> SimpleNamespace:
    spawner = FakeSpawner(
        name="", display_name="", active=True, ready=True, pending=None, options_form=None
    )
    named = FakeSpawner(
        name="shufa",
        display_name="书法课",
        active=False,
        ready=False,
        pending=None,
        last_activity=None,
        options_form=None,
    )
    return SimpleNamespace(
        name=name,
        json_escaped_name=name,
        admin=False,
        groups=[SimpleNamespace(name=group) for group in groups],
        spawner=spawner,
        all_spawners=lambda include_default=True: [named],
        server_url=lambda server_name="": f"/user/{name}/{server_name}",
    )


def base_namespace(language: str) -> dict:
    """What BaseHandler.template_namespace and render_template always pass, plus our vars."""
    user = fake_user()
    return {
        # JupyterHub's own namespace
        "base_url": "/hub/",
        "prefix": "/",
        "user": user,
        "login_url": "/hub/login",
        "login_service": "",
        "logout_url": "/hub/logout",
        "static_url": lambda path, include_version=True: (
            f"/hub/static/{path}" + ("?v=abc" if include_version else "")
        ),
        "version_hash": "abc",
        "services": [SimpleNamespace(name="课程资料", href="/services/materials/")],
        "parsed_scopes": {"admin-ui"},
        "expanded_scopes": set(),
        "xsrf": "XSRF",
        "xsrf_token": "XSRF",
        # optional variables that stock templates test without the handler passing them
        "announcement": None,
        "announcement_login": None,
        "announcement_home": None,
        "announcement_spawn": None,
        "announcement_logout": None,
        "logo_url": "",
        "admin_access": False,
        "no_spawner_check": False,
        "login_term_url": "",
        "show_logo": False,
        # c.JupyterHub.template_vars
        "t": get_catalogue(language),
        "site_name": "艺苑" if language == "zh_CN" else "Yiyuan",
        "federation_name": "深圳市文学艺术界联合会",
    }


NOW = datetime(2025, 3, 1, 8, 30)


def page_namespace(name: str, language: str) -> dict:
    """The extra variables each JupyterHub handler passes to its template."""
    t = get_catalogue(language)
    ns = base_namespace(language)
    user = ns["user"]
    extra: dict = {
        "page.html": {},
        "login.html": {
            "user": None,
            "next": "",
            "username": "lisi",
            "login_error": t.login_failed,
            "authenticator_login_url": "/hub/login?next=",
            "authenticator": SimpleNamespace(request_otp=False, otp_prompt=""),
            "custom_html": "",
        },
        "home.html": {
            "url": "/hub/user/zhangsan/",
            "default_server": user.spawner,
            "allow_named_servers": True,
            "named_server_limit_per_user": 2,
            "invalid_server_names": [],
            "spawners": {},
            "auth_state": None,
        },
        "spawn.html": {
            "for_user": user,
            "spawner_options_form": '<select name="image"><option>书法</option></select>',
            "error_message": "",
            "html_error_message": "",
            "url": "/hub/spawn?_xsrf=XSRF",
            "spawner": user.spawner,
        },
        "spawn_pending.html": {
            "spawner": user.spawner,
            "progress_url": "/hub/api/users/zhangsan/server/progress?_xsrf=XSRF",
        },
        "stop_pending.html": {"spawner": user.spawner, "progress_url": ""},
        "not_running.html": {
            "server_name": "",
            "spawn_url": "/hub/spawn/zhangsan",
            "failed": True,
            "failed_message": "Timeout",
            "failed_html_message": "",
            "implicit_spawn_seconds": 0,
        },
        "error.html": {
            "user": None,
            "status_code": 500,
            "status_message": "Internal Server Error",
            "message": "Something broke",
            "message_html": "",
            "extra_error_html": "",
        },
        "404.html": {
            "user": None,
            "status_code": 404,
            "status_message": "Not Found",
            "message": "",
            "message_html": "",
            "extra_error_html": "",
        },
        "logout.html": {"user": None},
        "token.html": {
            "api_tokens": [
                SimpleNamespace(
                    api_id="a1",
                    note="作业脚本",
                    scopes=["read:users"],
                    last_activity=NOW,
                    created=NOW,
                    expires_at=None,
                )
            ],
            "oauth_clients": [
                {
                    "token_id": "o1",
                    "description": "Server at /user/zhangsan/",
                    "tokens": [SimpleNamespace(scopes=["access:servers"])],
                    "last_activity": None,
                    "created": NOW,
                }
            ],
            "token_expires_in_options_html": '<option value="3600">1 Hour</option>',
            "token_expires_in_max_seconds": 0,
        },
        "oauth.html": {
            "oauth_client": SimpleNamespace(
                description="Server at /user/zhangsan/", redirect_uri="/user/zhangsan/oauth"
            ),
            "scope_descriptions": [{"scope": None, "description": "Identify you", "filter": ""}],
            "allowed_scopes": ["identify"],
        },
        "accept-share.html": {
            "code": "CODE",
            "owner": SimpleNamespace(name="wangwu"),
            "spawner": SimpleNamespace(name=""),
            "spawner_ready": False,
            "spawner_url": "/user/wangwu/",
            "scope_descriptions": [
                {"scope": "access:servers", "description": "Access servers", "filter": ""}
            ],
            "next_url": "/user/wangwu/",
        },
        "admin.html": {
            "admin_access": True,
            "server_version": "6.1.1 abc",
            "api_page_limit": 50,
            "current_user": user,
            "allow_named_servers": False,
            "named_server_limit_per_user": 0,
        },
        "change_password.html": {
            "next": "%2Fhub%2Fhome",
            "error": t.password_mismatch,
            "message": None,
            "forced": True,
            "min_length": 8,
        },
    }
    ns.update(extra[name])
    return ns


def render(name: str, language: str, **overrides) -> str:
    ns = page_namespace(name, language)
    ns.update(overrides)
    return make_env().get_template(name).render(**ns)


class AssetParser(HTMLParser):
    """Collects what the page loads (script src, link href, img src, …) and its visible text."""

    def __init__(self) -> None:
        super().__init__()
        self.assets: list[str] = []
        self.text: list[str] = []
        self.html_lang: str | None = None
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.html_lang = attrs.get("lang")
        if tag in ("script", "style"):
            self._in_script = True
        for attr in ("src", "href") if tag in ("script", "link", "img", "iframe", "source") else ():
            if attrs.get(attr):
                self.assets.append(attrs[attr])
        if tag == "img" and attrs.get("srcset"):
            self.assets.append(attrs["srcset"])
        # text people read or hear that lives in attributes
        for attr in ("title", "placeholder", "aria-label", "alt", "value"):
            if attrs.get(attr) and not (tag == "input" and attrs.get("type") == "hidden"):
                self.text.append(attrs[attr])

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._in_script = False

    def handle_data(self, data):
        if not self._in_script:
            self.text.append(data)


def parse(html: str) -> AssetParser:
    parser = AssetParser()
    parser.feed(html)
    return parser


# Chinese text each page must show (beyond the navbar and footer checked for every page)
EXPECTED_ZH = {
    "page.html": ["首页", "令牌", "退出登录", "文艺培训学习平台"],
    "login.html": [
        "艺苑 · 文艺培训学习平台",
        "用户名",
        "密码",
        'value="登录"',
        "用户名或密码错误。",
        "账号由管理员创建，忘记密码请联系所在协会或服务中心",
    ],
    "home.html": ["首页", "进入学习环境", "停止学习环境", "书法课"],
    "spawn.html": ["请选择学习环境", "启动"],
    "spawn_pending.html": ["正在为您准备学习环境…", 'id="progress-bar"', "详细进度"],
    "stop_pending.html": ["学习环境正在停止…", "刷新"],
    "not_running.html": ["学习环境启动失败", "重新启动学习环境", "返回首页"],
    "error.html": ["平台内部错误", "错误代码 500", "返回首页", "请联系所在协会或服务中心"],
    "404.html": ["页面不存在", "返回首页"],
    "logout.html": ["您已安全退出登录", "重新登录"],
    "token.html": ["访问令牌", "申请新令牌", "永不过期", "撤销"],
    "oauth.html": ["授权访问", "同意授权"],
    "accept-share.html": ["接受共享邀请", "接受邀请"],
    "admin.html": ["平台管理", 'id="react-admin-hook"', "JupyterHub 版本 6.1.1 abc"],
    "change_password.html": [
        "修改密码",
        "首次登录，请先设置您自己的密码。",
        "两次输入的新密码不一致",
        "至少 8 个字符",
        "至少包含字母、数字、符号中的两类",
        "不能包含您的用户名",
    ],
}


def test_every_stock_template_is_overridden():
    assert set(STOCK_TEMPLATES) <= set(TEMPLATES)
    assert set(EXPECTED_ZH) == set(TEMPLATES)


@pytest.mark.parametrize("name", TEMPLATES)
def test_zh_cn_page(name):
    html = render(name, "zh_CN")
    page = parse(html)
    assert page.html_lang == "zh-CN"
    assert '<meta name="viewport" content="width=device-width, initial-scale=1.0">' in html
    for text in EXPECTED_ZH[name]:
        assert text in html, f"{name}: missing {text!r}"
    assert "深圳市文学艺术界联合会" in html  # federation name in footer/header
    title = re.search(r"<title>(.*?)</title>", html, re.S).group(1)
    assert "艺苑" in title
    visible = "\n".join(page.text)
    for word in STOCK_ENGLISH:
        assert word not in visible, f"{name}: stock English {word!r} left in the page"


# Chinese that the test data itself puts into pages (names, notes), not catalogue text
CJK_TEST_DATA = ["深圳市文学艺术界联合会", "课程资料", "书法课", "书法", "作业脚本"]


@pytest.mark.parametrize("name", TEMPLATES)
def test_en_page(name):
    html = render(name, "en", spawner=SimpleNamespace(name="shufa"))
    page = parse(html)
    assert page.html_lang == "en"
    assert "Yiyuan" in html
    visible = "\n".join(page.text)
    for data in CJK_TEST_DATA:
        visible = visible.replace(data, "")
    assert not re.search(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]", visible), visible


@pytest.mark.parametrize("language", sorted(CATALOGUES))
@pytest.mark.parametrize("name", TEMPLATES)
def test_no_external_assets(name, language):
    page = parse(render(name, language))
    assert page.assets, f"{name}: expected the hub's own scripts and styles"
    for url in page.assets:
        assert not re.match(r"^(https?:)?//", url), f"{name}: external asset {url}"
        assert url.startswith("/hub/"), f"{name}: asset {url} not served by the hub"


@pytest.mark.parametrize("name", TEMPLATES)
def test_async_render_like_the_hub(name):
    # most pages are rendered with the async environment
    template = make_env(enable_async=True).get_template(name)
    html = asyncio.run(template.render_async(**page_namespace(name, "zh_CN")))
    assert 'lang="zh-CN"' in html


def test_navbar_in_chinese_when_signed_in():
    html = render("home.html", "zh_CN")
    for text in ("首页", "令牌", "管理", "退出登录", "修改密码", "课程资料"):
        assert text in html
    assert 'id="error-dialog"' in html  # utils.js ajax_error_dialog looks for it
    assert 'id="dark-theme-toggle"' in html  # darkmode.js needs it


def test_learners_get_their_learning_not_the_hubs_technical_pages():
    learner = fake_user("wangfang", groups=("learners", "assoc-shuxie"))
    html = render("change_password.html", "zh_CN", user=learner)
    assert '<a class="nav-link" href="/services/yiyuan/">我的学习</a>' in html
    assert "/hub/token" not in html and "令牌" not in html
    assert 'href="/hub/home"' not in html
    for staff in (fake_user("lihua", groups=("trainers",)), fake_user("chenjing", ("managers",))):
        html = render("change_password.html", "zh_CN", user=staff)
        assert "/hub/token" in html and 'href="/hub/home"' in html


def test_login_button_when_signed_out():
    html = render("logout.html", "zh_CN")
    assert re.search(r'<a id="login"[^>]*>登录</a>', html)
    assert 'id="logout"' not in html


def test_login_page_ids_for_stock_script():
    html = render("login.html", "zh_CN")
    for needle in (
        'id="insecure-login-warning"',
        'class="feedback-container"',
        'name="username"',
        'name="password"',
        'name="_xsrf" value="XSRF"',
        'for="username_input"',
        'for="password_input"',
    ):
        assert needle in html
    assert 'class="login_error' in html


def test_login_error_absent_when_none():
    assert 'class="login_error' not in render("login.html", "zh_CN", login_error=None)


def test_change_password_form():
    html = render("change_password.html", "zh_CN")
    assert 'action="/hub/change-password?next=%2Fhub%2Fhome"' in html
    assert 'method="post"' in html
    for field in ("current_password", "new_password", "confirm_password"):
        assert f'for="{field}"' in html
        assert f'name="{field}"' in html
    assert 'name="_xsrf" value="XSRF"' in html
    assert 'minlength="8"' in html


def test_change_password_success_not_forced():
    t = get_catalogue("zh_CN")
    html = render(
        "change_password.html",
        "zh_CN",
        error=None,
        message=t.password_changed,
        forced=False,
        continue_url="/hub/home",
    )
    assert "密码已修改" in html
    assert '<a href="/hub/home">继续</a>' in html
    assert t.password_must_change not in html
    assert 'class="alert alert-danger"' not in html


def test_site_name_defaults_from_catalogue():
    # with the hub's lenient Undefined, pages still name the platform if site_name is unset
    env = make_env()
    env.undefined = Undefined
    ns = page_namespace("home.html", "zh_CN")
    del ns["site_name"], ns["federation_name"]
    html = env.get_template("home.html").render(**ns)
    assert "<title>首页 · 艺苑</title>" in html


def test_spawn_pending_keeps_progress_stream():
    html = render("spawn_pending.html", "zh_CN")
    assert 'new EventSource("/hub/api/users/zhangsan/server/progress?_xsrf=XSRF")' in html
    for needle in ('id="sr-progress"', 'id="progress-message"', 'id="progress-log"'):
        assert needle in html
    assert 'id="stop-server-btn"' in html


def test_home_keeps_ids_for_home_js():
    html = render("home.html", "zh_CN")
    for needle in ('id="start"', 'id="stop"', 'class="new-server-name', 'data-server-name="shufa"'):
        assert needle in html
    assert 'require(["home"])' in html


def test_moment_locale_only_in_chinese():
    assert '"moment-locale/zh-cn"' in render("token.html", "zh_CN")
    assert "yiyuan-moment" not in render("token.html", "en")


def test_token_expiry_choices_follow_max():
    html = render("token.html", "zh_CN", token_expires_in_max_seconds=2 * 86400)
    select = re.search(r'<select id="token-expiration-seconds".*?</select>', html, re.S).group(0)
    assert "1 小时" in select and "1 天" in select and "1 周" not in select
    assert re.search(r'<option value="" selected="selected">最长（48 小时）</option>', select)
    html = render("token.html", "zh_CN", token_expires_in_max_seconds=86400)
    assert '<option value="86400" selected="selected">1 天</option>' in html


def test_error_pages_by_status():
    assert "没有访问权限" in render("error.html", "zh_CN", status_code=403)
    assert "请求无效" in render("error.html", "zh_CN", status_code=400)
    unknown = render("error.html", "zh_CN", status_code=418)
    assert "出错了" in unknown and "错误代码 418" in unknown


def test_template_catalogue_keys_exist():
    """Every t.<key>, t.format("<key>") and t.get("<key>") used in the templates exists."""
    used = set()
    for path in OUR_DIR.glob("*.html"):
        source = path.read_text(encoding="utf-8")
        used |= set(re.findall(r"\bt\.(?!format\b|get\b)(\w+)", source))
        # t.get("error_title_" ~ status_code) is dynamic, with a fallback: skipped here
        used |= set(re.findall(r"\bt\.(?:format|get)\(\"(\w+)\"\s*[,)]", source))
    assert used
    for language, messages in CATALOGUES.items():
        missing = sorted(used - set(messages))
        assert not missing, f"{language}: {missing}"

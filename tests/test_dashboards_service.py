"""The dashboards service over real HTTP through a real hub: hub OAuth, who may look, what each
viewer's kernel is bound to, and what the service does not expose.

The hub runs ``yiyuan dashboards run`` (standalone Voila) over a folder holding one tiny
notebook that prints what ``yiyuan.dashboards.context`` resolves in its kernel, so each test
sees the whole chain: hub login → OAuth → prelaunch hook → bound kernel → scope from the DB.
"""

from __future__ import annotations

import html
import json
import re
from types import SimpleNamespace
from urllib.parse import quote, urlparse

import nbformat
import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from tornado import web

from hubtest import ROOT, Hub, free_port
from yiyuan.associations.records import ensure_standard_associations, find_association
from yiyuan.dashboards import context
from yiyuan.dashboards.kernels import DashboardsKernelManager
from yiyuan.dashboards.readonly import dashboards_db_url, read_only_url
from yiyuan.dashboards.server import binding_cell, make_prelaunch_hook, voila_config
from yiyuan.db import Database
from yiyuan.demo import DEMO_PASSWORD
from yiyuan.models import Account, AccountRole, Association, Course, CourseTrainer, Role
from yiyuan.platform import Platform
from yiyuan.reports.scope import ReportAccessDenied
from yiyuan.settings import DashboardsSettings, Settings, load_settings

PREFIX = "/services/dashboards/"
NOTEBOOK = "范围.ipynb"
PAGE = PREFIX + "voila/render/" + quote(NOTEBOOK)
#: printed by the test notebook: the scope its kernel resolved, and whether a write failed
PROBE = """\
import json
import os
from sqlalchemy import text
from yiyuan.dashboards import context

scope = context.current_scope()
with context.session() as db:
    accounts = db.execute(text("SELECT count(*) FROM accounts")).scalar_one()
    try:
        db.execute(text("DELETE FROM course_trainers"))
        db.flush()
        read_only = False
    except Exception:
        read_only = True
print("SCOPE=" + json.dumps({
    "user": scope.username,
    "everything": scope.everything,
    "associations": sorted(scope.association_ids),
    "courses": sorted(scope.course_ids),
    "accounts": accounts,
    "read_only": read_only,
    "hub_token": any(k in os.environ for k in ("JUPYTERHUB_API_TOKEN", "JPY_API_TOKEN")),
}))
"""
WIDGET = "import ipywidgets\nipywidgets.Dropdown(options=['甲', '乙'], description='协会')"
COURSE_CODE = "dash-test"


def write_probe(folder) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [
        nbformat.v4.new_markdown_cell("# 范围测试"),
        nbformat.v4.new_code_cell(PROBE),
        nbformat.v4.new_code_cell(WIDGET),
    ]
    nbformat.write(nb, folder / NOTEBOOK)


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("dashboards")
    write_probe(workdir / "boards")
    hub = Hub(
        workdir,
        {
            "dashboards": {
                "dir": str(workdir / "boards"),
                "port": free_port(),
                "kernel_idle_timeout": 900,
                "enabled": True,
            }
        },
    )
    hub.cli("db", "upgrade")
    hub.cli("demo", "seed")
    database = Database(f"sqlite:///{hub.data_dir / 'yiyuan.sqlite'}")
    with database.session() as session:
        # lihua teaches one course; zhouqing (also a trainer) teaches none
        lihua = session.scalars(select(Account).where(Account.username == "lihua")).one()
        course = Course(code=COURSE_CODE, title="报表测试课程")
        course.trainers.append(CourseTrainer(account_id=lihua.id))
        session.add(course)
        session.flush()
        facts = {
            "course_id": course.id,
            "shuxie_id": session.scalars(
                select(Association.id).where(Association.short_name == "书协")
            ).one(),
            "accounts": session.query(Account).count(),
        }
    database.dispose()
    hub.start()
    yield hub, facts
    hub.stop()


def login(hub: Hub, user: str):
    browser = hub.browser()
    # no redirect to the user's own server: the hub would spawn JupyterLab for nothing
    response = browser.login(user, DEMO_PASSWORD, allow_redirects=False)
    assert response.status_code == 302, response.text
    return browser


def scope_printed(page: str) -> dict:
    """The probe's line, from the cell outputs Voila renders into the page."""
    found = re.findall(r"SCOPE=(\{[^\n<]*\})", html.unescape(page))
    assert len(found) == 1, f"no scope printed in the page:\n{page[-3000:]}"
    return json.loads(found[0])


def kernels_for(hub: Hub, user: str) -> int:
    """Kernels claimed (warm) or started for ``user``'s views, from the service's log (warm
    kernels for nobody start in the background at any time)."""
    log = hub.log_file.read_text(errors="replace")
    return log.count(f"claimed by {user} ") + log.count(f"starting for {user} ")


def test_anonymous_viewer_is_sent_to_the_hub_login(platform):
    hub, _ = platform
    browser = hub.browser()
    first = browser.get(PAGE, allow_redirects=False)
    assert first.status_code == 302
    assert urlparse(first.headers["Location"]).path == "/hub/api/oauth2/authorize"
    final = browser.get(PAGE)
    assert urlparse(final.url).path == "/hub/login"
    assert "SCOPE=" not in final.text


def test_learner_is_refused_in_chinese(platform):
    hub, _ = platform
    browser = login(hub, "wangfang")
    response = browser.get(PAGE)
    assert response.status_code == 403
    assert "没有访问权限" in response.text  # the hub refuses at the OAuth step, in Chinese
    assert "SCOPE=" not in response.text
    assert browser.get(PREFIX).status_code == 403


def test_administrator_sees_everything(platform):
    hub, facts = platform
    page = login(hub, "admin").get(PAGE)
    assert page.status_code == 200
    scope = scope_printed(page.text)
    assert scope["user"] == "admin" and scope["everything"] is True
    assert scope["accounts"] == facts["accounts"]
    # the kernel's session is read-only: the DELETE failed, and the rows are still there
    assert scope["read_only"] is True
    # the service's hub token is not handed on to the kernels
    assert scope["hub_token"] is False


def test_association_manager_sees_only_their_association(platform):
    hub, facts = platform
    page = login(hub, "chenjing").get(PAGE)
    assert page.status_code == 200
    scope = scope_printed(page.text)
    assert (scope["user"], scope["everything"]) == ("chenjing", False)
    assert scope["associations"] == [facts["shuxie_id"]] and scope["courses"] == []


def test_trainer_sees_only_their_course(platform):
    hub, facts = platform
    scope = scope_printed(login(hub, "lihua").get(PAGE).text)
    assert (scope["user"], scope["everything"]) == ("lihua", False)
    assert scope["associations"] == [] and scope["courses"] == [facts["course_id"]]


def test_trainer_without_courses_is_refused_before_any_kernel_starts(platform):
    hub, _ = platform
    browser = login(hub, "zhouqing")
    response = browser.get(PAGE)
    assert response.status_code == 403
    assert "您没有查看统计报表的权限" in response.text
    assert "SCOPE=" not in response.text and "Traceback" not in response.text
    assert kernels_for(hub, "zhouqing") == 0
    # the list of dashboards is Chinese and links the notebook
    listing = browser.get(PREFIX)
    assert listing.status_code == 200 and "统计报表" in listing.text and "范围" in listing.text


@pytest.mark.parametrize("user", ["admin", "chenjing", "lihua", "wangfang"])
def test_nothing_but_dashboards_is_served(platform, user):
    hub, _ = platform
    browser = login(hub, user)
    for path in (
        "api/kernels",
        "api/contents",
        "api/contents/" + quote(NOTEBOOK),
        "api/terminals",
        "api/sessions",
        "lab",
        "tree",
        "voila/files/" + quote(NOTEBOOK),
        "voila/api/contents/" + quote(NOTEBOOK) + "?content=1",
    ):
        response = browser.get(PREFIX + path)
        assert response.status_code in (403, 404), (path, response.status_code)
        assert '"cells"' not in response.text, path  # no notebook source, anywhere
    if user != "wangfang":  # the learner never gets past the hub
        assert "没有找到这个统计报表" in browser.get(PREFIX + "lab").text


def test_template_and_theme_cannot_be_overridden(platform):
    hub, _ = platform
    page = login(hub, "admin").get(PAGE + "?template=lab&theme=dark")
    assert page.status_code == 200
    assert "正在生成统计报表" in page.text  # our template's spinner
    assert "theme-dark" not in page.text and 'class="jp-Notebook theme-light"' in page.text
    assert "SCOPE=" in page.text
    # no source is shown: neither the binding cell nor the probe's code
    assert "_c.bind" not in page.text and "current_scope" not in page.text


def test_kernel_culling_is_on(platform):
    hub, _ = platform
    login(hub, "admin").get(PAGE)  # the culler starts with the first kernel
    log = hub.log_file.read_text(errors="replace")
    assert "Culling kernels with idle durations > 900 seconds" in log
    assert "Culling kernels even with connected clients" in log


@pytest.mark.browser
def test_the_page_asks_no_host_but_127_0_0_1(platform, chromium):
    hub, _ = platform
    context = chromium.new_context(locale="zh-CN")
    page = context.new_page()
    external: list[str] = []

    def record(request) -> None:
        url = urlparse(request.url)
        if url.scheme not in ("data", "blob") and url.hostname != "127.0.0.1":
            external.append(request.url)

    page.on("request", record)
    # logging in straight to the dashboard: the hub then spawns no JupyterLab for admin
    page.goto(f"{hub.url}/hub/login?next={quote(PAGE)}")
    page.get_by_label("用户名").fill("admin")
    page.get_by_label("密码", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.get_by_label("协会").wait_for(timeout=120_000)  # the widget is drawn by the browser
    assert "范围测试" in page.content()
    page.goto(hub.url + PREFIX)
    page.get_by_role("link", name="范围").wait_for()
    context.close()
    assert external == []


# --- the pieces, without a hub (SQLite and PostgreSQL through the `database` fixture) ---


class FakeHandler:
    """What the prelaunch hook reads of Voila's request handler."""

    def __init__(self, username: str | None) -> None:
        self.current_user = SimpleNamespace(username=username) if username else None


#: username → platform roles (as the demo has them, without its password hashing)
ACCOUNTS = {
    "admin": [Role.administrator],
    "lihua": [Role.trainer],
    "zhouqing": [Role.trainer],
    "chenjing": [Role.manager],
    "wangfang": [Role.learner],
}


@pytest.fixture
def seeded(database):
    with database.session() as session:
        ensure_standard_associations(session, "深圳市")
        shuxie = find_association(session, "书协")
        accounts = {}
        for username, roles in ACCOUNTS.items():
            account = Account(username=username, display_name=username)
            account.roles = [
                AccountRole(role=role, association_id=shuxie.id if role == Role.manager else None)
                for role in roles
            ]
            session.add(account)
            accounts[username] = account
        session.flush()
        course = Course(code=COURSE_CODE, title="报表测试课程")
        course.trainers.append(CourseTrainer(account_id=accounts["lihua"].id))
        session.add(course)
        session.flush()
        ids = {"course": course.id, "shuxie": shuxie.id}
    return database, ids


def probe_notebook() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# 报表")]
    return nb


def test_prelaunch_hook_binds_the_viewer_in_a_first_cell(seeded):
    database, _ = seeded
    hook = make_prelaunch_hook(database.url)
    original = probe_notebook()
    bound = hook(FakeHandler("lihua"), notebook=original, cwd="")
    assert bound.cells[0].cell_type == "code"
    assert bound.cells[0].source == ('import yiyuan.dashboards.context as _c; _c.bind("lihua")')
    assert [c.source for c in bound.cells[1:]] == ["# 报表"]
    assert len(original.cells) == 1  # the notebook Voila read is left alone


@pytest.mark.parametrize("viewer", ["wangfang", "zhouqing", "nobody", None])
def test_prelaunch_hook_refuses_viewers_without_a_report_scope(seeded, viewer):
    database, _ = seeded
    hook = make_prelaunch_hook(database.url)
    with pytest.raises(web.HTTPError) as refused:
        hook(FakeHandler(viewer), notebook=probe_notebook(), cwd="")
    assert refused.value.status_code == 403


def test_binding_cell_quotes_the_name():
    cell = binding_cell('a"); import os; os.system("x')
    assert cell.source.endswith('_c.bind("a\\"); import os; os.system(\\"x")')


@pytest.fixture
def kernel_context(monkeypatch, seeded):
    """``yiyuan.dashboards.context`` as a fresh kernel has it, on the test database."""
    database, ids = seeded
    monkeypatch.setattr(context, "_viewer", None)
    monkeypatch.setattr(context, "_platform", Platform(Settings(db_url=database.url)))
    return ids


def test_context_scope_is_the_bound_viewers_and_nobody_elses(kernel_context):
    with pytest.raises(ReportAccessDenied):
        context.current_scope()
    context.bind("lihua")
    scope = context.current_scope()
    assert (scope.username, scope.course_ids) == ("lihua", frozenset({kernel_context["course"]}))
    assert scope.association_ids == frozenset()
    context.bind("lihua")  # the same name again is harmless
    with pytest.raises(RuntimeError):
        context.bind("admin")
    assert context.current_scope().username == "lihua"


def test_context_scope_of_a_manager_is_their_association(kernel_context):
    context.bind("chenjing")
    scope = context.current_scope()
    assert scope.association_ids == frozenset({kernel_context["shuxie"]})
    assert not scope.everything and scope.course_ids == frozenset()


def test_context_session_cannot_write(kernel_context):
    with context.session() as db:
        assert db.execute(text("SELECT count(*) FROM accounts")).scalar_one() == len(ACCOUNTS)
        with pytest.raises(DBAPIError):
            db.execute(text("DELETE FROM course_trainers"))
            db.flush()


def test_read_only_url_keeps_the_file_and_adds_mode_ro(tmp_path):
    url = read_only_url(f"sqlite:///{tmp_path / '数据 库' / 'yiyuan.sqlite'}")
    assert url.query == {"uri": "true", "mode": "ro"}
    assert url.database.startswith("file:") and "yiyuan.sqlite" in url.database
    assert read_only_url("postgresql://u:p@h/db").drivername == "postgresql+psycopg"


def test_dashboards_settings_default_and_relative_dir(tmp_path):
    settings = load_settings({}, cwd=tmp_path)
    # by default the dashboards that ship with Yiyuan, wherever the settings file is
    assert settings.dashboards.dir == ROOT / "dashboards"
    assert (settings.dashboards.dir / "总览.ipynb").is_file()
    assert (settings.dashboards.port, settings.dashboards.kernel_idle_timeout) == (8091, 600)
    assert settings.dashboards.enabled is True and settings.dashboards.db_url == ""
    config = tmp_path / "etc" / "yiyuan.yml"
    config.parent.mkdir()
    config.write_text("dashboards:\n  dir: boards\n  db_url: sqlite:///x.sqlite\n", "utf-8")
    settings = load_settings({"YIYUAN_CONFIG": str(config)})
    assert settings.dashboards.dir == (tmp_path / "etc" / "boards").resolve()
    assert dashboards_db_url(settings) == "sqlite:///x.sqlite"


def test_voila_config_turns_culling_on_and_overrides_off(tmp_path):
    settings = Settings(dashboards=DashboardsSettings(dir=tmp_path, kernel_idle_timeout=30))
    c = voila_config(settings, "/services/dashboards/", make_prelaunch_hook("sqlite://"))
    assert c.MappingKernelManager.cull_idle_timeout == 30
    assert c.MappingKernelManager.cull_interval == 30
    assert c.MappingKernelManager.cull_connected is True
    assert c.VoilaConfiguration.preheat_kernel is False  # ours: warm kernels, claimed
    assert c.VoilaConfiguration.multi_kernel_manager_class is DashboardsKernelManager
    assert (c.DashboardsKernelManager.pool_size, c.DashboardsKernelManager.max_kernels) == (2, 30)
    assert c.DashboardsKernelManager.close_grace == 10.0
    assert c.VoilaConfiguration.allow_template_override == "NO"
    assert c.VoilaConfiguration.allow_theme_override == "NO"
    assert c.VoilaConfiguration.strip_sources is True
    assert c.VoilaConfiguration.show_tracebacks is False
    assert (c.Voila.ip, c.Voila.port_retries) == ("127.0.0.1", 0)

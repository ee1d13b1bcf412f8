"""The Platform (yiyuan.platform): one per process, built from the settings, with one database
and one storage, the settings' time zone applied; and the entry points that hand it down (the
``yiyuan`` command's context, the service's handlers, a dashboard kernel). No hub needed."""

from __future__ import annotations

import asyncio
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from tornado.httpclient import AsyncHTTPClient
from tornado.httpserver import HTTPServer
from tornado.httputil import HTTPHeaders, HTTPServerRequest, RequestStartLine
from tornado.netutil import bind_sockets

from yiyuan.clock import local_zone
from yiyuan.db import Database
from yiyuan.platform import Platform
from yiyuan.settings import load_settings

PREFIX = "/services/yiyuan/"


pytestmark = pytest.mark.usefixtures("no_time_zone")


@pytest.fixture
def environ(tmp_path) -> dict[str, str]:
    """A settings file naming a zone other than the default, and a data directory of its own."""
    config = tmp_path / "yiyuan.yml"
    config.write_text("site_name: 测试艺苑\ntime_zone: Europe/Berlin\n", encoding="utf-8")
    return {"YIYUAN_CONFIG": str(config), "YIYUAN_DATA_DIR": str(tmp_path / "data")}


def test_built_from_the_settings_with_their_zone_applied(environ):
    platform = Platform.load(environ)
    settings = platform.settings
    assert settings.site_name == "测试艺苑"
    assert platform.storage.root == settings.exchange_dir
    assert platform.clock.zone == ZoneInfo("Europe/Berlin")
    # the whole process now uses it: code that asks yiyuan.clock at the time of use
    assert local_zone() == ZoneInfo("Europe/Berlin")
    assert Platform.from_settings(load_settings({})).clock.zone == ZoneInfo("Asia/Shanghai")
    assert local_zone() == ZoneInfo("Asia/Shanghai")


def test_one_database_opened_on_first_use_and_again_after_dispose(environ):
    platform = Platform.load(environ)
    data_dir = platform.settings.data_dir
    assert not data_dir.exists()  # nothing opened (nor its folder made) until asked
    database = platform.database
    assert database is platform.database and database.url == platform.settings.platform_db_url
    with database.session() as session:
        assert session.connection() is not None
    platform.dispose()
    # a process that forks disposes before the fork; each child then opens its own
    assert platform.database is not database
    with Platform.load(environ) as other:
        assert other.database is not platform.database  # one per Platform
    platform.dispose()


def test_a_database_handed_in_is_left_open_by_dispose(environ, tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'given.sqlite'}")
    platform = Platform(load_settings(environ), database=database)
    assert platform.database is database
    platform.dispose()
    assert platform.database is database
    database.dispose()


def test_the_command_context_holds_one_platform(environ, monkeypatch):
    from yiyuan.cli import Context

    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    ctx = Context()
    platform = ctx.platform
    assert ctx.platform is platform
    # the command modules' spelling still works, and means the same objects
    assert ctx.settings is platform.settings and ctx.settings.site_name == "测试艺苑"
    assert ctx.database is platform.database
    assert local_zone() == ZoneInfo("Europe/Berlin")
    platform.dispose()


def _make_app(platform: Platform, monkeypatch):
    from yiyuan.service.app import make_app

    # the hub gives the service a token; nothing here calls the hub
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", "test-token")
    return make_app(platform, prefix=PREFIX)


def test_service_handlers_see_the_platform_and_the_prefix(environ, monkeypatch):
    platform = Platform.load(environ)
    app = _make_app(platform, monkeypatch)

    class Connection:  # what a handler needs of a connection to be made
        def set_close_callback(self, callback) -> None:
            pass

    request = HTTPServerRequest(
        start_line=RequestStartLine("GET", PREFIX, "HTTP/1.1"),
        headers=HTTPHeaders({"Host": "127.0.0.1"}),
        connection=Connection(),
    )
    route = app.find_handler(request)
    handler = route.handler_class(app, request, **route.handler_kwargs)
    assert type(handler).__name__ == "HomeHandler"
    assert handler.platform is platform
    assert handler.prefix == PREFIX
    assert handler.settings_ is platform.settings
    assert handler.database is platform.database
    assert handler.storage is platform.storage
    # the hub's OAuth state is kept in the same database
    assert handler.hub_auth.database is platform.database
    platform.dispose()


def test_a_public_page_is_served_from_the_platforms_settings(environ, monkeypatch):
    """The certificate check page (no login, no database without a number): its header shows
    the site name of the Platform's settings and its form posts below the service's prefix."""
    platform = Platform.load(environ)
    app = _make_app(platform, monkeypatch)

    async def fetch() -> str:
        sockets = bind_sockets(0, "127.0.0.1")
        port = sockets[0].getsockname()[1]
        server = HTTPServer(app)
        server.add_sockets(sockets)
        try:
            response = await AsyncHTTPClient().fetch(f"http://127.0.0.1:{port}{PREFIX}verify")
            return response.body.decode("utf-8")
        finally:
            server.stop()

    page = asyncio.run(fetch())
    assert "测试艺苑" in page
    assert f'action="{PREFIX}verify"' in page
    platform.dispose()


def test_a_dashboard_kernel_builds_one_platform_from_its_environment(environ, monkeypatch):
    from yiyuan.dashboards import context

    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(context, "_platform", None)
    platform = context.platform()
    assert context.platform() is platform
    assert context.settings() is platform.settings
    assert local_zone() == ZoneInfo("Europe/Berlin")
    assert not Path(platform.settings.data_dir).exists()  # dashboards read through their own

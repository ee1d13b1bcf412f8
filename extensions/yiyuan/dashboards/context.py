"""The viewer and the database, as a dashboard notebook sees them (runs inside its kernel).

The dashboards service starts one kernel per page view and, before the notebook's own cells,
runs a cell it wrote itself: ``import yiyuan.dashboards.context as _c; _c.bind("<viewer>")``
with the viewer's name taken from their hub login (``yiyuan.dashboards.server``). A dashboard
then asks for :func:`current_scope` and queries through :func:`session`::

    from yiyuan.dashboards import context

    scope = context.current_scope()          # ReportAccessDenied if nobody is bound
    with context.session() as db:
        table = some_report(db, scope, ...)  # the report layer applies the scope

Why the bound name can be trusted: the browser cannot run code in this kernel. Voila (0.5.13,
``voila/app.py`` ``init_settings``) gives its kernel manager ``allowed_message_types`` =
comm_open/comm_close/comm_msg/comm_info_request/kernel_info_request/shutdown_request, and
jupyter_server's websocket connection (``ZMQChannelsWebsocketConnection
.handle_incoming_message``) drops every other message type, ``execute_request`` included. So
the viewer can only move widgets the notebook made; widget values are filters *within* the
scope, never a way to widen it — the scope is re-read from the database for the bound name.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session

from ..platform import Platform
from ..reports.scope import ReportAccessDenied, Scope, viewer_scope
from ..settings import Settings
from .readonly import dashboards_db_url, read_only_session

_viewer: str | None = None
_platform: Platform | None = None


def bind(username: str) -> None:
    """Record who is viewing; called once, by the cell the service puts first."""
    global _viewer
    if not isinstance(username, str) or not username:
        raise ValueError("bind() needs the viewer's hub user name")
    if _viewer is not None and _viewer != username:
        # a dashboard cell must not be able to become someone else
        raise RuntimeError("this kernel is already bound to another viewer")
    _viewer = username


def viewer() -> str:
    """The bound viewer's hub user name; ReportAccessDenied if nobody is bound."""
    if _viewer is None:
        raise ReportAccessDenied("无法确认查看者的身份：请通过平台打开统计报表。")
    return _viewer


def platform() -> Platform:
    """The kernel's one :class:`Platform`, from its environment on first use (which also sets
    the kernel's time zone). Its read-write ``database`` is never opened here: dashboards read
    through :func:`session`."""
    global _platform
    if _platform is None:
        _platform = Platform.load(os.environ)
    return _platform


def settings() -> Settings:
    """The platform settings, read from the kernel's environment on first use."""
    return platform().settings


@contextmanager
def session() -> Iterator[Session]:
    """A read-only session on the dashboards' database (``dashboards.db_url`` or the
    platform's); nothing done in it is ever committed."""
    with read_only_session(dashboards_db_url(settings())) as db:
        yield db


def current_scope() -> Scope:
    """What the bound viewer may see, re-read from the database on every call (a role
    withdrawn since the page opened is withdrawn here too)."""
    name = viewer()
    with session() as db:
        return viewer_scope(db, name)

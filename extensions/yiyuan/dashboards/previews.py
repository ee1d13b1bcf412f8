"""The first table of a dashboard, drawn by the service before any kernel runs.

A dashboard page appears once its kernel has run the notebook and the browser has drawn the
widgets: seconds, and many more when several viewers open dashboards together. So the service
puts the page's first table, as plain HTML, into the page's loading area at once (the
``yiyuan-dashboard`` template shows it under 「正在准备完整报表」); the full page (filters,
charts, export) replaces it when ready. The table is the one the page itself shows first for
its default filters, from the same report layer, for the viewer's scope as resolved from their
hub name (never from the request). A notebook says which page it is in its metadata::

    "metadata": {"yiyuan": {"page": "overview"}}

No widgets here (the service process imports this module), no SQL (the report layer's).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from sqlalchemy.orm import Session

from ..reports import participation
from ..reports.filters import ReportFilter
from ..reports.scope import Scope, viewer_scope
from ..reports.table import Table
from . import render
from .readonly import read_only_session


def _overview(session: Session, scope: Scope) -> Table:
    return participation.by_association(session, scope, ReportFilter())


def _association(session: Session, scope: Scope) -> Table | None:
    choices = participation.options(session, scope).associations
    if not choices:
        return None
    summary = participation.by_association(
        session, scope, ReportFilter(associations=(choices[0][0],))
    )
    return Table(summary.title, summary.columns, summary.rows[:1])


def _course(session: Session, scope: Scope) -> Table | None:
    choices = participation.options(session, scope).courses
    if not choices:
        return None
    course = participation.by_course(session, scope, ReportFilter(courses=(choices[0][0],)))
    return Table(course.title, course.columns, course.rows[:1])


def _cohorts(session: Session, scope: Scope) -> Table:
    return participation.by_cohort(session, scope, ReportFilter())


#: page name (notebook metadata ``yiyuan.page``) → its first table for the default filters
FIRST_TABLES: dict[str, Callable[[Session, Scope], Table | None]] = {
    "overview": _overview,
    "association": _association,
    "course": _course,
    "cohorts": _cohorts,
}


def page_of(metadata: dict) -> str:
    """The page a notebook declares (``metadata.yiyuan.page``), or ``""``."""
    declared = (metadata.get("yiyuan") or {}).get("page", "")
    return declared if declared in FIRST_TABLES else ""


def first_table(session: Session, scope: Scope, page: str) -> Table | None:
    build = FIRST_TABLES.get(page)
    return build(session, scope) if build else None


def viewer_scope_of(db_url: str, username: str) -> Scope:
    """The viewer's scope (``ReportAccessDenied`` for a viewer without one)."""
    with read_only_session(db_url) as session:
        return viewer_scope(session, username)


def preview_html(db_url: str, scope: Scope, page: str) -> str:
    """The page's first table for ``scope`` as HTML (``""`` for a page without a preview or a
    table)."""
    if not page:
        return ""
    with read_only_session(db_url) as session:
        table = first_table(session, scope, page)
    if table is None:
        return ""
    return render.STYLESHEET + render.table_html(table)


def scope_key(scope: Scope) -> tuple:
    """What the report layer scopes by (never the name): viewers with equal keys see the same
    figures."""
    return (scope.everything, scope.association_ids, scope.course_ids)


class SharedPreviews:
    """One computation per page and scope at a time: ten administrators opening 总览 together
    wait for one query instead of running ten (nothing is kept once it is answered, so no
    viewer ever sees figures older than their own request)."""

    def __init__(self, db_url: str) -> None:
        self.db_url = db_url
        self._running: dict[tuple, asyncio.Future] = {}

    async def html(self, scope: Scope, page: str) -> str:
        key = (page, *scope_key(scope))
        running = self._running.get(key)
        if running is None:
            running = asyncio.ensure_future(
                asyncio.to_thread(preview_html, self.db_url, scope, page)
            )
            self._running[key] = running
            running.add_done_callback(lambda _done: self._running.pop(key, None))
        return await asyncio.shield(running)

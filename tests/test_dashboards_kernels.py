"""The dashboards' kernels through a real hub: warm kernels claimed by a view keep the viewer's
scope, one kernel per viewer and dashboard, a closed page's kernel goes after the grace, the
cap answers a Chinese 503, another viewer's kernel is refused, and the first table is in the
page before any kernel runs (``yiyuan.dashboards.kernels``, ``server``, ``previews``).

Which kernels live is read from the service's log (jupyter_server's "Kernel started: <id>" /
"Kernel shutdown: <id>" and the service's own lines), the kernel of a view from its page.
"""

from __future__ import annotations

import asyncio
import html
import json
import re
import shutil
import time
from urllib.parse import quote

import pytest
from sqlalchemy import select
from test_dashboards_service import PAGE, PREFIX, login, scope_printed, write_probe
from tornado.httpclient import HTTPClientError, HTTPRequest
from tornado.websocket import websocket_connect

from hubtest import ROOT, Hub, free_port
from yiyuan.dashboards import kernels, previews, ui
from yiyuan.db import Database
from yiyuan.models import Account, Course, CourseTrainer
from yiyuan.reports.scope import Scope, viewer_scope
from yiyuan.reports.table import Table

OVERVIEW = "总览.ipynb"
OVERVIEW_PAGE = PREFIX + "voila/render/" + quote(OVERVIEW)
#: how long to wait for something the service does in the background (not a speed limit)
PATIENCE = 120
GRACE = 2


def make_platform(workdir, **dashboards) -> Hub:
    boards = workdir / "boards"
    write_probe(boards)
    shutil.copy(ROOT / "dashboards" / OVERVIEW, boards / OVERVIEW)
    hub = Hub(
        workdir,
        {"dashboards": {"dir": str(boards), "port": free_port(), "enabled": True, **dashboards}},
    )
    hub.cli("db", "upgrade")
    hub.cli("demo", "seed")
    database = Database(f"sqlite:///{hub.data_dir / 'yiyuan.sqlite'}")
    with database.session() as session:  # lihua teaches a course: she may see its reports
        lihua = session.scalars(select(Account).where(Account.username == "lihua")).one()
        course = Course(code="kernels-test", title="内核测试课程")
        course.trainers.append(CourseTrainer(account_id=lihua.id))
        session.add(course)
    database.dispose()
    hub.start()
    return hub


@pytest.fixture(scope="module")
def warm(tmp_path_factory):
    """Two warm kernels, no tight cap; a page that never connects keeps its kernel 5 min."""
    hub = make_platform(
        tmp_path_factory.mktemp("warm"),
        warm_kernels=2,
        max_kernels=10,
        kernel_close_grace=GRACE,
        kernel_connect_timeout=300,
    )
    yield hub
    hub.stop()


@pytest.fixture(scope="module")
def capped(tmp_path_factory):
    """No warm kernels and room for two."""
    hub = make_platform(
        tmp_path_factory.mktemp("capped"),
        warm_kernels=0,
        max_kernels=2,
        kernel_close_grace=GRACE,
        kernel_connect_timeout=300,
    )
    yield hub
    hub.stop()


def kernel_of(page: str) -> str:
    """The kernel the page's widgets talk to (Voila's page config)."""
    found = re.search(
        r'<script id="jupyter-config-data" type="application/json">(.*?)</script>', page, re.S
    )
    assert found, page[-2000:]
    return json.loads(found.group(1))["kernelId"]


def log_of(hub: Hub) -> str:
    return hub.log_file.read_text(errors="replace")


def wait_for_log(hub: Hub, pattern: str, timeout: float = PATIENCE) -> re.Match:
    deadline = time.monotonic() + timeout
    while True:
        found = re.search(pattern, log_of(hub))
        if found or time.monotonic() > deadline:
            assert found, f"not in the service's log after {timeout} s: {pattern}"
            return found
        time.sleep(0.3)


def shut_down(hub: Hub, kernel_id: str) -> bool:
    return f"Kernel shutdown: {kernel_id}" in log_of(hub)


def cookies(browser) -> str:
    return "; ".join(f"{c.name}={c.value}" for c in browser.session.cookies)


async def open_socket(hub: Hub, browser, kernel_id: str):
    url = hub.url.replace("http", "ws", 1) + f"{PREFIX}api/kernels/{kernel_id}/channels"
    return await websocket_connect(HTTPRequest(url, headers={"Cookie": cookies(browser)}))


def preview_section(page: str) -> str:
    found = re.search(r'<section class="yiyuan-preview.*?</section>', page, re.S)
    assert found, "no first table in the page"
    return found.group(0)


def test_a_view_claims_a_warm_kernel_and_keeps_the_viewers_scope(warm):
    hub = warm
    wait_for_log(hub, r"warm kernel \S+ ready \(2 warm\)")
    ready = set(re.findall(r"warm kernel (\S+) ready", log_of(hub)))
    page = login(hub, "chenjing").get(PAGE)
    assert page.status_code == 200
    kernel = kernel_of(page.text)
    assert kernel in ready  # started before the view, bound by it
    assert f"warm kernel {kernel} claimed by chenjing" in log_of(hub)
    scope = scope_printed(page.text)
    # the association manager still sees only her association: the scope is the hub's name
    assert (scope["user"], scope["everything"]) == ("chenjing", False)
    assert len(scope["associations"]) == 1 and scope["courses"] == []
    # the pool is refilled for the next viewer
    wait_for_log(hub, r"warm kernel (?!" + kernel + r")\S+ ready \(2 warm\)")


def test_the_same_viewer_opening_a_dashboard_twice_leaves_one_kernel(warm):
    hub = warm
    browser = login(hub, "admin")
    first = kernel_of(browser.get(PAGE).text)
    second = kernel_of(browser.get(PAGE).text)
    assert first != second
    wait_for_log(hub, f"Kernel shutdown: {first}")
    assert f"kernel {first} of Owner(viewer='admin'" in log_of(hub)  # replaced, not culled
    assert not shut_down(hub, second)
    # another dashboard of the same viewer is another kernel, left alone
    other = kernel_of(browser.get(OVERVIEW_PAGE).text)
    time.sleep(GRACE + 1)
    assert not shut_down(hub, second) and not shut_down(hub, other)


def test_a_closed_pages_kernel_is_shut_down_after_the_grace(warm):
    hub = warm
    browser = login(hub, "lihua")
    kernel = kernel_of(browser.get(PAGE).text)

    async def visit() -> None:
        socket = await open_socket(hub, browser, kernel)
        await asyncio.sleep(GRACE * 2)  # while the page is open, its kernel stays
        assert not shut_down(hub, kernel)
        socket.close()  # the tab is gone (no shutdown request: a dropped tab sends none)

    asyncio.run(visit())
    wait_for_log(hub, f"Kernel shutdown: {kernel}")
    assert f"kernel {kernel} of Owner(viewer='lihua'" in log_of(hub)


def test_another_viewers_kernel_is_refused(warm):
    hub = warm
    theirs = kernel_of(login(hub, "chenjing").get(PAGE).text)
    admin = login(hub, "admin")
    own = kernel_of(admin.get(PAGE).text)  # admin is signed in to the service too
    assert admin.get(PREFIX + f"api/kernels/{own}").status_code == 200
    assert admin.get(PREFIX + f"api/kernels/{theirs}").status_code == 403

    async def visit() -> None:
        (await open_socket(hub, admin, own)).close()  # their own page connects
        with pytest.raises(HTTPClientError) as refused:
            await open_socket(hub, admin, theirs)
        assert refused.value.code == 403

    asyncio.run(visit())
    xsrf = [c.value for c in admin.session.cookies if c.name == "_xsrf" and "dashboards" in c.path]

    def shutdown(kernel: str) -> int:
        url = hub.url + PREFIX + f"voila/api/shutdown/{kernel}"
        return admin.session.post(url, headers={"X-XSRFToken": xsrf[0]}).status_code

    assert shutdown(theirs) == 403
    assert shutdown(own) == 204  # what a closing page of one's own sends
    wait_for_log(hub, f"Kernel shutdown: {own}")
    assert not shut_down(hub, theirs)


def test_the_first_table_is_in_the_page_for_the_viewers_scope(warm):
    hub = warm
    everything = preview_section(login(hub, "admin").get(OVERVIEW_PAGE).text)
    own = preview_section(login(hub, "chenjing").get(OVERVIEW_PAGE).text)
    assert "各协会参训情况" in html.unescape(everything)
    rows = [
        re.search(r"<tbody>.*?</tbody>", s, re.S).group(0).count("<tr>") for s in (everything, own)
    ]
    assert rows[1] == 1  # one association: hers
    assert rows[0] > rows[1]
    assert "书协" in own or "书法家协会" in own


def test_nothing_external_comes_before_the_first_table(warm):
    """A browser paints nothing while a stylesheet or script before it is still coming from
    the (busy) service: the loading area with the first table is the first thing in the page
    that is drawn, the stylesheets and scripts follow it, before the rendered cells."""
    page = login(warm, "admin").get(OVERVIEW_PAGE).text
    loading = page.index('id="loading"')
    assert (
        loading < page.index('<section class="yiyuan-preview') < page.index('id="rendered_cells"')
    )
    external = re.compile(r'<script[^>]*\ssrc=|<link[^>]*rel="stylesheet"')
    assert not external.search(page[:loading]), page[:loading][-2000:]
    after = page[loading : page.index('id="rendered_cells"')]
    for needed in ("static/voila-style.js", "static/index.css", "static/theme-light.css"):
        assert needed in after and page.count(needed) == 1, needed
    # the page still renders: the dashboard's widgets, drawn by its kernel
    assert kernel_of(page) and "application/vnd.jupyter.widget-view+json" in page


def test_over_the_cap_the_next_viewer_gets_the_busy_page(capped):
    hub = capped
    admin, chenjing, lihua = (login(hub, name) for name in ("admin", "chenjing", "lihua"))
    first = kernel_of(admin.get(PAGE).text)
    kernel_of(chenjing.get(PAGE).text)
    busy = lihua.get(PAGE)
    assert busy.status_code == 503
    assert "统计报表正忙" in busy.text and busy.headers["Retry-After"].isdigit()
    assert "Traceback" not in busy.text and "SCOPE=" not in busy.text
    assert log_of(hub).count("Kernel started") == 2  # nothing was started for the refused view
    # a viewer at the cap can still reload their own page: it replaces their kernel
    again = admin.get(PAGE)
    assert again.status_code == 200 and scope_printed(again.text)["user"] == "admin"
    wait_for_log(hub, f"Kernel shutdown: {first}")
    assert lihua.get(PAGE).status_code == 503
    # once a page closes, there is room again; the service lived through all of it
    second = kernel_of(again.text)

    async def close_admins_page() -> None:
        socket = await open_socket(hub, admin, second)
        socket.close()

    asyncio.run(close_admins_page())
    wait_for_log(hub, f"Kernel shutdown: {second}")
    page = lihua.get(PAGE)
    assert page.status_code == 200 and scope_printed(page.text)["user"] == "lihua"
    assert lihua.get(PREFIX).status_code == 200


# --- kernels wait for the pages' first tables, without a hub --------------------------------


def test_kernel_work_waits_until_the_pages_being_served_sent_their_first_table(monkeypatch):
    monkeypatch.setattr(kernels, "HEADS_FIRST", 600)  # only the pages may let it go here
    manager = kernels.DashboardsKernelManager()

    async def scenario() -> None:
        first = manager.reserve(kernels.Owner("chenjing", OVERVIEW))
        second = manager.reserve(kernels.Owner("lihua", OVERVIEW))
        waiting = asyncio.ensure_future(manager._heads_first())
        for _ in range(20):
            await asyncio.sleep(0)
        assert not waiting.done() and manager.heads_pending() == 2
        manager.head_sent(first)
        manager.head_sent(first)  # the page flushes again: counted once
        for _ in range(20):
            await asyncio.sleep(0)
        assert not waiting.done() and manager.heads_pending() == 1
        manager.release(second)  # a view that failed before its head holds nothing up
        await asyncio.wait_for(waiting, PATIENCE)
        assert manager.heads_pending() == 0
        manager.release(first)
        await asyncio.wait_for(manager._heads_first(), PATIENCE)  # nothing to wait for

    asyncio.run(scenario())


def test_a_page_that_never_sends_its_head_holds_kernels_back_only_briefly(monkeypatch):
    monkeypatch.setattr(kernels, "HEADS_FIRST", 0.05)
    manager = kernels.DashboardsKernelManager()

    async def scenario() -> None:
        manager.reserve(kernels.Owner("chenjing", OVERVIEW))  # its head never goes out
        await asyncio.wait_for(manager._heads_first(), PATIENCE)
        assert manager.heads_pending() == 1

    asyncio.run(scenario())


# --- the first table, without a hub ------------------------------------------------------


@pytest.mark.parametrize("page", sorted(previews.FIRST_TABLES))
def test_the_preview_is_the_first_table_the_page_shows(database, page):
    """Same report, same default filters: the table drawn early is the one the page draws."""
    from yiyuan.associations.records import ensure_standard_associations
    from yiyuan.synthetic import generate

    with database.session() as session:
        ensure_standard_associations(session, "深圳市")
    generate(database, members=60, courses=3)
    with database.session() as session:
        scope = viewer_scope(session, "synadmin")
        drawn = previews.first_table(session, scope, page)
    factory = {
        "overview": ui.overview_dashboard,
        "association": ui.association_dashboard,
        "course": ui.course_dashboard,
        "cohorts": ui.cohort_dashboard,
    }[page]
    dashboard = factory(ui.Source(scope=lambda: scope, session=database.session))
    first = dashboard.tables[0]
    assert isinstance(drawn, Table)
    assert (drawn.title, drawn.rows, drawn.totals) == (first.title, first.rows, first.totals)
    assert drawn.rows  # something to compare
    assert previews.page_of({"yiyuan": {"page": page}}) == page


def test_notebooks_declare_their_page():
    import nbformat

    declared = {
        path.name: previews.page_of(nbformat.read(path, as_version=4).metadata)
        for path in (ROOT / "dashboards").glob("*.ipynb")
    }
    assert sorted(declared.values()) == sorted(previews.FIRST_TABLES), declared
    assert previews.page_of({}) == "" and previews.page_of({"yiyuan": {"page": "x"}}) == ""


def test_viewers_with_the_same_scope_share_one_first_table_query(monkeypatch):
    calls: list[tuple] = []

    def counted(db_url, scope, page):
        calls.append((scope.username, page))
        time.sleep(0.2)  # long enough for the others to arrive while it runs
        return f"<table>{page}</table>"

    monkeypatch.setattr(previews, "preview_html", counted)
    shared = previews.SharedPreviews("sqlite://")
    admins = [Scope.all(f"admin{i}") for i in range(5)]
    manager = Scope(username="chenjing", association_ids=frozenset({3}))

    async def together() -> list[str]:
        pages = [shared.html(scope, "overview") for scope in admins]
        return await asyncio.gather(*pages, shared.html(manager, "overview"))

    answers = asyncio.run(together())
    assert answers == ["<table>overview</table>"] * 6
    assert len(calls) == 2  # one for the five administrators, one for the manager
    asyncio.run(shared.html(admins[0], "overview"))
    assert len(calls) == 3  # nothing kept once answered

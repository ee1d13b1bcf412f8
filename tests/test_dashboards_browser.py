"""The real dashboards (``dashboards/*.ipynb``) through a real hub in headless Chromium.

Data: the demo accounts plus a small synthetic population (``yiyuan.synthetic``) in all eleven
associations. An administrator sees the overview with every association and exports it to
Excel (the file matches the table on the page); the 书协 secretary sees 书协 only; the portal
links both to their reports and a learner to none. Screenshots go to test-artifacts.
"""

from __future__ import annotations

import io
import re
from urllib.parse import quote

import pytest
from openpyxl import load_workbook

from hubtest import ROOT, Hub, free_port
from yiyuan.db import Database
from yiyuan.demo import DEMO_PASSWORD
from yiyuan.synthetic import generate

# tall, so that the screenshot shows the whole dashboard (Voila scrolls inside the page)
DESKTOP = {"width": 1366, "height": 1700}
OVERVIEW = "/services/dashboards/voila/render/" + quote("总览.ipynb")
ASSOCIATION = "/services/dashboards/voila/render/" + quote("协会详情.ipynb")
#: Voila starts a kernel and runs the notebook before the widgets show
RENDER_TIMEOUT = 90_000
#: a table of the full page, not the first table the service shows while the kernel works
FULL_TABLE = "table:not(#loading table)"


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("dashboards-browser")
    hub = Hub(
        workdir,
        {"dashboards": {"port": free_port(), "dir": str(ROOT / "dashboards"), "enabled": True}},
    )
    hub.cli("db", "upgrade")
    hub.cli("demo", "seed")
    database = Database(f"sqlite:///{hub.data_dir / 'yiyuan.sqlite'}")
    generate(database, members=240, courses=6, cohorts=2, force=True)
    database.dispose()
    hub.start()
    yield hub
    hub.stop()


def login(chromium, hub: Hub, username: str, next_url: str):
    context = chromium.new_context(locale="zh-CN", viewport=DESKTOP, accept_downloads=True)
    page = context.new_page()
    outside: list[str] = []
    page.on(
        "request",
        lambda request: (
            None
            if request.url.startswith(("http://127.0.0.1", "data:", "blob:"))
            else outside.append(request.url)
        ),
    )
    page.goto(f"{hub.url}/hub/login?next={quote(next_url)}")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    return page, outside


def drawn(page) -> None:
    """Wait until the parts drawn after the table (charts, weekly trend) have replaced their
    「正在计算……」placeholders: they arrive as widget updates from a kernel thread."""
    page.locator("text=正在计算").first.wait_for(state="detached", timeout=RENDER_TIMEOUT)


def table_rows(page, caption: str) -> list[list[str]]:
    table = page.locator(FULL_TABLE, has=page.locator("caption", has_text=caption)).first
    return [
        [cell.strip() for cell in row.locator("th, td").all_inner_texts()]
        for row in table.locator("tr").all()
    ]


def number(text: str) -> float | None:
    """A figure as the page shows it (1,234.5 / 63.5% / —) as a number."""
    text = text.strip()
    if text in ("", "—"):
        return None
    if text.endswith("%"):
        return round(float(text[:-1].replace(",", "")) / 100, 3)
    return float(text.replace(",", ""))


def test_administrator_sees_every_association_and_exports_the_table(chromium, platform, artifacts):
    page, outside = login(chromium, platform, "admin", OVERVIEW)
    page.locator(f"{FULL_TABLE} caption", has_text="各协会参训情况").first.wait_for(
        timeout=RENDER_TIMEOUT
    )
    rows = table_rows(page, "各协会参训情况")
    header, body = rows[0], rows[1:]
    assert header[:3] == ["协会", "会员数", "参训人数"]
    names = [row[0] for row in body]
    assert len(names) == 12 and names[-1] == "合计"  # eleven associations and the totals
    assert {"作协", "美协", "书协", "音协", "舞协"} <= set(names)
    assert sum(number(row[1]) for row in body[:-1]) >= number(body[-1][1]) > 0
    drawn(page)
    assert page.locator("img[alt]").count() >= 2  # the charts, with text alternatives
    assert page.locator(f"{FULL_TABLE} caption", has_text="每周学习趋势").count() == 1
    assert "Traceback" not in page.content() and "import " not in page.inner_text("body")
    page.screenshot(path=artifacts / "dashboard-overview.png", full_page=True)

    page.get_by_role("button", name="导出 Excel").click()
    link = page.locator("a.yiyuan-download")
    link.wait_for(timeout=30_000)
    with page.expect_download() as download:
        link.click()
    workbook = load_workbook(io.BytesIO(open(download.value.path(), "rb").read()))
    sheet = workbook.worksheets[0]
    cells = [[cell.value for cell in row] for row in sheet.iter_rows()]
    header_row = next(i for i, row in enumerate(cells) if row and row[0] == "协会")
    exported = cells[header_row:]
    assert [str(v) for v in exported[0] if v is not None] == header
    for shown, saved in zip(body, exported[1:], strict=True):
        assert saved[0] == shown[0]
        for text, value in zip(shown[1:], saved[1:], strict=True):
            expected = number(text)
            if expected is None:
                assert value in (None, "")
            else:
                assert value == pytest.approx(expected, abs=0.001 if "%" in text else 0.051)
    assert outside == []


def test_association_secretary_sees_only_her_association(chromium, platform, artifacts):
    page, outside = login(chromium, platform, "chenjing", OVERVIEW)
    page.locator(f"{FULL_TABLE} caption", has_text="各协会参训情况").first.wait_for(
        timeout=RENDER_TIMEOUT
    )
    names = [row[0] for row in table_rows(page, "各协会参训情况")[1:]]
    assert names == ["书协", "合计"]
    drawn(page)
    text = page.inner_text("body")
    for other in ("美协", "作协", "音协", "剧协"):
        assert other not in text
    page.screenshot(path=artifacts / "dashboard-manager.png", full_page=True)
    page.goto(platform.url + ASSOCIATION)
    page.locator(f"{FULL_TABLE} caption").first.wait_for(timeout=RENDER_TIMEOUT)
    drawn(page)
    assert not re.search("美协|作协|音协|剧协", page.inner_text("body"))
    page.screenshot(path=artifacts / "dashboard-association.png", full_page=True)
    assert outside == []


def test_portal_links_viewers_to_their_reports_and_learners_to_none(platform):
    admin = platform.browser()
    admin.login("admin", DEMO_PASSWORD, allow_redirects=False)
    page = admin.get("/services/yiyuan/")
    assert "统计报表" in page.text and quote("总览.ipynb") in page.text
    secretary = platform.browser()
    response = secretary.login("chenjing", DEMO_PASSWORD, allow_redirects=False)
    # an association's secretary lands on the portal, not in JupyterLab
    assert response.headers["Location"].endswith("/services/yiyuan/")
    page = secretary.get("/services/yiyuan/")
    assert quote("协会详情.ipynb") in page.text and quote("课程详情.ipynb") not in page.text
    learner = platform.browser()
    learner.login("wangfang", DEMO_PASSWORD, allow_redirects=False)
    page = learner.get("/services/yiyuan/")
    assert page.status_code == 200 and "统计报表" not in page.text
    assert learner.get(OVERVIEW).status_code == 403


def signed_in(platform, username: str):
    """A session logged in to the hub and (through the portal page) to the yiyuan service."""
    browser = platform.browser()
    browser.login(username, DEMO_PASSWORD, allow_redirects=False)
    assert browser.get("/services/yiyuan/").status_code == 200
    return browser


def test_report_api_is_scoped_by_the_caller(platform):
    api = "/services/yiyuan/api/reports/"
    admin = signed_in(platform, "admin")
    table = admin.get(api + "by-association").json()
    assert table["title"] == "各协会参训情况" and len(table["rows"]) == 11
    assert table["totals"]["members"] > 0
    narrowed = admin.get(api + "by-course", params={"standing": "主席团成员,理事"}).json()
    assert (
        narrowed["totals"]["enrolled"] < admin.get(api + "by-course").json()["totals"]["enrolled"]
    )
    bad = admin.get(api + "by-association", params={"from": "2026-13-01"})
    assert bad.status_code == 400 and "无法识别" in bad.json()["error"]
    assert admin.get(api + "no-such-report").status_code == 404

    secretary = signed_in(platform, "chenjing")
    rows = secretary.get(api + "by-association").json()["rows"]
    assert [row["association"] for row in rows] == ["书协"]
    # asking for another association only narrows: nothing of 美协 comes back
    other = secretary.get(api + "by-association", params={"association": "美协"}).json()
    assert other["rows"] == [] and other["totals"]["members"] == 0
    laggards = secretary.get(api + "laggards").json()["rows"]
    assert all(set(row["associations"].split("、")) <= {"书协"} for row in laggards)

    learner = signed_in(platform, "wangfang")
    refused = learner.get(api + "by-association")
    assert refused.status_code == 403 and "只有管理员" in refused.json()["error"]

"""Dashboard pages: number formatting, the HTML table, CJK charts, the widgets in-process, and
every notebook in ``dashboards/`` executed top to bottom in a real kernel (nbclient) bound to
an administrator and to an association manager, against a small synthetic SQLite database.
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
import re
import sys
import warnings
from datetime import date, timedelta
from pathlib import Path

import nbformat
import pytest
from matplotlib import font_manager
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from hubtest import ROOT
from learningdata import account
from yiyuan import synthetic
from yiyuan.associations.records import ensure_standard_associations
from yiyuan.dashboards import charts, render, ui
from yiyuan.dashboards.server import binding_cell
from yiyuan.db import Database, migrate
from yiyuan.models import Account, AccountRole, Association, Course, CourseTrainer, Role
from yiyuan.reports.scope import viewer_scope
from yiyuan.reports.table import Column, Table

NOTEBOOKS = ("总览", "协会详情", "课程详情", "期次")


# --- formatting and HTML ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "kind", "shown"),
    [
        (0.635, "percent", "63.5%"),
        (1, "percent", "100.0%"),
        (0.0, "percent", "0.0%"),
        (None, "percent", "—"),
        (1234.5, "hours", "1,234.5"),
        (2.0, "hours", "2.0"),
        (81.25, "float", "81.2"),
        (None, "float", "—"),
        (12345, "int", "12,345"),
        (0, "int", "0"),
        (3.0, "int", "3"),
        (date(2027, 1, 4), "date", "2027-01-04"),
        ("书协", "text", "书协"),
        ("", "text", "—"),
    ],
)
def test_format_value(value, kind, shown):
    assert render.format_value(value, kind) == shown


def small_table(totals=True) -> Table:
    return Table(
        title="各协会参训情况",
        columns=(
            Column("association", "协会", "text"),
            Column("members", "会员数"),
            Column("completion_rate", "课程完成率", "percent"),
            Column("hours", "学时", "hours"),
        ),
        rows=[
            {"association": "书协", "members": 1200, "completion_rate": 0.635, "hours": 1234.5},
            {"association": "<b>美协</b>", "members": 3, "completion_rate": None, "hours": 0.0},
        ],
        totals={"association": "合计", "members": 1203, "completion_rate": 0.6, "hours": 1234.5}
        if totals
        else None,
    )


def test_table_html_is_accessible_and_formatted():
    html = render.table_html(small_table())
    assert "<caption>各协会参训情况</caption>" in html
    assert html.count('<th scope="col">') == 4
    assert '<th scope="row">书协</th>' in html
    assert (
        '<td class="num">1,200</td><td class="num">63.5%</td><td class="num">1,234.5</td>' in html
    )
    assert '<td class="num">—</td>' in html  # no completion rate
    # the totals row: in <tfoot>, labelled 合计
    foot = html[html.index("<tfoot>") :]
    assert foot.startswith('<tfoot><tr><th scope="row">合计</th><td class="num">1,203</td>')
    # names are escaped, never markup
    assert "<b>美协</b>" not in html and "&lt;b&gt;美协&lt;/b&gt;" in html


def test_table_html_without_rows_or_totals():
    empty = Table("各协会参训情况", small_table().columns)
    html = render.table_html(empty)
    assert '<td colspan="4">暂无数据</td>' in html and "<tfoot>" not in html
    assert "<tfoot>" not in render.table_html(small_table(totals=False))


def test_messages_and_download_link():
    alert = render.message_html("开始日期 <x> 晚于结束日期", error=True)
    assert 'role="alert"' in alert and "&lt;x&gt;" in alert
    assert 'role="status"' in render.message_html("暂无数据")
    link = render.download_html(b"PK\x03\x04", "总览_20270110.xlsx")
    assert 'download="总览_20270110.xlsx"' in link
    assert f'href="data:{render.XLSX_MIME};base64,UEsDBA=="' in link
    assert ui.export_filename("协会详情", "书协", today=date(2027, 1, 10)) == (
        "协会详情_书协_20270110.xlsx"
    )
    assert ui.export_filename("a/b c", today=date(2027, 1, 10)) == "a_b_c_20270110.xlsx"


# --- charts -------------------------------------------------------------------------------


def test_cjk_font_is_installed():
    found = font_manager.findfont(
        font_manager.FontProperties(family=["Noto Sans CJK SC"]), fallback_to_default=False
    )
    assert re.search(r"NotoSans(Mono)?CJK", Path(found).name), found


def _glyph_warnings(draw) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        png = draw()
    assert png is None or png.startswith(b"\x89PNG\r\n\x1a\n")
    return [str(w.message) for w in caught if "missing from font" in str(w.message)]


def test_charts_render_chinese_without_missing_glyphs():
    table = small_table()
    assert _glyph_warnings(lambda: charts.participation_chart_png(table)) == []
    trend = Table(
        "每周学习趋势",
        (Column("week", "周（起始日）", "date"), Column("active", "活跃人数")),
        rows=[{"week": date(2027, 1, 4) + timedelta(weeks=n), "active": n} for n in range(3)],
    )
    assert _glyph_warnings(lambda: charts.trend_chart_png(trend)) == []
    assert charts.participation_chart_png(Table("空", table.columns)) is None


def test_counts_are_drawn_on_whole_number_axes(monkeypatch):
    drawn = []
    monkeypatch.setattr(charts, "_png", lambda figure: drawn.append(figure) or b"")
    few = Table(
        "参训",
        (Column("association", "协会", "text"), Column("enrolled", "参训人数")),
        rows=[{"association": "书协", "enrolled": 1}, {"association": "作协", "enrolled": 2}],
    )
    charts.participation_chart_png(few)
    trend = Table(
        "每周学习趋势",
        (Column("week", "周（起始日）", "date"), Column("active", "活跃人数")),
        rows=[{"week": date(2027, 1, 4) + timedelta(weeks=n), "active": n % 2} for n in range(3)],
    )
    charts.trend_chart_png(trend)
    people, trend_axes = drawn[0].axes[0], drawn[1].axes[0]
    for ticks in (people.get_xticks(), trend_axes.get_yticks()):
        assert len(ticks) >= 2 and all(float(t).is_integer() for t in ticks), ticks


def test_without_the_cjk_fallback_the_glyph_check_fails():
    """The check above can fail: DejaVu Sans alone has no 书 or 协."""
    from matplotlib.figure import Figure

    def draw():
        import matplotlib

        with matplotlib.rc_context({"font.family": ["DejaVu Sans"]}):
            figure = Figure()
            figure.subplots().set_title("书协")
            return charts._png(figure)

    assert _glyph_warnings(draw)


# --- the pages in-process -----------------------------------------------------------------


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A small synthetic federation on SQLite (11 associations, admin, one manager each)."""
    path = tmp_path_factory.mktemp("dashboards") / "yiyuan.sqlite"
    database = Database(f"sqlite:///{path}")
    migrate.upgrade(database)
    with database.session() as session:
        ensure_standard_associations(session, "深圳市")
    synthetic.generate(database, members=150, courses=4, modules_per_course=2, cohorts=2, seed=7)
    with database.session() as session:
        names = list(
            session.scalars(select(Association.short_name).order_by(Association.sort_order))
        )
        manager, own = session.execute(
            select(Account.username, Association.short_name)
            .join(AccountRole, AccountRole.account_id == Account.id)
            .join(Association, Association.id == AccountRole.association_id)
            .where(AccountRole.role == Role.manager)
            .order_by(Association.sort_order)
        ).first()
    yield {
        "db": database,
        "url": f"sqlite:///{path}",
        "path": path,
        "names": names,
        "manager": manager,
        "own": own,
        "others": [n for n in names if n != own],
    }
    database.dispose()


def source_for(database: Database, username: str) -> ui.Source:
    def scope():
        with database.session() as session:
            return viewer_scope(session, username)

    return ui.Source(scope=scope, session=database.session)


def page_text(dashboard: ui.Dashboard) -> str:
    """Everything the page shows, once the parts drawn after it (charts, trend) are there."""
    dashboard.wait()
    parts = [dashboard.header.value, dashboard.status.value]
    for child in dashboard.results.children:
        # a part drawn later is a box of HTML widgets
        parts += (
            [grand.value for grand in child.children]
            if hasattr(child, "children")
            else [child.value]
        )
    if dashboard.bar is not None:
        for dropdown in dashboard.bar.dropdowns.values():
            parts += [label for label, _ in dropdown.options]
    return "\n".join(parts)


def test_overview_for_the_administrator(world):
    page = ui.overview_dashboard(source_for(world["db"], "synadmin"))
    text = page_text(page)
    assert page.status.value == ""
    assert all(f'<th scope="row">{name}</th>' in text for name in world["names"])
    assert '<th scope="row">合计</th>' in text
    assert text.count('<img src="data:image/png;base64,') == 2  # by association, weekly trend
    assert [t.title for t in page.tables] == ["各协会参训情况", "每周学习趋势"]
    # 导出 Excel: a link to a workbook holding the tables shown
    assert not page.export_button.disabled
    page.export_button.click()
    match = re.search(
        r'download="(总览_\d{8}\.xlsx)" href="data:[^;]+;base64,([^"]+)"', page.download.value
    )
    assert match, page.download.value
    book = load_workbook(io.BytesIO(base64.b64decode(match.group(2))))
    assert book.sheetnames == ["各协会参训情况", "每周学习趋势"]
    sheet = book["各协会参训情况"]
    assert [c.value for c in sheet[1]][:3] == ["协会", "会员数", "参训人数"]
    first_column = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert first_column == [*world["names"], "合计"]


def test_a_manager_sees_only_their_association(world):
    source = source_for(world["db"], world["manager"])
    for make in (
        ui.overview_dashboard,
        ui.association_dashboard,
        ui.course_dashboard,
        ui.cohort_dashboard,
    ):
        page = make(source)
        text = page_text(page)
        assert page.status.value == "", (make.__name__, page.status.value)
        assert world["own"] in text
        leaked = [name for name in world["others"] if name in text]
        assert leaked == [], (make.__name__, leaked)


def test_a_trainer_picks_only_among_their_courses(world):
    with world["db"].session() as session:
        trainer = session.scalars(
            select(Account.username)
            .join(CourseTrainer, CourseTrainer.account_id == Account.id)
            .order_by(Account.username)
        ).first()
        theirs = set(
            session.scalars(
                select(Course.title)
                .join(CourseTrainer, CourseTrainer.course_id == Course.id)
                .join(Account, Account.id == CourseTrainer.account_id)
                .where(Account.username == trainer)
            )
        )
        everything = set(session.scalars(select(Course.title)))
    assert theirs and theirs != everything
    page = ui.course_dashboard(source_for(world["db"], trainer))
    assert page.status.value == ""
    assert {label for label, _ in page.bar.dropdowns["course"].options} == theirs
    assert page.tables[0].rows[0]["course"] in theirs


def test_filters_narrow_and_bad_dates_give_a_chinese_message(world):
    page = ui.overview_dashboard(source_for(world["db"], "synadmin"))
    bar = page.bar
    code = dict((label, value) for label, value in bar.dropdowns["association"].options)["书协"]
    bar.dropdowns["association"].value = code
    bar.button.click()
    rows = page.tables[0].rows
    assert [row["association"] for row in rows] == ["书协"]
    bar.date_from.value = date(2027, 2, 1)
    bar.date_to.value = date(2027, 1, 1)
    bar.button.click()
    assert 'role="alert"' in page.status.value and "晚于结束日期" in page.status.value
    assert "Traceback" not in page.status.value
    assert page.results.children == () and page.export_button.disabled
    assert bar.button.description == "查询" and not bar.button.disabled


def test_a_learner_gets_a_refusal_not_a_page(world):
    with world["db"].session() as session:
        learner = session.scalars(
            select(Account.username).where(Account.username.like("syn0%"))
        ).first()
    page = ui.overview_dashboard(source_for(world["db"], learner))
    assert page.bar is None and page.results.children == ()
    assert "只有管理员、协会管理员和任课教师可以查看统计报表" in page.status.value


def test_database_trouble_is_a_chinese_message(world, monkeypatch):
    def broken():
        raise OperationalError("SELECT 1", {}, Exception("unable to open database file"))

    # in a kernel sys.stderr is the page: the traceback must go to the service's log instead
    page_stderr = io.StringIO()
    monkeypatch.setattr(sys, "stderr", page_stderr)
    source = ui.Source(scope=lambda: viewer_scope_for(world, "synadmin"), session=broken)
    page = ui.overview_dashboard(source)
    assert page.status.value == render.message_html(ui.DB_TROUBLE, error=True)
    assert page_stderr.getvalue() == ""


def viewer_scope_for(world, username):
    with world["db"].session() as session:
        return viewer_scope(session, username)


def test_an_empty_database_says_so(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'empty.sqlite'}")
    migrate.upgrade(database)
    with database.session() as session:
        ensure_standard_associations(session, "深圳市")
        account(session, "boss", Role.administrator)
    try:
        for make in (ui.overview_dashboard, ui.association_dashboard, ui.cohort_dashboard):
            page = make(source_for(database, "boss"))
            text = page_text(page)
            assert "Traceback" not in text
            assert ui.NO_DATA in text, make.__name__
        course = ui.course_dashboard(source_for(database, "boss"))
        assert "没有可查看的课程" in course.status.value
    finally:
        database.dispose()


# --- the notebooks in a real kernel -------------------------------------------------------


async def run_notebook(name: str, username: str, cwd: Path) -> nbformat.NotebookNode:
    """``dashboards/<name>.ipynb`` as the service runs it: the binding cell first."""
    from nbclient import NotebookClient

    nb = nbformat.read(ROOT / "dashboards" / f"{name}.ipynb", as_version=4)
    nb.cells.insert(0, binding_cell(username))
    client = NotebookClient(
        nb, timeout=60, kernel_name="python3", resources={"metadata": {"path": str(cwd)}}
    )
    await client.async_execute()
    return nb


def test_notebooks_are_thin_and_saved_without_outputs():
    for name in NOTEBOOKS:
        nb = nbformat.read(ROOT / "dashboards" / f"{name}.ipynb", as_version=4)
        nbformat.validate(nb)
        assert nb.metadata.kernelspec.name == "python3"
        assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith(f"# {name}")
        code = [cell for cell in nb.cells if cell.cell_type == "code"]
        assert len(code) == 1 and not code[0].outputs and code[0].execution_count is None
        assert "select" not in code[0].source.lower() and "ui." in code[0].source


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_executes_for_an_administrator_and_a_manager(world, name, tmp_path, monkeypatch):
    monkeypatch.setenv("YIYUAN_DB_URL", world["url"])
    monkeypatch.setenv("YIYUAN_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("YIYUAN_CONFIG", raising=False)

    async def both():
        # two kernels at once: most of a run is waiting for a kernel to start
        return await asyncio.gather(
            run_notebook(name, "synadmin", tmp_path),
            run_notebook(name, world["manager"], tmp_path),
        )

    admin, manager = asyncio.run(both())
    for who, nb in (("administrator", admin), ("manager", manager)):
        outputs = [out for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs]
        assert not [out for out in outputs if out.output_type == "error"], who
        assert any(
            "application/vnd.jupyter.widget-view+json" in out.get("data", {}) for out in outputs
        ), who
        # what the page shows lives in the widget state nbclient saved with the notebook
        state = json.dumps(nb.metadata.get("widgets", {}), ensure_ascii=False)
        shown = json.dumps(outputs, ensure_ascii=False) + state
        assert "<caption>" in state and "Traceback" not in shown, who
        assert 'role="alert"' not in shown, who
        if who == "manager":
            assert world["own"] in state
            leaked = [other for other in world["others"] if other in shown]
            assert leaked == [], (who, leaked)
        else:
            assert all(n in state for n in world["names"]), who


def test_a_notebook_without_its_database_shows_a_chinese_message(world, tmp_path, monkeypatch):
    monkeypatch.setenv("YIYUAN_DB_URL", f"sqlite:///{tmp_path / 'missing.sqlite'}")
    monkeypatch.setenv("YIYUAN_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("YIYUAN_CONFIG", raising=False)
    nb = asyncio.run(run_notebook("总览", "synadmin", tmp_path))
    outputs = [out for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs]
    shown = json.dumps(outputs, ensure_ascii=False)
    state = json.dumps(nb.metadata.get("widgets", {}), ensure_ascii=False)
    assert ui.DB_TROUBLE in state
    assert "Traceback" not in shown + state and "OperationalError" not in shown + state


def test_parts_drawn_later_fail_in_chinese_and_never_land_on_a_newer_query(world):
    import threading

    from yiyuan.errors import YiyuanError
    from yiyuan.reports.table import Column, Table

    release = threading.Event()

    def slow(session, scope, filters):
        release.wait(10)
        return ["<p>旧的查询结果</p>", Table("旧表", (Column("name", "名称", "text"),), [])]

    def broken(session, scope, filters):
        raise RuntimeError("boom")

    def refused(session, scope, filters):
        raise YiyuanError("这一部分不能显示。")

    table = Table("表", (Column("name", "名称", "text"),), [{"name": "甲"}])
    calls = iter(
        [
            [table, ui.Later("慢的部分", slow)],
            [table, ui.Later("坏的部分", broken), ui.Later("拒绝的部分", refused)],
        ]
    )
    page = ui.Dashboard("测试", lambda *_: next(calls), source_for(world["db"], "synadmin"))
    assert "正在计算慢的部分" in page_text_now(page)
    page.refresh()  # a second query while the first one's later part still runs
    release.set()
    text = page_text(page)
    assert "旧的查询结果" not in text
    assert [t.title for t in page.tables] == ["表"]  # nor in the export
    assert ui.DB_TROUBLE in text and "boom" not in text and "这一部分不能显示。" in text


def page_text_now(dashboard: ui.Dashboard) -> str:
    """What the page shows at this moment (later parts may still be placeholders)."""
    texts = []
    for child in dashboard.results.children:
        widgets = child.children if isinstance(child, ui.w.VBox) else [child]
        texts += [widget.value for widget in widgets]
    return "\n".join(texts)

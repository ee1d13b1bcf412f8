"""The dashboard pages: a filter bar, charts, tables and an Excel export, as ipywidgets.

The notebooks in ``dashboards/`` are one call each (``ui.overview_dashboard()``). Everything a
page shows comes from the report layer (:mod:`yiyuan.reports.participation`) for the viewer's
scope, which is re-read from the database on every query; the filter widgets only narrow what
that scope allows (their choices come from ``participation.options`` for the same scope).
"""

from __future__ import annotations

import logging
import re
import sys
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

import ipywidgets as w
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from ..clock import local_zone
from ..errors import YiyuanError
from ..reports import participation
from ..reports.export import to_xlsx_bytes
from ..reports.filters import STANDING_WORDS, ReportFilter
from ..reports.participation import FilterOptions
from ..reports.scope import Scope
from ..reports.table import Table
from . import render

log = logging.getLogger(__name__)
# In a dashboard kernel sys.stderr is the page: a traceback logged there would be shown to
# the viewer. sys.__stderr__ is the kernel process's own stderr, i.e. the service's log.
if not log.handlers:
    _handler = logging.StreamHandler(sys.__stderr__)
    _handler.setFormatter(logging.Formatter("[yiyuan.dashboards] %(levelname)s %(message)s"))
    log.addHandler(_handler)
    log.propagate = False

DB_TROUBLE = "暂时无法读取平台数据：请稍后刷新页面；若仍然如此，请联系平台管理员。"
NO_DATA = "暂无数据：当前范围内还没有会员或学习记录（或筛选条件过窄）。"

STANDING_CHOICES = (
    ("全部身份", ""),
    *(
        (word, standing.value)
        for word, standing in STANDING_WORDS.items()
        if word != standing.value
    ),
)

Choice = Literal["any", "one"] | None


@dataclass(frozen=True)
class Later:
    """Parts built after the page is shown (in a thread, with their own session): the slow
    ones — charts, the weekly trend — so the table a viewer came for appears first."""

    label: str
    build: Callable[[Session, Scope, ReportFilter], list[Table | str]]


#: what a page shows, top to bottom: tables (also exported), HTML fragments, later parts
Part = Table | str | Later
Build = Callable[[Session, Scope, ReportFilter], list[Part]]


class NothingToChoose(YiyuanError):
    """A page that needs one association/course/cohort, for a viewer who may see none."""


@dataclass(frozen=True)
class Source:
    """Where a page gets its viewer and its data; the kernel's by default (tests pass their
    own)."""

    scope: Callable[[], Scope]
    session: Callable[[], AbstractContextManager[Session]]


def kernel_source() -> Source:
    """The viewer the service bound in this kernel, and the read-only database."""
    from . import context

    return Source(scope=context.current_scope, session=context.session)


# --- filter bar ---------------------------------------------------------------------------

_FIELDS = {
    # field: (label, 全部 label, FilterOptions attribute, ReportFilter field)
    "association": ("协会", "全部协会", "associations", "associations"),
    "course": ("课程", "全部课程", "courses", "courses"),
    "programme": ("培训项目", "全部项目", "programmes", "programmes"),
    "cohort": ("期次", "全部期次", "cohorts", "cohorts"),
}


def _dropdown(label: str, choices: list[tuple[str, str]]) -> w.Dropdown:
    return w.Dropdown(
        options=choices,
        value=choices[0][1] if choices else None,
        description=label,
        style={"description_width": "initial"},
        layout=w.Layout(width="auto", min_width="12em"),
    )


class FilterBar:
    """Dropdowns (association, course, programme, cohort, standing), a date range and 查询.

    Each of ``association``/``course``/``programme``/``cohort`` is ``None`` (not offered),
    ``"any"`` (全部 or one) or ``"one"`` (the page is about exactly one).
    """

    def __init__(
        self,
        options: FilterOptions,
        *,
        association: Choice = "any",
        course: Choice = "any",
        programme: Choice = None,
        cohort: Choice = None,
        standing: bool = True,
        dates: bool = True,
    ) -> None:
        wanted = {
            "association": association,
            "course": course,
            "programme": programme,
            "cohort": cohort,
        }
        self.dropdowns: dict[str, w.Dropdown] = {}
        self.required: set[str] = set()
        for field, mode in wanted.items():
            if mode is None:
                continue
            label, everything, attribute, _ = _FIELDS[field]
            pairs = [(name, code) for code, name in getattr(options, attribute)]
            if mode == "one":
                self.required.add(field)
            else:
                pairs.insert(0, (everything, ""))
            self.dropdowns[field] = _dropdown(label, pairs)
        self.standing = _dropdown("会员身份", list(STANDING_CHOICES)) if standing else None
        self.date_from = self.date_to = None
        if dates:
            self.date_from = w.DatePicker(
                description="开始日期", style={"description_width": "initial"}
            )
            self.date_to = w.DatePicker(
                description="结束日期", style={"description_width": "initial"}
            )
        self.button = w.Button(description="查询", button_style="primary", tooltip="按所选条件查询")
        controls: list[w.Widget] = list(self.dropdowns.values())
        controls += [c for c in (self.standing, self.date_from, self.date_to) if c is not None]
        controls.append(self.button)
        self.widget = w.HBox(controls, layout=w.Layout(flex_flow="row wrap", align_items="center"))
        self.widget.add_class("yiyuan-filters")

    def filter(self) -> ReportFilter:
        """The chosen filter; :class:`BadFilter` for an impossible date range."""
        chosen: dict[str, tuple] = {}
        for field, dropdown in self.dropdowns.items():
            if field in self.required and not dropdown.value:
                label = _FIELDS[field][0]
                raise NothingToChoose(f"没有可查看的{label}：您的账号没有可查看的{label}数据。")
            chosen[_FIELDS[field][3]] = (dropdown.value,) if dropdown.value else ()
        if self.standing is not None and self.standing.value:
            chosen["standings"] = (STANDING_WORDS[self.standing.value],)
        if self.date_from is not None:
            chosen["date_from"] = self.date_from.value
            chosen["date_to"] = self.date_to.value
        return ReportFilter(**chosen)

    def summary(self) -> list[str]:
        """The names of what is chosen (for file names): e.g. ``["书协"]``."""
        return [
            dropdown.label
            for dropdown in self.dropdowns.values()
            if dropdown.value and dropdown.label
        ]

    def on_query(self, callback: Callable[[], None]) -> None:
        self.button.on_click(lambda _button: callback())


# --- the page -----------------------------------------------------------------------------


def export_filename(*parts: str, today: date | None = None) -> str:
    """``总览_20270110.xlsx``: the page, what was chosen and the day, safe as a file name."""
    day = (today or date.today()).strftime("%Y%m%d")
    stem = "_".join([*(p for p in parts if p), day])
    return re.sub(r'[\\/:*?"<>|\s]+', "_", stem) + ".xlsx"


class Dashboard:
    """One page: viewer line, filter bar, results, 导出 Excel. Displays as its widget."""

    def __init__(
        self, title: str, build: Build, source: Source | None = None, **bar: Choice | bool
    ) -> None:
        self.title = title
        self.build = build
        self.source = source or kernel_source()
        self.tables: list[Table] = []
        #: bumped by every query, so a late part of an earlier query never lands on the page
        self._generation = 0
        #: one event per later part, set once its result is on the page
        self._pending: list[threading.Event] = []
        self.header = w.HTML(render.STYLESHEET)
        self.status = w.HTML()
        self.results = w.VBox()
        self.export_button = w.Button(
            description="导出 Excel", tooltip="把本页的表格导出为 Excel 文件", disabled=True
        )
        self.export_button.on_click(lambda _button: self.export())
        self.download = w.HTML()
        self.bar: FilterBar | None = None
        children: list[w.Widget] = [self.header]
        try:
            scope = self.source.scope()
            with self.source.session() as session:
                options = participation.options(session, scope)
        except YiyuanError as error:
            self.status.value = render.message_html(str(error), error=True)
        except SQLAlchemyError:
            log.exception("dashboard %s: reading the filter options failed", title)
            self.status.value = render.message_html(DB_TROUBLE, error=True)
        else:
            self.header.value = render.STYLESHEET + render.viewer_html(scope.label)
            self.bar = FilterBar(options, **bar)
            self.bar.on_query(self.refresh)
            children.append(self.bar.widget)
        children += [
            self.status,
            self.results,
            w.HBox([self.export_button, self.download], layout=w.Layout(align_items="center")),
        ]
        self.widget = w.VBox(children)
        self.widget.add_class("yiyuan-dashboard")
        if self.bar is not None:
            self.refresh()

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    def refresh(self) -> None:
        """Query again with the bar's filters (the viewer's scope re-read) and redraw."""
        assert self.bar is not None
        self.bar.button.disabled, self.bar.button.description = True, "查询中…"
        self.download.value = ""
        try:
            filters = self.bar.filter()
            scope = self.source.scope()
            with self.source.session() as session:
                parts = self.build(session, scope, filters)
        except YiyuanError as error:
            self._show([], render.message_html(str(error), error=True))
        except SQLAlchemyError:
            log.exception("dashboard %s: the report query failed", self.title)
            self._show([], render.message_html(DB_TROUBLE, error=True))
        else:
            self._show(parts, "")
        finally:
            self.bar.button.disabled, self.bar.button.description = False, "查询"

    def _show(self, parts: Sequence[Part], status: str) -> None:
        self._generation += 1
        self.status.value = status
        self.tables = [part for part in parts if isinstance(part, Table)]
        children = []
        for part in parts:
            if isinstance(part, Later):
                holder = w.HTML(render.message_html(f"正在计算{part.label}……"))
                children.append(w.VBox([holder]))
                self._start_later(part, holder)
            else:
                children.append(w.HTML(_html(part)))
        self.results.children = children
        self.export_button.disabled = not self.tables

    def _start_later(self, part: Later, holder: w.HTML) -> None:
        generation = self._generation
        filters = self.bar.filter() if self.bar else ReportFilter()

        shown = threading.Event()

        def run() -> None:
            try:
                scope = self.source.scope()
                with self.source.session() as session:
                    built = part.build(session, scope, filters)
            except YiyuanError as error:
                built = [render.message_html(str(error), error=True)]
            except Exception:  # a thread's failure must still end as a sentence on the page
                log.exception("dashboard %s: %s failed", self.title, part.label)
                built = [render.message_html(DB_TROUBLE, error=True)]
            if generation != self._generation:
                shown.set()
                return  # the viewer has asked something else meanwhile
            self.tables += [item for item in built if isinstance(item, Table)]
            # an existing widget's new value, not new widgets: the page already knows it
            holder.value = "".join(_html(item) for item in built)
            self.export_button.disabled = not self.tables
            shown.set()
            # A page whose connection to the kernel opens after this (the notebook ran before
            # the browser drew the page: a warm kernel is quick) missed the update: say it again
            # a few times while a page may still be connecting.
            for pause in RESEND_PAUSES:
                time.sleep(pause)
                if generation != self._generation:
                    return
                holder.send_state("value")

        thread = threading.Thread(target=run, name=f"dashboard-{part.label}", daemon=True)
        self._pending = [e for e in self._pending if not e.is_set()] + [shown]
        thread.start()

    def wait(self, timeout: float = 60) -> None:
        """Until the later parts are on the page (tests; an export wants them too)."""
        for shown in list(self._pending):
            shown.wait(timeout)

    def export(self) -> str:
        """Build the workbook of the tables shown and offer it as a download link."""
        self.wait()
        if not self.tables:
            self.download.value = render.message_html("没有可导出的表格。", error=True)
            return self.download.value
        chosen = self.bar.summary() if self.bar else []
        filename = export_filename(self.title, *chosen, today=_today())
        data = to_xlsx_bytes(self.tables, title=" ".join([self.title, *chosen]))
        self.download.value = render.download_html(data, filename)
        return self.download.value


def _today() -> date:
    return datetime.now(local_zone()).date()


# --- page contents ------------------------------------------------------------------------


def _empty(table: Table) -> bool:
    if not table.rows:
        return True
    totals = table.totals or {}
    return not totals.get("members") and not totals.get("enrolled")


def participation_parts(table: Table, *, chart: bool = True) -> list[Part]:
    """Notice if empty, else the chart (drawn later); then the table."""
    if _empty(table):
        return [render.message_html(NO_DATA), table]
    if not chart:
        return [table]
    return [Later("图表", lambda *_: _participation_chart(table)), table]


def _participation_chart(table: Table) -> list[Table | str]:
    from . import charts  # matplotlib loads in the thread, after the page is shown

    png = charts.participation_chart_png(table)
    return [render.image_html(png, charts.participation_alt(table))] if png else []


def trend_parts(table: Table) -> list[Table | str]:
    from . import charts

    png = charts.trend_chart_png(table)
    if png is None or not any(row.get("active") or row.get("submissions") for row in table.rows):
        return [table]
    return [render.image_html(png, charts.trend_alt(table)), table]


def weekly_trend_later() -> Later:
    return Later(
        "每周趋势",
        lambda session, scope, filters: trend_parts(
            participation.weekly_trend(session, scope, filters)
        ),
    )


KEY_FIGURES = (
    "members",
    "enrolled",
    "enrolment_rate",
    "active",
    "courses_completed",
    "completion_rate",
    "hours",
    "average_score",
)


def _overview(session: Session, scope: Scope, filters: ReportFilter) -> list[Part]:
    table = participation.by_association(session, scope, filters)
    parts: list[Part] = [render.figures_html(table, keys=KEY_FIGURES)]
    parts += participation_parts(table)
    parts.append(weekly_trend_later())
    return parts


#: seconds between repeats of a later part's result (about a minute in all)
RESEND_PAUSES = (1, 2, 4, 8, 16, 32)


def _html(part: Table | str) -> str:
    return render.table_html(part) if isinstance(part, Table) else part


def _association(session: Session, scope: Scope, filters: ReportFilter) -> list[Part]:
    summary = participation.by_association(session, scope, filters)
    row = summary.rows[0] if summary.rows else {}
    # one association: its row is the whole table (the totals would repeat it)
    own = Table(summary.title, summary.columns, summary.rows[:1])
    parts: list[Part] = [render.figures_html(summary, row, keys=KEY_FIGURES), own]
    parts += participation_parts(participation.by_course(session, scope, filters))
    parts.append(weekly_trend_later())
    parts.append(participation.laggards(session, scope, filters))
    return parts


def _course(session: Session, scope: Scope, filters: ReportFilter) -> list[Part]:
    course = participation.by_course(session, scope, filters)
    row = course.rows[0] if course.rows else {}
    own = Table(course.title, course.columns, course.rows[:1])
    parts: list[Part] = [render.figures_html(course, row), own]
    parts += participation_parts(participation.by_association(session, scope, filters))
    parts.append(weekly_trend_later())
    parts.append(participation.laggards(session, scope, filters))
    return parts


def _cohorts(session: Session, scope: Scope, filters: ReportFilter) -> list[Part]:
    parts = participation_parts(participation.by_cohort(session, scope, filters))
    if not filters.cohorts:
        parts.append(
            render.message_html("选择一个期次并点「查询」，查看该期次各协会的情况和逾期名单。")
        )
        return parts
    parts += participation_parts(participation.by_association(session, scope, filters), chart=False)
    parts.append(participation.laggards(session, scope, filters))
    return parts


def overview_dashboard(source: Source | None = None) -> Dashboard:
    """总览: every association the viewer may see; chart, table, weekly trend."""
    return Dashboard("总览", _overview, source, association="any", course="any", cohort="any")


def association_dashboard(source: Source | None = None) -> Dashboard:
    """协会详情: one association's figures, its courses, trend and overdue learners."""
    return Dashboard("协会详情", _association, source, association="one", course=None)


def course_dashboard(source: Source | None = None) -> Dashboard:
    """课程详情: one course by association, its trend and overdue learners."""
    return Dashboard("课程详情", _course, source, association="any", course="one")


def cohort_dashboard(source: Source | None = None) -> Dashboard:
    """期次: every cohort; with one chosen, its associations and overdue learners."""
    return Dashboard(
        "期次",
        _cohorts,
        source,
        association="any",
        course=None,
        programme="any",
        cohort="any",
        standing=False,
    )

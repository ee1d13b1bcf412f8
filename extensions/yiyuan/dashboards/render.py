"""Report tables as Chinese HTML: formatted numbers, an accessible ``<table>``, messages.

Pure functions returning strings, so they are tested without a browser or a kernel. Every
value from the database is escaped: names are typed by people.
"""

from __future__ import annotations

import base64
from datetime import date, datetime
from decimal import Decimal
from html import escape
from typing import Any

from ..clock import local_zone
from ..reports.table import Column, Kind, Table

#: how a missing value (no enrolment, no score …) is shown
MISSING = "—"
TOTALS_LABEL = "合计"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

STYLESHEET = """<style>
.yiyuan-dashboard { font-size: 15px; line-height: 1.6; max-width: 100%; }
.yiyuan-report-wrap { overflow-x: auto; max-width: 100%; margin: 0.5em 0 1.2em 0; }
table.yiyuan-report { border-collapse: collapse; font-variant-numeric: tabular-nums; }
table.yiyuan-report caption { caption-side: top; text-align: left; font-weight: 600;
  font-size: 1.1em; padding: 0.3em 0; }
table.yiyuan-report th, table.yiyuan-report td { border: 1px solid #ccc;
  padding: 0.3em 0.6em; white-space: nowrap; }
table.yiyuan-report thead th { background: #f0f3f7; text-align: center; }
table.yiyuan-report tbody th { text-align: left; font-weight: normal; }
table.yiyuan-report td.num { text-align: right; }
table.yiyuan-report tfoot th, table.yiyuan-report tfoot td { font-weight: 600;
  background: #fafafa; border-top: 2px solid #888; }
.yiyuan-notice { padding: 0.6em 0.9em; border-radius: 4px; margin: 0.5em 0;
  background: #eef4fb; border-left: 4px solid #2f6db5; }
.yiyuan-notice.error { background: #fdeeee; border-left-color: #b3261e; }
.yiyuan-filters { gap: 0.3em 1em; margin: 0.3em 0 0.8em 0; }
.yiyuan-viewer { color: #555; margin: 0 0 0.5em 0; }
.yiyuan-figures { display: flex !important; flex-wrap: wrap; gap: 0.6em 1.6em;
  margin: 0.5em 0 1em 0; }
.yiyuan-figures > div { display: block !important; min-width: 7em; }
.yiyuan-figures dt, .yiyuan-figures dd { display: block !important; float: none !important;
  width: auto !important; margin: 0 !important; padding: 0 !important; text-align: left; }
.yiyuan-figures dt { color: #555; font-size: 0.9em; font-weight: normal; }
.yiyuan-figures dd { font-size: 1.4em; font-weight: 600; }
.yiyuan-chart img { max-width: 100%; height: auto; }
a.yiyuan-download { display: inline-block; padding: 0.3em 0.9em; border-radius: 4px;
  background: #2f6db5; color: #fff !important; text-decoration: none; }
</style>"""


def format_value(value: Any, kind: Kind = "text") -> str:
    """One cell as people read it: ``63.5%``, ``1,234.5`` (学时), ``1,234``, ``—`` for none."""
    if value is None or value == "":
        return MISSING
    if isinstance(value, bool):
        return "是" if value else "否"
    if kind == "percent" and isinstance(value, (int, float, Decimal)):
        return f"{float(value) * 100:.1f}%"
    if kind in ("hours", "float") and isinstance(value, (int, float, Decimal)):
        return f"{float(value):,.1f}"
    if kind == "int" and isinstance(value, (int, Decimal)):
        return f"{value:,}"
    if kind == "int" and isinstance(value, float):
        return f"{value:,.0f}" if value.is_integer() else f"{value:,.1f}"
    if isinstance(value, datetime):
        local = value.astimezone(local_zone()) if value.tzinfo else value
        return local.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _cell(value: Any, column: Column, first: bool) -> str:
    text = escape(format_value(value, column.kind))
    if first:
        return f'<th scope="row">{text}</th>'
    numeric = column.kind not in ("text", "date")
    return f'<td class="num">{text}</td>' if numeric else f"<td>{text}</td>"


def table_html(table: Table, *, caption: str | None = None, empty: str = "暂无数据") -> str:
    """An accessible HTML table: ``<caption>``, column headers and row headers with ``scope``,
    the totals row (合计) in ``<tfoot>``."""
    columns = table.columns
    head = "".join(f'<th scope="col">{escape(c.label)}</th>' for c in columns)
    if table.rows:
        body = "".join(
            "<tr>"
            + "".join(_cell(row.get(c.key), c, i == 0) for i, c in enumerate(columns))
            + "</tr>"
            for row in table.rows
        )
    else:
        body = f'<tr><td colspan="{max(len(columns), 1)}">{escape(empty)}</td></tr>'
    foot = ""
    if table.totals is not None and columns:
        cells = [f'<th scope="row">{TOTALS_LABEL}</th>']
        cells += [_cell(table.totals.get(c.key), c, False) for c in columns[1:]]
        foot = f"<tfoot><tr>{''.join(cells)}</tr></tfoot>"
    title = escape(caption if caption is not None else table.title)
    return (
        '<div class="yiyuan-report-wrap"><table class="yiyuan-report">'
        f"<caption>{title}</caption><thead><tr>{head}</tr></thead>"
        f"<tbody>{body}</tbody>{foot}</table></div>"
    )


def figures_html(table: Table, row: dict[str, Any] | None = None, *, keys=None) -> str:
    """Key figures of one row (default: the totals) as a description list."""
    row = row if row is not None else (table.totals or (table.rows[0] if table.rows else {}))
    shown = [c for c in table.columns[1:] if keys is None or c.key in keys]
    items = "".join(
        f"<div><dt>{escape(c.label)}</dt><dd>{escape(format_value(row.get(c.key), c.kind))}</dd>"
        "</div>"
        for c in shown
    )
    return f'<dl class="yiyuan-figures" aria-label="{escape(table.title)}">{items}</dl>'


def message_html(text: str, *, error: bool = False) -> str:
    """A notice in the page; errors are announced to screen readers at once."""
    role = "alert" if error else "status"
    tone = " error" if error else ""
    return f'<div class="yiyuan-notice{tone}" role="{role}">{escape(text)}</div>'


def viewer_html(label: str) -> str:
    return f'<p class="yiyuan-viewer">查看身份：{escape(label or "—")}</p>'


def image_html(png: bytes, alt: str) -> str:
    """A PNG chart inline (a ``data:`` URI, nothing fetched) with its text alternative."""
    data = base64.b64encode(png).decode("ascii")
    return (
        f'<figure class="yiyuan-chart"><img src="data:image/png;base64,{data}" '
        f'alt="{escape(alt)}"></figure>'
    )


def download_html(data: bytes, filename: str, *, label: str | None = None) -> str:
    """A link that saves ``data`` as ``filename`` (an .xlsx) without another request."""
    encoded = base64.b64encode(data).decode("ascii")
    text = label or f"下载 {filename}"
    return (
        f'<a class="yiyuan-download" download="{escape(filename)}" '
        f'href="data:{XLSX_MIME};base64,{encoded}">{escape(text)}</a>'
    )

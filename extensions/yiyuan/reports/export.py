"""Report exports: Excel (.xlsx), CSV and JSON files of :class:`Table` objects.

Spreadsheets are opened by people who double-click them, so every text cell is defused against
formula injection (a member named ``=HYPERLINK(…)`` must stay text), CSV carries a BOM so Excel
reads it as UTF-8, and column widths count a Chinese character as two.
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any

from ..clock import local_zone
from ..errors import YiyuanError
from .table import Column, Table

FORMATS = ("xlsx", "csv", "json")
TOTALS_LABEL = "合计"

#: what a spreadsheet treats as the start of a formula (or of a DDE payload)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_NUMBER_FORMATS = {
    "percent": "0.0%",
    "hours": "#,##0.0",
    "float": "#,##0.0",
    "int": "#,##0",
    "date": "yyyy-mm-dd",
}


class ExportError(YiyuanError):
    """A report cannot be written in the format or to the place asked for."""


def safe_cell(value: Any) -> Any:
    """``value`` as a spreadsheet will store it: text that would start a formula gets a ``'``.

    Numbers, dates and ``None`` pass untouched (``-2`` the number is not a formula).
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _plain(value: Any) -> Any:
    """A value openpyxl and csv can store: enums by value, aware datetimes in local time."""
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, datetime) and value.tzinfo is not None:
        # Excel has no time zones: show the federation's wall-clock time
        return value.astimezone(local_zone()).replace(tzinfo=None)
    if value is None or isinstance(value, (str, int, float, Decimal, date)):
        return value
    return str(value)


def _rows(table: Table) -> list[list[Any]]:
    """Data rows then the totals row, whose first cell reads 合计."""
    rows = [[safe_cell(_plain(v)) for v in record] for record in table.records(with_totals=False)]
    if table.totals is not None:
        totals = [safe_cell(_plain(table.totals.get(key))) for key in table.keys]
        if totals:
            totals[0] = TOTALS_LABEL
        rows.append(totals)
    return rows


def sheet_title(title: str, taken: set[str]) -> str:
    """An Excel sheet name from ``title``: ≤ 31 characters, none of ``[]:*?/\\``, unique."""
    name = _SHEET_FORBIDDEN.sub("_", title).strip().strip("'") or "报表"
    name = name[:31]
    candidate, n = name, 2
    while candidate.casefold() in {t.casefold() for t in taken}:
        suffix = f"({n})"
        candidate = name[: 31 - len(suffix)] + suffix
        n += 1
    taken.add(candidate)
    return candidate


def display_width(text: str) -> int:
    """Columns ``text`` takes in a spreadsheet: wide (CJK) characters count twice."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _shown(value: Any, column: Column) -> str:
    """Roughly how a cell reads once formatted, to size its column."""
    if value is None:
        return ""
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        if column.kind == "percent":
            return f"{float(value):.1%}"
        if column.kind in ("hours", "float"):
            return f"{float(value):,.1f}"
        return f"{value:,}"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _fill_sheet(sheet, table: Table) -> None:
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    bold = Font(bold=True)
    sheet.append(list(table.labels))
    for cell in sheet[1]:
        cell.font = bold
        cell.alignment = Alignment(horizontal="center", vertical="center")
    rows = _rows(table)
    for row in rows:
        sheet.append(row)
    if table.totals is not None and table.columns:
        for cell in sheet[sheet.max_row]:
            cell.font = bold
    for index, column in enumerate(table.columns, start=1):
        number_format = _NUMBER_FORMATS.get(column.kind)
        widest = display_width(column.label)
        for row_number, row in enumerate(rows, start=2):
            value = row[index - 1]
            if number_format and not isinstance(value, str):
                sheet.cell(row=row_number, column=index).number_format = number_format
            widest = max(widest, display_width(_shown(value, column)))
        sheet.column_dimensions[get_column_letter(index)].width = min(widest + 2, 60)
    sheet.freeze_panes = "A2"


def to_xlsx_bytes(tables: Sequence[Table], *, title: str = "") -> bytes:
    """An Excel workbook with one sheet per table (header row, data rows, 合计 row)."""
    if not tables:
        raise ExportError("没有可导出的报表。")
    # imported here: a dashboard loads openpyxl only when someone exports (it takes ~0.2 s)
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.remove(workbook.active)
    if title:
        workbook.properties.title = title
    taken: set[str] = set()
    for table in tables:
        _fill_sheet(workbook.create_sheet(sheet_title(table.title, taken)), table)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_text(table: Table) -> str:
    """The table as CSV text (labels as header, 合计 as the last row's first cell)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(table.labels)
    for row in _rows(table):
        writer.writerow(["" if v is None else _csv_value(v) for v in row])
    return buffer.getvalue()


def _csv_value(value: Any) -> Any:
    # floats from averages carry binary noise (0.30000000000000004): round for people
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return value


def _json_default(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, Enum):
        return value.value
    return str(value)


def json_text(tables: Sequence[Table]) -> str:
    """A JSON array of ``Table.as_dict()`` objects; Chinese kept as is."""
    return json.dumps(
        [table.as_dict() for table in tables],
        ensure_ascii=False,
        indent=2,
        default=_json_default,
    )


def _write(path: str | Path, data: bytes) -> Path:
    target = Path(path)
    try:
        target.write_bytes(data)
    except OSError as error:
        raise ExportError(f"无法写入文件 {target}：{error.strerror or error}。") from error
    return target


def write_xlsx(tables: Sequence[Table], path: str | Path, *, title: str = "") -> Path:
    return _write(path, to_xlsx_bytes(tables, title=title))


def write_csv(table: Table, path: str | Path) -> Path:
    # utf-8-sig: the BOM tells Excel the file is UTF-8 (without it Chinese turns to mojibake)
    return _write(path, csv_text(table).encode("utf-8-sig"))


def write_json(tables: Sequence[Table], path: str | Path) -> Path:
    return _write(path, (json_text(tables) + "\n").encode("utf-8"))


def write_report(
    tables: Sequence[Table], path: str | Path, format: str, *, title: str = ""
) -> Path:
    """Write ``tables`` to ``path`` as ``xlsx``, ``csv`` (one table only) or ``json``."""
    fmt = (format or "").strip().lower()
    if fmt not in FORMATS:
        raise ExportError(f"不支持的导出格式「{format}」：请选择 xlsx、csv 或 json。")
    if not tables:
        raise ExportError("没有可导出的报表。")
    if fmt == "xlsx":
        return write_xlsx(tables, path, title=title)
    if fmt == "json":
        return write_json(tables, path)
    if len(tables) != 1:
        raise ExportError(
            f"CSV 文件只能容纳一张表，而这里有 {len(tables)} 张：请改用 xlsx 或 json 格式。"
        )
    return write_csv(tables[0], path)

"""Spreadsheets the member tools write: error reports, initial passwords, member exports.

Every cell is written as text, so a value such as ``=HYPERLINK(…)`` from a roster can never
become a formula in the administrator's Excel (spreadsheet formula injection). Files are
created readable by their owner only (0600): they hold mobile numbers or passwords.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import Cell
from openpyxl.styles import Font

from .importer import InitialPassword
from .roster import Roster
from .rows import RowError


def write_table(path: Path, title: str, headers: Sequence[str], rows: Iterable[Sequence]) -> Path:
    workbook = Workbook(write_only=False)
    sheet = workbook.active
    sheet.title = title
    _append_as_text(sheet, headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        _append_as_text(sheet, row)
    for index, header in enumerate(headers, start=1):
        sheet.column_dimensions[sheet.cell(1, index).column_letter].width = max(
            10, min(40, 2 * len(str(header)) + 4)
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".part")
    temporary.unlink(missing_ok=True)  # a leftover would keep its old permissions
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        workbook.save(file)
    os.replace(temporary, path)  # a reader never sees half a file
    return path


def error_report_path(roster_path: Path, when: datetime) -> Path:
    """Next to the roster, stamped with the time: an earlier report being fixed is never
    overwritten by a later run."""
    return roster_path.with_name(f"{roster_path.stem}.错误报告-{when:%Y%m%d-%H%M%S}.xlsx")


def write_error_report(roster: Roster, errors: list[RowError], path: Path) -> Path:
    """The rejected rows as they were, plus the reasons: fix them here and import this file."""
    reasons: dict[int, list[str]] = {}
    for error in errors:
        reasons.setdefault(error.row, []).append(f"{error.column}：{error.reason}")
    by_number = {row.number: row for row in roster.rows}
    rows = [
        [number, *by_number[number].cells, "；".join(reasons[number])] for number in sorted(reasons)
    ]
    return write_table(path, "错误报告", ["原行号", *roster.headers, "错误原因"], rows)


def write_passwords(path: Path, passwords: list[InitialPassword]) -> Path:
    return write_table(
        path,
        "初始密码",
        ["姓名", "手机号", "用户名", "初始密码", "说明"],
        [
            [p.name, p.mobile, p.username, p.password, "可用用户名或手机号登录，首次登录须修改密码"]
            for p in passwords
        ],
    )


def _append_as_text(sheet, values: Sequence) -> None:
    # cells made before the append: reading the row back (``sheet[sheet.max_row]``) scans the
    # whole sheet each time, which made a 20,000-row passwords file take over a minute
    cells = []
    for value in values:
        if value is None or isinstance(value, int | float):
            cells.append(value)
            continue
        cell = Cell(sheet, value=str(value))
        cell.data_type = "s"  # never a formula, even when it starts with "="
        cells.append(cell)
    sheet.append(cells)

"""Roster files for tests, written the way administrators' spreadsheets come."""

from pathlib import Path

from openpyxl import Workbook


def write_roster(path: Path, header: list[str], rows: list[list], title: str | None = None) -> Path:
    """An .xlsx roster; ``title`` adds a title row above the header, as many rosters have."""
    workbook = Workbook()
    sheet = workbook.active
    if title:
        sheet.append([title])
    sheet.append(header)
    for row in rows:
        sheet.append(row)
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # text that looks like a formula, as exported rosters have
    workbook.save(path)
    return path

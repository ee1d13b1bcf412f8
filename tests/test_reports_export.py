"""Report exports: xlsx read back with openpyxl, CSV with a BOM, JSON; formula injection."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime

import pytest
from openpyxl import load_workbook

from yiyuan.errors import YiyuanError
from yiyuan.reports.export import (
    display_width,
    safe_cell,
    sheet_title,
    to_xlsx_bytes,
    write_csv,
    write_json,
    write_report,
    write_xlsx,
)
from yiyuan.reports.table import Column, Table

COLUMNS = (
    Column("association", "协会", "text"),
    Column("members", "会员数"),
    Column("enrolment_rate", "参训率", "percent"),
    Column("hours", "学时", "hours"),
    Column("average_score", "平均分", "float"),
)


def participation() -> Table:
    return Table(
        title="各协会参训情况",
        columns=COLUMNS,
        rows=[
            {
                "association": "书协",
                "members": 120,
                "enrolment_rate": 0.635,
                "hours": 1234.5,
                "average_score": 81.25,
            },
            {
                "association": "=SUM(A1)",
                "members": -2,
                "enrolment_rate": None,
                "hours": 0.0,
                "average_score": None,
            },
            {"association": "+1", "members": 0, "enrolment_rate": 0.0, "hours": 2.0},
            {"association": "-2", "members": 3, "enrolment_rate": 1.0, "hours": 3.5},
            {"association": "@x", "members": 4, "enrolment_rate": 0.25, "hours": 4.0},
        ],
        totals={
            "association": None,
            "members": 125,
            "enrolment_rate": 0.6,
            "hours": 1244.0,
            "average_score": 81.25,
        },
    )


def trend() -> Table:
    return Table(
        title="每周趋势",
        columns=(Column("week", "周（起始日）", "date"), Column("active", "活跃人数")),
        rows=[{"week": date(2027, 1, 4), "active": 5}, {"week": date(2027, 1, 11), "active": 7}],
    )


def test_safe_cell_defuses_formulas_but_not_numbers():
    assert safe_cell("=SUM(A1)") == "'=SUM(A1)"
    assert safe_cell("+1") == "'+1"
    assert safe_cell("-2") == "'-2"
    assert safe_cell("@x") == "'@x"
    assert safe_cell("\tcmd") == "'\tcmd"
    assert safe_cell("\rcmd") == "'\rcmd"
    assert safe_cell(-2) == -2
    assert safe_cell(-2.5) == -2.5
    assert safe_cell(None) is None
    assert safe_cell("书协 = 书法家协会") == "书协 = 书法家协会"
    assert safe_cell("") == ""


def test_sheet_titles_are_legal_and_unique():
    taken: set[str] = set()
    assert sheet_title("a/b\\c[d]:e*f?g", taken) == "a_b_c_d__e_f_g"
    long = "各协会参训情况" * 6
    first = sheet_title(long, taken)
    second = sheet_title(long, taken)
    assert len(first) <= 31 and len(second) <= 31 and first != second
    assert sheet_title("", taken) == "报表"
    assert sheet_title("'quoted'", taken) == "quoted"


def test_display_width_counts_cjk_twice():
    assert display_width("abc") == 3
    assert display_width("书协") == 4
    assert display_width("学时（h）") == 9


def test_xlsx_round_trip(tmp_path):
    path = write_xlsx([participation(), trend()], tmp_path / "r.xlsx", title="参训报表")
    book = load_workbook(path)
    assert book.sheetnames == ["各协会参训情况", "每周趋势"]
    assert book.properties.title == "参训报表"
    sheet = book["各协会参训情况"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("协会", "会员数", "参训率", "学时", "平均分")
    assert rows[1] == ("书协", 120, 0.635, 1234.5, 81.25)
    # escaped text is stored as text, not a formula; the number -2 stays a number
    assert rows[2] == ("'=SUM(A1)", -2, None, 0, None)
    assert sheet["A3"].data_type == "s"
    assert sheet["B3"].data_type == "n"
    assert [r[0] for r in rows[3:6]] == ["'+1", "'-2", "'@x"]
    assert rows[-1] == ("合计", 125, 0.6, 1244, 81.25)
    last = sheet.max_row
    assert all(sheet.cell(row=last, column=c).font.b for c in range(1, 6))
    assert all(cell.font.b for cell in sheet[1])
    assert not sheet["A2"].font.b
    assert sheet["C2"].number_format == "0.0%"
    assert sheet["D2"].number_format == "#,##0.0"
    assert sheet["E2"].number_format == "#,##0.0"
    assert sheet.freeze_panes == "A2"
    # a CJK column is wide enough for its widest cell, counted as two per character
    assert sheet.column_dimensions["A"].width >= display_width("'=SUM(A1)")
    assert sheet.column_dimensions["C"].width >= display_width("参训率")
    # no formula anywhere in the workbook
    assert not any(c.data_type == "f" for row in sheet.iter_rows() for c in row)

    weekly = book["每周趋势"]
    assert weekly["A2"].value == datetime(2027, 1, 4)
    assert weekly["A2"].number_format == "yyyy-mm-dd"
    assert weekly.max_row == 3  # no totals row when the table has none


def test_xlsx_aware_datetimes_in_local_time():
    table = Table(
        "时刻",
        (Column("at", "时间", "date"),),
        rows=[{"at": datetime(2027, 1, 1, 16, 30, tzinfo=UTC)}],
    )
    book = load_workbook(io.BytesIO(to_xlsx_bytes([table])))
    assert book.active["A2"].value == datetime(2027, 1, 2, 0, 30)


def test_xlsx_empty_table_has_header_only():
    book = load_workbook(io.BytesIO(to_xlsx_bytes([Table("空", COLUMNS)])))
    assert list(book.active.iter_rows(values_only=True)) == [
        ("协会", "会员数", "参训率", "学时", "平均分")
    ]


def test_csv_has_bom_and_escapes(tmp_path):
    path = write_csv(participation(), tmp_path / "r.csv")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == ["协会", "会员数", "参训率", "学时", "平均分"]
    assert rows[1] == ["书协", "120", "0.635", "1234.5", "81.25"]
    assert rows[2] == ["'=SUM(A1)", "-2", "", "0.0", ""]
    assert [r[0] for r in rows[3:6]] == ["'+1", "'-2", "'@x"]
    assert rows[-1][0] == "合计"


def test_json_keeps_chinese_and_structure(tmp_path):
    path = write_json([participation(), trend()], tmp_path / "r.json")
    text = path.read_text(encoding="utf-8")
    assert "各协会参训情况" in text  # not \u escapes
    data = json.loads(text)
    assert [t["title"] for t in data] == ["各协会参训情况", "每周趋势"]
    assert data[0]["columns"][2] == {"key": "enrolment_rate", "label": "参训率", "kind": "percent"}
    assert data[0]["rows"][1]["association"] == "=SUM(A1)"  # data, not a spreadsheet
    assert data[0]["totals"]["members"] == 125
    assert data[1]["rows"][0]["week"] == "2027-01-04"


@pytest.mark.parametrize("fmt", ["xlsx", "csv", "json", "XLSX"])
def test_write_report_dispatches(tmp_path, fmt):
    path = write_report([participation()], tmp_path / f"r.{fmt.lower()}", fmt)
    assert path.stat().st_size > 0
    if fmt.lower() == "xlsx":
        assert load_workbook(path).sheetnames == ["各协会参训情况"]


def test_write_report_refuses_bad_requests(tmp_path):
    with pytest.raises(YiyuanError, match="不支持的导出格式「pdf」"):
        write_report([participation()], tmp_path / "r.pdf", "pdf")
    with pytest.raises(YiyuanError, match="CSV 文件只能容纳一张表"):
        write_report([participation(), trend()], tmp_path / "r.csv", "csv")
    with pytest.raises(YiyuanError, match="没有可导出的报表"):
        write_report([], tmp_path / "r.xlsx", "xlsx")
    with pytest.raises(YiyuanError, match="无法写入文件"):
        write_report([participation()], tmp_path / "missing" / "r.xlsx", "xlsx")

"""Reading roster files as administrators get them: the same roster as UTF-8, UTF-8 with BOM,
GBK and .xlsx reads to the same rows; broken or wrong files fail with a sentence saying what to do.
Every file here is written by the test with openpyxl or the csv module."""

import csv
import datetime as dt
import io
import re
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from yiyuan.members.normalise import (
    normalise_mobile,
    normalise_name,
    normalise_text,
    parse_association_item,
    split_associations,
)
from yiyuan.members.roster import RosterUnreadable, header_field, read_roster

TITLE = ["深圳市文学艺术界联合会会员名册（2024 年）"]
HEADER = ["序号", "*姓名", "手机号码（必填）", "所属协会", "会员身份", "性别", "电子邮箱", "备注"]
MEMBERS = [
    [
        "1",
        "王　芳",
        "１３８ １２３４ ５６７８",
        "书协（理事）、美协",
        "",
        "女",
        "WangFang@QQ.com",
        "",
    ],
    ["2", "买买提•艾力", "+86 139-1234-5678", "摄协，作协(常务理事)", "会员", "男", "", ""],
    [],
    ["3", "李 明", "13712345678", "书协;美协；摄协", "", "男", "", ""],
    ["4", "张伟", "0086 136 1234 5678", "音协/舞协｜剧协（主席团成员）", "", "", "", ""],
    ["5", "赵丽", "13512345678", "曲协|杂协\n民协", "", "女", "", "多行单元格"],
    ["6", "陈静", "134-1234-5678", "评协 书协 （理事）", "", "", "", ""],
    # Mistakes are the importer's business: reading returns the row as it is.
    ["7", "刘洋", "1381234567", "书法协会", "副秘书长", "未知", "liu@", ""],
]
# title, an empty row, the header, then members: the first member is on row 4 in Excel
FIRST_NUMBER = 4
NUMBERS = [4, 5, 7, 8, 9, 10, 11]


def write_csv(path: Path, rows, encoding="utf-8", delimiter=",") -> Path:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, delimiter=delimiter).writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def write_xlsx(path: Path, rows, sheets=()) -> Path:
    """``rows`` on a sheet named 名册, after the ``(title, rows)`` sheets given first."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, other in [*sheets, ("名册", rows)]:
        sheet = workbook.create_sheet(title)
        for row in other:
            sheet.append(row or [None])
    workbook.save(path)
    return path


ROSTER_ROWS = [TITLE, [], HEADER, *MEMBERS]


@pytest.fixture(params=["utf-8", "utf-8-sig", "gb18030", "xlsx"])
def roster_file(request, tmp_path):
    if request.param == "xlsx":
        return write_xlsx(tmp_path / "名册.xlsx", ROSTER_ROWS)
    return write_csv(tmp_path / "名册.csv", ROSTER_ROWS, encoding=request.param)


def as_text(roster):
    return [
        (row.number, {k: normalise_text(v) for k, v in row.values.items()}) for row in roster.rows
    ]


def test_every_format_reads_to_the_same_rows(roster_file, tmp_path):
    roster = read_roster(roster_file)
    reference = read_roster(write_xlsx(tmp_path / "reference.xlsx", ROSTER_ROWS))
    assert as_text(roster) == as_text(reference)
    assert [row.number for row in roster.rows] == NUMBERS
    assert roster.headers == [
        "序号",
        "*姓名",
        "手机号码(必填)",
        "所属协会",
        "会员身份",
        "性别",
        "电子邮箱",
        "备注",
    ]
    assert roster.columns == {
        "name": 1,
        "mobile": 2,
        "associations": 3,
        "standing": 4,
        "gender": 5,
        "email": 6,
    }
    assert roster.ignored_headers == ["序号", "备注"]
    if roster_file.suffix == ".xlsx":
        assert (roster.encoding, roster.sheet) == (None, "名册")


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_encoding_is_detected(tmp_path, encoding):
    path = write_csv(tmp_path / "名册.csv", ROSTER_ROWS, encoding=encoding)
    assert read_roster(path).encoding == encoding


def test_rows_normalise_to_what_was_meant(roster_file):
    rows = read_roster(roster_file).rows
    first, second, *_ = rows
    assert first.number == FIRST_NUMBER
    assert normalise_name(first.values["name"]) == "王芳"
    assert normalise_mobile(first.values["mobile"]) == "13812345678"
    assert normalise_name(second.values["name"]) == "买买提·艾力"
    assert [normalise_mobile(row.values["mobile"]) for row in rows[:6]] == [
        "13812345678",
        "13912345678",
        "13712345678",
        "13612345678",
        "13512345678",
        "13412345678",
    ]
    associations = [
        [parse_association_item(item) for item in split_associations(row.values["associations"])]
        for row in rows
    ]
    assert associations == [
        [("书协", "理事"), ("美协", None)],
        [("摄协", None), ("作协", "常务理事")],
        [("书协", None), ("美协", None), ("摄协", None)],
        [("音协", None), ("舞协", None), ("剧协", "主席团成员")],
        [("曲协", None), ("杂协", None), ("民协", None)],
        [("评协", None), ("书协", "理事")],
        [("书法协会", None)],
    ]


def test_cells_keep_the_whole_row_at_header_width(roster_file):
    roster = read_roster(roster_file)
    for row in roster.rows:
        assert len(row.cells) == len(HEADER)
        assert set(row.values) == set(roster.columns)
    assert normalise_text(roster.rows[4].cells[7]) == "多行单元格"


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_other_delimiters(tmp_path, delimiter):
    path = write_csv(tmp_path / "名册.csv", ROSTER_ROWS, delimiter=delimiter)
    assert [row.number for row in read_roster(path).rows] == NUMBERS


def test_tab_separated_gbk_text_named_xls_is_read_by_content(tmp_path):
    # What many government systems call an "Excel export". GBK has no "•", so they write "·".
    rows = [[cell.replace("•", "·") for cell in row] for row in ROSTER_ROWS]
    path = write_csv(tmp_path / "导出.xls", rows, encoding="gbk", delimiter="\t")
    roster = read_roster(path)
    assert roster.encoding == "gb18030"
    assert [row.number for row in roster.rows] == NUMBERS


def test_excel_values_are_returned_as_excel_gives_them(tmp_path):
    rows = [
        ["姓名", "手机", "协会", "入会日期"],
        ["王芳", 13812345678, "书协", dt.datetime(2020, 5, 1)],
        ["李明", 13912345678.0, "美协", None],
    ]
    roster = read_roster(write_xlsx(tmp_path / "numbers.xlsx", rows))
    first, second = roster.rows
    assert first.number == 2
    assert first.values == {"name": "王芳", "mobile": 13812345678, "associations": "书协"}
    assert first.cells[3] == dt.datetime(2020, 5, 1)
    assert normalise_mobile(second.values["mobile"]) == "13912345678"
    assert roster.ignored_headers == ["入会日期"]


def test_first_sheet_with_a_header_is_used(tmp_path):
    notes = [["填表说明"], ["多个协会请用顿号分隔"]]
    path = write_xlsx(
        tmp_path / "名册.xlsx",
        [["姓名", "手机号", "所属协会"], ["王芳", "13812345678", "书协"]],
        sheets=[("说明", notes)],
    )
    roster = read_roster(path)
    assert roster.sheet == "名册"
    assert roster.rows[0].values["name"] == "王芳"


def test_wrong_dimension_written_by_another_tool_does_not_cut_rows(tmp_path):
    rows = [["姓名", "手机号", "所属协会"]] + [
        [f"会员{chr(0x4E00 + i)}", str(13800000000 + i), "书协"] for i in range(30)
    ]
    path = write_xlsx(tmp_path / "good.xlsx", rows)
    broken = tmp_path / "dimension.xlsx"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(broken, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename.startswith("xl/worksheets/sheet"):
                data, count = re.subn(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:A2"', data)
                assert count == 1
            target.writestr(item, data)
    roster = read_roster(broken)
    assert len(roster.rows) == 30
    assert roster.rows[-1].number == 31
    assert normalise_text(roster.rows[-1].values["mobile"]) == "13800000029"


def test_rows_below_gaps_keep_their_excel_numbers(tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    sheet["B3"], sheet["C3"], sheet["D3"] = "姓名", "手机号", "协会"
    sheet["B4"], sheet["C4"], sheet["D4"] = "王芳", "13812345678", "书协"
    sheet["B20"], sheet["C20"], sheet["D20"] = "李明", "13912345678", "美协"
    workbook.save(tmp_path / "gaps.xlsx")
    roster = read_roster(tmp_path / "gaps.xlsx")
    assert [row.number for row in roster.rows] == [4, 20]
    assert roster.columns == {"name": 1, "mobile": 2, "associations": 3}


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("姓名", "name"),
        ("*姓名", "name"),
        ("姓名*", "name"),
        ("＊姓名（必填）", "name"),
        (" 会员 姓名 ", "name"),
        ("手机号(必填)", "mobile"),
        ("联系电话", "mobile"),
        ("移动电话", "mobile"),
        ("所属协会（多个用顿号分隔）", "associations"),
        ("会员身份 / 职务", "standing"),
        ("会员类别", "standing"),
        ("工作单位及职务", "work_unit"),
        ("E-mail", "email"),
        ("EMAIL", "email"),
        ("电子邮件", "email"),
        ("性别", "gender"),
        ("序号", None),
        ("备注", None),
        (None, None),
        ("", None),
    ],
)
def test_header_variants(header, field):
    assert header_field(header) == field


# --- files that cannot be used --------------------------------------------------------------


def unreadable(path: Path) -> str:
    with pytest.raises(RosterUnreadable) as raised:
        read_roster(path)
    return str(raised.value)


def good_xlsx_bytes(tmp_path) -> bytes:
    return write_xlsx(tmp_path / "source.xlsx", ROSTER_ROWS).read_bytes()


def test_corrupt_xlsx(tmp_path):
    data = good_xlsx_bytes(tmp_path)
    path = tmp_path / "损坏.xlsx"
    path.write_bytes(data[: len(data) // 2])
    assert unreadable(path) == (
        "文件 损坏.xlsx 不是有效的 Excel 文件（可能已损坏）：请用 Excel 打开后另存为 .xlsx 再导入。"
    )


def test_a_zip_that_is_not_a_workbook(tmp_path):
    path = tmp_path / "压缩包.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "不是表格")
    assert "不是有效的 Excel 文件（可能已损坏）" in unreadable(path)


def test_corrupt_sheet_inside_a_valid_zip(tmp_path):
    source = write_xlsx(tmp_path / "source.xlsx", ROSTER_ROWS)
    path = tmp_path / "坏表.xlsx"
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(path, "w") as target:
        for item in original.infolist():
            data = original.read(item)
            if item.filename.startswith("xl/worksheets/sheet"):
                data = data[: len(data) // 2]
            target.writestr(item, data)
    assert "不是有效的 Excel 文件（可能已损坏）" in unreadable(path)


def test_old_binary_xls(tmp_path):
    path = tmp_path / "名册.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
    assert (
        unreadable(path)
        == "文件 名册.xls 是旧版 Excel 格式（.xls）：请用 Excel 打开后另存为 .xlsx 再导入。"
    )


def test_password_protected_xlsx(tmp_path):
    # Excel wraps an encrypted .xlsx in the same container format as an old .xls.
    path = tmp_path / "加密.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
    assert "设置了打开密码" in unreadable(path)


def test_web_page_named_xls(tmp_path):
    path = tmp_path / "导出.xls"
    path.write_text("<html><body><table><tr><td>姓名</td></tr></table></body></html>", "utf-8")
    assert "实际上是网页或 XML 格式" in unreadable(path)


def test_png_renamed_xlsx(tmp_path):
    path = tmp_path / "截图.xlsx"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    assert (
        unreadable(path)
        == "文件 截图.xlsx 实际上是图片（PNG），不是名册表格：请导入 .xlsx 或 .csv 文件。"
    )


def test_binary_junk_named_csv(tmp_path):
    path = tmp_path / "乱码.csv"
    path.write_bytes(bytes(range(256)) * 4)
    assert "不是可以读取的文本 CSV 文件" in unreadable(path)


@pytest.mark.parametrize("name", ["空.csv", "空.xlsx"])
def test_empty_file(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(b"")
    assert unreadable(path) == f"文件 {name} 是空的（0 字节）：请检查是否选错了文件。"


def test_file_with_nothing_in_it(tmp_path):
    csv_path = write_csv(tmp_path / "空白.csv", [[], ["", "", ""], []])
    assert "中没有任何内容" in unreadable(csv_path)
    xlsx_path = tmp_path / "空白.xlsx"
    Workbook().save(xlsx_path)
    assert "中没有任何内容" in unreadable(xlsx_path)


def test_unsupported_type(tmp_path):
    path = tmp_path / "名册.docx"
    path.write_bytes(good_xlsx_bytes(tmp_path))
    assert unreadable(path).startswith("只支持 .xlsx 和 .csv 文件")


def test_missing_file(tmp_path):
    assert unreadable(tmp_path / "不存在.csv").startswith("找不到文件")


NO_HEADER = "找不到表头：前 10 行中没有同时包含“姓名”“手机号”“所属协会”的行。"


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_no_recognisable_header(tmp_path, suffix):
    rows = [["会员名单"], ["王芳", "13812345678", "书协"], ["李明", "13912345678", "美协"]]
    write = write_csv if suffix == ".csv" else write_xlsx
    assert unreadable(write(tmp_path / f"名单{suffix}", rows)).startswith(NO_HEADER)


def test_header_below_row_ten_is_not_found(tmp_path):
    rows = [[f"说明第 {i} 行"] for i in range(1, 11)] + [
        ["姓名", "手机号", "所属协会"],
        ["王芳", "13812345678", "书协"],
    ]
    assert unreadable(write_csv(tmp_path / "名册.csv", rows)).startswith(NO_HEADER)


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_missing_required_column(tmp_path, suffix):
    rows = [TITLE, ["姓名", "性别", "所属协会"], ["王芳", "女", "书协"]]
    write = write_csv if suffix == ".csv" else write_xlsx
    message = unreadable(write(tmp_path / f"名册{suffix}", rows))
    assert message.startswith("缺少必填列“手机号”：表头（第 2 行）")
    assert "手机号码" in message  # the accepted names are listed


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_duplicated_column(tmp_path, suffix):
    rows = [
        ["姓名", "手机号", "所属协会", "联系电话"],
        ["王芳", "13812345678", "书协", "0755-1234"],
    ]
    write = write_csv if suffix == ".csv" else write_xlsx
    message = unreadable(write(tmp_path / f"名册{suffix}", rows))
    assert message == (
        "表头（第 1 行）中“手机号”和“联系电话”都是“手机号”列：请删除或改名多余的一列后再导入。"
    )


def test_header_without_members(tmp_path):
    path = write_csv(tmp_path / "模板.csv", [TITLE, HEADER, [], []])
    assert (
        unreadable(path)
        == "文件 模板.csv 只有表头，没有会员数据：请在表头下面逐行填写会员后再导入。"
    )


def test_unpaired_quote_that_swallows_the_following_rows(tmp_path):
    path = tmp_path / "引号.csv"
    lines = [
        "姓名,手机号,所属协会",
        '王芳,"13812345678,书协',
        "李明,13912345678,美协",
        "张伟,13712345678,摄协",
    ]
    path.write_text("\r\n".join(lines), encoding="utf-8")
    assert unreadable(path).startswith("文件 引号.csv 第 2 行有一个引号没有配对")

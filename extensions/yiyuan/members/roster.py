"""Reading a roster file (会员名册) into rows of raw cell values, one pass, no database.

Files come from Excel or from other systems' exports: the type is decided by content (an
``.xlsx`` is a zip; an old ``.xls`` or a web page saved as ``.xls`` is refused with advice), CSV
may be UTF-8 or GBK, title rows may sit above the header, and header names vary (:data:`FIELDS`).
Cell values are returned as read; the importer normalises them with :mod:`.normalise`.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import chain, islice
from pathlib import Path

import openpyxl

from yiyuan.errors import YiyuanError

from .normalise import normalise_text

#: logical column → header names people use for it (the first is the one we name in messages)
FIELDS: dict[str, tuple[str, ...]] = {
    "name": ("姓名", "名字", "会员姓名"),
    "mobile": ("手机号", "手机", "手机号码", "移动电话", "联系电话", "电话", "联系方式"),
    "associations": ("所属协会", "协会", "所在协会", "加入协会", "会员协会"),
    "standing": ("会员身份", "职务", "身份", "协会职务", "会员身份/职务", "会员类别"),
    "gender": ("性别",),
    "work_unit": ("工作单位", "单位", "所在单位", "工作单位及职务"),
    "email": ("邮箱", "电子邮箱", "电子邮件", "email", "e-mail", "邮件"),
}
REQUIRED_FIELDS = ("name", "mobile", "associations")
#: the header must be within this many rows from the top (title rows may come first)
HEADER_SEARCH_ROWS = 10

_EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls"}
_TEXT_SUFFIXES = {".csv", ".txt", ".tsv"}
_DELIMITERS = (",", "\t", ";")
_NOTHING = re.compile(r"[\s,;\"]*")
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_NOT_A_TABLE = {
    b"\x89PNG": "图片（PNG）",
    b"\xff\xd8\xff": "图片（JPEG）",
    b"GIF8": "图片（GIF）",
    b"%PDF": "PDF 文档",
    b"Rar!": "RAR 压缩包",
    b"7z\xbc\xaf": "7z 压缩包",
}
SAVE_AS_XLSX = "请用 Excel 打开后另存为 .xlsx 再导入。"


def _not_excel(name: str) -> str:
    return f"文件 {name} 不是有效的 Excel 文件（可能已损坏）：{SAVE_AS_XLSX}"


class RosterUnreadable(YiyuanError):
    """The whole file cannot be used; the message says why and what to do."""


@dataclass
class RosterRow:
    #: the row number the person sees in Excel (1-based, counting title and header rows)
    number: int
    #: field → the raw cell value, for every field in :attr:`Roster.columns`
    values: dict[str, object]
    #: the whole row as read, padded with None to the width of the header
    cells: list[object]


@dataclass
class Roster:
    path: Path
    #: the header row, each cell as :func:`normalise_text` gives it
    headers: list[str]
    #: field → 0-based column index
    columns: dict[str, int]
    rows: list[RosterRow]
    #: for CSV: "utf-8", "utf-8-sig", "utf-16" or "gb18030"; None for Excel
    encoding: str | None = None
    #: non-empty headers that match no field (their columns are not imported)
    ignored_headers: list[str] = field(default_factory=list)
    #: for Excel: the worksheet the rows come from
    sheet: str | None = None


def field_label(name: str) -> str:
    """How messages name a field: "mobile" → "手机号"."""
    return FIELDS[name][0]


# "*手机号（必填）" → "手机号"; NFKC has already made the brackets half-width.
_HEADER_MARKS = re.compile(r"^\*+|\*+$|\((?:必填|选填)\)$")
_TRAILING_NOTE = re.compile(r"\([^()]*\)$")


def _header_key(cell: object) -> str:
    key = normalise_text(cell).lower().replace(" ", "")
    while (shorter := _HEADER_MARKS.sub("", key)) != key:
        key = shorter
    return key


_HEADER_FIELDS = {_header_key(variant): name for name, vs in FIELDS.items() for variant in vs}


def header_field(cell: object) -> str | None:
    """The field a header cell names, or None; a trailing note such as "(多个用顿号分隔)"
    is ignored when the name alone is known."""
    key = _header_key(cell)
    found = _HEADER_FIELDS.get(key)
    if found is None and (bare := _TRAILING_NOTE.sub("", key)) != key:
        found = _HEADER_FIELDS.get(bare)
    return found


@dataclass
class _Header:
    index: int  # 0-based position among the rows searched
    row: Sequence[object]
    columns: dict[str, list[int]]
    where: str  # for messages: "工作表“Sheet1”第 2 行" or "第 2 行"


def _recognise(row: Sequence[object]) -> dict[str, list[int]]:
    columns: dict[str, list[int]] = {}
    for index, cell in enumerate(row):
        if (name := header_field(cell)) is not None:
            columns.setdefault(name, []).append(index)
    return columns


def _find_header(head: list[Sequence[object]], sheet: str | None) -> tuple[bool, _Header | None]:
    """(found, header): the first row naming every required field, else the row naming most
    fields (two or more), for the message about missing columns."""
    best = None
    for index, row in enumerate(head):
        columns = _recognise(row)
        where = f"工作表“{sheet}”第 {index + 1} 行" if sheet else f"第 {index + 1} 行"
        candidate = _Header(index, row, columns, where)
        if all(name in columns for name in REQUIRED_FIELDS):
            return True, candidate
        if len(columns) >= 2 and (best is None or len(columns) > len(best.columns)):
            best = candidate
    return False, best


def _no_header(best: _Header | None) -> RosterUnreadable:
    if best is None:
        wanted = "".join(f"“{field_label(name)}”" for name in REQUIRED_FIELDS)
        return RosterUnreadable(
            f"找不到表头：前 {HEADER_SEARCH_ROWS} 行中没有同时包含{wanted}的行。"
            f"请确认表头在前 {HEADER_SEARCH_ROWS} 行之内，且列名与模板一致。"
        )
    missing = [name for name in REQUIRED_FIELDS if name not in best.columns]
    labels = "".join(f"“{field_label(name)}”" for name in missing)
    accepted = "；".join(f"{field_label(name)}：{'、'.join(FIELDS[name])}" for name in missing)
    these = "这些" if len(missing) > 1 else "这一"
    return RosterUnreadable(
        f"缺少必填列{labels}：表头（{best.where}）中没有{these}列，"
        f"请加上后再导入（可用的列名 {accepted}）。"
    )


def _is_blank(row: Sequence[object]) -> bool:
    # Short-circuits on the first filled cell, so this costs about one call per row.
    return all(cell is None or not normalise_text(cell) for cell in row)


def _build(
    path: Path,
    header: _Header,
    data: Iterable[tuple[int, Sequence[object]]],
    encoding: str | None = None,
    sheet: str | None = None,
) -> Roster:
    headers = [normalise_text(cell) for cell in header.row]
    for name, indexes in header.columns.items():
        if len(indexes) > 1:
            both = "和".join(f"“{headers[index]}”" for index in indexes)
            raise RosterUnreadable(
                f"表头（{header.where}）中{both}都是“{field_label(name)}”列："
                "请删除或改名多余的一列后再导入。"
            )
    columns = {name: indexes[0] for name, indexes in header.columns.items()}
    used = set(columns.values())
    ignored = [text for index, text in enumerate(headers) if text and index not in used]
    width = len(headers)
    picks = list(columns.items())
    rows = []
    for number, row in data:
        if _is_blank(row):
            continue
        cells = list(row)
        if len(cells) < width:
            cells.extend([None] * (width - len(cells)))
        while len(cells) > width and (cells[-1] is None or cells[-1] == ""):
            cells.pop()
        rows.append(RosterRow(number, {name: cells[index] for name, index in picks}, cells))
    if not rows:
        raise RosterUnreadable(
            f"文件 {path.name} 只有表头，没有会员数据：请在表头下面逐行填写会员后再导入。"
        )
    return Roster(path, headers, columns, rows, encoding, ignored, sheet)


def _read_xlsx(path: Path) -> Roster:
    unreadable = _not_excel(path.name)

    def guarded(rows: Iterator[Sequence[object]]) -> Iterator[Sequence[object]]:
        # Whatever openpyxl raises while parsing means the same thing to the person importing.
        try:
            yield from rows
        except Exception as error:
            raise RosterUnreadable(unreadable) from error

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True, keep_links=False)
    except Exception as error:
        raise RosterUnreadable(unreadable) from error
    try:
        best, anything = None, False
        several = len(workbook.worksheets) > 1
        for sheet in workbook.worksheets:
            # A wrong <dimension> written by another tool would otherwise cut rows or columns.
            sheet.reset_dimensions()
            rows = guarded(sheet.iter_rows(values_only=True))
            head = list(islice(rows, HEADER_SEARCH_ROWS))
            found, header = _find_header(head, sheet.title if several else None)
            if found:
                after = header.index + 1
                data = enumerate(head[after:], after + 1)
                rest = enumerate(rows, len(head) + 1)
                return _build(path, header, chain(data, rest), sheet=sheet.title)
            if header and (best is None or len(header.columns) > len(best.columns)):
                best = header
            # Only on the way to an error: tell an empty workbook from a header beyond row 10.
            anything = anything or not all(map(_is_blank, chain(head, rows)))
        if not anything:
            raise RosterUnreadable(f"文件 {path.name} 中没有任何内容：请检查是否选错了文件。")
        raise _no_header(best)
    finally:
        workbook.close()


def _decode(data: bytes) -> tuple[str, str] | None:
    """(text, encoding), or None when the bytes are not text in an encoding we know."""
    if data.startswith(b"\xef\xbb\xbf"):
        candidates = ["utf-8-sig"]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates = ["utf-16"]  # Excel's "Unicode 文本" export
    else:
        # GBK exports are rarely valid UTF-8, so strict UTF-8 first is a reliable test.
        candidates = ["utf-8", "gb18030"]
    for encoding in candidates:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        sample = text[:4096]
        controls = sum(1 for ch in sample if ch < " " and ch not in "\t\r\n")
        if "\x00" in sample or controls * 100 > len(sample):
            return None
        return text, encoding
    return None


def _unswallowed(
    path: Path, rows: Iterable[tuple[int, list[str]]], delimiter: str
) -> Iterator[tuple[int, list[str]]]:
    """The rows, unless an opening quote without its closing quote has merged the following
    lines into one cell: the csv module accepts that silently and the rows would be lost."""
    for number, row in rows:
        for cell in row:
            if "\n" in cell and any(line.count(delimiter) >= 2 for line in cell.splitlines()[1:]):
                raise RosterUnreadable(
                    f"文件 {path.name} 第 {number} 行有一个引号没有配对，后面的行都被并进了"
                    f"这一行：请在该行中删除多余的引号（或用 Excel 另存为 .xlsx）后再导入。"
                )
        yield number, row


def _read_csv(path: Path, text: str, encoding: str) -> Roster:
    if _NOTHING.fullmatch(text):
        raise RosterUnreadable(f"文件 {path.name} 中没有任何内容：请检查是否选错了文件。")
    best = None
    # Trying each delimiter on the first rows and keeping the one that yields the header is
    # more reliable than csv.Sniffer, which guesses wrongly on Chinese text.
    for delimiter in _DELIMITERS:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        try:
            head = list(islice(reader, HEADER_SEARCH_ROWS))
            found, header = _find_header(head, None)
            if found:
                after = header.index + 1
                data = enumerate(head[after:], after + 1)
                rest = enumerate(reader, len(head) + 1)
                checked = _unswallowed(path, chain(data, rest), delimiter)
                return _build(path, header, checked, encoding=encoding)
        except csv.Error as error:
            raise RosterUnreadable(
                # In practice an unpaired quote that swallows the rest of the file.
                f"文件 {path.name} 第 {reader.line_num} 行的 CSV 格式有误（可能是引号不成对）："
                + SAVE_AS_XLSX
            ) from error
        if header and (best is None or len(header.columns) > len(best.columns)):
            best = header
    raise _no_header(best)


def read_roster(path: Path) -> Roster:
    """Read an .xlsx or .csv roster; raises :class:`RosterUnreadable` with advice."""
    path = Path(path)
    name, suffix = path.name, path.suffix.lower()
    if suffix not in _EXCEL_SUFFIXES | _TEXT_SUFFIXES:
        kind = f"“{suffix}”" if suffix else "没有扩展名的"
        raise RosterUnreadable(f"只支持 .xlsx 和 .csv 文件，{name} 是{kind}文件：{SAVE_AS_XLSX}")
    try:
        with path.open("rb") as file:
            start = file.read(4)
            zipped = start.startswith((b"PK\x03\x04", b"PK\x05\x06"))
            data = b"" if zipped else start + file.read()
    except FileNotFoundError:
        raise RosterUnreadable(f"找不到文件 {path}：请检查路径。") from None
    except OSError as error:
        reason = f"无法读取文件 {path}（{error.strerror}）：请检查文件权限。"
        raise RosterUnreadable(reason) from None
    if zipped:
        return _read_xlsx(path)
    if not data:
        raise RosterUnreadable(f"文件 {name} 是空的（0 字节）：请检查是否选错了文件。")
    if data.startswith(_OLE2):
        if suffix == ".xls":
            raise RosterUnreadable(f"文件 {name} 是旧版 Excel 格式（.xls）：{SAVE_AS_XLSX}")
        raise RosterUnreadable(
            f"文件 {name} 设置了打开密码或是旧版 Excel 格式（.xls）："
            "请在 Excel 中取消密码并另存为 .xlsx 再导入。"
        )
    for signature, kind in _NOT_A_TABLE.items():
        if data.startswith(signature):
            raise RosterUnreadable(
                f"文件 {name} 实际上是{kind}，不是名册表格：请导入 .xlsx 或 .csv 文件。"
            )
    # Many systems export a web page or SpreadsheetML and name it .xls.
    if data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"<":
        raise RosterUnreadable(
            f"文件 {name} 实际上是网页或 XML 格式（常见于其他系统导出的 .xls）：{SAVE_AS_XLSX}"
        )
    decoded = _decode(data)
    if decoded is None:
        if suffix in _EXCEL_SUFFIXES:
            raise RosterUnreadable(_not_excel(name))
        raise RosterUnreadable(
            f"文件 {name} 不是可以读取的文本 CSV 文件（编码无法识别或含有二进制内容）："
            "请在 Excel 中另存为“CSV UTF-8（逗号分隔）”或 .xlsx 后再导入。"
        )
    # Text named .xls/.xlsx is a common export too (tab-separated): read it as CSV.
    return _read_csv(path, *decoded)

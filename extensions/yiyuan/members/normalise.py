"""Pure normalisers for what people type into a roster (会员名册).

Each function takes a raw cell value (``str``, or ``int``/``float``/``datetime`` from Excel, or
``None``) and returns the canonical form, or raises ``ValueError`` whose message is one Chinese
sentence the importer can show next to the row number.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

#: standing code → how the UI says it (GLOSSARY.md: 会员身份)
STANDING_LABELS: dict[str, str] = {
    "member": "会员",
    "council": "理事",
    "standing-council": "常务理事",
    "presidium": "主席团成员",
}

# Exports from other systems leave these in cells; NFKC keeps them and they are invisible.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))
_WHITESPACE = re.compile(r"\s+")


def normalise_text(value: object) -> str:
    """The cell as one clean line: half-width, trimmed, single spaces; ``None`` → ``""``."""
    if value is None:
        return ""
    # Excel stores every number as a float; 13812345678 must not become "13812345678.0".
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    # Invisible characters go first: removing them later could let NFKC compose again.
    text = unicodedata.normalize("NFKC", str(value).translate(_INVISIBLE))
    return _WHITESPACE.sub(" ", text).strip()


# CJK ideographs, including the extension planes: rare characters do occur in names.
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_SPACE_IN_CJK = re.compile(f"(?<=[{_CJK}]) (?=[{_CJK}])")
# After NFKC (which already turns ． ﹒ into "." and ･ into ・).
_DOT = re.compile(r" ?[•・·‧∙⋅]+ ?")
# A plain "." is only a name dot between ideographs; in "John S. Smith" it is a full stop.
_PERIOD_IN_CJK = re.compile(f"(?<=[{_CJK}]) ?\\. ?(?=[{_CJK}])")
NAME_MAX_LENGTH = 50


def normalise_name(value: object) -> str:
    """A person's name: "王 芳" → "王芳", "买买提•艾力" → "买买提·艾力"."""
    text = normalise_text(value)
    text = _PERIOD_IN_CJK.sub("·", text)
    text = _DOT.sub("·", text).strip("· ")
    text = _SPACE_IN_CJK.sub("", text)
    if not text:
        raise ValueError("姓名为空：请填写会员姓名")
    if any(ch.isdigit() for ch in text):
        raise ValueError(f"姓名“{text}”中含有数字：请只填写姓名")
    if len(text) > NAME_MAX_LENGTH:
        raise ValueError(f"姓名“{text[:10]}…”超过 {NAME_MAX_LENGTH} 个字符：请检查是否填错了列")
    return text


_MOBILE = re.compile(r"1[3-9][0-9]{9}")
# Dashes of every width, dots, parentheses and spaces people put into numbers (after NFKC).
_MOBILE_DECORATION = re.compile(r"[\s\-\u2010-\u2015\u2212.()]")
_MOBILE_LIST = re.compile(r"[/,;、|]")
_SCIENTIFIC = re.compile(r"[0-9](?:\.[0-9]+)?[eE]\+?[0-9]+")
_MOBILE_RULE = "手机号应为 11 位数字，以 1 开头"


def _mobile_digits(text: str) -> str:
    digits = _MOBILE_DECORATION.sub("", text).removeprefix("+")
    if len(digits) == 15 and digits.startswith("0086"):
        return digits[4:]
    if len(digits) == 13 and digits.startswith("86"):
        return digits[2:]
    return digits


def normalise_mobile(value: object) -> str:
    """The 11-digit mainland mobile number, from "+86 138-1234-5678", 13812345678.0 and the like."""
    text = normalise_text(value)
    if not text:
        raise ValueError("手机号为空：每位会员都要填写手机号")
    if isinstance(value, float) and not value.is_integer():
        raise ValueError(f"{_MOBILE_RULE}（表格中是小数“{text}”）")
    digits = _mobile_digits(text)
    if _MOBILE.fullmatch(digits):
        return digits
    if _SCIENTIFIC.fullmatch(text):
        raise ValueError(
            f"手机号“{text}”被显示成了科学计数法，后几位已经丢失："
            "请在 Excel 中把该列设为“文本”后重新填写"
        )
    parts = [_mobile_digits(part) for part in _MOBILE_LIST.split(text)]
    chunks = [digits[i : i + 11] for i in range(0, len(digits), 11)] if len(digits) > 11 else []
    several = sum(1 for part in parts if _MOBILE.fullmatch(part)) > 1
    if several or (chunks and all(_MOBILE.fullmatch(chunk) for chunk in chunks)):
        raise ValueError(f"一格中填了多个手机号（“{text}”）：每位会员只能填一个手机号")
    if digits.startswith("0") and digits.isdigit() and 10 <= len(digits) <= 12:
        raise ValueError(f"“{text}”像是固定电话：{_MOBILE_RULE}")
    raise ValueError(f"{_MOBILE_RULE}（填写的是“{text}”）")


def mask_mobile(mobile: str) -> str:
    """For pages and reports: "13812345678" → "138****5678"."""
    if len(mobile) <= 7:
        return "*" * len(mobile)
    return mobile[:3] + "*" * (len(mobile) - 7) + mobile[-4:]


_GENDERS = {
    "男": "M",
    "男性": "M",
    "m": "M",
    "male": "M",
    "女": "F",
    "女性": "F",
    "f": "F",
    "female": "F",
}


def normalise_gender(value: object) -> str:
    """ "M", "F", or "" when the cell is empty."""
    text = normalise_text(value)
    if not text:
        return ""
    try:
        return _GENDERS[text.replace(" ", "").lower()]
    except KeyError:
        raise ValueError(f"性别“{text}”无法识别：请填写“男”或“女”（也可留空）") from None


_EMAIL_FORBIDDEN = set(" ,;:<>()[]\\\"'")


def normalise_email(value: object) -> str:
    """The address with its domain in lower case, or "" when the cell is empty."""
    # The ideographic full stop is what a Chinese keyboard types for "." (qq。com).
    text = normalise_text(value).replace("。", ".")
    if not text:
        return ""
    if text.count("@") != 1:
        if "@" not in text:
            raise ValueError(f"邮箱“{text}”中缺少 @：请填写完整的邮箱地址，如 name@qq.com")
        raise ValueError(f"邮箱“{text}”中有多个 @：每位会员只能填一个邮箱")
    local, domain = text.split("@")
    if _EMAIL_FORBIDDEN.intersection(text):
        raise ValueError(f"邮箱“{text}”中有空格或标点：每位会员只能填一个邮箱，且不能有空格")
    if not local:
        raise ValueError(f"邮箱“{text}”在 @ 前面缺少用户名")
    labels = domain.split(".")
    if (
        len(labels) < 2
        or not all(label and label.strip("-") == label for label in labels)
        or not all(ch.isalnum() or ch == "-" for ch in domain.replace(".", ""))
        or not (labels[-1].isalpha() and len(labels[-1]) >= 2)
    ):
        raise ValueError(f"邮箱“{text}”中 @ 后面的域名不正确，应类似 qq.com 或 163.com")
    return f"{local}@{domain.lower()}"


# NFKC already turned （） and ［］ into () and []; these have no compatibility form.
_BRACKETS = str.maketrans("【〔〖[]〗〕】", "(((())))")
_SPACES_AROUND_BRACKETS = re.compile(r"\s*\(\s*([^()]*?)\s*\)")
# An item is a run of non-separators; a closed bracket may hold anything, separators included.
_ASSOCIATION_ITEM = re.compile(r"(?:\([^()]*\)|[^\s、,;/|])+")


def split_associations(cell: object) -> list[str]:
    """ "书协（理事）、美协" → ["书协(理事)", "美协"]: in order, without empties or repeats."""
    text = normalise_text(cell).translate(_BRACKETS)
    text = _SPACES_AROUND_BRACKETS.sub(r"(\1)", text)
    return list(dict.fromkeys(_ASSOCIATION_ITEM.findall(text)))


_ITEM_WITH_STANDING = re.compile(r"([^()]+)\(([^()]*)\)")


def parse_association_item(item: str) -> tuple[str, str | None]:
    """ "书协（理事）" → ("书协", "理事"); "书协" → ("书协", None)."""
    text = normalise_text(item).translate(_BRACKETS)
    match = _ITEM_WITH_STANDING.fullmatch(text)
    if match:
        name, standing = match[1].strip(), match[2].strip() or None
    elif "(" in text or ")" in text:
        raise ValueError(f"“{text}”中的括号不完整：会员身份请写在括号里，如 书协（理事）")
    else:
        name, standing = text, None
    if not name:
        raise ValueError(f"“{text}”中缺少协会名称：请写成 书协（理事） 这样的形式")
    return name, standing


_STANDINGS = {
    **{code: code for code in STANDING_LABELS},
    **{label: code for code, label in STANDING_LABELS.items()},
    "": "member",
    "普通会员": "member",
    "一般会员": "member",
    "常务": "standing-council",
    "主席团": "presidium",
    "主席": "presidium",
    "副主席": "presidium",
    "名誉主席": "presidium",
    "执行主席": "presidium",
}


def parse_standing(text: object) -> str:
    """One of the codes of :data:`STANDING_LABELS`; empty means an ordinary member."""
    value = normalise_text(text)
    try:
        return _STANDINGS[value.replace(" ", "").lower()]
    except KeyError:
        accepted = "、".join(STANDING_LABELS.values())
        raise ValueError(f"会员身份“{value}”无法识别：请填写 {accepted} 之一") from None

"""What people type into rosters, normalised: text, names, mobiles, gender, e-mail,
associations with standings, and association names matched against the standard eleven."""

import datetime as dt
import re
from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yiyuan.associations import STANDARD_ASSOCIATIONS
from yiyuan.members.matching import AssociationMatcher
from yiyuan.members.normalise import (
    STANDING_LABELS,
    mask_mobile,
    normalise_email,
    normalise_gender,
    normalise_mobile,
    normalise_name,
    normalise_text,
    parse_association_item,
    parse_standing,
    split_associations,
)

SEPARATORS = "、，,;；/｜|\n "


def full_width(text: str) -> str:
    """The inverse of NFKC for ASCII: what a Chinese input method in full-width mode types."""
    return "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in text)


# --- normalise_text -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ""),
        (13812345678, "13812345678"),
        (13812345678.0, "13812345678"),
        (2.5, "2.5"),
        ("ＡＢＣ１２３", "ABC123"),
        ("\u3000王\u00a0\u00a0芳\t\n", "王 芳"),
        ("书协\r\n美协", "书协 美协"),
        ("\ufeff王\u200b芳", "王芳"),
        (dt.datetime(2024, 3, 1), "2024-03-01"),
        (dt.datetime(2024, 3, 1, 8, 30), "2024-03-01 08:30:00"),
        (dt.date(2024, 3, 1), "2024-03-01"),
    ],
)
def test_normalise_text(value, expected):
    assert normalise_text(value) == expected


@given(st.text())
def test_normalise_text_is_idempotent_and_tidy(text):
    once = normalise_text(text)
    assert normalise_text(once) == once
    assert once == once.strip() and "  " not in once
    assert not re.search(r"[\t\n\r\u3000\u00a0]", once)


@given(st.integers(min_value=0, max_value=10**15))
def test_excel_numbers_never_gain_a_decimal_point(number):
    assert normalise_text(float(number)) == normalise_text(number) == str(number)


# --- names ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("王芳", "王芳"),
        (" 王 芳 ", "王芳"),
        ("王\u3000芳", "王芳"),
        ("买买提•艾力", "买买提·艾力"),
        ("买买提・艾力", "买买提·艾力"),
        ("买买提.艾力", "买买提·艾力"),
        ("买买提．艾力", "买买提·艾力"),
        ("买买提‧艾力", "买买提·艾力"),
        ("买买提 · 艾力", "买买提·艾力"),
        ("阿依古丽·吐尔逊", "阿依古丽·吐尔逊"),
        ("John S. Smith", "John S. Smith"),
        ("Ｌｉ　Ｍｉｎｇ", "Li Ming"),
    ],
)
def test_normalise_name(value, expected):
    assert normalise_name(value) == expected


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (None, "姓名为空"),
        ("  ", "姓名为空"),
        ("王芳1", "含有数字"),
        ("王芳２", "含有数字"),
        ("王" * 51, "超过 50 个字符"),
    ],
)
def test_bad_names_say_why(value, reason):
    with pytest.raises(ValueError, match=reason):
        normalise_name(value)


# --- mobiles --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "13812345678",
        13812345678,
        13812345678.0,
        "１３８１２３４５６７８",
        "138 1234 5678",
        "138-1234-5678",
        "138.1234.5678",
        "(138)1234-5678",
        "+86 138 1234 5678",
        "+86-13812345678",
        "（+86）13812345678",
        "8613812345678",
        "008613812345678",
        "\u3000138１２３４5678\u00a0",
    ],
)
def test_normalise_mobile_accepts_what_people_type(value):
    assert normalise_mobile(value) == "13812345678"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("", "手机号为空"),
        (None, "手机号为空"),
        ("1381234567", "手机号应为 11 位数字，以 1 开头"),
        ("12812345678", "手机号应为 11 位数字，以 1 开头"),
        ("138123456789", "手机号应为 11 位数字，以 1 开头"),
        ("无", "手机号应为 11 位数字，以 1 开头"),
        (1381234567.8, "手机号应为 11 位数字，以 1 开头"),
        ("0755-88886666", "固定电话"),
        ("13812345678/13912345678", "多个手机号"),
        ("13812345678 13912345678", "多个手机号"),
        ("1.38123E+10", "科学计数法"),
    ],
)
def test_bad_mobiles_say_why(value, reason):
    with pytest.raises(ValueError, match=re.escape(reason)):
        normalise_mobile(value)


MOBILES = st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)


@st.composite
def decorated(draw, number):
    """``number`` as someone might have typed it: prefix, separators, full-width digits."""
    prefix = draw(st.sampled_from(["", "+86", "86", "0086", "+86 ", "(+86)", "+86-", "＋８６"]))
    cuts = sorted(draw(st.sets(st.integers(1, 10), max_size=3)))
    pieces = [number[a:b] for a, b in zip([0, *cuts], [*cuts, 11], strict=True)]
    separator = draw(st.sampled_from(["", " ", "-", "\u3000", ".", "－", " - "]))
    text = prefix + separator.join(pieces)
    if draw(st.booleans()):
        text = full_width(text)
    padding = draw(st.sampled_from(["", " ", "\u3000", "\t"]))
    return padding + text + padding


@given(st.data(), MOBILES)
def test_normalise_mobile_of_any_decorated_number_returns_the_number(data, number):
    assert normalise_mobile(data.draw(decorated(number))) == number


@given(MOBILES)
def test_normalise_mobile_is_idempotent_and_accepts_excel_numbers(number):
    assert normalise_mobile(normalise_mobile(number)) == number
    assert normalise_mobile(int(number)) == normalise_mobile(float(number)) == number


@given(MOBILES)
def test_mask_mobile_keeps_the_first_three_and_last_four_digits(number):
    masked = mask_mobile(number)
    assert len(masked) == 11
    assert masked[:3] == number[:3] and masked[-4:] == number[-4:]
    assert masked[3:7] == "****"


def test_mask_mobile_example_and_short_values():
    assert mask_mobile("13812345678") == "138****5678"
    assert mask_mobile("1234") == "****"


# --- gender and e-mail ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("男", "M"),
        ("男性", "M"),
        ("M", "M"),
        ("m", "M"),
        ("Male", "M"),
        ("ＭＡＬＥ", "M"),
        ("女", "F"),
        (" 女性 ", "F"),
        ("f", "F"),
        ("FEMALE", "F"),
        ("", ""),
        (None, ""),
    ],
)
def test_normalise_gender(value, expected):
    assert normalise_gender(value) == expected


def test_unknown_gender_says_what_to_write():
    with pytest.raises(ValueError, match="请填写“男”或“女”"):
        normalise_gender("未知")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", ""),
        (None, ""),
        ("WangFang@QQ.COM", "WangFang@qq.com"),
        ("wangfang＠１６３．com", "wangfang@163.com"),
        (" wang.fang@example.com.cn ", "wang.fang@example.com.cn"),
        ("wangfang@qq。com", "wangfang@qq.com"),
    ],
)
def test_normalise_email(value, expected):
    assert normalise_email(value) == expected


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("wangfang.qq.com", "缺少 @"),
        ("a@qq.com,b@qq.com", "多个 @"),
        ("@qq.com", "缺少用户名"),
        ("wangfang@qq", "域名不正确"),
        ("wangfang@qq..com", "域名不正确"),
        ("wangfang@-qq.com", "域名不正确"),
        ("wang fang@qq.com", "空格"),
    ],
)
def test_bad_emails_say_why(value, reason):
    with pytest.raises(ValueError, match=reason):
        normalise_email(value)


# --- associations and standings ------------------------------------------------------------


@pytest.mark.parametrize("separator", [*SEPARATORS, "\r\n", " 、 ", "，\n"])
def test_split_associations_on_every_separator(separator):
    cell = separator.join(["书协（理事）", "美协", "摄协(常务理事)"])
    assert split_associations(cell) == ["书协(理事)", "美协", "摄协(常务理事)"]


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        (None, []),
        ("", []),
        ("、、书协,, ;美协；", ["书协", "美协"]),
        ("书协、美协、书协", ["书协", "美协"]),
        ("书协 （ 理事 ）", ["书协(理事)"]),
        ("书协【理事】", ["书协(理事)"]),
        ("书协（理事、副秘书长）/美协", ["书协(理事、副秘书长)", "美协"]),
        ("深圳市书法家协会", ["深圳市书法家协会"]),
    ],
)
def test_split_associations(cell, expected):
    assert split_associations(cell) == expected


@given(st.text(alphabet="书协美作摄理事常务 " + SEPARATORS + "\u3000\t,"))
def test_split_associations_never_returns_empty_items_or_separators(cell):
    items = split_associations(cell)
    assert len(items) == len(set(items))
    for item in items:
        assert item and not any(separator in item for separator in SEPARATORS + "，；｜")


NAMES = st.text(alphabet="书协美作摄影音乐家", min_size=1, max_size=6)
STANDINGS = st.none() | st.text(alphabet="理事常务主席团成员、 ", min_size=1).filter(str.strip)


@given(
    st.lists(st.tuples(NAMES, STANDINGS), max_size=5),
    st.sampled_from(SEPARATORS),
    st.sampled_from([("（", "）"), ("(", ")"), ("【", "】")]),
)
def test_split_then_parse_returns_what_was_written(pairs, separator, brackets):
    cell = separator.join(
        name if standing is None else f"{name}{brackets[0]}{standing}{brackets[1]}"
        for name, standing in pairs
    )
    parsed = [parse_association_item(item) for item in split_associations(cell)]
    expected = [(name, standing and normalise_text(standing)) for name, standing in pairs]
    assert parsed == list(dict.fromkeys(expected))


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        ("书协（理事）", ("书协", "理事")),
        ("书协(理事)", ("书协", "理事")),
        ("书协 ( 常务理事 )", ("书协", "常务理事")),
        ("书协", ("书协", None)),
        ("书协（）", ("书协", None)),
        ("深圳市书法家协会【主席团成员】", ("深圳市书法家协会", "主席团成员")),
    ],
)
def test_parse_association_item(item, expected):
    assert parse_association_item(item) == expected


@pytest.mark.parametrize("item", ["书协（理事", "书协理事)", "（理事）"])
def test_parse_association_item_refuses_broken_brackets(item):
    with pytest.raises(ValueError, match="书协（理事）"):
        parse_association_item(item)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        (None, "member"),
        ("", "member"),
        ("会员", "member"),
        ("普通会员", "member"),
        ("一般会员", "member"),
        ("理事", "council"),
        ("常务理事", "standing-council"),
        ("常务", "standing-council"),
        ("主席团成员", "presidium"),
        ("主席团", "presidium"),
        ("主席", "presidium"),
        ("副主席", "presidium"),
        ("名誉主席", "presidium"),
        ("执行主席", "presidium"),
        (" 常务 理事 ", "standing-council"),
        ("council", "council"),
    ],
)
def test_parse_standing(text, code):
    assert parse_standing(text) == code
    assert code in STANDING_LABELS


def test_unknown_standing_lists_the_accepted_values():
    with pytest.raises(ValueError) as raised:
        parse_standing("副秘书长")
    message = str(raised.value)
    assert "副秘书长" in message
    assert "会员、理事、常务理事、主席团成员" in message


def test_standing_labels_are_the_glossary_words():
    assert STANDING_LABELS == {
        "member": "会员",
        "council": "理事",
        "standing-council": "常务理事",
        "presidium": "主席团成员",
    }


# --- association names ----------------------------------------------------------------------


@dataclass
class Association:
    code: str
    short_name: str
    full_name: str


ASSOCIATIONS = [
    Association(code, short, "深圳市" + full) for code, short, full in STANDARD_ASSOCIATIONS
]
BY_SHORT = {a.short_name: a for a in ASSOCIATIONS}


@pytest.fixture
def matcher():
    return AssociationMatcher(ASSOCIATIONS, "深圳市")


@pytest.mark.parametrize(
    "name",
    [
        "书协",
        "calligraphy",
        "深圳市书法家协会",
        "书法家协会",
        "市书协",
        "市书法家协会",
        "深圳市书协",
        "深圳书协",
        " 书 协 ",
        "Calligraphy",
        "深圳市书法家协会\u3000",
    ],
)
def test_match_accepts_what_people_write(matcher, name):
    assert matcher.match(name) is BY_SHORT["书协"]


@pytest.mark.parametrize("code, short, full", STANDARD_ASSOCIATIONS)
def test_match_every_standard_association_by_every_name(matcher, code, short, full):
    for name in (code, short, full, "深圳市" + full, "市" + short, "市" + full):
        assert matcher.match(name) is BY_SHORT[short]


@pytest.mark.parametrize("name", ["广州市书协", "广州市书法家协会", "", "书法协会", "协会"])
def test_match_refuses_other_cities_and_near_misses(matcher, name):
    assert matcher.match(name) is None


def test_matching_without_a_city():
    plain = [Association(code, short, full) for code, short, full in STANDARD_ASSOCIATIONS]
    matcher = AssociationMatcher(plain, "")
    assert matcher.match("书法家协会").short_name == "书协"
    assert matcher.match("市书协").short_name == "书协"
    assert matcher.match("深圳市书协") is None


def test_a_name_two_associations_share_matches_neither():
    twins = [Association("a", "书协", "深圳市书法家协会"), Association("b", "书画协", "书协")]
    assert AssociationMatcher(twins, "深圳市").match("书协") is None


@pytest.mark.parametrize(
    ("name", "short"),
    [
        ("书法协会", "书协"),
        ("美术协会", "美协"),
        ("摄影协会", "摄协"),
        ("作家协", "作协"),
        ("深圳市书法协会", "书协"),
        ("舞蹈协会", "舞协"),
        ("民间艺术家协会", "民协"),
        ("评论家协会", "评协"),
        ("caligraphy", "书协"),
    ],
)
def test_suggest_near_misses(matcher, name, short):
    assert matcher.suggest(name) is BY_SHORT[short]


@pytest.mark.parametrize("name", ["篮球协会", "文艺协会", "影协", "广州市书协", "xx", "书美协会"])
def test_suggest_nothing_for_nonsense_or_other_cities(matcher, name):
    assert matcher.suggest(name) is None


def test_describe_unknown(matcher):
    assert matcher.describe_unknown("书法协会") == "未知的协会“书法协会”，您是不是要填“书协”？"
    assert matcher.describe_unknown("篮球协会") == (
        "未知的协会“篮球协会”：请填写协会简称（如 作协、美协、书协）或全称。"
    )
    assert "只能填写深圳市的协会" in matcher.describe_unknown("广州市书协")


@given(st.text(max_size=8))
def test_matcher_never_fails_on_any_text(text):
    matcher = AssociationMatcher(ASSOCIATIONS, "深圳市")
    found = matcher.match(text)
    assert found is None or found in ASSOCIATIONS
    assert matcher.suggest(text) is None or matcher.suggest(text) in ASSOCIATIONS
    assert matcher.describe_unknown(text).startswith(("未知的协会“", "协会名称为空"))

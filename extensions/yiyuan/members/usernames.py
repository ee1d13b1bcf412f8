"""User names for imported members: the name's pinyin and the mobile number's last four digits.

``王芳`` with ``13812345678`` → ``wangfang5678``. The name depends on the person alone, not on
the order of rows in a roster, so importing the same people into a new database gives them
the same names. Two people with the same pinyin and the same last four digits get a letter
suffix (``wangfang5678b``). Members may also log in with the mobile number itself.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Container

MAX_BASE = 20


def username_base(name: str) -> str:
    letters = re.sub(r"[^a-z]", "", "".join(_pinyin(unicodedata.normalize("NFKC", name))).lower())
    return letters[:MAX_BASE] or "member"


def derive_username(name: str, mobile: str, taken: Container[str]) -> str:
    stem = username_base(name) + mobile[-4:]
    for suffix in ["", *string.ascii_lowercase[1:]]:
        if stem + suffix not in taken:
            return stem + suffix
    # 26 namesakes sharing four digits: fall back to the whole number, unique by itself
    return username_base(name)[:MAX_BASE] + mobile


def _pinyin(text: str) -> list[str]:
    # imported on first use: pypinyin's dictionaries take half a second to load
    from pypinyin import lazy_pinyin

    return lazy_pinyin(text)

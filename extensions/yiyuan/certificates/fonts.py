"""Which characters the certificates' font can draw.

Chinese is set in Noto Serif CJK (Debian's ``fonts-noto-cjk``, installed by the project's
setup). A name with a character the font lacks would print as an empty box: the document
refuses it with a sentence instead, and an administrator reissues with the name written in
characters the font has (a common variant).
"""

from __future__ import annotations

import functools
from pathlib import Path

from .errors import CertificateError

#: Debian's fonts-noto-cjk; the face every printed character must be in
FONT_FILE = Path("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc")
_FONT_INDEX = 2  # Noto Serif CJK SC in the collection (all its faces share one character set)


def missing_characters(text: str) -> list[str]:
    """Characters of ``text`` the certificate font cannot draw (in order, once each)."""
    drawable = _font_characters()
    missing: list[str] = []
    for character in text:
        if character.isspace() or ord(character) in drawable or character in missing:
            continue
        missing.append(character)
    return missing


def check_printable(**texts: str) -> None:
    """Refuse, in a sentence, any of ``texts`` (label → text) the font would print as boxes."""
    for what, text in texts.items():
        missing = missing_characters(text)
        if missing:
            shown = "、".join(f"“{c}”（U+{ord(c):04X}）" for c in missing)
            raise CertificateError(
                f"{what}“{text}”中的 {shown} 不在证书字体里，印出来会是空框：请管理员用"
                f"“重新颁发”填写可打印的写法（如常用异体字），或联系技术人员补充字体。"
            )


@functools.cache
def _font_characters() -> frozenset[int]:
    from fontTools.ttLib import TTFont

    if not FONT_FILE.is_file():
        raise CertificateError(
            f"找不到证书字体 {FONT_FILE}：请运行 make setup（会安装 fonts-noto-cjk）。"
        )
    font = TTFont(str(FONT_FILE), fontNumber=_FONT_INDEX, lazy=True)
    return frozenset(font.getBestCmap())

"""Text helpers shared by the widgets and the grading checks (no third-party imports)."""

from __future__ import annotations

import html
import unicodedata

# Characters with a meaning in Markdown (or MathJax) that learner text must not trigger.
_MARKDOWN_SPECIAL = set("\\`*_{}[]()#+-.!|~=^$:")


def escape(text: object) -> str:
    """Plain text made safe to put inside HTML."""
    return html.escape(str(text), quote=True)


def normalize(text: str) -> str:
    """How fill-in answers are compared: NFKC (full-width → half-width and the like), outer
    whitespace stripped, inner runs of whitespace collapsed to one space."""
    return " ".join(unicodedata.normalize("NFKC", text).split())


def count_chars(text: str) -> int:
    """The 字数 of a reflection: every character except whitespace."""
    return sum(1 for char in text if not char.isspace())


def shorten(text: str, width: int = 24) -> str:
    """One line of at most ``width`` characters, for lists of what is missing."""
    line = " ".join(str(text).split())
    return line if len(line) <= width else line[: width - 1] + "…"


def markdown_escape(text: str) -> str:
    """Learner text shown literally in a Markdown output: no HTML, no Markdown syntax."""
    out = []
    for char in text:
        if char in "&<>":
            out.append(html.escape(char))
        elif char in _MARKDOWN_SPECIAL:
            out.append("\\" + char)
        else:
            out.append(char)
    return "".join(out)

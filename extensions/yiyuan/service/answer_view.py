"""Answers written in a notebook, as a trainer grades them: each manually graded cell of the
learner's autograded notebook (nbgrader's "manually graded answer" and "task" cells) — Markdown
rendered, code highlighted, the cell's outputs — after the task text that comes before it in
the lesson, and whether it was handed in unchanged (nbgrader then scores it 0 on its own).

A learner's words reach the trainer's browser: Markdown's raw HTML is escaped and what mistune
makes is cleaned to a short list of tags (bleach); outputs are text, or PNG/JPEG images only.
"""

from __future__ import annotations

import base64
import binascii
import html
import re
from dataclasses import dataclass
from pathlib import Path

import bleach
import mistune
import nbformat
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer

from ..i18n import get_catalogue

words = get_catalogue()

#: what Markdown may become on the page
TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "del", "code", "pre",
    "blockquote", "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td", "img",
    "span", "div",
}  # fmt: skip
#: ``class="math"``: a formula kept whole by mistune's math plugin, drawn by KaTeX on the page
ATTRIBUTES = {
    "a": ["href", "title"], "img": ["src", "alt", "title"], "code": ["class"],
    "span": ["class"], "div": ["class"],
}  # fmt: skip
PROTOCOLS = {"http", "https", "mailto"}
IMAGE_TYPES = ("image/png", "image/jpeg")
#: terminal colours in tracebacks
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")

_markdown = mistune.create_markdown(escape=True, plugins=["table", "strikethrough", "math"])
_code = HtmlFormatter(cssclass="code", wrapcode=True)

#: the kinds of answer, in the trainer's words
KIND_LABELS = {
    "markdown": words.svc_answer_markdown,
    "code": words.svc_answer_code,
    "task": words.svc_answer_task,
}


@dataclass(frozen=True)
class Written:
    #: markdown / code / task (a key of KIND_LABELS)
    kind: str
    #: HTML: the lesson's text just before the answer (the task it answers)
    task: str
    #: HTML: what the learner wrote
    answer: str
    #: HTML: the cell's outputs, when it is code that ran
    outputs: str
    #: handed in as released: nothing written
    unchanged: bool

    @property
    def label(self) -> str:
        return KIND_LABELS[self.kind]


def code_style() -> str:
    """The CSS of highlighted code (``.code``), for the page's <style>."""
    return _code.get_style_defs(".code")


def markdown_html(text: str) -> str:
    return bleach.clean(
        _markdown(text), tags=TAGS, attributes=ATTRIBUTES, protocols=PROTOCOLS, strip=True
    )


def code_html(source: str) -> str:
    return highlight(source, PythonLexer(), _code)


def outputs_html(cell: dict) -> str:
    parts = []
    for output in cell.get("outputs", []):
        kind = output.get("output_type")
        if kind == "stream":
            parts.append(_pre(_text(output.get("text", ""))))
        elif kind == "error":
            parts.append(_pre(f"{output.get('ename', '')}: {output.get('evalue', '')}"))
        elif kind in ("execute_result", "display_data"):
            data = output.get("data", {})
            image = next((t for t in IMAGE_TYPES if t in data), None)
            if image and _is_base64(data[image]):
                payload = "".join(_text(data[image]).split())
                alt = html.escape(words.svc_output_image)
                parts.append(f'<img alt="{alt}" src="data:{image};base64,{payload}">')
            elif "text/plain" in data:
                parts.append(_pre(_text(data["text/plain"])))
    return "".join(parts)


def written_answers(notebook: Path, grade_ids: set[str]) -> dict[str, Written]:
    """grade_id → what the learner wrote in that cell of ``notebook`` (an autograded one);
    ids not found there are left out (the page then says nothing was handed in)."""
    from nbgrader.utils import compute_checksum

    try:
        cells = nbformat.read(notebook, as_version=4).cells
    except (OSError, ValueError):
        return {}
    found = {}
    for number, cell in enumerate(cells):
        meta = cell.get("metadata", {}).get("nbgrader", {})
        grade_id = meta.get("grade_id")
        if grade_id not in grade_ids:
            continue
        unchanged = "checksum" in meta and meta["checksum"] == compute_checksum(cell)
        if meta.get("task"):
            kind, task, answer = "task", markdown_html(cell.source), ""
        else:
            kind = "code" if cell.cell_type == "code" else "markdown"
            task = _task_before(cells, number)
            answer = code_html(cell.source) if kind == "code" else markdown_html(cell.source)
        outputs = outputs_html(cell) if kind == "code" else ""
        found[grade_id] = Written(kind, task, answer, outputs, unchanged)
    return found


def _task_before(cells: list, number: int) -> str:
    """The Markdown just before an answer cell that is not itself an answer: its question."""
    for cell in reversed(cells[:number]):
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.cell_type == "markdown" and not meta.get("solution"):
            return markdown_html(cell.source)
    return ""


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def _pre(text: str) -> str:
    return f'<pre class="output">{html.escape(_ANSI.sub("", text))}</pre>'


def _is_base64(value) -> bool:
    try:
        base64.b64decode("".join(_text(value).split()), validate=True)
    except (binascii.Error, ValueError):
        return False
    return True

"""An image a lesson's Markdown names beside its notebook (``![](jupyter.png)``): which file it
is, if it may be put in the page. One rule for every player: the Voila player in learners'
servers (yiyuan.exchange.voila_images) and compiled lessons (yiyuan.catalog.compile)."""

from __future__ import annotations

import mimetypes
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote

#: an image larger than this stays a link (a page is sent whole before the lesson shows)
MAX_IMAGE_BYTES = 5 * 1000 * 1000
#: a Markdown image: ``![alt](src)`` or ``![alt](src "title")``; groups alt, src, title
MARKDOWN_IMAGE = re.compile(r'!\[([^\]]*)\]\(\s*<?([^)\s>]+)>?(\s+"[^"]*")?\s*\)')


def markdown_images(source: str) -> Iterator[str]:
    """The ``src`` of every Markdown image in ``source``."""
    for match in MARKDOWN_IMAGE.finditer(source):
        yield match.group(2)


def is_local(src: str) -> bool:
    """Whether ``src`` names a file beside the notebook (not a URL, data or an attachment)."""
    return bool(src) and not src.startswith(("data:", "attachment:")) and "://" not in src


def local_image(folder: Path, root: Path, src: str) -> Path | None:
    """The image file ``src`` names relative to ``folder``, or None: a URL, an attachment,
    an absolute path, outside ``root``, not an image, missing, or too large."""
    if not is_local(src) or src.startswith("/"):
        return None
    path = (folder / unquote(src.split("?")[0].split("#")[0])).resolve()
    if not path.is_relative_to(root.resolve()) or not path.is_file():
        return None
    if not (mimetypes.guess_type(path.name)[0] or "").startswith("image/"):
        return None
    return path if path.stat().st_size <= MAX_IMAGE_BYTES else None


def mime_of(path: Path) -> str:
    return mimetypes.guess_type(path.name)[0] or "application/octet-stream"

"""The scripts, styles and fonts of compiled lessons, served by the service itself (never a
CDN): the platform's own files and Jupyter's standalone widget manager from npm.

Every learner's first lesson fetches them with an empty cache (the widget manager alone is
3.6 MB), so two things matter under load (bench/load.py): each file is gzipped once per
version and kept in memory, not again for every request by Tornado's ``compress_response``;
and the page names each file with ``?v=<hash of its content>``, so that a browser keeps it for
a year and asks again only when the file changes.
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path
from typing import ClassVar

from jupyterhub.utils import url_path_join
from tornado import web

NODE_MODULES = Path(
    os.environ.get("YIYUAN_NODE_MODULES") or Path(__file__).resolve().parents[3] / "node_modules"
)

#: URL folder below ``static/`` → where its files are
ROOTS = {
    "lesson": Path(__file__).parent / "static" / "lesson",
    # what every service page shares (the 大字 switch)
    "page": Path(__file__).parent / "static" / "page",
    "widgets": NODE_MODULES / "@jupyter-widgets" / "html-manager" / "dist",
    "requirejs": NODE_MODULES / "requirejs",
    # LaTeX ($…$) in lessons, feedback and the grading page, drawn in the browser
    "katex": NODE_MODULES / "katex" / "dist",
}
#: what the widget manager loads by itself (fonts, chunks) carries no version: kept a day
UNVERSIONED_SECONDS = 86400
COMPRESSIBLE = (".js", ".css", ".svg", ".json", ".map", ".ttf", ".eot")


class StaticHandler(web.StaticFileHandler):
    #: absolute path → (mtime, size, gzipped bytes)
    _gzipped: ClassVar[dict[str, tuple[float, int, bytes]]] = {}

    def get_cache_time(self, path: str, modified, mime_type: str) -> int:
        # a year for ``?v=`` URLs (Tornado's rule), a day otherwise
        return super().get_cache_time(path, modified, mime_type) or UNVERSIONED_SECONDS

    def set_extra_headers(self, path: str) -> None:
        self.set_header("Vary", "Accept-Encoding")
        if self._gzip_body() is not None:
            # set before Tornado's own compression looks: it then leaves the body alone
            self.set_header("Content-Encoding", "gzip")

    def get_content_size(self) -> int:
        body = self._gzip_body()
        return len(body) if body is not None else super().get_content_size()

    def get_content(self, abspath: str, start: int | None = None, end: int | None = None):
        # an instance method here (Tornado's is a class method): the encoding is per request
        body = self._gzip_body()
        if body is None:
            return web.StaticFileHandler.get_content.__func__(type(self), abspath, start, end)
        return body[start:end]

    @classmethod
    def get_content_version(cls, abspath: str) -> str:
        return web.StaticFileHandler.get_content_version.__func__(web.StaticFileHandler, abspath)

    def _gzip_body(self) -> bytes | None:
        """The file gzipped, when this client takes gzip and the file is worth it."""
        if not hasattr(self, "_encoded"):
            self._encoded = None
            accepts = "gzip" in self.request.headers.get("Accept-Encoding", "")
            abspath = getattr(self, "absolute_path", None)
            if accepts and abspath and abspath.endswith(COMPRESSIBLE):
                self._encoded = _gzipped(self._gzipped, abspath)
        return self._encoded


def _gzipped(cache: dict, abspath: str) -> bytes:
    stat = os.stat(abspath)
    cached = cache.get(abspath)
    if cached and cached[:2] == (stat.st_mtime, stat.st_size):
        return cached[2]
    body = gzip.compress(Path(abspath).read_bytes(), compresslevel=6, mtime=0)
    cache[abspath] = (stat.st_mtime, stat.st_size, body)
    return body


def math_assets(prefix: str, defer: bool = True) -> str:
    """The tags that draw LaTeX in elements marked ``data-math`` (KaTeX, served here), for
    the end of a page's body. On a page with require.js, before it and ``defer=False``:
    KaTeX's UMD scripts would otherwise call require's ``define`` (a "mismatched anonymous
    define()" error that stops the page's widgets)."""
    when = " defer" if defer else ""
    return (
        f'<link rel="stylesheet" href="{static_url(prefix, "katex", "katex.min.css")}">\n'
        f'<script{when} src="{static_url(prefix, "katex", "katex.min.js")}"></script>\n'
        f'<script{when} src="{static_url(prefix, "katex", "contrib/auto-render.min.js")}">'
        "</script>\n"
        f'<script{when} src="{static_url(prefix, "page", "math.js")}"></script>\n'
    )


def static_url(prefix: str, folder: str, name: str) -> str:
    """The URL of a static file with its content's version (``?v=``)."""
    version = StaticHandler.get_version({"static_path": str(ROOTS[folder])}, name)
    return url_path_join(prefix, "static", folder, name) + (f"?v={version}" if version else "")


#: which names of each folder are served (requirejs's package holds more than the loader)
NAMES = {
    "lesson": "(.*)",
    "page": "(.*)",
    "widgets": "(.*)",
    "requirejs": "(require\\.js)",
    "katex": "((?:contrib/)?katex\\.min\\.(?:js|css)|contrib/auto-render\\.min\\.js|fonts/.*)",
}


def static_routes(prefix: str) -> list:
    return [
        (
            url_path_join(prefix, f"static/{folder}/{NAMES[folder]}"),
            StaticHandler,
            {"path": str(root)},
        )
        for folder, root in ROOTS.items()
    ]

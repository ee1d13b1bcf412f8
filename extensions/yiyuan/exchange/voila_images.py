"""Images in a live lesson's Markdown (``![](jupyter.png)`` beside the notebook), drawn by the
Voila player in a learner's server.

Voila 0.5's own renderer asks jupyter-server's asynchronous contents manager without awaiting
it (voila-dashboards/voila#1473): the page never comes, and the server only logs "'coroutine'
object is not subscriptable". This renderer (``VoilaExporter.markdown_renderer_class`` in the
servers' config) reads the image itself and puts it in the page: relative to the notebook's
folder (the ``path`` nbconvert gives its own renderer; Voila does not pass it on, so it is taken
from the Markdown filter's context), and only an image file inside the server's root.
Attachments (``attachment:``) and URLs are left to nbconvert as before.
"""

from __future__ import annotations

import base64
import inspect
import os
from pathlib import Path

from nbconvert.filters.markdown_mistune import IPythonRenderer
from voila.exporter import VoilaMarkdownRenderer

from .images import local_image, mime_of


class InlineImages(VoilaMarkdownRenderer):
    def __init__(self, contents_manager=None, **kwargs) -> None:
        root = Path(getattr(contents_manager, "root_dir", "") or os.getcwd()).resolve()
        super().__init__(contents_manager, path=str(_notebook_folder(root) or root), **kwargs)
        self.root = root

    def image(self, text: str, url: str, title: str | None = None) -> str:
        local = local_image(Path(self.path), self.root, url)
        if local is not None:
            data = base64.b64encode(local.read_bytes()).decode("ascii")
            url = f"data:{mime_of(local)};base64,{data}"
        # nbconvert's image (attachments), not Voila's (the unawaited contents manager)
        return IPythonRenderer.image(self, text, url, title)


def _notebook_folder(root: Path) -> Path | None:
    """The notebook's folder, from the ``resources`` of the Markdown filter that makes us."""
    frame = inspect.currentframe()
    while frame is not None:
        context = frame.f_locals.get("context") if frame.f_code.co_name == "markdown2html" else None
        if context is not None:
            path = context.get("resources", {}).get("metadata", {}).get("path")
            return (root / path).resolve() if path else None
        frame = frame.f_back
    return None

"""Images a lesson's Markdown names beside its notebook (``![](jupyter.png)``, as in
nbgrader's own ps1) are in the page in every player: the Voila player in learners' servers and
compiled lessons. What is not an image beside the notebook stays a link."""

from __future__ import annotations

import base64
from importlib.resources import files
from pathlib import Path

import nbformat

from yiyuan.catalog.compile import export

CONFIG_DIR = Path(str(files("yiyuan.exchange").joinpath("jupyter_config")))
PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 20
NOT_IN_THE_PAGE = (
    "../../../secret.png",
    "/etc/x.png",
    "notes.txt",
    "missing.png",
    "https://a.b/c.png",
)


def test_live_lessons_draw_the_images_beside_their_notebook(tmp_path):
    """``![](jupyter.png)`` in a live lesson: Voila's exporter, configured as the shipped
    server config says, puts the image in the page (Voila's own renderer hangs: voila#1473);
    what is not an image beside the notebook stays a link."""
    from traitlets.config import Config, JSONFileConfigLoader
    from voila.exporter import VoilaExporter

    root = tmp_path / "home"
    folder = root / "nbgrader-ps1" / "ps1"
    folder.mkdir(parents=True)
    png = PNG
    (folder / "jupyter.png").write_bytes(png)
    (tmp_path / "secret.png").write_bytes(png)  # outside the server's root
    (folder / "notes.txt").write_text("x")
    shipped = JSONFileConfigLoader("jupyter_server_config.json", path=str(CONFIG_DIR)).load_config()
    assert shipped.VoilaExporter.markdown_renderer_class.endswith("voila_images.InlineImages")

    class Contents:  # what the renderer reads of jupyter-server's contents manager
        root_dir = str(root)

    exporter = VoilaExporter(config=Config(shipped), contents_manager=Contents())
    context = {"cell": {}, "resources": {"metadata": {"path": "nbgrader-ps1/ps1"}}}

    def draw(markdown: str) -> str:
        return exporter.markdown2html(context, markdown)

    encoded = base64.b64encode(png).decode()
    assert f'src="data:image/png;base64,{encoded}"' in draw("![](jupyter.png)")
    for kept in NOT_IN_THE_PAGE:
        assert "data:image" not in draw(f"![]({kept})"), kept


def test_compiled_lessons_carry_the_images_beside_their_notebook(tmp_path):
    folder = tmp_path / "release" / "ps1"
    folder.mkdir(parents=True)
    (folder / "jupyter.png").write_bytes(PNG)
    (tmp_path / "secret.png").write_bytes(PNG)
    (folder / "notes.txt").write_text("x")
    sources = ["![Jupyter 的标志](jupyter.png)"] + [f"![]({src})" for src in NOT_IN_THE_PAGE]
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(s) for s in sources])
    html = export(notebook, "problem1.ipynb", "problem1", folder).html
    encoded = base64.b64encode(PNG).decode()
    assert html.count(f"data:image/png;base64,{encoded}") == 1
    assert 'alt="Jupyter 的标志"' in html
    for src in NOT_IN_THE_PAGE:
        assert src in html, src  # left as written: a link the browser may follow or not

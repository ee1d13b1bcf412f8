"""The dashboards' page exporter compiles Voila's templates once per service
(``yiyuan.dashboards.exporter``): a later page reuses the compiled code, an edited template is
compiled again, and Voila's renderer builds this exporter once it is installed."""

from __future__ import annotations

import inspect

import jinja2
import pytest

from yiyuan.dashboards import TEMPLATE, exporter, template_path

#: the page's template, the lesson player's it extends, Voila's lab template under both, and the
#: spinner macro the page imports
CHAIN = ["index.html.j2", "yiyuan/index.html.j2", "lab/index.html.j2", "spinner.macro.html.j2"]


@pytest.fixture
def compiles(monkeypatch):
    """Names of the templates Jinja compiles (from source) while the test runs."""
    names: list[str] = []
    compile_source = jinja2.Environment.compile

    def counted(self, source, name=None, filename=None, raw=False, defer_init=False):
        names.append(name)
        return compile_source(self, source, name, filename, raw, defer_init)

    monkeypatch.setattr(jinja2.Environment, "compile", counted)
    return names


def page_exporter(paths: list[str]) -> exporter.DashboardsExporter:
    """An exporter as Voila's renderer makes one for a page, with the filters Voila registers
    when it renders (the templates name them)."""
    made = exporter.DashboardsExporter(
        template_paths=paths, template_name=TEMPLATE, theme="light", base_url="/"
    )
    made.register_filter("highlight_code", lambda source, **kwargs: source)
    made.register_filter("trusted", lambda output: output)
    return made


def test_a_later_page_reuses_the_compiled_templates(monkeypatch, compiles):
    from voila.paths import collect_template_paths

    monkeypatch.setenv("JUPYTER_PATH", template_path())
    paths = collect_template_paths(["voila", "nbconvert"], TEMPLATE)
    exporter.COMPILED.clear()

    first = page_exporter(paths)
    loaded = [first.environment.get_template(name) for name in CHAIN]
    assert compiles == CHAIN
    assert len(exporter.COMPILED) == len(CHAIN)

    compiles.clear()
    second = page_exporter(paths)
    again = [second.environment.get_template(name) for name in CHAIN]
    assert compiles == []  # nothing compiled again
    # but templates of its own environment, as Voila's are (filters stay per page)
    assert all(
        a is not b and a.environment is second.environment
        for a, b in zip(again, loaded, strict=True)
    )


def test_an_edited_template_is_compiled_again(compiles):
    cache = exporter.CompiledTemplates()

    def render(source: str) -> str:
        environment = jinja2.Environment(
            loader=jinja2.DictLoader({"page": source}), bytecode_cache=cache
        )
        return environment.get_template("page").render(who="甲")

    assert render("你好，{{ who }}") == "你好，甲"
    assert render("你好，{{ who }}") == "你好，甲"
    assert compiles == ["page"]
    assert render("再见，{{ who }}") == "再见，甲"
    assert compiles == ["page", "page"]


def test_voilas_renderer_builds_the_dashboards_exporter_once_installed(monkeypatch):
    from voila import notebook_renderer

    # a Voila that builds its exporter some other way would make install() a silent no-op
    assert "VoilaExporter(" in inspect.getsource(notebook_renderer.NotebookRenderer.initialize)
    monkeypatch.setattr(notebook_renderer, "VoilaExporter", notebook_renderer.VoilaExporter)
    exporter.install()
    assert notebook_renderer.VoilaExporter is exporter.DashboardsExporter

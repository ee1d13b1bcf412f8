"""Voila's page exporter with its Jinja templates compiled once per service, not once per page.

For every page Voila builds a new ``VoilaExporter`` (``NotebookRenderer.initialize``), hence a
new Jinja environment that compiles the whole template chain again (``yiyuan-dashboard`` →
``yiyuan`` → ``lab`` → ``base`` … with their macros: 14 templates, ≈ 0.11 s of CPU on one core
here), before the first byte of the page is written. That runs in the service's one event loop:
ten viewers arriving together waited for ten compilations in a row, ≈ 1.2–3.5 s, before any of
them got its page head and first table (measured with ten HTTP clients, 2026-12-07).

Jinja's bytecode cache is the hook Jinja made for this: a new environment still reads each
template's source, but takes its compiled code from the cache when the source's checksum is the
one it was compiled from (an edited template is compiled again). The environments stay one per
page, as Voila made them: nothing a page registers in its environment (filters) is shared.
"""

from __future__ import annotations

from types import CodeType

from jinja2 import BytecodeCache
from jinja2.bccache import Bucket
from voila.exporter import VoilaExporter


class CompiledTemplates(BytecodeCache):
    """Compiled template code in memory, per template and source checksum."""

    def __init__(self) -> None:
        self._code: dict[str, tuple[str, CodeType]] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        kept = self._code.get(bucket.key)
        if kept is not None and kept[0] == bucket.checksum:
            bucket.code = kept[1]

    def dump_bytecode(self, bucket: Bucket) -> None:
        if bucket.code is not None:
            self._code[bucket.key] = (bucket.checksum, bucket.code)

    def clear(self) -> None:
        self._code.clear()

    def __len__(self) -> int:
        return len(self._code)


#: shared by every page the service renders (the code depends on the environment's settings,
#: which are Voila's and the same for every page: async rendering, the same extensions)
COMPILED = CompiledTemplates()


class DashboardsExporter(VoilaExporter):
    """``VoilaExporter`` whose environments take compiled templates from :data:`COMPILED`."""

    def _create_environment(self):
        environment = super()._create_environment()
        # Voila renders asynchronously (VoilaExporter.environment sets enable_async first);
        # code compiled for a synchronous environment must not be handed to an async one
        if environment.is_async:
            environment.bytecode_cache = COMPILED
        return environment


def install() -> None:
    """Have Voila's page renderer build :class:`DashboardsExporter` (the service process only:
    ``NotebookRenderer.initialize`` names ``VoilaExporter`` from its module, with no setting)."""
    from voila import notebook_renderer

    notebook_renderer.VoilaExporter = DashboardsExporter

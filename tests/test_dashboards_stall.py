"""A dashboard page whose kernel stopped answering ends with a sentence (yiyuan.dashboards.stall):
Voila would otherwise send heartbeats until the kernel is culled, ten minutes on."""

from __future__ import annotations

import asyncio

from yiyuan.dashboards.stall import STALLED_PAGE, STALLED_TEXT, until_stalled

BEAT = "<script>window.voila_heartbeat()</script>\n"


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def page(clock: Clock, parts: list[tuple[float, str]], closed: list[bool]):
    """Snippets as Voila sends them, each after ``seconds`` of the fake clock."""

    async def snippets():
        try:
            for seconds, snippet in parts:
                clock.now += seconds
                yield snippet
        finally:
            closed.append(True)

    return snippets()


def run(parts: list[tuple[float, str]], limit: float = 90.0):
    clock, closed, stalls = Clock(), [], []

    async def collect():
        source = page(clock, parts, closed)
        return [s async for s in until_stalled(source, lambda: stalls.append(1), limit, clock)]

    return asyncio.run(collect()), stalls, closed


def test_a_page_that_runs_passes_unchanged_heartbeats_included():
    parts = [(0, "<html>"), (10, BEAT), (10, BEAT), (5, "<div>cell</div>"), (1, "</html>")]
    sent, stalls, closed = run(parts)
    assert sent == [snippet for _, snippet in parts] and stalls == [] and closed == [True]


def test_a_long_cell_with_output_in_between_is_not_a_stall():
    parts = [(0, "<html>"), *[(10, BEAT), (30, "<div>output</div>")] * 6, (0, "</html>")]
    sent, stalls, _ = run(parts)
    assert sent[-1] == "</html>" and stalls == []


def test_only_heartbeats_past_the_limit_end_the_page_with_a_sentence():
    parts = [(0, "<html><table>第一张表</table>"), *[(10, BEAT)] * 60, (0, "</html>")]
    sent, stalls, closed = run(parts)
    assert sent[0].startswith("<html>") and sent[-1] == STALLED_PAGE
    assert STALLED_TEXT in STALLED_PAGE and "请稍后刷新" in STALLED_TEXT
    assert sent.count(BEAT) == 9  # 90 s of heartbeats passed on, then the end
    assert stalls == [1] and closed == [True]  # Voila's generator is closed, not left running

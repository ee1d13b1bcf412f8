"""A dashboard page whose kernel stopped answering ends, instead of waiting for ever.

Voila streams a page from a task that runs the notebook; when that task fails (a kernel that
does not become ready within Voila's 60 s under load: "Kernel didn't respond in 60 seconds"),
the page's response gets only heartbeats (``window.voila_heartbeat()``) until the kernel is
culled, ten minutes on. :func:`until_stalled` passes a page's snippets on, and when nothing but
heartbeats came for ``limit`` seconds, ends the page with a sentence asking the viewer to
reload; the caller then shuts the kernel down.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable

#: what Voila sends while it waits (voila/handler.py ``time_out``)
HEARTBEAT = "window.voila_heartbeat()"
#: Voila waits 60 s for a kernel to be ready: a page silent for longer has lost its kernel
STALLED_AFTER = 90.0
#: the words of a stalled page, in place of the loading text (the first table stays above)
STALLED_TEXT = (
    "统计报表暂时没能算完（服务器繁忙）。上面的第一张表是最新的；请稍后刷新本页查看完整报表。"
)
#: the end of a stalled page (its cells' area is hidden until they ran: the script speaks)
STALLED_PAGE = (
    "<script>(function () {"
    ' var text = document.getElementById("loading_text");'
    f' if (text) {{ text.textContent = "{STALLED_TEXT}"; text.setAttribute("role", "alert"); }}'
    "})();</script>\n"
)


async def until_stalled(
    snippets: AsyncIterator[str],
    on_stall: Callable[[], None],
    limit: float = STALLED_AFTER,
    clock: Callable[[], float] = time.monotonic,
) -> AsyncIterator[str]:
    """``snippets`` as they come; after ``limit`` seconds of heartbeats only, the stalled
    page's end, a call of ``on_stall``, and no more."""
    last_content = clock()
    try:
        async for snippet in snippets:
            if HEARTBEAT not in snippet:
                last_content = clock()
            elif clock() - last_content > limit:
                on_stall()
                yield STALLED_PAGE
                return
            yield snippet
    finally:
        await snippets.aclose()

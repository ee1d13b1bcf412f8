"""The dashboards' kernels: a few started ahead of demand, one per viewer and dashboard, a cap.

Every dashboard view runs in a kernel of its own (~135 MB), bound to the viewer by the cell the
prelaunch hook puts first (``yiyuan.dashboards.server``). This manager keeps that bounded:

- **Warm kernels.** ``pool_size`` kernels are started before anyone asks and have imported
  what a dashboard needs (ipywidgets, the report layer, matplotlib) — but bound nobody and ran
  no notebook: Voila's own preheating runs the whole notebook before the request, which is why
  it cannot be combined with a prelaunch hook. A view *claims* one, and Voila then runs the
  bound notebook in it (binding cell first), exactly as in a kernel started for the view. A
  claimed kernel is never handed to anyone else; the pool is refilled one kernel at a time.
- **One per viewer and dashboard.** A new view of the same dashboard by the same viewer shuts
  the older kernel down (their older tab loses its widgets: it is the same page twice).
- **Gone soon after the page.** When the last websocket of a claimed kernel closes, the kernel
  is shut down after ``close_grace`` seconds unless a page connects again; a view whose page
  never connects (a dropped tab, a client without JavaScript) is shut down ``connect_timeout``
  seconds after it was served. Voila's idle culling (``cull_idle_timeout``) still applies to
  open pages and never to the warm ones.
- **A cap.** At most ``max_kernels`` live kernels (warm, starting and claimed); a view that
  would need one more gets :class:`Busy`, which the service answers with a Chinese 503 page.
- **First tables first.** Starting or shutting down a kernel costs the service's one event loop
  ≈ 0.1 s (a process to launch, its sockets, sessions and events). Ten viewers arriving together
  with two warm kernels meant eight launches and a refill in the middle of the ten pages' heads:
  every page waited for all of them before its first table was sent (≈ 1.6 s of 2.3 s, ten HTTP
  clients, 2026-12-07). So kernels start, refill and shut down once the views being served have
  sent their page head and first table (:meth:`head_sent`), or after ``HEADS_FIRST`` seconds.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from contextvars import ContextVar
from dataclasses import dataclass, field

from jupyter_core.utils import ensure_async
from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
from tornado import web
from traitlets import Float, Integer, Unicode

#: kernels run at a lower CPU priority than the service: when ten viewers arrive together, the
#: service's own work (scope, first table, page head) is what they see first; the kernels'
#: imports and notebooks take what is left of the two cores
KERNEL_NICENESS = 10

#: at most this many seconds a kernel start, refill or shutdown waits for the pages being
#: served to send their first table (a page whose head never goes out holds nothing up longer)
HEADS_FIRST = 2.0

#: what a warm kernel runs before anyone claims it: the imports of every dashboard, and the
#: fonts of the charts. Never ``bind``: a warm kernel belongs to nobody until it is claimed.
WARM_CODE = """\
import yiyuan.dashboards.ui, yiyuan.dashboards.charts, yiyuan.dashboards.context
yiyuan.dashboards.charts.configure_fonts()
"""


class Busy(web.HTTPError):
    """No kernel can be started for this view now (``max_kernels`` reached): answered 503."""

    def __init__(self) -> None:
        super().__init__(503, "dashboards: every kernel is in use")


@dataclass(frozen=True)
class Owner:
    """Whose view a claimed kernel is: the hub user name and the notebook's path."""

    viewer: str
    notebook: str


@dataclass
class Claim:
    """A view's place under the cap, from :meth:`reserve` until its kernel is running."""

    owner: Owner
    #: a warm kernel taken at once, or None: a kernel is started for the view
    kernel_id: str | None = None
    done: bool = field(default=False, repr=False)
    #: the page's head and first table are not sent yet
    head_pending: bool = field(default=True, repr=False)


#: the claim of the request being served; Voila's handler calls ``start_kernel`` in the same
#: task, which is how the kernel manager learns whose view it starts a kernel for
current_claim: ContextVar[Claim | None] = ContextVar("dashboards_claim", default=None)


class DashboardsKernelManager(AsyncMappingKernelManager):
    """jupyter_server's kernel manager with warm kernels, owners, replacement and a cap."""

    pool_size = Integer(
        0, config=True, help="Kernels started ahead of demand (warm, bound to nobody)."
    )
    max_kernels = Integer(0, config=True, help="At most this many live kernels; 0: no cap.")
    close_grace = Float(
        10, config=True, help="Seconds after a page's last websocket closed before shutdown."
    )
    connect_timeout = Float(
        60, config=True, help="Seconds a served view may take to connect before shutdown."
    )
    warm_code = Unicode(WARM_CODE, config=True, help="Code a warm kernel runs when started.")
    warm_path = Unicode("", config=True, help="API path warm kernels start in (the root).")

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._owners: dict[str, Owner] = {}
        self._warm: list[str] = []
        self._starting = 0
        self._closing: set[str] = set()
        self._last_closed: dict[str, float] = {}
        self._filling: asyncio.Task | None = None
        self._tasks: set[asyncio.Task] = set()  # starts, shutdowns (asyncio keeps weak refs)
        self._pending: dict[str, asyncio.Future] = {}  # kernels starting for a view
        self._stopping = False
        self._heads = 0  # claims whose page has not sent its head yet
        self._no_heads = asyncio.Event()
        self._no_heads.set()

    # --- what the service asks ---------------------------------------------------------

    def owner(self, kernel_id: str) -> Owner | None:
        """Whose view this kernel is; None for a warm or unknown kernel."""
        return self._owners.get(kernel_id)

    def live(self) -> int:
        """Kernels that count against the cap: running (but not being shut down), starting."""
        running = sum(1 for kid in self._kernels if kid not in self._closing)
        return running + self._starting

    def warm_count(self) -> int:
        return len(self._warm)

    def reserve(self, owner: Owner) -> Claim:
        """A place for ``owner``'s new view: a warm kernel if there is one, else room under the
        cap; :class:`Busy` if neither. The viewer's older kernel of the same dashboard is shut
        down (so it never counts against its own replacement). Synchronous, so two requests
        cannot both take the last place."""
        older = [kid for kid, known in self._owners.items() if known == owner]
        if not self._warm and self.max_kernels and self.live() - len(older) >= self.max_kernels:
            raise Busy()
        claim = Claim(owner)
        self._heads += 1
        self._no_heads.clear()
        if self._warm:
            claim.kernel_id = self._warm.pop(0)
            self._owners[claim.kernel_id] = owner
        else:
            self._starting += 1  # the view's own kernel, started by start_kernel
        for kid in older:
            self.log.info("dashboards: kernel %s of %s replaced by a new view", kid, owner)
            self._shutdown_soon(kid)
        self._fill_soon()
        return claim

    def head_sent(self, claim: Claim) -> None:
        """The view's page has sent its head and first table: kernel work may go ahead."""
        if claim.head_pending:
            claim.head_pending = False
            self._heads -= 1
            if self._heads == 0:
                self._no_heads.set()

    def heads_pending(self) -> int:
        return self._heads

    async def _heads_first(self) -> None:
        """Wait (at most ``HEADS_FIRST`` s) until every page being served has sent its head."""
        if self._heads:
            try:
                await asyncio.wait_for(self._no_heads.wait(), HEADS_FIRST)
            except TimeoutError:
                pass

    def release(self, claim: Claim) -> None:
        """The request is over: give back a place it did not use."""
        self.head_sent(claim)  # or failed before: nothing waits for it any more
        if claim.done:
            return
        claim.done = True
        if claim.kernel_id is None:
            self._starting -= 1
        elif claim.kernel_id in self._kernels and claim.kernel_id not in self._closing:
            # refused before it ran anything (a missing notebook…): still nobody's, still warm
            self._owners.pop(claim.kernel_id, None)
            self._warm.insert(0, claim.kernel_id)

    def served(self, kernel_id: str) -> None:
        """The view's page has been sent: its page must connect within ``connect_timeout``."""
        self._check_later(kernel_id, self.connect_timeout)

    # --- jupyter_server's kernel manager -----------------------------------------------

    async def start_kernel(self, *, kernel_id: str | None = None, path=None, **kwargs) -> str:
        claim = current_claim.get()
        if claim is None or claim.done:
            # not a dashboard view (the service starts none of those): a plain kernel
            return await super().start_kernel(kernel_id=kernel_id, path=path, **kwargs)
        if claim.kernel_id is not None and claim.kernel_id in self._kernels:
            claim.done = True
            self.log.info(
                "dashboards: warm kernel %s claimed by %s for %s",
                claim.kernel_id,
                claim.owner.viewer,
                claim.owner.notebook,
            )
            return claim.kernel_id
        if claim.kernel_id is not None:  # the warm kernel died meanwhile: start one
            self._owners.pop(claim.kernel_id, None)
            self._starting += 1
        # Started in the background: Voila's page sends its head and the first table while
        # the kernel starts (it awaits get_kernel's future at the template's kernel_start).
        # Started in line, a burst of cold starts held every page back, warm ones included.
        kid = str(uuid.uuid4())
        claim.kernel_id, claim.done = kid, True
        self._owners[kid] = claim.owner
        future = asyncio.get_running_loop().create_future()
        self._pending[kid] = future
        task = asyncio.ensure_future(self._start_for(kid, future, path=path, **kwargs))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        self.log.info(
            "dashboards: kernel %s starting for %s (no warm kernel free) for %s",
            kid,
            claim.owner.viewer,
            claim.owner.notebook,
        )
        return kid

    async def _start_for(self, kid: str, future: asyncio.Future, **kwargs) -> None:
        try:
            await self._heads_first()
            await super().start_kernel(kernel_id=kid, **kwargs)
            self._lower_priority(kid)
        except Exception as error:
            self._owners.pop(kid, None)
            future.set_exception(error)
        else:
            future.set_result(super().get_kernel(kid))
            if kid in self._closing:  # replaced while it started
                self._closing.discard(kid)
                self._shutdown_soon(kid)
        finally:
            self._starting -= 1
            self._pending.pop(kid, None)

    def get_kernel(self, kernel_id: str):
        if kernel_id in self._pending and kernel_id not in self._kernels:
            return self._pending[kernel_id]  # Voila awaits it (ensure_async)
        return super().get_kernel(kernel_id)

    start_kernel.__doc__ = AsyncMappingKernelManager.start_kernel.__doc__

    async def shutdown_kernel(self, kernel_id: str, now: bool = False, restart: bool = False):
        self._closing.add(kernel_id)
        try:
            return await super().shutdown_kernel(kernel_id, now=now, restart=restart)
        finally:
            self._closing.discard(kernel_id)
            self._owners.pop(kernel_id, None)
            self._last_closed.pop(kernel_id, None)
            if kernel_id in self._warm:
                self._warm.remove(kernel_id)
            if not restart:
                self._fill_soon()

    _async_shutdown_kernel = shutdown_kernel

    async def shutdown_all(self, now: bool = False) -> None:
        self._stopping = True  # no refills while the service stops
        if self._filling is not None:
            self._filling.cancel()
        await super().shutdown_all(now=now)

    def notify_disconnect(self, kernel_id: str) -> None:
        super().notify_disconnect(kernel_id)
        if self._kernel_connections.get(kernel_id, 0) <= 0 and kernel_id in self._owners:
            self._last_closed[kernel_id] = time.monotonic()
            self._check_later(kernel_id, self.close_grace)

    async def cull_kernel_if_idle(self, kernel_id: str):
        if kernel_id in self._warm:
            return None  # waiting for a viewer is what a warm kernel is for
        return await super().cull_kernel_if_idle(kernel_id)

    # --- warm kernels ------------------------------------------------------------------

    def fill(self) -> None:
        """Start filling the pool (call once the event loop runs)."""
        self._fill_soon()

    def _fill_soon(self) -> None:
        if (
            self._stopping
            or self.pool_size <= 0
            or (self._filling is not None and not self._filling.done())
        ):
            return
        self._filling = asyncio.ensure_future(self._fill())

    def _room_for_warm(self) -> bool:
        if self._stopping or len(self._warm) >= self.pool_size:
            return False
        return not self.max_kernels or self.live() < self.max_kernels

    async def _fill(self) -> None:
        # one at a time: a burst of claims must not be slowed down by a burst of refills
        while self._room_for_warm():
            self._starting += 1
            kid = None
            try:
                await self._heads_first()
                kid = await super().start_kernel(path=self.warm_path)
                self._lower_priority(kid)
            except Exception:
                self.log.exception("dashboards: a warm kernel failed to start")
            finally:
                self._starting -= 1
            if kid is None:
                await asyncio.sleep(5)
                continue
            await self._warm_up(kid)
            if kid in self._kernels and kid not in self._closing:
                self._warm.append(kid)
                self.log.info("dashboards: warm kernel %s ready (%d warm)", kid, len(self._warm))

    def _lower_priority(self, kernel_id: str) -> None:
        pid = getattr(super().get_kernel(kernel_id).provisioner, "pid", None)
        if pid:
            try:
                os.setpriority(os.PRIO_PROCESS, pid, KERNEL_NICENESS)
            except OSError:
                self.log.warning("dashboards: could not lower the priority of kernel %s", kernel_id)

    async def _warm_up(self, kernel_id: str) -> None:
        client = self.get_kernel(kernel_id).client()
        client.start_channels()
        try:
            await ensure_async(client.wait_for_ready(timeout=120))
            reply = await ensure_async(
                client.execute(self.warm_code, store_history=False, reply=True, timeout=120)
            )
            if reply["content"].get("status") != "ok":
                self.log.warning(
                    "dashboards: warm-up of %s said %s", kernel_id, reply["content"].get("ename")
                )
        except Exception:
            # still a good kernel: the dashboard will import what it needs itself
            self.log.exception("dashboards: warm-up of kernel %s failed", kernel_id)
        finally:
            client.stop_channels()

    # --- shutting down claimed kernels -------------------------------------------------

    def stalled(self, kernel_id: str) -> None:
        """The page of this kernel gave up on it (``stall``): shut it down, started or not."""
        self.log.warning(
            "dashboards: kernel %s stopped answering its page: shutting it down", kernel_id
        )
        self._shutdown_soon(kernel_id)

    def _shutdown_soon(self, kernel_id: str) -> None:
        if kernel_id in self._pending:
            self._closing.add(kernel_id)  # shut down as soon as it has started
            return
        if kernel_id in self._kernels and kernel_id not in self._closing:
            self._closing.add(kernel_id)
            task = asyncio.ensure_future(self._shutdown_quietly(kernel_id))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _shutdown_quietly(self, kernel_id: str) -> None:
        try:
            await self._heads_first()
            await self.shutdown_kernel(kernel_id)
        except Exception:
            self.log.exception("dashboards: shutting down kernel %s failed", kernel_id)

    def _check_later(self, kernel_id: str, delay: float) -> None:
        asyncio.get_running_loop().call_later(max(delay, 0), self._check_connected, kernel_id)

    def _check_connected(self, kernel_id: str) -> None:
        """Shut a claimed kernel down if no page is connected to it (and none closed lately)."""
        if kernel_id not in self._owners or kernel_id in self._closing:
            return
        if self._kernel_connections.get(kernel_id, 0) > 0:
            return
        closed = self._last_closed.get(kernel_id)
        if closed is not None and time.monotonic() - closed < self.close_grace - 0.05:
            return  # a later close has its own check
        self.log.info(
            "dashboards: kernel %s of %s has no page: shutting it down",
            kernel_id,
            self._owners[kernel_id],
        )
        self._shutdown_soon(kernel_id)

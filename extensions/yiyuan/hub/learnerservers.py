"""Learners' single-user servers: locked down to playing lessons, short-lived.

The hub decides at each spawn, from the user's hub groups (the platform roles, see
``yiyuan.hubgroups``): a server whose owner is neither trainer nor administrator (learners and
association managers) starts with the classes of ``yiyuan.exchange.lockdown`` on its command
line, so that it serves only the lesson player, Voila renders of module folders and their
kernels, culls a lesson's kernel soon after its page closes and stops itself when idle.
Trainers and administrators keep JupyterLab.

Roles reach the server as its command line rather than as something it reads from the hub
at each request: a change of role takes effect at the next start of the server (the idle
shutdown below makes that soon).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from tornado import web

from ..catalog.players import FULL_SERVER, LESSON_SERVER, NO_SERVER
from ..hubgroups import ROLE_GROUPS
from ..models import Role
from .landing import LEARNER_SERVER_URL, learner_server_default
from .waiting import SPAWN_QUEUE

if TYPE_CHECKING:
    from ..settings import StorageSettings

log = logging.getLogger(__name__)

#: hub groups whose members' servers keep JupyterLab
FULL_SERVER_GROUPS = frozenset({ROLE_GROUPS[Role.trainer], ROLE_GROUPS[Role.administrator]})

LESSON_AUTHORIZER = "yiyuan.exchange.lockdown.LessonAuthorizer"
LESSON_KERNEL_MANAGER = "yiyuan.exchange.lockdown.LessonKernelManager"


#: shown when a learner whose lessons are all compiled pages asks for a server
NO_SERVER_NEEDED = (
    "您参加的课程都可以直接在“我的学习”中打开学习，不需要学习环境。"
    "请回到“我的学习”（/services/yiyuan/）继续学习。"
)
NO_SERVER_NEEDED_HTML = (
    "您参加的课程都可以直接在“我的学习”中打开学习，不需要学习环境。"
    '<a href="/services/yiyuan/">回到“我的学习”继续学习</a>'
)


@cache
def _platform(database_url: str, exchange_dir: str, storage: StorageSettings | None):
    from ..db import Database
    from ..platform import storage_for
    from ..settings import StorageSettings

    return Database(database_url), storage_for(storage or StorageSettings(), Path(exchange_dir))


def server_needed(
    database_url: str, exchange_dir: str, username: str, storage: StorageSettings | None = None
) -> str:
    """What server the learner's courses call for (yiyuan.catalog.players)."""
    from ..catalog.players import server_needed as needed

    database, storage = _platform(database_url, exchange_dir, storage)
    with database.session() as session:
        return needed(session, storage, username)


def gets_full_server(group_names: set[str]) -> bool:
    return bool(group_names & FULL_SERVER_GROUPS)


@dataclass(frozen=True)
class LessonServerHook:
    """``Spawner.pre_spawn_hook``: where the server opens (``learner_server_default``) and, for
    learners' servers, the lockdown (values in seconds, from ``settings.culler``)."""

    kernel_idle_timeout: int = 40
    kernel_cull_every: int = 10
    server_idle_timeout: int = 600
    #: the platform's database and exchange: what server a learner's courses call for (empty:
    #: every learner gets a lesson server, as in tests of the hook alone)
    database_url: str = ""
    exchange_dir: str = ""
    #: the settings' ``storage`` section (None: the local folder ``exchange_dir``)
    storage: StorageSettings | None = None
    #: refuse learners whose courses need no server (``hub.learner_servers: needed``)
    refuse_unneeded: bool = True

    def _needed(self, spawner) -> str:
        name = getattr(spawner.user, "name", "")
        if not self.database_url or not name:
            return LESSON_SERVER
        try:
            return server_needed(self.database_url, self.exchange_dir, name, self.storage)
        except Exception:  # the platform's database is away: a lesson server, never a refusal
            log.exception("could not tell which server %s needs", name)
            return LESSON_SERVER

    def lesson_server_args(self) -> list[str]:
        args = [
            f"--ServerApp.authorizer_class={LESSON_AUTHORIZER}",
            f"--ServerApp.kernel_manager_class={LESSON_KERNEL_MANAGER}",
            f"--MappingKernelManager.cull_idle_timeout={self.kernel_idle_timeout}",
            f"--MappingKernelManager.cull_interval={self.kernel_cull_every}",
            # a kernel with its page open is never culled, however quiet the learner is
            "--MappingKernelManager.cull_connected=False",
        ]
        if self.server_idle_timeout:
            args.append(f"--ServerApp.shutdown_no_activity_timeout={self.server_idle_timeout}")
        return args

    def __call__(self, spawner) -> None:
        SPAWN_QUEUE.leave(getattr(spawner.user, "name", ""))  # past the limit: no longer waiting
        learner_server_default(spawner)
        names = {group.name for group in getattr(spawner.user, "groups", [])}
        if gets_full_server(names):
            return
        needed = self._needed(spawner)
        if needed == NO_SERVER and self.refuse_unneeded:
            # every course of theirs is compiled: no server to start
            refusal = web.HTTPError(403, NO_SERVER_NEEDED)
            # what the hub's pages show in place of "Failed to start your server"
            refusal.jupyterhub_message = NO_SERVER_NEEDED
            refusal.jupyterhub_html_message = NO_SERVER_NEEDED_HTML
            raise refusal
        if needed == FULL_SERVER:  # a course where learners write code in JupyterLab
            return
        spawner.default_url = LEARNER_SERVER_URL  # also for an account with no role at all
        # a new list: the configured one is shared by every spawner
        spawner.args = [*getattr(spawner, "args", []), *self.lesson_server_args()]

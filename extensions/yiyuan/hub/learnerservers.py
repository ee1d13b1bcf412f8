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

from dataclasses import dataclass

from ..hubgroups import ROLE_GROUPS
from ..models import Role
from .landing import LEARNER_SERVER_URL, learner_server_default

#: hub groups whose members' servers keep JupyterLab
FULL_SERVER_GROUPS = frozenset({ROLE_GROUPS[Role.trainer], ROLE_GROUPS[Role.administrator]})

LESSON_AUTHORIZER = "yiyuan.exchange.lockdown.LessonAuthorizer"
LESSON_KERNEL_MANAGER = "yiyuan.exchange.lockdown.LessonKernelManager"


def gets_full_server(group_names: set[str]) -> bool:
    return bool(group_names & FULL_SERVER_GROUPS)


@dataclass(frozen=True)
class LessonServerHook:
    """``Spawner.pre_spawn_hook``: where the server opens (``learner_server_default``) and, for
    learners' servers, the lockdown (values in seconds, from ``settings.culler``)."""

    kernel_idle_timeout: int = 40
    kernel_cull_every: int = 10
    server_idle_timeout: int = 600

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
        learner_server_default(spawner)
        names = {group.name for group in getattr(spawner.user, "groups", [])}
        if gets_full_server(names):
            return
        spawner.default_url = LEARNER_SERVER_URL  # also for an account with no role at all
        # a new list: the configured one is shared by every spawner
        spawner.args = [*getattr(spawner, "args", []), *self.lesson_server_args()]

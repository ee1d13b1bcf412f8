"""Single-user pods on Kubernetes (``mode: kubernetes``): resources by platform role.

Nobody picks a profile: at each start the hub sizes the pod from the user's hub groups (the
platform roles, ``yiyuan.hubgroups``), administrators first, then trainers; everyone else
(learners, association managers, accounts without a role) gets the learner's size. The
sizes come from ``settings.kubernetes`` (hub_config/spawner.py builds :class:`RolePods`).

The home volume's size counts when its PersistentVolumeClaim is made, at the first start:
a learner who becomes a trainer keeps the volume they had (resize it with kubectl).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..hubgroups import ROLE_GROUPS
from ..models import Role

#: the pod label naming the size chosen (dashboards of the cluster, NetworkPolicies)
ROLE_LABEL = "yiyuan-role"
MIB = 1024 * 1024


@dataclass(frozen=True)
class PodSize:
    """One role's pod: CPU in cores, memory in MiB, home volume in GiB."""

    cpu_request: float
    cpu_limit: float
    memory_request_mb: int
    memory_limit_mb: int
    home_gb: int


@dataclass(frozen=True)
class RolePods:
    """``pre_spawn_hook`` step: KubeSpawner's resources and home size for the user's role."""

    learner: PodSize
    trainer: PodSize
    administrator: PodSize

    def role_of(self, group_names: set[str]) -> str:
        if ROLE_GROUPS[Role.administrator] in group_names:
            return "administrator"
        if ROLE_GROUPS[Role.trainer] in group_names:
            return "trainer"
        return "learner"

    def __call__(self, spawner) -> None:
        names = {group.name for group in getattr(spawner.user, "groups", [])}
        role = self.role_of(names)
        size: PodSize = getattr(self, role)
        spawner.cpu_guarantee = size.cpu_request
        spawner.cpu_limit = size.cpu_limit
        spawner.mem_guarantee = size.memory_request_mb * MIB
        spawner.mem_limit = size.memory_limit_mb * MIB
        spawner.storage_capacity = f"{size.home_gb}Gi"
        # a new dict: the configured one is shared by every spawner
        spawner.extra_labels = {**spawner.extra_labels, ROLE_LABEL: role}


@dataclass(frozen=True)
class SpawnHooks:
    """Several ``pre_spawn_hook`` steps, in order (one may refuse the start by raising)."""

    steps: tuple[Callable, ...]

    def __call__(self, spawner) -> None:
        for step in self.steps:
            step(spawner)

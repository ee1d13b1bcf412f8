"""Where people land after logging in: learners on「我的学习」, everyone else in JupyterLab.

Learners are artists who should never meet JupyterLab; trainers, association managers and
administrators keep JupyterHub's default (their own server). Used for the redirect after login
(``YiyuanLoginHandler``) and for visits to ``/`` (``JupyterHub.default_url``).
"""

from __future__ import annotations

from ..hubgroups import ROLE_GROUPS
from ..models import Role

#: the yiyuan service's page for learners (below the hub's base URL)
PORTAL = "services/yiyuan/"

_STAFF = {ROLE_GROUPS[r] for r in (Role.trainer, Role.manager, Role.administrator)}


def is_learner_only(group_names: set[str]) -> bool:
    return ROLE_GROUPS[Role.learner] in group_names and not group_names & _STAFF


def landing_url(base_url: str, user) -> str:
    """The portal for learners, "" (JupyterHub's default: their server) for the others."""
    if user is None:
        return ""
    names = {group.name for group in getattr(user, "groups", [])}
    return base_url + PORTAL if is_learner_only(names) else ""


def default_url(handler) -> str:
    """``c.JupyterHub.default_url``: called with the request handler."""
    return landing_url(handler.base_url, handler.current_user)


#: where a learner's own server starts (a route of yiyuan.exchange.player that redirects to
#: the portal); the others keep the spawner's default, JupyterLab
LEARNER_SERVER_URL = "/yiyuan/portal"


def learner_server_default(spawner) -> None:
    """``Spawner.pre_spawn_hook``: learners' servers open on「我的学习」, not JupyterLab."""
    names = {group.name for group in getattr(spawner.user, "groups", [])}
    if is_learner_only(names):
        spawner.default_url = LEARNER_SERVER_URL

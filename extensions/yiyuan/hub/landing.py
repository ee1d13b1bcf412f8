"""Where people land after logging in: learners and association managers on「我的学习」(the
portal, which links managers to their reports), trainers on their workspace (教师工作台, which
links to JupyterLab for authoring), administrators on theirs (管理工作台: rosters, members,
cohorts, courses, study hours, audit; it links to the trainer workspace and JupyterLab).

Learners are artists who should never meet JupyterLab, and an association's secretary only
needs the reports; a trainer's daily work (progress, grading, attendance, publishing) is on the
workspace. Used for the redirect after login (``YiyuanLoginHandler``) and for visits to ``/``
(``JupyterHub.default_url``).
"""

from __future__ import annotations

from ..hubgroups import ROLE_GROUPS
from ..models import Role

#: the yiyuan service's page for learners (below the hub's base URL)
PORTAL = "services/yiyuan/"
#: the trainer workspace
TRAINER_PAGE = "services/yiyuan/trainer"
#: the administrator workspace
ADMIN_PAGE = "services/yiyuan/admin"

_PORTAL_ROLES = {ROLE_GROUPS[r] for r in (Role.learner, Role.manager)}
_LAB_ROLES = {ROLE_GROUPS[r] for r in (Role.trainer, Role.administrator)}
_TRAINERS = ROLE_GROUPS[Role.trainer]
_ADMINISTRATORS = ROLE_GROUPS[Role.administrator]


def lands_on_portal(group_names: set[str]) -> bool:
    return bool(group_names & _PORTAL_ROLES) and not group_names & _LAB_ROLES


def landing_url(base_url: str, user) -> str:
    """The portal for learners and managers, their workspace for trainers and administrators
    (an administrator who also teaches lands on the administrator workspace)."""
    if user is None:
        return ""
    names = {group.name for group in getattr(user, "groups", [])}
    if lands_on_portal(names):
        return base_url + PORTAL
    if _ADMINISTRATORS in names:
        return base_url + ADMIN_PAGE
    if _TRAINERS in names:
        return base_url + TRAINER_PAGE
    return ""


def default_url(handler) -> str:
    """``c.JupyterHub.default_url``: called with the request handler."""
    return landing_url(handler.base_url, handler.current_user)


#: where a learner's own server starts (a route of yiyuan.exchange.player that redirects to
#: the portal); the others keep the spawner's default, JupyterLab
LEARNER_SERVER_URL = "/yiyuan/portal"


def learner_server_default(spawner) -> None:
    """``Spawner.pre_spawn_hook``: learners' (and managers') servers open on「我的学习」."""
    names = {group.name for group in getattr(spawner.user, "groups", [])}
    if lands_on_portal(names):
        spawner.default_url = LEARNER_SERVER_URL

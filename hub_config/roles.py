"""Platform roles as JupyterHub roles and scopes.

Each platform role is a JupyterHub group (kept in sync at login by the authenticator, see
``yiyuan.hubgroups.ROLE_GROUPS``) with a role granting exactly its scopes. Learners keep
JupyterHub's default ``user`` role (their own server only) and are never admins.
"""

from __future__ import annotations

from traitlets.config import Config

from yiyuan.members.hubsync import SERVICE_SCOPES as ROSTER_SYNC_SCOPES
from yiyuan.settings import Settings

#: Administrators run the hub's admin page over users and groups, without access to
#: anyone's server contents (no ``access:servers``) and without JupyterHub's ``admin`` role.
ADMINISTRATOR_SCOPES = [
    "admin-ui",
    "admin:users",
    "admin:groups",
    "admin:servers",
    "read:roles",
    "list:services",
    "read:services",
    "read:hub",
    "read:metrics",
]

#: Trainers and association managers need the hub only to reach platform services: they act
#: as themselves, like learners (and open the dashboards, see ``DASHBOARDS_ACCESS``).
TRAINER_SCOPES = ["self"]
MANAGER_SCOPES = ["self"]

#: Administrators, trainers and managers open the dashboards service, which shows each of them
#: only what their platform roles cover (yiyuan.dashboards); learners do not.
DASHBOARDS_ACCESS = "access:services!service=dashboards"


IDLE_CULLER_SCOPES = [
    "list:users",
    "read:users:activity",
    "read:servers",
    "delete:servers",
]


#: JupyterHub's default role of every user, plus the platform service (portal, exchange)
USER_SCOPES = ["self", "access:services!service=yiyuan"]


def configure_roles(c: Config, settings: Settings) -> None:
    # scopes naming a service the hub does not run would be refused at start
    dashboards = [DASHBOARDS_ACCESS] if settings.dashboards.enabled else []
    roles = [
        {
            "name": "user",
            "description": "每个用户：自己的学习环境和平台服务",
            "scopes": USER_SCOPES,
        },
        {
            "name": "yiyuan-administrator",
            "description": "管理员：服务中心工作人员",
            "scopes": ADMINISTRATOR_SCOPES + dashboards,
            "groups": ["administrators"],
        },
        {
            "name": "yiyuan-trainer",
            "description": "教师",
            "scopes": TRAINER_SCOPES + dashboards,
            "groups": ["trainers"],
        },
        {
            "name": "yiyuan-manager",
            "description": "协会管理员",
            "scopes": MANAGER_SCOPES + dashboards,
            "groups": ["managers"],
        },
        {
            "name": "roster-sync",
            "description": "按会员名册同步群组成员",
            "scopes": ROSTER_SYNC_SCOPES,
            "services": ["roster-sync"],
        },
    ]
    if settings.culler.enabled:
        roles.append(
            {
                "name": "idle-culler",
                "description": "停止闲置的学习环境",
                "scopes": IDLE_CULLER_SCOPES,
                "services": ["idle-culler"],
            }
        )
    c.JupyterHub.load_roles = roles

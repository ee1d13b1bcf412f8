"""Which JupyterHub groups each account belongs to, computed from the platform database.

One definition serves both paths that set hub groups: the authenticator at each login
(``manage_groups``) and the roster sync through the hub's REST API. Groups:

- one per platform role: ``learners``, ``trainers``, ``managers``, ``administrators``
  (hub_config.roles grants scopes to these);
- one per association: ``assoc-<code>``, e.g. ``assoc-calligraphy`` for 书协;
- one per standing above plain member, across associations: ``standing-council``,
  ``standing-standing-council``, ``standing-presidium`` (e.g. presidium members' participation).

Inactive accounts, members and memberships belong to no group.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from .models import Account, AccountRole, Association, HubSync, Member, Membership, Role, Standing

ROLE_GROUPS: dict[Role, str] = {
    Role.learner: "learners",
    Role.trainer: "trainers",
    Role.manager: "managers",
    Role.administrator: "administrators",
}
ASSOCIATION_PREFIX = "assoc-"
STANDING_PREFIX = "standing-"


def association_group(code: str) -> str:
    return ASSOCIATION_PREFIX + code


def standing_group(standing: Standing) -> str:
    return STANDING_PREFIX + standing.value


def is_managed(group: str) -> bool:
    """Groups the platform owns; any other hub group is left alone by the sync."""
    return group in ROLE_GROUPS.values() or group.startswith((ASSOCIATION_PREFIX, STANDING_PREFIX))


def desired_groups(session: Session, account_id: int | None = None) -> dict[str, set[str]]:
    """group → user names, for every account or for one; a few queries whatever the size.

    For every account, each active association has its group even while it has no members,
    so that roles can be granted to it before anyone logs in.
    """
    groups: dict[str, set[str]] = defaultdict(set)
    if account_id is None:
        for code in session.scalars(select(Association.code).where(Association.active)):
            groups[association_group(code)] = set()
    roles = (
        select(AccountRole.role, Account.username)
        .join(Account, AccountRole.account_id == Account.id)
        .where(Account.active)
    )
    memberships = (
        select(Association.code, Membership.standing, Account.username)
        .join(Member, Membership.member_id == Member.id)
        .join(Account, Member.account_id == Account.id)
        .join(Association, Membership.association_id == Association.id)
        .where(Account.active, Member.active, Membership.active)
    )
    if account_id is not None:
        roles = roles.where(Account.id == account_id)
        memberships = memberships.where(Account.id == account_id)
    for role, username in session.execute(roles):
        groups[ROLE_GROUPS[role]].add(username)
    for code, standing, username in session.execute(memberships):
        groups[association_group(code)].add(username)
        if standing is not Standing.member:
            groups[standing_group(standing)].add(username)
    return dict(groups)


def groups_of(session: Session, account: Account) -> list[str]:
    """The sorted hub groups of one account, as the authenticator returns them at login."""
    return sorted(desired_groups(session, account.id))


def request_hub_sync(session: Session) -> None:
    """Note that hub groups must change, in the same transaction as the change itself.

    The sync (``yiyuan members sync``, or the hub's roster-sync service within seconds)
    compares ``hub_sync.wanted_version`` with the version it last pushed.
    """
    bumped = session.execute(
        update(HubSync).where(HubSync.id == 1).values(wanted_version=HubSync.wanted_version + 1)
    )
    if bumped.rowcount == 0:
        session.add(HubSync(id=1, wanted_version=1, synced_version=0))
        session.flush()

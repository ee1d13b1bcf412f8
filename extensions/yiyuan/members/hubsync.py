"""Bring JupyterHub's users and groups in line with the platform database, over its REST API.

The roster is the truth: for the groups the platform owns (``yiyuan.hubgroups.is_managed``)
the sync creates missing users and groups, adds missing members and removes those who left.
It runs after every import, from ``yiyuan members sync``, and in the hub's ``roster-sync``
service, which syncs at hub start and whenever an import bumped ``hub_sync.wanted_version``
while the hub was down.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from urllib.parse import quote

import requests
from sqlalchemy import select

from ..db import Database
from ..errors import YiyuanError
from ..hubgroups import desired_groups, is_managed
from ..models import HubSync, utcnow

log = logging.getLogger(__name__)
SERVICE_NAME = "roster-sync"
#: the narrowest scopes that let the sync create users and groups and set membership
SERVICE_SCOPES = ["admin:users", "admin:groups"]
CHUNK = 1000


class HubUnreachable(YiyuanError):
    """The hub did not answer; the database is right and the hub will catch up later."""


@dataclass
class SyncReport:
    users_created: int = 0
    groups_created: int = 0
    added: int = 0
    removed: int = 0
    version: int = 0
    changes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"新建用户 {self.users_created} 个、群组 {self.groups_created} 个，"
            f"加入群组 {self.added} 人次，移出 {self.removed} 人次"
        )


class HubAPI:
    """The few JupyterHub REST calls the sync needs, with pagination."""

    def __init__(self, api_url: str, token: str, timeout: float = 60) -> None:
        self.api_url = api_url.rstrip("/")
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"token {token}"
        self.timeout = timeout

    def _call(self, method: str, path: str, **kwargs) -> requests.Response:
        try:
            response = self.http.request(
                method, self.api_url + path, timeout=self.timeout, **kwargs
            )
        except requests.ConnectionError:
            raise HubUnreachable(
                f"无法连接 JupyterHub（{self.api_url}）：数据已保存，平台启动后会自动同步，"
                "也可稍后运行 `yiyuan members sync`。"
            ) from None
        if response.status_code == 403:
            raise YiyuanError(
                "JupyterHub 拒绝了同步请求（403）：roster-sync 服务的令牌无效或权限不足，"
                "请重启平台以重新加载配置。"
            )
        response.raise_for_status()
        return response

    def _pages(self, path: str):
        offset = 0
        while True:
            page = self._call(
                "GET",
                path,
                params={"offset": offset, "limit": 200},
                headers={"Accept": "application/jupyterhub-pagination+json"},
            ).json()
            yield from page["items"]
            following = page["_pagination"].get("next")
            if not following:
                return
            offset = following["offset"]

    def user_names(self) -> set[str]:
        return {user["name"] for user in self._pages("/users?include_stopped_servers")}

    def groups(self) -> dict[str, set[str]]:
        return {group["name"]: set(group["users"]) for group in self._pages("/groups")}

    def create_users(self, names: list[str]) -> None:
        for start in range(0, len(names), CHUNK):
            self._call("POST", "/users", json={"usernames": names[start : start + CHUNK]})

    def create_groups(self, names: list[str]) -> None:
        self._call("POST", "/groups", json={"groups": names})

    def add(self, group: str, names: list[str]) -> None:
        for start in range(0, len(names), CHUNK):
            chunk = names[start : start + CHUNK]
            self._call("POST", f"/groups/{quote(group)}/users", json={"users": chunk})

    def remove(self, group: str, names: list[str]) -> None:
        for start in range(0, len(names), CHUNK):
            chunk = names[start : start + CHUNK]
            self._call("DELETE", f"/groups/{quote(group)}/users", json={"users": chunk})


def sync(database: Database, api: HubAPI) -> SyncReport:
    """One full sync. Records success (or the error) in ``hub_sync``."""
    with database.session() as session:
        state = session.get(HubSync, 1)
        version = state.wanted_version if state else 0
        desired = desired_groups(session)
    try:
        report = _push(api, desired)
    except YiyuanError as error:
        _record(database, error=str(error))
        raise
    report.version = version
    _record(database, version=version)
    return report


def _push(api: HubAPI, desired: dict[str, set[str]]) -> SyncReport:
    report = SyncReport()
    wanted_users = set().union(*desired.values()) if desired else set()
    missing_users = sorted(wanted_users - api.user_names())
    if missing_users:
        api.create_users(missing_users)
        report.users_created = len(missing_users)
    actual = api.groups()
    missing_groups = sorted(set(desired) - set(actual))
    if missing_groups:
        api.create_groups(missing_groups)
        report.groups_created = len(missing_groups)
    for group in sorted(set(desired) | {g for g in actual if is_managed(g)}):
        want, have = desired.get(group, set()), actual.get(group, set())
        if add := sorted(want - have):
            api.add(group, add)
            report.added += len(add)
        if remove := sorted(have - want):
            api.remove(group, remove)
            report.removed += len(remove)
    return report


def _record(database: Database, version: int | None = None, error: str = "") -> None:
    with database.session() as session:
        state = session.get(HubSync, 1)
        if state is None:
            state = HubSync(id=1)
            session.add(state)
        if version is not None:
            # an import that landed during the sync bumped wanted_version past this: it stays due
            state.synced_version = version
            state.synced_at = utcnow()
        state.last_error = error


def pending(database: Database) -> bool:
    """Whether an import changed the roster since the hub last received it."""
    with database.session() as session:
        state = session.scalar(select(HubSync).where(HubSync.id == 1))
        return bool(state and state.wanted_version != state.synced_version)


def watch(database: Database, api: HubAPI, interval: float, stop=lambda: False) -> None:
    """Sync once, then again whenever an import leaves work; never exits on a failed sync."""
    first = True
    while not stop():
        try:
            if first or pending(database):
                report = sync(database, api)
                log.info("roster sync done: %s", report.summary())
                first = False
        except Exception:  # keep the service alive: the next round retries
            log.exception("roster sync failed; retrying in %s s", interval)
        time.sleep(interval)

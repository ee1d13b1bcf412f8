"""Bring JupyterHub's groups in line with the platform database, over its REST API.

The roster is the truth: for the groups the platform owns (``yiyuan.hubgroups.is_managed``)
the sync creates missing groups, adds missing members and removes those who left. It runs
after every import, from ``yiyuan members sync``, and in the hub's ``roster-sync`` service,
which syncs at hub start, within seconds whenever an import or a (de)activation bumped
``hub_sync.wanted_version``, and every five minutes anyway (which also repairs hand edits of
platform groups in the hub's admin page).

Hub *users* are not created here: as everywhere in JupyterHub, a user appears in the hub at
first login, and the authenticator hands over the same groups then (``manage_groups``). The
sync therefore only touches users the hub already has, which keeps it fast at any roster
size (creating 20,000 hub users over the REST API takes the hub minutes, measured in
bench/RESULTS.md, and would stall logins meanwhile).
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
from ..models import Account, HubSync, utcnow

log = logging.getLogger(__name__)
SERVICE_NAME = "roster-sync"
#: the narrowest scopes that let the sync create groups, set membership and look up a user
SERVICE_SCOPES = ["admin:groups", "read:users:name"]
CHUNK = 1000


class HubUnreachable(YiyuanError):
    """The hub did not answer; the database is right and the hub will catch up later."""


@dataclass
class SyncReport:
    groups_created: int = 0
    added: int = 0
    removed: int = 0
    version: int = 0
    changes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"新建群组 {self.groups_created} 个，"
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
        except requests.Timeout:
            raise HubUnreachable(
                f"JupyterHub 在 {self.timeout:.0f} 秒内没有响应：数据已保存，"
                "平台会在空闲时自动同步，也可稍后运行 `yiyuan members sync`。"
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

    def user_exists(self, name: str) -> bool:
        try:
            self._call("GET", f"/users/{quote(name)}")
        except requests.HTTPError as error:
            if error.response is not None and error.response.status_code == 404:
                return False
            raise
        return True

    def groups(self) -> dict[str, set[str]]:
        return {group["name"]: set(group["users"]) for group in self._pages("/groups")}

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
        logged_in = set(
            session.scalars(select(Account.username).where(Account.last_login_at.is_not(None)))
        )
    try:
        report = _push(api, desired, logged_in)
    except YiyuanError as error:
        _record(database, error=str(error))
        raise
    report.version = version
    _record(database, version=version)
    return report


def _push(api: HubAPI, desired: dict[str, set[str]], logged_in: set[str]) -> SyncReport:
    """``logged_in``: accounts that have logged in, so the hub should know them."""
    report = SyncReport()
    actual = api.groups()
    in_hub = set().union(*(users for group, users in actual.items() if is_managed(group)))
    wanted = set().union(*desired.values()) if desired else set()
    # someone who logged in but belongs to no platform group yet (rare): ask the hub
    in_hub |= {name for name in sorted((wanted & logged_in) - in_hub) if api.user_exists(name)}
    desired = {group: users & in_hub for group, users in desired.items()}
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


def watch(
    database: Database, api: HubAPI, interval: float, full_every: float = 300, stop=lambda: False
) -> None:
    """Sync at start, whenever an import leaves work, and every ``full_every`` seconds anyway
    (to repair changes made to groups by hand); never exits on a failed sync."""
    last_full = None
    while not stop():
        try:
            due = last_full is None or time.monotonic() - last_full >= full_every
            if due or pending(database):
                report = sync(database, api)
                last_full = time.monotonic()
                if report.added or report.removed or report.groups_created:
                    log.info("roster sync done: %s", report.summary())
        except Exception:  # keep the service alive: the next round retries
            log.exception("roster sync failed; retrying in %s s", interval)
        time.sleep(interval)

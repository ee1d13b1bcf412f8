"""The platform's own system user in production mode (``service.user``, ``yiyuan`` by default).

Only JupyterHub needs root: it creates each account's system user at first login and starts
learners' servers as them. The platform's own processes need none, so in production they run
as one unprivileged system user that owns the data directory: the yiyuan service, the grading
workers, roster sync, dashboards and the idle culler (hub_config/services.py sets JupyterHub's
``user`` key of each service), and ``yiyuan`` commands an administrator runs as root
(:func:`become`, called by the CLI the first time a command needs the settings).

A file that root made in the data directory (``yiyuan db upgrade`` run by hand, the hub's own
``secrets/`` on first start, a data directory copied by root) would lock that user out: the
hub hands the data directory over at every start (:func:`hand_over_data_dir`). The hub keeps
its own files (its database, cookie secret and pid files) to itself.
"""

from __future__ import annotations

import os
import pwd
import stat
import sys
from pathlib import Path

from .errors import YiyuanError
from .settings import Settings

#: the hub's own files in the data directory: they stay root's (the cookie secret signs every
#: login; the hub's database holds every token)
HUB_FILES = ("jupyterhub.sqlite", "jupyterhub_cookie_secret", "jupyterhub.pid", "proxy.pid")


def service_account(settings: Settings) -> pwd.struct_passwd | None:
    """The system user the platform's processes run as, or None when they keep the hub's own
    user (demo mode, or ``service.user`` left empty)."""
    name = settings.service.user
    if settings.mode != "production" or not name:
        return None
    try:
        account = pwd.getpwnam(name)
    except KeyError:
        raise YiyuanError(
            f"系统用户 {name}（配置项 service.user）不存在：平台自己的进程以它运行。"
            f"请以 root 运行 adduser --system --group --no-create-home --home {settings.data_dir}"
            f" {name}（见 docs/deploy.md）。"
        ) from None
    if account.pw_uid == 0:
        raise YiyuanError(
            f"系统用户 {name}（配置项 service.user）是 root：请用一个专用的低权限系统用户，"
            "如 yiyuan（见 docs/deploy.md）。"
        )
    return account


def is_hub_file(name: str) -> bool:
    """The hub's own files, SQLite's companions (``-journal``, ``-wal``, ``-shm``) included."""
    return any(name == hub or name.startswith(f"{hub}-") for hub in HUB_FILES)


def hand_over_data_dir(data_dir: Path, account: pwd.struct_passwd) -> int:
    """Give ``account`` the data directory and everything in it except the hub's own files;
    returns how many entries changed owner. Needs root. Symbolic links are changed themselves,
    never followed."""
    uid, gid = account.pw_uid, account.pw_gid
    changed = 0

    def own(path: str) -> None:
        nonlocal changed
        status = os.lstat(path)
        if (status.st_uid, status.st_gid) != (uid, gid):
            os.lchown(path, uid, gid)
            changed += 1

    own(str(data_dir))
    for folder, folders, files in os.walk(data_dir):
        top = folder == str(data_dir)
        for name in folders + files:
            if not (top and is_hub_file(name)):
                own(os.path.join(folder, name))
    return changed


def closed_to_others(path: Path) -> Path | None:
    """The first of ``path``'s folders that other users cannot enter, or ``path`` itself when
    they cannot read and execute it; None when all is open."""
    path = Path(os.path.abspath(path))
    for folder in reversed(path.parents):
        if not os.stat(folder).st_mode & stat.S_IXOTH:
            return folder
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return path
    return None if mode & stat.S_IROTH and mode & stat.S_IXOTH else path


def become(account: pwd.struct_passwd) -> None:
    """Drop root for ``account`` for the rest of this process (groups, gid, then uid)."""
    os.setgroups(os.getgrouplist(account.pw_name, account.pw_gid))
    os.setgid(account.pw_gid)
    os.setuid(account.pw_uid)
    os.environ.update(HOME=account.pw_dir, USER=account.pw_name, LOGNAME=account.pw_name)


def drop_root_for_commands(settings: Settings) -> str:
    """A ``yiyuan`` command run as root in production mode runs as the service user instead,
    so that whatever it writes in the data directory stays usable by the platform's
    processes. The data directory is handed over first (it may still be root's). Returns the
    user's name, or "" when the command keeps running as it was started."""
    if os.geteuid() != 0:
        return ""
    account = service_account(settings)
    if account is None:
        return ""
    python = Path(sys.executable)
    closed = closed_to_others(python) or closed_to_others(python.resolve())
    if closed is not None:
        raise YiyuanError(
            f"生产模式下 root 运行的 yiyuan 命令以系统用户 {account.pw_name} 的身份运行，"
            f"但它无法运行 {sys.executable}（{closed} 不允许其他用户进入或执行）：请按 "
            "docs/deploy.md 用 /usr/bin/python3.11 建立虚拟环境。"
        )
    settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    hand_over_data_dir(settings.data_dir, account)
    become(account)
    return account.pw_name

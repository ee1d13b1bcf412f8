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
import signal
import stat
import sys
import time
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
            f"请以 root 运行 adduser --system --group --home /var/lib/{name} {name}"
            "（见 docs/deploy.md）。"
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
    returns how many entries changed owner. Needs root. Walks by folder descriptors and never
    follows a symbolic link (the service user owns these folders and could swap one in)."""
    uid, gid = account.pw_uid, account.pw_gid
    changed = 0

    def own(name: str, folder: int | None) -> None:
        nonlocal changed
        status = os.stat(name, dir_fd=folder, follow_symlinks=False)
        if (status.st_uid, status.st_gid) != (uid, gid):
            os.chown(name, uid, gid, dir_fd=folder, follow_symlinks=False)
            changed += 1

    own(str(data_dir), None)
    for folder, folders, files, descriptor in os.fwalk(data_dir):
        top = folder == str(data_dir)
        for name in folders + files:
            if not (top and is_hub_file(name)):
                own(name, descriptor)
    return changed


def stop_processes_of(account: pwd.struct_passwd, grace: float = 5.0) -> list[int]:
    """Stop every process running as ``account`` (SIGTERM, SIGKILL after ``grace`` seconds);
    returns their pids. The hub does this before it starts: the service user runs nothing but
    the platform's processes, and none may be left to race root in the data directory."""
    pids = _processes_of(account.pw_uid)
    for signum in (signal.SIGTERM, signal.SIGKILL):
        for pid in pids:
            try:
                os.kill(pid, signum)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + grace
        while _processes_of(account.pw_uid) and time.monotonic() < deadline:
            time.sleep(0.1)
        pids = _processes_of(account.pw_uid)
        if not pids:
            break
    return pids


def _processes_of(uid: int) -> list[int]:
    """Live processes with ``uid`` as their real, effective, saved or file-system uid."""
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/status") as file:
                status = dict(line.split(":", 1) for line in file if ":" in line)
        except OSError:
            continue
        alive = not status.get("State", "").strip().startswith(("Z", "X"))
        if alive and uid in {int(value) for value in status.get("Uid", "").split()}:
            found.append(int(entry.name))
    return found


def check_hub_files(data_dir: Path) -> None:
    """Root reads and writes the hub's files and ``secrets/`` in a folder the service user owns:
    refuse (or, for pid files, remove) any that the service user could have made or linked."""
    for name in os.listdir(data_dir):
        if not is_hub_file(name):
            continue
        status = os.lstat(data_dir / name)
        if stat.S_ISREG(status.st_mode) and status.st_uid == 0:
            continue
        if name.endswith(".pid"):
            os.unlink(data_dir / name)
            continue
        raise YiyuanError(
            f"JupyterHub 的文件 {data_dir / name} 不是 root 的普通文件，可能被改动过：请检查；"
            "确认后删除它再启动（删除 jupyterhub_cookie_secret 会让所有人重新登录）。"
        )
    # the roster-sync token is read (or made) by root before the services start
    secrets = data_dir / "secrets"
    if not os.path.lexists(secrets):
        return
    wanted = [(secrets, stat.S_ISDIR)]
    if not secrets.is_symlink():
        wanted += [(path, stat.S_ISREG) for path in secrets.iterdir()]
    for path, kind in wanted:
        if not kind(os.lstat(path).st_mode):
            raise YiyuanError(
                f"{path} 是符号链接或特殊文件，可能被改动过：请检查后删除它再启动（令牌会重新生成）。"
            )


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


def drop_root_for_commands(settings: Settings, keep_real_root: bool = False) -> str:
    """A ``yiyuan`` command run as root in production mode runs as the service user instead,
    so that whatever it writes in the data directory stays usable by the platform's
    processes. The data directory is handed over first (it may still be root's). Returns the
    user's name, or "" when the command keeps running as it was started.

    ``keep_real_root`` (the grading pool): work as the service user but keep root as the real
    uid, which sandboxed kernels need to get a uid of their own."""
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
    if keep_real_root:
        from .grading.sandbox import keep_root_for_kernels

        keep_root_for_kernels(account.pw_uid, account.pw_gid, account.pw_name, account.pw_dir)
    else:
        become(account)
    return account.pw_name

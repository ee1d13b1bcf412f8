"""Checks before the hub starts, each failing with one sentence that says what to fix."""

from __future__ import annotations

import errno
import os
import pwd
import socket
import subprocess
from pathlib import Path

from .db import Database
from .db.migrate import check_schema
from .errors import YiyuanError
from .serviceuser import (
    check_hub_files,
    closed_to_others,
    hand_over_data_dir,
    service_account,
    stop_processes_of,
)
from .settings import Settings


def check_hub_can_start(
    settings: Settings, proxy_command: Path, bin_dir: Path | None = None
) -> None:
    """``bin_dir``: the venv's executables (production: learners' servers must run them)."""
    account = None
    if settings.mode == "production":
        account = check_production_host(settings, bin_dir)
    # on Kubernetes the chart runs the proxy in a pod of its own and the hub binds in its pod
    local = settings.mode != "kubernetes"
    ports = [("hub.hub_port", "127.0.0.1", settings.hub.hub_port)] if local else []
    # A proxy left behind by a hub that crashed is stopped by JupyterHub itself (pid file).
    if local and not _leftover_proxy(settings.data_dir / "proxy.pid"):
        ports += [
            ("hub.port", settings.hub.ip, settings.hub.port),
            ("hub.proxy_api_port", "127.0.0.1", settings.hub.proxy_api_port),
        ]
    for setting, ip, port in ports:
        check_port_free(setting, ip, port)
    if account is not None and settings.data_dir.exists():
        # no other hub runs here (its ports are free): before root touches the data directory,
        # nothing of the service user may run that could swap a path for a symbolic link
        stop_processes_of(account)
        check_hub_files(settings.data_dir)
    check_data_dir(settings.data_dir, private=settings.mode == "production")
    database = Database(settings.platform_db_url)
    try:
        check_schema(database)
    finally:
        database.dispose()
    if local and not proxy_command.exists():
        raise YiyuanError(
            f"找不到 configurable-http-proxy（{proxy_command}）：请在项目目录运行 `make run`"
            "（或 `npm ci`）安装它。"
        )
    check_dashboards_dir(settings)
    check_certificate_seals(settings)


def check_certificate_seals(settings: Settings) -> None:
    """A seal image named in settings must be there before a certificate needs it."""
    for issuer in settings.certificates.issuers:
        if issuer.seal and not Path(issuer.seal).is_file():
            raise YiyuanError(
                f"颁发单位 {issuer.code} 的印章图片 {issuer.seal} 不存在：请放好图片，或改正"
                "配置项 certificates.issuers 的 seal（留空则印“示例印章”）。"
            )


def check_production_host(settings: Settings, bin_dir: Path | None) -> pwd.struct_passwd | None:
    """Production mode needs root (system users, servers started as them), the platform's own
    system user, and a venv that learners' system users can execute: all checked before the
    hub starts, so before the first login creates a system user that then cannot run."""
    if os.geteuid() != 0:
        raise YiyuanError(
            "生产模式（mode: production）下 JupyterHub 须以 root 运行：它要在账号首次登录时建立"
            "系统用户，并以各人的身份启动学习环境。请用 systemd 服务启动（见 docs/deploy.md）。"
        )
    account = service_account(settings)  # raises when service.user does not exist
    if bin_dir is not None:
        check_learners_can_run(bin_dir)
    return account


#: an unprivileged uid and gid without groups: what a learner's server is to the file system
NOBODY = 65534
#: what a learner's server starts with: the venv's jupyterhub-singleuser (its python, the
#: interpreter that one links to, the packages, and the platform's code beside them)
_RUN_AS_LEARNER = (
    "import os, sys, jupyterhub, yiyuan.exchange.names\n"
    "sys.exit(0 if os.access(sys.argv[1], os.R_OK | os.X_OK) else 3)"
)


def check_learners_can_run(bin_dir: Path) -> None:
    """Every learner's server runs ``bin_dir/jupyterhub-singleuser`` as the learner's own
    system user: every folder on the way to it, to the venv's python and to the interpreter that
    one links to must let other users through, and an unprivileged uid (nobody, no groups) must
    be able to start the venv's python, import the server's packages and run the script."""
    singleuser, python = bin_dir / "jupyterhub-singleuser", bin_dir / "python"
    for path in (singleuser, python, Path(os.path.realpath(python))):
        closed = closed_to_others(path)
        if closed is not None:
            raise _unusable_venv(bin_dir, f"{closed} 不允许其他用户进入或执行")
    try:
        result = subprocess.run(
            [str(python), "-c", _RUN_AS_LEARNER, str(singleuser)],
            user=NOBODY,
            group=NOBODY,
            extra_groups=[],
            env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
            cwd="/",
            capture_output=True,
            text=True,
            timeout=60,
        )
    except OSError as error:
        raise _unusable_venv(bin_dir, f"{python}：{error.strerror}") from None
    if result.returncode != 0:
        lines = (result.stderr.strip() or f"{singleuser} 不可读或不可执行").splitlines()
        raise _unusable_venv(bin_dir, lines[-1])


def _unusable_venv(bin_dir: Path, reason: str) -> YiyuanError:
    venv = bin_dir.parent
    make = "make setup" if venv.name == ".venv" else f"make setup VENV={venv.name}"
    return YiyuanError(
        f"学员的学习环境将无法启动：其他系统用户无法运行虚拟环境 {venv} 里的程序（{reason}）。"
        f"请用人人可执行的 Python 重建它：cd {venv.parent} && rm -rf {venv.name} && {make} "
        "PYTHON=/usr/bin/python3.11；项目目录（如 /opt/yiyuan）的每一级目录也须允许其他用户进入"
        "（见 docs/deploy.md）。"
    )


#: run as the service user: may it read the settings file and work in the data directory?
_SERVICE_USER_ACCESS = (
    "import os, sys\n"
    "config, data, home = sys.argv[1:]\n"
    "if config and not os.access(config, os.R_OK): sys.exit(3)\n"
    "if not os.access(data, os.R_OK | os.W_OK | os.X_OK): sys.exit(4)\n"
    "sys.exit(0 if os.access(home, os.W_OK | os.X_OK) else 5)"
)


def check_services_can_start(settings: Settings, config_file: str, python: Path) -> None:
    """Production mode: hand the data directory to the platform's system user (files root
    made there would lock it out), then check as that user that it can read the settings file
    (``YIYUAN_CONFIG``) and work in the data directory. Run after everything the hub itself
    writes there before its services start (the roster-sync token)."""
    account = service_account(settings)
    if account is None:
        return
    hand_over_data_dir(settings.data_dir, account)
    home = account.pw_dir
    name = account.pw_name
    try:
        result = subprocess.run(
            [str(python), "-c", _SERVICE_USER_ACCESS, config_file, str(settings.data_dir), home],
            user=account.pw_uid,
            group=account.pw_gid,
            extra_groups=os.getgrouplist(name, account.pw_gid),
            env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
            cwd="/",
            capture_output=True,
            timeout=60,
        )
    except OSError as error:
        raise YiyuanError(
            f"平台的系统用户 {name} 无法运行 {python}（{error.strerror}）：请按 docs/deploy.md "
            "用 /usr/bin/python3.11 建立虚拟环境。"
        ) from None
    if result.returncode == 3:
        raise YiyuanError(
            f"平台的系统用户 {name} 无法读取配置文件 {config_file}：请运行 chgrp {name} "
            f"{config_file} && chmod 0640 {config_file}（见 docs/deploy.md）。"
        )
    if result.returncode == 5:
        # Jupyter (dashboards, grading) keeps its runtime files under HOME
        raise YiyuanError(
            f"平台的系统用户 {name} 的主目录 {home} 不存在或不可写：请运行 install -d -m 0750 "
            f"-o {name} -g {name} {home}（见 docs/deploy.md）。"
        )
    if result.returncode != 0:
        raise YiyuanError(
            f"平台的系统用户 {name} 无法进入数据目录 {settings.data_dir}：它的每一级上级目录"
            "都须允许其他用户进入；请把数据目录放在如 /srv/yiyuan 处（配置项 data_dir）。"
        )


def check_dashboards_dir(settings: Settings) -> None:
    """The dashboards service would exit at start, and JupyterHub with it: say why first."""
    if settings.dashboards.enabled and not settings.dashboards.dir.is_dir():
        raise YiyuanError(
            f"统计报表目录 {settings.dashboards.dir} 不存在：请检查配置项 dashboards.dir，"
            "或设 dashboards.enabled: false 关闭统计报表。"
        )


def check_data_dir(data_dir: Path, private: bool = False) -> None:
    """The data directory exists and is writable; ``private`` (production): mode 0700, since
    it holds the databases and tokens and learners run as system users of their own."""
    try:
        data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        if private and data_dir.stat().st_mode & 0o077:
            data_dir.chmod(0o700)
        # a new file of its own, never through a link (the service user owns the folder)
        probe = data_dir / f".write-test-{os.getpid()}"
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600))
        probe.unlink()
    except OSError as error:
        raise YiyuanError(
            f"数据目录 {data_dir} 无法写入（{error.strerror}）：请检查权限，"
            "或用配置项 data_dir / 环境变量 YIYUAN_DATA_DIR 指定另一个目录。"
        ) from None


def check_port_free(setting: str, ip: str, port: int) -> None:
    family = socket.AF_INET6 if ":" in ip else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((ip or "0.0.0.0", port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise YiyuanError(
                    f"端口 {port} 已被占用（配置项 {setting}）：艺苑可能已在运行，"
                    "或其他程序占用了该端口；请先停止它，或在配置文件中换一个端口。"
                ) from None
            if error.errno == errno.EADDRNOTAVAIL:
                raise YiyuanError(
                    f"本机没有地址 {ip}（配置项 hub.ip）：请改为 127.0.0.1、0.0.0.0 或本机的地址。"
                ) from None
            raise


def _leftover_proxy(pid_file: Path) -> bool:
    try:
        pid = int(pid_file.read_text().strip())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return False
    return True

"""Checks before the hub starts, each failing with one sentence that says what to fix."""

from __future__ import annotations

import errno
import os
import socket
from pathlib import Path

from .db import Database
from .db.migrate import check_schema
from .errors import YiyuanError
from .settings import Settings


def check_hub_can_start(settings: Settings, proxy_command: Path) -> None:
    check_data_dir(settings.data_dir, private=settings.mode == "production")
    database = Database(settings.platform_db_url)
    try:
        check_schema(database)
    finally:
        database.dispose()
    if not proxy_command.exists():
        raise YiyuanError(
            f"找不到 configurable-http-proxy（{proxy_command}）：请在项目目录运行 `make run`"
            "（或 `npm ci`）安装它。"
        )
    ports = [("hub.hub_port", "127.0.0.1", settings.hub.hub_port)]
    # A proxy left behind by a hub that crashed is stopped by JupyterHub itself (pid file).
    if not _leftover_proxy(settings.data_dir / "proxy.pid"):
        ports += [
            ("hub.port", settings.hub.ip, settings.hub.port),
            ("hub.proxy_api_port", "127.0.0.1", settings.hub.proxy_api_port),
        ]
    for setting, ip, port in ports:
        check_port_free(setting, ip, port)
    check_dashboards_dir(settings)


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
        probe = data_dir / ".write-test"
        probe.write_text("ok")
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

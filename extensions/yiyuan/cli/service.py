"""``yiyuan service``: the platform service JupyterHub starts (``/services/yiyuan/``)."""

from __future__ import annotations

import click

from . import Context, pass_context


@click.group("service", help="平台服务（由 JupyterHub 启动）。")
def group() -> None:
    pass


@group.command(help="运行平台服务：接口、作业交换、学习进度（通常由 JupyterHub 自动启动）。")
@click.option(
    "--listen",
    metavar="HOST:PORT",
    default="",
    callback=lambda _ctx, _param, value: _checked_listen(value),
    help="监听的地址，如 0.0.0.0:8090（在 JupyterHub 之外运行的副本用；"
    "默认取 JUPYTERHUB_SERVICE_URL，再默认 127.0.0.1 与配置项 service.port）。",
)
@pass_context
def run(ctx: Context, listen: str) -> None:
    from ..service.app import run as run_service  # tornado and jupyterhub only when serving

    run_service(ctx.platform, listen)


def _checked_listen(value: str) -> str:
    if value:
        _host, colon, port = value.rpartition(":")
        if not colon or not port.isdigit() or not 0 < int(port) < 65536:
            raise click.BadParameter(f"{value!r} 应为 主机:端口，如 0.0.0.0:8090。")
    return value


@group.command("openapi", help="输出平台服务接口的 OpenAPI 描述（JSON）。")
def openapi_command() -> None:
    import json

    from ..service.openapi import spec

    click.echo(json.dumps(spec(), ensure_ascii=False, indent=2))

"""``yiyuan service``: the platform service JupyterHub starts (``/services/yiyuan/``)."""

from __future__ import annotations

import click

from . import Context, pass_context


@click.group("service", help="平台服务（由 JupyterHub 启动）。")
def group() -> None:
    pass


@group.command(help="运行平台服务：接口、作业交换、学习进度（通常由 JupyterHub 自动启动）。")
@pass_context
def run(ctx: Context) -> None:
    from ..service.app import run as run_service  # tornado and jupyterhub only when serving

    run_service(ctx.platform)


@group.command("openapi", help="输出平台服务接口的 OpenAPI 描述（JSON）。")
def openapi_command() -> None:
    import json

    from ..service.openapi import spec

    click.echo(json.dumps(spec(), ensure_ascii=False, indent=2))

"""``yiyuan dashboards``: the dashboards service JupyterHub starts (``/services/dashboards/``)."""

from __future__ import annotations

import click

from . import Context, pass_context


@click.group("dashboards", help="统计报表服务（由 JupyterHub 启动）。")
def group() -> None:
    pass


@group.command(
    help="运行统计报表服务：Voila 显示 dashboards.dir 中的报表（通常由 JupyterHub 自动启动）。"
)
@pass_context
def run(ctx: Context) -> None:
    from ..dashboards.server import run as run_dashboards  # voila only when serving

    ctx.database.check_reachable()
    run_dashboards(ctx.settings)

"""``yiyuan grading``: the autograding worker pool and its queue."""

from __future__ import annotations

import click

from . import Context, pass_context

STATE_NAMES = {"queued": "排队中", "running": "评分中", "done": "已完成", "failed": "失败"}


@click.group("grading", help="自动评分：评分进程池与评分队列。")
def group() -> None:
    pass


@group.command(help="运行自动评分进程池（通常由 JupyterHub 作为托管服务启动）。")
@click.option(
    "--workers",
    type=click.IntRange(min=0),
    default=None,
    help="评分进程数；0 表示每个 CPU 核一个（默认取配置项 grading.workers）。",
)
@click.option("--once", is_flag=True, help="评完队列中现有的提交后退出。")
@pass_context
def run(ctx: Context, workers: int | None, once: bool) -> None:
    from ..grading.worker import pool_size, run_pool

    ctx.database.check_reachable()
    size = pool_size(ctx.settings, workers)
    click.echo(f"自动评分已启动：{size} 个评分进程" + ("，评完现有提交后退出。" if once else "。"))
    run_pool(ctx.settings, workers=workers, once=once)
    click.echo("自动评分已停止。")


#: run by root in production, the pool works as service.user but keeps root as its real uid
#: (its sandboxed kernels get uids of their own): yiyuan.serviceuser.drop_root_for_commands
run.keeps_real_root = True


@group.command(help="显示评分队列中各状态的作业数。")
@pass_context
def status(ctx: Context) -> None:
    from ..grading import queue

    with ctx.database.session() as session:
        counts = queue.status(session)
    for state, number in counts.items():
        click.echo(f"{STATE_NAMES.get(state, state)}：{number}")

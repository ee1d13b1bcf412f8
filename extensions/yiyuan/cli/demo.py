"""``yiyuan demo``: data for trying the platform."""

from __future__ import annotations

import time

import click

from ..db.migrate import check_schema
from ..demo import DEMO_PASSWORD, seed_demo, seed_demo_cohort
from ..models import ROLE_LABELS
from ..synthetic import SYNTHETIC_PASSWORD
from ..synthetic import generate as generate_data
from . import Context, pass_context


@click.group("demo", help="演示数据。")
def group() -> None:
    pass


@group.command(help="写入演示协会与演示账号（已存在的不会重复创建）。")
@pass_context
def seed(ctx: Context) -> None:
    check_schema(ctx.database)
    with ctx.database.session() as session:
        accounts = seed_demo(session, ctx.settings.city)
    click.echo(f"演示账号（密码均为 {DEMO_PASSWORD}，仅供演示）：")
    for demo, created in accounts:
        note = "新建" if created else "已存在"
        role = ROLE_LABELS[demo.role]
        click.echo(f"  {demo.username:<10} {role:<6} {demo.display_name}（{note}）")


@group.command(
    help="写入演示期次（2026年第三期文艺骨干培训班：书协、作协，已发布的示范课程），"
    "并按规则报名；已存在时不再写入。请在发布示范课程之后运行。"
)
@click.option("--actor", default="admin", show_default=True, help="记入审计日志的操作人")
@pass_context
def cohort(ctx: Context, actor: str) -> None:
    check_schema(ctx.database)
    with ctx.database.session() as session:
        made = seed_demo_cohort(session, actor)
    if made is None:
        click.echo("演示期次已存在，或示范课程尚未发布：未写入。")
    else:
        click.echo(f"已创建演示期次 {made[0]}，按规则报名 {made[1]} 人。")


#: table → how the summary names it, in the order it is printed
_TABLE_LABELS = {
    "accounts": "账号",
    "account_roles": "角色授权",
    "members": "会员",
    "memberships": "协会会籍",
    "courses": "课程",
    "modules": "单元",
    "course_trainers": "任课安排",
    "enrolments": "选课",
    "module_results": "单元成绩",
    "study_hours": "学时记录",
    "course_completions": "课程结业",
    "attendance": "现场签到",
    "completion_events": "学习事件",
    "programmes": "培训项目",
    "cohorts": "期次",
    "cohort_members": "期次学员",
    "cohort_courses": "期次课程",
}


@group.command(
    help="生成模拟数据（会员、课程、成绩、学时、期次），用于性能测试和演示，无需启动 JupyterHub。"
    "数据库中已有会员或真实账号时拒绝写入，除非加 --force。"
)
@click.option(
    "--members",
    type=click.IntRange(min=1),
    default=20000,
    show_default=True,
    help="会员（学员）人数",
)
@click.option(
    "--courses", type=click.IntRange(min=1), default=50, show_default=True, help="课程门数"
)
@click.option(
    "--modules-per-course",
    type=click.IntRange(min=1),
    default=5,
    show_default=True,
    help="每门课程的单元数",
)
@click.option(
    "--cohorts", type=click.IntRange(min=0), default=6, show_default=True, help="期次（培训班）个数"
)
@click.option(
    "--seed", type=int, default=2026, show_default=True, help="随机种子：相同种子生成相同数据"
)
@click.option("--force", is_flag=True, help="数据库中已有数据时仍然追加（用户名不会冲突）")
@pass_context
def generate(
    ctx: Context,
    members: int,
    courses: int,
    modules_per_course: int,
    cohorts: int,
    seed: int,
    force: bool,
) -> None:
    check_schema(ctx.database)
    started = time.perf_counter()
    counts = generate_data(
        ctx.database,
        members=members,
        courses=courses,
        modules_per_course=modules_per_course,
        cohorts=cohorts,
        seed=seed,
        force=force,
    )
    elapsed = time.perf_counter() - started
    click.echo("已写入模拟数据：")
    for table, label in _TABLE_LABELS.items():
        click.echo(f"  {counts.get(table, 0):>10,} 行  {label}")
    click.echo(f"共 {sum(counts.values()):,} 行，用时 {elapsed:.1f} 秒。")
    click.echo(f"模拟账号的密码均为 {SYNTHETIC_PASSWORD}（仅供演示和测试）。")

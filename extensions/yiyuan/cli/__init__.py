"""The ``yiyuan`` command: one group per concern, each in its own module."""

from __future__ import annotations

import getpass
import os

import click

from ..db import Database
from ..errors import YiyuanError
from ..platform import Platform
from ..serviceuser import drop_root_for_commands
from ..settings import Settings, load_settings


class UserError(click.ClickException):
    """A :class:`YiyuanError` shown as one Chinese sentence, without a traceback."""

    def show(self, file=None) -> None:
        click.echo(f"错误：{self.format_message()}", err=True)


class Context:
    """The command's :class:`Platform`, made on first use so that ``--help`` needs no settings
    (and its database on first use of that, so that commands that need none open none)."""

    def __init__(self) -> None:
        self._platform: Platform | None = None
        #: the system user a command run by root became (yiyuan.serviceuser)
        self.dropped_to = ""

    @property
    def platform(self) -> Platform:
        if self._platform is None:
            settings = load_settings(os.environ)
            # production, run by root: the rest of the command runs as the platform's user
            command = click.get_current_context(silent=True)
            keep = getattr(command and command.command, "keeps_real_root", False)
            self.dropped_to = drop_root_for_commands(settings, keep_real_root=keep)
            self._platform = Platform(settings)
        return self._platform

    @property
    def settings(self) -> Settings:
        return self.platform.settings

    @property
    def database(self) -> Database:
        return self.platform.database


class YiyuanGroup(click.Group):
    def invoke(self, ctx: click.Context):
        ctx.ensure_object(Context)  # made here, so that the errors below can see it
        try:
            return super().invoke(ctx)
        except YiyuanError as error:
            raise UserError(str(error) + _dropped_hint(ctx, error.__context__)) from None
        except PermissionError as error:
            hint = _dropped_hint(ctx, error)
            if not hint:
                raise
            raise UserError(f"无法访问 {error.filename}（{error.strerror}）。{hint}") from None


def _dropped_hint(ctx: click.Context, cause: BaseException | None) -> str:
    """Why root was refused a file: the command had become the service user."""
    user = ctx.find_object(Context).dropped_to
    if not user or not isinstance(cause, PermissionError):
        return ""
    # HOME is the service user's home since the drop (yiyuan.serviceuser.become)
    return (
        f"（生产模式下 root 运行的 yiyuan 命令以系统用户 {user} 的身份运行：请把文件放在 {user} "
        f"能读写的目录里，例如其主目录 {os.environ.get('HOME', '')} 下，见 docs/admin.md。）"
    )


pass_context = click.make_pass_decorator(Context, ensure=True)


def actor_option(function):
    """``--actor``: who the audit log names (the logged-in system user unless given); every
    command that changes something an administrator answers for takes it."""
    return click.option(
        "--actor",
        default=getpass.getuser,
        show_default="当前系统用户",
        help="记入审计日志的操作人",
    )(function)


@click.group(cls=YiyuanGroup, help="艺苑 Yiyuan 平台管理命令。")
@click.version_option(package_name="yiyuan")
def cli() -> None:
    pass


#: the command groups, one module each (imported when the command runs, not at import time)
COMMAND_MODULES = (
    "associations",
    "audit",
    "certificates",
    "cohorts",
    "completion",
    "courses",
    "dashboards",
    "db",
    "demo",
    "grading",
    "hours",
    "lessons",
    "members",
    "messages",
    "report",
    "service",
    "users",
)


def main(register_only: bool = False) -> None:
    from importlib import import_module

    for name in COMMAND_MODULES:
        module = import_module(f".{name}", __name__)
        # a module may hold more than one group (cohorts: programmes and cohorts)
        for command in getattr(module, "groups", (module.group,)):
            cli.add_command(command)
    if not register_only:
        cli(prog_name="yiyuan")

"""The command reference in docs/cli.md, generated from the commands themselves so it cannot
drift (tests/test_docs.py compares). Regenerate: ``python -m yiyuan.cli.reference > docs/cli.md``.
"""

from __future__ import annotations

import click

from . import cli, main


def render_markdown() -> str:
    main(register_only=True)
    lines = [
        "# `yiyuan` 命令参考",
        "",
        "由 `python -m yiyuan.cli.reference > docs/cli.md` 生成，请勿手工编辑。",
        "",
    ]
    # a fixed width, so that the file does not depend on the terminal it was made in
    context = click.Context(cli, info_name="yiyuan", terminal_width=100, max_content_width=100)
    for group_name in sorted(cli.commands):
        group = cli.commands[group_name]
        lines += [f"## `yiyuan {group_name}`", "", group.help or "", ""]
        group_context = click.Context(group, info_name=group_name, parent=context)
        for name in sorted(group.commands):
            command = group.commands[name]
            command_context = click.Context(command, info_name=name, parent=group_context)
            lines += [
                f"### `yiyuan {group_name} {name}`",
                "",
                "```",
                command.get_help(command_context).strip(),
                "```",
                "",
            ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(render_markdown(), end="")

"""Outside channels: SMS, WeChat, e-mail … behind one small interface.

A channel is an object with a ``name`` (what deliveries record, e.g. ``sms``) and
``send(recipient, message) -> (state, detail)``: ``sent``, ``failed`` or ``skipped`` (e.g. no
mobile number), and a few words for the administrator. Built in: ``log`` (a line in the log,
nothing leaves the machine: the default until a gateway is contracted) and ``file`` (JSON lines
a gateway, or a test, reads). A plug-in is named ``package.module:Class``; the class is made
with the settings and must have ``name`` and ``send``. A channel that raises is recorded as
``failed`` with the error; the next message still goes.
"""

from __future__ import annotations

import importlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from ..errors import YiyuanError
from ..models import Message
from ..settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Recipient:
    username: str
    name: str
    mobile: str
    email: str


class Channel(Protocol):
    name: str

    def send(self, recipient: Recipient, message: Message) -> tuple[str, str]: ...


def masked(mobile: str) -> str:
    return f"{mobile[:3]}****{mobile[-4:]}" if len(mobile) == 11 else mobile


class LogChannel:
    """Writes what would be sent to the log: nothing leaves the machine."""

    name = "log"

    def send(self, recipient: Recipient, message: Message) -> tuple[str, str]:
        log.info("消息 → %s（%s）：%s", recipient.name, masked(recipient.mobile), message.title)
        return "sent", "仅记入日志，未接入短信等外部通道"


class FileChannel:
    """Appends one JSON line per message to ``<data_dir>/messages/outbox.jsonl``."""

    name = "file"

    def __init__(self, settings: Settings) -> None:
        self.path = Path(settings.data_dir) / "messages" / "outbox.jsonl"

    def send(self, recipient: Recipient, message: Message) -> tuple[str, str]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = {
            "to": recipient.username,
            "name": recipient.name,
            "mobile": recipient.mobile,
            "email": recipient.email,
            "kind": message.kind,
            "title": message.title,
            "body": message.body,
        }
        with self.path.open("a", encoding="utf-8") as out:
            out.write(json.dumps(line, ensure_ascii=False) + "\n")
        return "sent", f"已写入 {self.path.name}"


def load_channels(settings: Settings) -> list[Channel]:
    """The channels the settings name, made once per run."""
    channels: list[Channel] = []
    for spec in settings.messages.channels:
        if spec == "log":
            channels.append(LogChannel())
        elif spec == "file":
            channels.append(FileChannel(settings))
        elif ":" in spec:
            channels.append(_plug_in(spec, settings))
        else:
            raise YiyuanError(
                f"配置项 messages.channels 中的 {spec!r} 无效：应为 log、file 或"
                "“包名.模块:类名”形式的插件。"
            )
    names = [c.name for c in channels]
    if len(set(names)) != len(names):
        raise YiyuanError(f"配置项 messages.channels 中的通道重名：{'、'.join(names)}。")
    return channels


def _plug_in(spec: str, settings: Settings) -> Channel:
    module_name, _, class_name = spec.partition(":")
    try:
        made = getattr(importlib.import_module(module_name), class_name)(settings)
    except Exception as error:  # the plug-in's own code: whatever it raises, say which
        raise YiyuanError(f"无法加载消息通道插件 {spec}：{error}") from error
    if not isinstance(getattr(made, "name", None), str) or not callable(
        getattr(made, "send", None)
    ):
        raise YiyuanError(f"消息通道插件 {spec} 须有 name 属性和 send(recipient, message) 方法。")
    return made

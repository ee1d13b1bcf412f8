"""Course manifests (courses/<id>.yml): reading, schema validation in Chinese, typed result.

The JSON Schema (manifest.schema.json beside this file) is the one definition of the format;
this module turns its errors into sentences a trainer can act on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from importlib.resources import files
from pathlib import Path

import yaml

FIELD_NAMES = {
    "id": "课程代码",
    "title": "标题",
    "summary": "简介",
    "category": "类别",
    "trainers": "教师",
    "audience": "面向对象",
    "associations": "协会",
    "standings": "会员身份",
    "cohorts": "期次",
    "enrolment": "报名方式",
    "opens": "开放日期",
    "due": "截止日期",
    "late": "迟交",
    "certificate": "结业证书",
    "issuer": "颁发单位",
    "policy": "迟交方式",
    "penalty": "每天扣分",
    "days": "迟交天数",
    "modules": "单元",
    "kind": "类型",
    "hours": "学时",
    "required": "是否必修",
    "pass": "通过规则",
    "quiz": "测验得分率",
    "total": "总分得分率",
    "reflection": "学习心得",
    "attendance": "签到",
    "lessons": "课件",
    "player": "学习方式",
    "session": "现场教学安排",
    "sessions": "现场教学场次",
    "place": "地点",
    "starts": "开始时间",
    "trainer": "主讲教师",
}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a course: where (file and field or cell) and what, in Chinese."""

    file: str
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}" + (f"（{self.where}）" if self.where else "") + f"：{self.message}"


@dataclass(frozen=True)
class Sitting:
    """One on-site session (场次) of an on-site module, as the manifest gives it."""

    id: str
    place: str
    #: ISO 8601 with offset, as written (``2027-01-16T09:00:00+08:00``); "" when not given
    starts: str
    hours: float
    #: username of the trainer who runs it ("" : any trainer of the course)
    trainer: str = ""

    @property
    def starts_at(self) -> datetime | None:
        return datetime.fromisoformat(self.starts) if self.starts else None


@dataclass(frozen=True)
class Module:
    id: str
    title: str
    kind: str
    hours: float
    required: bool
    pass_rule: dict
    lessons: tuple[str, ...] = ()
    #: the first session as a mapping (place, starts, hours): what older readers use
    session: dict = field(default_factory=dict)
    #: the sessions of an on-site module: ``sessions:``, or the older single ``session:``
    sessions: tuple[Sitting, ...] = ()
    #: how learners study it: ``compiled`` (a page, the default), ``live`` (Voila in their
    #: server), ``jupyterlab`` (they write code in JupyterLab)
    player: str = "compiled"
    #: the module's own due date (None: the course's)
    due: date | None = None


@dataclass(frozen=True)
class Course:
    id: str
    title: str
    summary: str
    category: str
    trainers: tuple[str, ...]
    associations: tuple[str, ...]
    standings: tuple[str, ...]
    cohorts: tuple[str, ...]
    enrolment: str
    opens: date | None
    due: date | None
    modules: tuple[Module, ...]
    #: the 迟交 policy as written (``refuse``, ``accept`` or a mapping); None: refuse
    late: str | dict | None = None

    @property
    def hours(self) -> float:
        return sum(module.hours for module in self.modules)


@cache
def schema() -> dict:
    return json.loads(files(__package__).joinpath("manifest.schema.json").read_text("utf-8"))


def read_manifest(path: Path) -> tuple[dict | None, list[Problem]]:
    """The manifest as data, or the problems that stop it being read at all."""
    name = path.name
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        return None, [Problem(name, "", "文件不是 UTF-8 编码：请另存为 UTF-8。")]
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"第 {mark.line + 1} 行" if mark else ""
        return None, [Problem(name, where, f"不是有效的 YAML：{getattr(error, 'problem', error)}")]
    if not isinstance(data, dict):
        return None, [Problem(name, "", "清单的顶层应为“名称: 值”的映射。")]
    # YAML reads 2026-12-01 as a date; the schema (like JSON) expects text
    for key in ("opens", "due"):
        if isinstance(data.get(key), date):
            data[key] = data[key].isoformat()
    # ... and an unquoted session start as a datetime
    for module in data.get("modules") or ():
        if not isinstance(module, dict):
            continue
        if isinstance(module.get("due"), date):
            module["due"] = module["due"].isoformat()
        sittings = module.get("sessions")
        for sitting in [module.get("session"), *(sittings if isinstance(sittings, list) else ())]:
            if isinstance(sitting, dict) and isinstance(sitting.get("starts"), datetime):
                sitting["starts"] = sitting["starts"].isoformat()
    return data, []


def schema_problems(name: str, data: dict) -> list[Problem]:
    # imported here: jsonschema's format checker costs a second at import (rfc3987 grammar),
    # which every `yiyuan` command and the service would pay without checking a manifest
    from jsonschema import Draft202012Validator, FormatChecker

    validator = Draft202012Validator(schema(), format_checker=FormatChecker())
    problems = []
    for error in sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path)):
        problems.extend(_explain(name, data, error))
    return problems


def to_course(data: dict) -> Course:
    """A schema-valid manifest as a typed :class:`Course`."""
    audience = data["audience"]
    return Course(
        id=data["id"],
        title=data["title"],
        summary=data["summary"],
        category=data["category"],
        trainers=tuple(data["trainers"]),
        associations=tuple(audience["associations"]),
        standings=tuple(audience.get("standings", ())),
        cohorts=tuple(audience.get("cohorts", ())),
        enrolment=data["enrolment"],
        opens=date.fromisoformat(data["opens"]) if data.get("opens") else None,
        due=date.fromisoformat(data["due"]) if data.get("due") else None,
        modules=tuple(
            Module(
                id=m["id"],
                title=m["title"],
                kind=m["kind"],
                hours=float(m["hours"]),
                required=m["required"],
                pass_rule=dict(m["pass"]),
                lessons=tuple(m.get("lessons", ())),
                session=_first_session(m),
                sessions=_sittings(m),
                player=m.get("player", "compiled"),
                due=date.fromisoformat(m["due"]) if m.get("due") else None,
            )
            for m in data["modules"]
        ),
        late=data.get("late"),
    )


def _sittings(module: dict) -> tuple[Sitting, ...]:
    """``sessions:`` of a module; the older ``session:`` of an on-site module is session s1."""
    items = module.get("sessions")
    if items is None and module["kind"] == "onsite" and module.get("session"):
        items = [module["session"]]
    return tuple(
        Sitting(
            id=item.get("id") or f"s{position + 1}",
            place=item.get("place", ""),
            starts=item.get("starts", ""),
            hours=float(item.get("hours", module["hours"])),
            trainer=item.get("trainer", ""),
        )
        for position, item in enumerate(items or ())
    )


def _first_session(module: dict) -> dict:
    if module.get("session"):
        return dict(module["session"])
    items = module.get("sessions") or []
    if not items:
        return {}
    return {k: items[0][k] for k in ("place", "starts", "hours") if k in items[0]}


def _where(data: dict, path) -> str:
    """``modules[1].hours`` as a person reads it: 第 2 个单元（m2 …）的“学时”."""
    parts, node = [], data
    for step in path:
        if isinstance(step, int):
            label = ""
            if isinstance(node, list) and step < len(node) and isinstance(node[step], dict):
                label = node[step].get("id", "")
            parts.append(f"第 {step + 1} 项" + (f"（{label}）" if label else ""))
        else:
            parts.append(f"“{FIELD_NAMES.get(step, step)}”")
        node = node[step] if isinstance(node, dict | list) else None
    return "".join(parts) if parts else "清单"


def _explain(name: str, data: dict, error: ValidationError) -> list[Problem]:
    where = _where(data, error.absolute_path)
    kind, value = error.validator, error.validator_value
    if kind in ("allOf", "anyOf", "oneOf") and error.context:
        return [p for sub in error.context for p in _explain(name, data, sub)]
    if kind == "if":  # reported by its then-branch
        return []
    if kind == "pattern" and "sessions" in error.absolute_path:
        return [
            Problem(
                name,
                where,
                f"{error.instance!r} 格式不对：场次代码只能由小写字母、数字和连字符组成。",
            )
        ]
    messages = {
        "required": lambda: f"缺少必填项“{FIELD_NAMES.get(_missing(error), _missing(error))}”。",
        "additionalProperties": lambda: f"有未知的字段：{_extra(error)}。",
        "enum": lambda: f"值 {error.instance!r} 无效，可选：" + "、".join(map(str, value)) + "。",
        "type": lambda: f"应为{_type_name(value)}，而不是 {error.instance!r}。",
        "pattern": lambda: (
            f"{error.instance!r} 格式不对：代码只能用小写字母开头，由字母、数字和连字符组成。"
        ),
        "minItems": lambda: f"至少需要 {value} 项。",
        "uniqueItems": lambda: "有重复的项。",
        "minLength": lambda: f"太短：至少 {value} 个字。",
        "maxLength": lambda: f"太长：最多 {value} 个字。",
        "minimum": lambda: f"不能小于 {value}。",
        "exclusiveMinimum": lambda: f"应大于 {value}。",
        "minProperties": lambda: "不能为空。",
        "maximum": lambda: f"不能大于 {value}。",
        "multipleOf": lambda: f"应为 {value} 的整数倍（学时以半小时计）。",
        "format": lambda: (
            f"{error.instance!r} 不是有效的"
            + (
                "日期（如 2026-12-01）"
                if value == "date"
                else "时间（如 2027-01-15T14:00:00+08:00）"
            )
            + "。"
        ),
        "not": lambda: "现场教学单元不应列出课件（lessons）。",
    }
    explain = messages.get(kind)
    message = explain() if explain else error.message
    return [Problem(name, where, message)]


def _missing(error: ValidationError) -> str:
    for field_name in error.validator_value:
        if isinstance(error.instance, dict) and field_name not in error.instance:
            return field_name
    return ""


def _extra(error: ValidationError) -> str:
    allowed = set(error.schema.get("properties", {}))
    return "、".join(sorted(k for k in error.instance if k not in allowed))


def _type_name(value) -> str:
    names = {
        "string": "文本",
        "number": "数字",
        "integer": "整数",
        "boolean": "true 或 false",
        "array": "列表",
        "object": "映射",
    }
    return names.get(value, str(value))

"""Message catalogues: every word the platform shows its users, in one place per language.

Simplified Chinese (``zh_CN``) is the default; English (``en``) is the second catalogue. Both
have exactly the same message ids (a unit test checks it). The words are kept by area, one
module each, and merged here into one catalogue per language:

- ``hub``: the hub's own pages and the login/password messages (ids without a prefix);
- ``service``, ``service_admin``: the web service's errors, page sentences, file headings
  (ids ``svc_…``);
- ``grading``: the grader's errors and the feedback learners read (ids ``grader_…``);
- ``portal``, ``portal_pages``: the words of the learner portal's templates (ids ``portal_…``).

Templates read messages as ``{{ t.login_button }}`` or
``{{ t.format("home_welcome", name=user.name) }}``; Python code keeps a module-level
``words = get_catalogue()`` and writes ``words.svc_not_found`` or
``words.format("password_too_short", min_length=8)``.

The hub passes a catalogue to its pages as ``t`` in ``c.JupyterHub.template_vars``; it must not
be callable there, because JupyterHub calls callables in template_vars with the user.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from . import grading, hub, portal, portal_pages, service, service_admin

DEFAULT_LANGUAGE = "zh_CN"

#: the areas, merged in this order; an id may appear in one area only
AREAS = (hub, service, service_admin, grading, portal, portal_pages)


def _merge(language: str) -> dict[str, str]:
    merged: dict[str, str] = {}
    for area in AREAS:
        part = getattr(area, language.upper())
        repeated = merged.keys() & part.keys()
        if repeated:
            raise RuntimeError(f"{area.__name__} repeats message ids: {sorted(repeated)}")
        merged.update(part)
    return merged


CATALOGUES: dict[str, dict[str, str]] = {"zh_CN": _merge("zh_CN"), "en": _merge("en")}


class Catalogue(Mapping[str, str]):
    """The messages of one language: ``cat["key"]``, ``cat.key`` (for Jinja) and ``cat.format``.

    Deliberately not callable: JupyterHub calls callables in ``template_vars`` with the user.
    """

    __slots__ = ("_messages", "language")

    def __init__(self, language: str, messages: Mapping[str, str]) -> None:
        self.language = language
        self._messages = dict(messages)

    def __getitem__(self, key: str) -> str:
        return self._messages[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._messages)

    def __len__(self) -> int:
        return len(self._messages)

    def __getattr__(self, name: str) -> str:
        # Only reached when normal lookup fails, so methods and slots always win.
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self._messages[name]
        except KeyError:
            raise AttributeError(f"{self.language} 消息目录中没有 {name!r}") from None

    def format(self, key: str, /, **params: Any) -> str:
        """The message ``key`` with its ``{placeholders}`` filled from ``params``."""
        return self._messages[key].format(**params)

    def __repr__(self) -> str:
        return f"Catalogue({self.language!r}, {len(self._messages)} messages)"


def get_catalogue(language: str = DEFAULT_LANGUAGE) -> Catalogue:
    """The catalogue for the ``language`` setting (``zh_CN`` or ``en``)."""
    if language not in CATALOGUES:
        valid = "、".join(CATALOGUES)
        raise ValueError(f"配置项 language 的值 {language!r} 无效：可选值为 {valid}。")
    return Catalogue(language, CATALOGUES[language])

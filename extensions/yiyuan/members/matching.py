"""Association names as people write them in a roster: 书协, 书法家协会, 深圳市书法家协会, 市书协 …

:meth:`AssociationMatcher.match` accepts only names that can mean one association of this city;
:meth:`AssociationMatcher.suggest` finds the likely intent behind a near miss, for the message
only: a suggestion is never imported silently.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from types import SimpleNamespace
from typing import Protocol

from ..associations import STANDARD_ASSOCIATIONS
from .normalise import normalise_text


class AssociationLike(Protocol):
    """What the matcher reads of an association (``yiyuan.models.Association`` has it)."""

    code: str
    short_name: str
    full_name: str


# Removed from the end, repeatedly, to get the art itself: 书法家协会 → 书法, 作家协 → 作.
_SUFFIXES = ("会员", "研究会", "协会", "学会", "协", "会", "家")
# Another city's or a district's prefix: 广州市书协, 南山区美协.
_PLACE = re.compile(r".{2,7}?(?:省|自治区|市|区|县)")
_SUGGEST_CUTOFF = 0.5


def _key(text: object) -> str:
    return normalise_text(text).replace(" ", "").lower()


def _core(text: str) -> str:
    while True:
        shorter = text
        for suffix in _SUFFIXES:
            shorter = shorter.removesuffix(suffix)
        if shorter == text:
            return text
        text = shorter


class AssociationMatcher:
    """Built once per import from the associations and the city (e.g. "深圳市", or "")."""

    def __init__(self, associations: Iterable[AssociationLike], city: str = "") -> None:
        self.associations = list(associations)
        self.city = _key(city)
        # "深圳市" → also "深圳", as in 深圳书协; a two-character city keeps its 市 (沙市).
        self._prefixes = [p for p in {self.city, self.city.removesuffix("市")} if len(p) >= 2]
        self._prefixes.sort(key=len, reverse=True)
        exact: dict[str, AssociationLike | None] = {}
        derived: dict[str, AssociationLike | None] = {}
        self._cores: list[tuple[AssociationLike, set[str]]] = []
        for association in self.associations:
            short, full = _key(association.short_name), _key(association.full_name)
            base = self._without_city(full)
            for key in (_key(association.code), short, full):
                _add(exact, key, association)
            for prefix in ["", "市", *self._prefixes]:
                _add(derived, prefix + base, association)
                _add(derived, prefix + short, association)
            self._cores.append((association, {_core(short), _core(base)} - {""}))
        # What an association is literally called wins over what another one is nicknamed.
        self._names = {**derived, **exact}

    def _without_city(self, key: str) -> str:
        for prefix in self._prefixes:
            if key.startswith(prefix):
                return key[len(prefix) :]
        return key

    def match(self, name: str) -> AssociationLike | None:
        """The association ``name`` means, or None (unknown, or could be more than one)."""
        key = _key(name)
        return self._names.get(key) if key else None

    def suggest(self, name: str) -> AssociationLike | None:
        """The association a near miss probably means ("书法协会" → 书协), or None."""
        if (found := self.match(name)) is not None:
            return found
        rest = self._without_city(_key(name)).removeprefix("市")
        if not rest or _PLACE.match(rest):
            return None
        if rest.isascii():
            codes = {_key(a.code): a for a in self.associations}
            close = difflib.get_close_matches(rest, list(codes), n=1, cutoff=0.8)
            return codes[close[0]] if close else None
        core = _core(rest) or rest
        scores: dict[int, float] = {}
        for index, (association, cores) in enumerate(self._cores):
            # The first character of a short name is the art itself (书 of 书协): a guess
            # without it would be about a different art.
            if association.short_name[:1] not in rest:
                continue
            scores[index] = max(
                difflib.SequenceMatcher(None, core, other).ratio() for other in cores
            )
        ranked = sorted(scores.items(), key=lambda item: item[1], reverse=True)
        if not ranked or ranked[0][1] < _SUGGEST_CUTOFF:
            return None
        if len(ranked) > 1 and ranked[1][1] == ranked[0][1]:
            return None  # 书美协会: as likely one as the other
        return self._cores[ranked[0][0]][0]

    def describe_unknown(self, name: str) -> str:
        """The row error for a name :meth:`match` does not know, in Chinese."""
        text = normalise_text(name)
        examples = "、".join(a.short_name for a in self.associations[:3]) or "书协"
        how = f"请填写协会简称（如 {examples}）或全称。"
        if not text:
            return f"协会名称为空：{how}"
        suggestion = self.suggest(text)
        if suggestion is not None:
            return f"未知的协会“{text}”，您是不是要填“{suggestion.short_name}”？"
        rest = self._without_city(_key(text)).removeprefix("市")
        if self.city and _PLACE.match(rest):
            return f"未知的协会“{text}”：只能填写{normalise_text(self.city)}的协会，{how}"
        return f"未知的协会“{text}”：{how}"


def _add(names: dict[str, AssociationLike | None], key: str, association: AssociationLike) -> None:
    # A key shared by two associations means neither: None marks it as ambiguous.
    if key and names.get(key, association) is not association:
        names[key] = None
    elif key:
        names[key] = association


def standard_matcher(city: str = "") -> AssociationMatcher:
    """A matcher over the eleven usual associations, for when there is no database to ask."""
    return AssociationMatcher(
        [
            SimpleNamespace(id=i, code=code, short_name=short, full_name=city + full)
            for i, (code, short, full) in enumerate(STANDARD_ASSOCIATIONS)
        ],
        city,
    )

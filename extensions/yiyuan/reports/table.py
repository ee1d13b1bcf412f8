"""A report's result: named columns and plain rows, the shape every consumer shares."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Kind = Literal["text", "int", "float", "percent", "hours", "date"]


@dataclass(frozen=True)
class Column:
    key: str
    #: the Chinese heading shown on pages and in exports
    label: str
    kind: Kind = "int"


@dataclass
class Table:
    """Rows are dicts keyed by column key; ``totals`` is the whole population counted once
    (a member of two associations is one person there), so it is not the sum of the rows."""

    title: str
    columns: tuple[Column, ...]
    rows: list[dict[str, Any]] = field(default_factory=list)
    totals: dict[str, Any] | None = None

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(column.key for column in self.columns)

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(column.label for column in self.columns)

    def records(self, with_totals: bool = True) -> list[list[Any]]:
        """Rows as lists in column order (then the totals row), for tables and exports."""
        rows = [[row.get(key) for key in self.keys] for row in self.rows]
        if with_totals and self.totals is not None:
            rows.append([self.totals.get(key) for key in self.keys])
        return rows

    def as_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "columns": [{"key": c.key, "label": c.label, "kind": c.kind} for c in self.columns],
            "rows": self.rows,
            "totals": self.totals,
        }

"""One roster import, as both ``yiyuan members import`` and the administrator's web page run it.

Two steps, so that a caller can speak between them (the CLI prints what it read before the
rows are written): :func:`check` reads the file and checks every row without writing
anything; :func:`apply` writes the valid rows (or, with ``dry_run``, does the same work and
rolls it back) and records a real import in the audit log. The :class:`ImportOutcome` carries
the counts, every rejected row with its reasons, and a short list of who would change.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from .. import audit
from ..db import Database
from .importer import ImportResult, apply_rows
from .normalise import mask_mobile, normalise_mobile, normalise_text
from .roster import Roster, read_roster
from .rows import MemberRow, RowError, associations_matcher, check_rows

#: how many names of each kind of change an outcome lists (the counts are always complete)
SAMPLE = 50


@dataclass
class CheckedRoster:
    """A roster read and checked: nothing written yet."""

    path: Path
    roster: Roster
    rows: list[MemberRow]
    errors: list[RowError]
    #: every mobile number the roster mentions, and how many rows have none readable
    mentioned: set[str]
    unreadable_mobiles: int


@dataclass
class ImportOutcome:
    file_name: str
    dry_run: bool
    deactivate_missing: bool
    #: data rows in the file, and how many of them are valid
    total_rows: int
    valid_rows: int
    ignored_headers: list[str]
    result: ImportResult
    #: kind (created, updated, reactivated, deactivated) → "王芳（138****5678）", at most SAMPLE
    changes: dict[str, list[str]] = field(default_factory=dict)
    #: rejected row number → the name as the file has it (to recognise the row by)
    row_names: dict[int, str] = field(default_factory=dict)

    @property
    def errors(self) -> list[RowError]:
        return self.result.errors

    def counts(self) -> dict[str, int]:
        r = self.result
        return {
            "created": r.created,
            "updated": r.updated,
            "unchanged": r.unchanged,
            "reactivated": r.reactivated,
            "deactivated": r.deactivated,
            "rejected": r.rejected_rows,
        }

    def summary(self) -> str:
        """The counts as the CLI prints them."""
        prefix = "【试运行，未写入】" if self.dry_run else ""
        r = self.result
        return (
            f"{prefix}新增 {r.created} 人，更新 {r.updated} 人，未变 {r.unchanged} 人，"
            f"恢复 {r.reactivated} 人，停用 {r.deactivated} 人，拒绝 {r.rejected_rows} 行。"
        )

    def rejected(self) -> list[dict]:
        """Every rejected row once, in file order, with all its reasons."""
        by_row: dict[int, list[dict]] = {}
        for e in self.errors:
            by_row.setdefault(e.row, []).append(
                {"column": e.column, "value": e.value, "reason": e.reason}
            )
        rows = [
            {"row": n, "name": self.row_names.get(n, ""), "reasons": by_row[n]}
            for n in sorted(by_row)
        ]
        return rows

    def as_json(self) -> dict:
        return {
            "file": self.file_name,
            "dry_run": self.dry_run,
            "deactivate_missing": self.deactivate_missing,
            "rows": self.total_rows,
            "valid_rows": self.valid_rows,
            "counts": self.counts(),
            "ignored_headers": self.ignored_headers,
            "deactivation_skipped": self.result.deactivation_skipped,
            "rejected": self.rejected(),
            "changes": self.changes,
            "passwords": len(self.result.passwords),
        }


def check(database: Database, city: str, path: Path) -> CheckedRoster:
    """Read ``path`` and check its rows (raises :class:`RosterUnreadable` with advice)."""
    roster = read_roster(path)
    with database.session() as session:
        matcher = associations_matcher(session, city)
    rows, errors = check_rows(roster, matcher)
    mentioned, unreadable = set(), 0
    for row in roster.rows:
        try:
            mentioned.add(normalise_mobile(row.values.get("mobile")))
        except ValueError:
            unreadable += 1
    return CheckedRoster(Path(path), roster, rows, errors, mentioned, unreadable)


def apply(
    database: Database,
    checked: CheckedRoster,
    *,
    actor: str,
    dry_run: bool = False,
    deactivate_missing: bool = False,
    result: ImportResult | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportOutcome:
    """Write the valid rows (``dry_run``: write nothing) and, for a real import, record it in
    the audit log — also when it fails half-way, with what was committed by then.

    Pass your own ``result`` to keep the initial passwords of the accounts that exist when a
    later batch fails (the exception is re-raised)."""
    result = result if result is not None else ImportResult()
    result.errors = list(checked.errors)
    outcome = ImportOutcome(
        file_name=checked.path.name,
        dry_run=dry_run,
        deactivate_missing=deactivate_missing,
        total_rows=len(checked.roster.rows),
        valid_rows=len(checked.rows),
        ignored_headers=list(checked.roster.ignored_headers),
        result=result,
    )
    rejected = {error.row for error in checked.errors}
    outcome.row_names = {
        row.number: normalise_text(row.values.get("name"))
        for row in checked.roster.rows
        if row.number in rejected
    }
    leaving = []
    if deactivate_missing and not checked.unreadable_mobiles:
        leaving = _leaving(database, checked.mentioned)
    failed = True
    try:
        apply_rows(
            database,
            checked.rows,
            result=result,
            dry_run=dry_run,
            deactivate_missing=deactivate_missing,
            roster_mobiles=checked.mentioned,
            invalid_mobiles=checked.unreadable_mobiles,
            progress=progress,
        )
        failed = False
    finally:
        if not dry_run:
            _audit(database, actor, outcome, failed)
    by_number = {row.row: row for row in checked.rows}
    outcome.changes = {
        "created": _names(by_number, result.created_rows),
        "updated": _names(by_number, result.updated_rows),
        "reactivated": _names(by_number, result.reactivated_rows),
        "deactivated": leaving[:SAMPLE] if result.deactivated else [],
    }
    return outcome


def _names(by_number: dict[int, MemberRow], numbers: list[int]) -> list[str]:
    return [_who(by_number[n].name, by_number[n].mobile) for n in numbers[:SAMPLE]]


def _who(name: str, mobile: str) -> str:
    return f"{name}（{mask_mobile(mobile)}）"


def _leaving(database: Database, mentioned: set[str]) -> list[str]:
    """Who ``deactivate_missing`` would deactivate, for the preview (at most SAMPLE)."""
    from ..models import Member

    names = []
    with database.session() as session:
        for name, mobile in session.execute(
            select(Member.name, Member.mobile).where(Member.active).order_by(Member.id)
        ):
            if mobile not in mentioned:
                names.append(_who(name, mobile))
                if len(names) >= SAMPLE:
                    break
    return names


def _audit(database: Database, actor: str, outcome: ImportOutcome, failed: bool) -> None:
    counts = outcome.counts()
    summary = f"导入名册 {outcome.file_name}：" + outcome.summary()
    if failed:
        summary += "（中途出错，以上为已写入的部分）"
    with database.session() as session:
        audit.record(
            session,
            actor,
            "members.import",
            summary[:500],
            target=outcome.file_name,
            detail={
                **counts,
                "rows": outcome.total_rows,
                "deactivate_missing": outcome.deactivate_missing,
                "failed": failed,
            },
        )

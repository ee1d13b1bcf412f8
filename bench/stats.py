"""Figures the benchmarks print: percentiles and a one-line summary of timings."""

from __future__ import annotations

import statistics
import time


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (``share`` 0.95 → p95)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def timed_runs(function, runs: int) -> tuple[float, float, object]:
    """Best and median seconds of ``runs`` calls, and the last result."""
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times), result


def summary(values: list[float]) -> str:
    return (
        f"n={len(values)} p50={statistics.median(values):.2f} s "
        f"p95={percentile(values, 0.95):.2f} s max={max(values):.2f} s"
    )


def record(title: str, lines: list[str]) -> None:
    """Append a run to bench/RESULTS.md: a dated heading, the command as typed, the lines."""
    import datetime
    import sys
    from pathlib import Path

    script = Path(sys.argv[0]).name
    command = f"`.venv/bin/python bench/{script} " + " ".join(sys.argv[1:]) + "`"
    with (Path(__file__).parent / "RESULTS.md").open("a", encoding="utf-8") as results:
        results.write(
            f"\n## {title} — {datetime.date.today()}\n\n{command}\n\n" + "\n".join(lines) + "\n"
        )

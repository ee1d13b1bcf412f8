"""Figures the benchmarks print: percentiles and a one-line summary of timings."""

from __future__ import annotations

import statistics


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (``share`` 0.95 → p95)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def summary(values: list[float]) -> str:
    return (
        f"n={len(values)} p50={statistics.median(values):.2f} s "
        f"p95={percentile(values, 0.95):.2f} s max={max(values):.2f} s"
    )

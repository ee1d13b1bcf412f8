"""Charts of report tables as PNG bytes (matplotlib, no pyplot state, no display needed).

Chinese labels need a CJK font: DejaVu Sans draws Latin letters and digits, Noto Sans CJK SC
(Debian ``fonts-noto-cjk``, installed by ``scripts/install-system-packages.sh``) every glyph
DejaVu lacks. Without it matplotlib draws boxes and warns "Glyph … missing from font(s)".
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import matplotlib
from matplotlib import dates as mdates
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, PercentFormatter

from ..reports.table import Table

CJK_FAMILY = ["DejaVu Sans", "Noto Sans CJK SC"]
FONT_RC = {"font.family": CJK_FAMILY, "font.size": 10, "axes.unicode_minus": False}
BLUE, LIGHT, GREEN, ORANGE = "#2f6db5", "#c9d6e8", "#2e8b57", "#d9822b"
DPI = 100


def _whole() -> MaxNLocator:
    """Ticks of an axis that counts people or things: 0, 1, 2 — never 0.2 人 (a locator
    belongs to one axis: a new one each time)."""
    return MaxNLocator(integer=True)


#: rc_context changes process-wide rcParams: charts drawn by two threads of a dashboard (its
#: chart and its trend are drawn after the page shows) take turns
_DRAWING = threading.RLock()


@contextmanager
def cjk_fonts() -> Iterator[None]:
    """matplotlib settings under which Chinese labels render (for building and saving)."""
    with _DRAWING, matplotlib.rc_context(FONT_RC):
        yield


def configure_fonts() -> None:
    """Make the CJK fallback the default for the whole process (e.g. a dashboard kernel)."""
    matplotlib.rcParams.update(FONT_RC)


def _png(figure: Figure) -> bytes:
    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def _number(value) -> float:
    return float(value) if value is not None else 0.0


def participation_chart_png(table: Table) -> bytes | None:
    """Two horizontal bar panels per row of a participation table (by association, course or
    cohort): 参训人数 against 会员数 where known, and 课程完成率. ``None`` without rows."""
    if not table.rows:
        return None
    label_key = table.columns[0].key
    rows = list(reversed(table.rows))  # barh draws bottom-up: keep the table's order top-down
    labels = [str(row.get(label_key) or "—") for row in rows]
    positions = range(len(rows))
    height = 1.2 + 0.38 * len(rows)
    with cjk_fonts():
        figure = Figure(figsize=(9.5, height), layout="constrained")
        people, rate = figure.subplots(1, 2, sharey=True, width_ratios=[3, 2])
        if "members" in table.keys:
            people.barh(
                positions, [_number(r.get("members")) for r in rows], color=LIGHT, label="会员数"
            )
        enrolled = [_number(r.get("enrolled")) for r in rows]
        people.barh(positions, enrolled, height=0.5, color=BLUE, label="参训人数")
        people.set_yticks(list(positions), labels)
        people.xaxis.set_major_locator(_whole())
        people.set_title("参训人数" + ("与会员数" if "members" in table.keys else ""))
        people.legend(loc="lower right", frameon=False)
        people.grid(axis="x", alpha=0.3)
        rates = [_number(r.get("completion_rate")) for r in rows]
        bars = rate.barh(positions, rates, color=GREEN)
        rate.bar_label(
            bars,
            labels=[
                "—" if r.get("completion_rate") is None else f"{_number(r['completion_rate']):.1%}"
                for r in rows
            ],
            padding=3,
            fontsize=9,
        )
        rate.set_xlim(0, 1.15)
        rate.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        rate.set_title("课程完成率")
        rate.grid(axis="x", alpha=0.3)
        return _png(figure)


def trend_chart_png(table: Table) -> bytes | None:
    """Lines per week: active learners, submissions and modules passed; ``None`` without
    rows."""
    if not table.rows:
        return None
    weeks = [row.get("week") for row in table.rows]
    with cjk_fonts():
        figure = Figure(figsize=(9.5, 3.6), layout="constrained")
        axes = figure.subplots()
        for key, label, color in (
            ("active", "活跃人数", BLUE),
            ("submissions", "提交次数", ORANGE),
            ("modules_passed", "通过单元数", GREEN),
        ):
            axes.plot(
                weeks,
                [_number(row.get(key)) for row in table.rows],
                marker="o",
                color=color,
                label=label,
            )
        axes.set_title(table.title)
        axes.set_xlabel("周（起始日）")
        axes.set_ylim(bottom=0)
        axes.yaxis.set_major_locator(_whole())
        axes.grid(alpha=0.3)
        axes.legend(frameon=False, ncols=3, loc="upper left")
        axes.xaxis.set_major_formatter(mdates.DateFormatter("%m-%d"))
        return _png(figure)


def participation_alt(table: Table) -> str:
    """A text alternative for :func:`participation_chart_png`."""
    label_key = table.columns[0].key
    parts = [
        f"{row.get(label_key)} 参训 {row.get('enrolled', 0)} 人"
        + (
            ""
            if row.get("completion_rate") is None
            else f"，完成率 {_number(row['completion_rate']):.1%}"
        )
        for row in table.rows
    ]
    return f"{table.title}图：" + "；".join(parts)


def trend_alt(table: Table) -> str:
    if not table.rows:
        return table.title
    last = table.rows[-1]
    return (
        f"{table.title}图：共 {len(table.rows)} 周，最近一周活跃 {last.get('active', 0)} 人，"
        f"提交 {last.get('submissions', 0)} 次，通过 {last.get('modules_passed', 0)} 个单元。"
    )

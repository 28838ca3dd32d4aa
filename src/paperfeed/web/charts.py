"""Small server-side SVG charts: no JavaScript, no build step, a few kilobytes each.

Every label is escaped (topic labels come from paper titles). Each chart scales with its container
(``viewBox``), carries a ``<title>`` for screen readers, and each mark a ``<title>`` tooltip and a
``data-count`` the tests read. Written here rather than with a charting library: none is a dependency
(pygal is not installed) and two chart kinds fit in a hundred lines.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from markupsafe import Markup, escape

from paperfeed.services.trends import Series, WeeklyChart, papers_weekly
from paperfeed.store import Database

PALETTE = ["#4f46e5", "#db2777", "#059669", "#d97706", "#0891b2", "#7c3aed", "#dc2626", "#65a30d"]
WIDTH, HEIGHT = 560, 220  # viewBox units; tick labels are 15 units: still 9 px on a 390 px phone
LEFT, RIGHT, TOP, BOTTOM = 48, 10, 10, 30


def _ticks(top: int) -> list[int]:
    step = max(1, _nice(top / 4))
    return list(range(0, top + 1, step))


def _axis_top(largest: int) -> int:
    """The largest count rounded up to a whole tick, so the top gridline is above every mark."""
    step = max(1, _nice(max(1, largest) / 4))
    return -(-max(1, largest) // step) * step


def _nice(value: float) -> int:
    for base in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000, 20000, 50000):
        if base >= value:
            return base
    return int(value)


def _frame(weeks: Sequence[date], top: int, title: str) -> tuple[list[str], float, float]:
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
    ]
    for tick in _ticks(top):
        y = TOP + plot_h - tick / top * plot_h
        parts.append(
            f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>'
            f'<text class="tick" x="{LEFT - 6}" y="{y + 5:.1f}" text-anchor="end">{tick}</text>'
        )
    step = plot_w / max(1, len(weeks))
    every = max(1, -(-len(weeks) // 5))  # at most five dates on the axis
    for i, week in enumerate(weeks):
        if i % every == 0:
            x = LEFT + (i + 0.5) * step
            parts.append(
                f'<text class="tick" x="{x:.1f}" y="{HEIGHT - 8}" text-anchor="middle">'
                f"{week.strftime('%b')} {week.day}</text>"
            )
    return parts, plot_h, step


def line_chart(chart: WeeklyChart, title: str) -> Markup:
    """One line per series over the weeks; the legend and a data table are the caller's (HTML)."""
    if not chart.weeks or not chart.series:
        return Markup('<p class="empty">No papers to chart yet.</p>')
    top = _axis_top(max(max(s.counts) for s in chart.series))
    parts, plot_h, step = _frame(chart.weeks, top, title)
    for n, series in enumerate(chart.series):
        colour = PALETTE[n % len(PALETTE)]
        points = [
            (LEFT + (i + 0.5) * step, TOP + plot_h - count / top * plot_h)
            for i, count in enumerate(series.counts)
        ]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        parts.append(
            f'<g class="series" data-key="{escape(series.key)}"><polyline points="{path}" fill="none" '
            f'stroke="{colour}" stroke-width="2"/>'
        )
        for (x, y), week, count in zip(points, chart.weeks, series.counts, strict=True):
            parts.append(
                f'<circle class="mark" cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}" data-count="{count}" '
                f'data-week="{week.isoformat()}"><title>{escape(series.label)}, week of {week.isoformat()}: '
                f"{count}</title></circle>"
            )
        parts.append("</g>")
    parts.append("</svg>")
    return Markup("".join(parts))


def bar_chart(weeks: Sequence[date], series: Series, title: str) -> Markup:
    """Bars of one series per week (a topic's or an author's papers)."""
    if not weeks:
        return Markup('<p class="empty">No papers to chart yet.</p>')
    top = _axis_top(max(series.counts))
    parts, plot_h, step = _frame(weeks, top, title)
    for i, (week, count) in enumerate(zip(weeks, series.counts, strict=True)):
        height = count / top * plot_h
        parts.append(
            f'<rect class="bar" x="{LEFT + i * step + step * 0.15:.1f}" y="{TOP + plot_h - height:.1f}" '
            f'width="{step * 0.7:.1f}" height="{height:.1f}" fill="{PALETTE[0]}" data-count="{count}" '
            f'data-week="{week.isoformat()}"><title>week of {week.isoformat()}: {count} papers</title></rect>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def colour(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def author_trend_svg(db: Database, paper_ids: Sequence[str], author: str) -> Markup:
    """An author's papers per week, for the author page: ``{{ author_trend_svg(db, ids, name) }}``."""
    chart = papers_weekly(db, paper_ids)
    if not chart.series:
        return Markup('<p class="empty">No papers to chart yet.</p>')
    return bar_chart(chart.weeks, chart.series[0], f"Papers by {author} per week")

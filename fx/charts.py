"""The rate-history chart of the exchange rate inquiry, drawn on the server as SVG."""

from datetime import datetime
from decimal import Decimal

from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 70, 12, 14, 30


def rate_history_svg(*, code: str, series: list[tuple[datetime, Decimal]]) -> SafeString:
    """A line of the base rate (the last notice of each day) with the lowest, middle and
    highest rates on the y axis and the first, middle and last dates on the x axis."""
    title = _("Base rate of %(code)s, last notice of each day") % {"code": code}
    if not series:
        return format_html(
            '<svg class="rate-chart" viewBox="0 0 {} {}" role="img" aria-label="{}" '
            'data-testid="rate-chart" data-points="0"><text x="{}" y="{}" '
            'text-anchor="middle">{}</text></svg>',
            WIDTH, HEIGHT, title, WIDTH // 2, HEIGHT // 2, _("No data"))
    values = [rate for _at, rate in series]
    low, high = min(values), max(values)
    if low == high:
        low, high = low - 1, high + 1
    pad = (high - low) / 10
    low, high = low - pad, high + pad
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    count = len(series)

    def x(i: int) -> float:
        return LEFT + (plot_w * i / (count - 1) if count > 1 else plot_w / 2)

    def y(rate: Decimal) -> float:
        return float(TOP + plot_h - plot_h * (rate - low) / (high - low))

    path = " ".join(f"{x(i):.1f},{y(rate):.1f}" for i, rate in enumerate(values))
    marks = [low + pad, (low + high) / 2, high - pad]
    grid = format_html_join(
        "", '<line class="grid" x1="{}" x2="{}" y1="{}" y2="{}"/>'
        '<text class="axis" x="{}" y="{}" text-anchor="end">{}</text>',
        ((LEFT, WIDTH - RIGHT, f"{y(v):.1f}", f"{y(v):.1f}", LEFT - 6, f"{y(v) + 4:.1f}",
          f"{v:,.2f}") for v in marks))
    ticks = sorted({0, (count - 1) // 2, count - 1})
    anchors = {0: "start", count - 1: "end"}
    labels = format_html_join(
        "", '<text class="axis" x="{}" y="{}" text-anchor="{}">{}</text>',
        ((f"{x(i):.1f}", HEIGHT - 8, anchors.get(i, "middle"),
          date_format(series[i][0], "SHORT_DATE_FORMAT")) for i in ticks))
    dots = format_html_join("", '<circle class="dot" cx="{}" cy="{}" r="2.5"/>',
                            ((f"{x(i):.1f}", f"{y(v):.1f}") for i, v in enumerate(values)))
    return format_html(
        '<svg class="rate-chart" viewBox="0 0 {w} {h}" role="img"'
        ' aria-labelledby="rate-chart-title" data-testid="rate-chart" data-points="{n}"'
        ' data-last-rate="{last}">'
        '<title id="rate-chart-title">{title}</title>{grid}{labels}'
        '<polyline class="line" fill="none" points="{path}"/>{dots}</svg>',
        w=WIDTH, h=HEIGHT, n=count, last=values[-1], title=title, grid=grid, labels=labels,
        path=path, dots=dots)

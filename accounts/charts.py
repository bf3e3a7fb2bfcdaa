"""The balance-over-time chart, drawn on the server as SVG (no script in the page)."""

from datetime import date

from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 78, 12, 14, 30


def _nice_ceiling(value: int) -> int:
    if value <= 0:
        return 1
    magnitude = 10 ** (len(str(value)) - 1)
    for step in (1, 2, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def balance_chart_svg(series: list[tuple[date, int]]) -> SafeString:
    """A step line of the end-of-day balance with a y axis in won and the first, middle
    and last dates on the x axis. Numbers only: no personal data goes in."""
    title = _("Balance over the period")
    if not series:
        return format_html(
            '<svg class="balance-chart" viewBox="0 0 {} {}" role="img" aria-label="{}" '
            'data-testid="balance-chart"><text x="{}" y="{}" text-anchor="middle">{}</text>'
            "</svg>", WIDTH, HEIGHT, title, WIDTH // 2, HEIGHT // 2, _("No data"))
    top = _nice_ceiling(max(balance for _day, balance in series))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    count = len(series)

    def x(i: int) -> float:
        return LEFT + (plot_w * i / (count - 1) if count > 1 else plot_w / 2)

    def y(balance: int) -> float:
        return TOP + plot_h - plot_h * balance / top

    points = []
    for i, (_day, balance) in enumerate(series):
        if i:
            points.append((x(i), y(series[i - 1][1])))
        points.append((x(i), y(balance)))
    path = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
    grid = format_html_join(
        "", '<line class="grid" x1="{}" x2="{}" y1="{}" y2="{}"/>'
        '<text class="axis" x="{}" y="{}" text-anchor="end">{}</text>',
        ((LEFT, WIDTH - RIGHT, f"{y(v):.1f}", f"{y(v):.1f}", LEFT - 6, f"{y(v) + 4:.1f}",
          f"{v:,}") for v in (0, top // 2, top)))
    ticks = sorted({0, (count - 1) // 2, count - 1})
    anchors = {0: "start", count - 1: "end"}
    labels = format_html_join(
        "", '<text class="axis" x="{}" y="{}" text-anchor="{}">{}</text>',
        ((f"{x(i):.1f}", HEIGHT - 8, anchors.get(i, "middle"),
          date_format(series[i][0], "SHORT_DATE_FORMAT")) for i in ticks))
    last_balance = series[-1][1]
    return format_html(
        '<svg class="balance-chart" viewBox="0 0 {w} {h}" role="img" aria-labelledby="chart-title"'
        ' data-testid="balance-chart" data-points="{n}" data-last-balance="{last}">'
        '<title id="chart-title">{title}</title>{grid}{labels}'
        '<polyline class="line" fill="none" points="{path}"/>'
        '<circle class="dot" cx="{cx}" cy="{cy}" r="3"/></svg>',
        w=WIDTH, h=HEIGHT, n=count, last=last_balance, title=title, grid=grid, labels=labels,
        path=path, cx=f"{x(count - 1):.1f}", cy=f"{y(last_balance):.1f}")

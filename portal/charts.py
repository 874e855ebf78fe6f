"""Small server-rendered SVG charts: bars, a funnel, a line and a heat map.

Plain SVG with presentation attributes (no style attribute, no script: the
strict CSP holds), a viewBox and width 100% so a chart shrinks to a phone
screen, text in currentColor so it follows the admin's light or dark theme, and
a <title>/<desc> naming what it shows. Every chart on a page also has its numbers
in a table next to it: the chart is for looking, the table for reading.
"""

from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.text import Truncator

# Narrow on purpose: drawn at about its own size on a phone, so 13-unit text
# stays readable there; admin.css caps how large it grows on a desktop.
WIDTH = 360
FONT = 13
BAR = "#417690"  # the admin's primary colour: legible on light and dark
BAR_ALT = "#a4161a"
LABEL_WIDTH = 132
VALUE_WIDTH = 64
ROW = 26


def _number(value):
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.1f}"
    return f"{value:,}"


def _svg(chart_id, title, desc, height, body):
    # Every piece of text in `body`, `title` and `desc` is escaped where it is made.
    return mark_safe(  # noqa: S308
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" width="100%" '
        f'role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" '
        f'font-size="{FONT}" font-family="sans-serif" fill="currentColor">'
        f'<title id="{chart_id}-title">{escape(title)}</title>'
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>'
        f"{''.join(body)}</svg>"
    )


def _label(text, limit=17):
    return escape(Truncator(str(text)).chars(limit))


def bar_chart(chart_id, title, bars, unit="", centred=False):
    """Horizontal bars, one row per (label, value); `centred` makes a funnel."""
    peak = max([value or 0 for _, value in bars] + [0]) or 1
    area = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    height = ROW * len(bars) + 8
    body = []
    for n, (label, value) in enumerate(bars):
        y = 4 + n * ROW
        width = max((value or 0) / peak * area, 0)
        x = LABEL_WIDTH + ((area - width) / 2 if centred else 0)
        body.append(
            f'<text x="{LABEL_WIDTH - 6}" y="{y + ROW * 0.65:.1f}" '
            f'text-anchor="end">{_label(label)}</text>'
            f'<rect x="{x:.1f}" y="{y + 3}" width="{width:.1f}" '
            f'height="{ROW - 6}" fill="{BAR}" rx="2"/>'
            f'<text x="{WIDTH - VALUE_WIDTH + 6}" y="{y + ROW * 0.65:.1f}">'
            f"{escape(_number(value))}{escape(unit)}</text>"
        )
    desc = "; ".join(f"{label}: {_number(value)}{unit}" for label, value in bars)
    return _svg(chart_id, title, desc, height, body)


def funnel_chart(chart_id, title, steps):
    return bar_chart(chart_id, title, steps, centred=True)


def line_chart(chart_id, title, points, unit=""):
    """One line over (label, value) points, labelled at the ends and the peak."""
    height, left, right, top, bottom = 190, 56, 12, 14, 36
    plot_w, plot_h = WIDTH - left - right, height - top - bottom
    values = [value or 0 for _, value in points]
    peak = max(values + [0]) or 1
    count = max(len(points) - 1, 1)

    def xy(n, value):
        return left + n / count * plot_w, top + plot_h - value / peak * plot_h

    body = [
        f'<line x1="{left}" y1="{top + plot_h}" x2="{WIDTH - right}" '
        f'y2="{top + plot_h}" stroke="currentColor" stroke-width="1"/>',
        f'<line x1="{left}" y1="{top}" x2="{WIDTH - right}" y2="{top}" '
        f'stroke="currentColor" stroke-width="0.5" stroke-dasharray="3 3"/>',
        f'<text x="{left - 4}" y="{top + 4}" text-anchor="end">'
        f"{escape(_number(peak))}</text>",
        f'<text x="{left - 4}" y="{top + plot_h + 4}" text-anchor="end">0</text>',
    ]
    if points:
        line = " ".join(
            f"{x:.1f},{y:.1f}" for x, y in (xy(n, v) for n, v in enumerate(values))
        )
        body.append(
            f'<polyline points="{line}" fill="none" stroke="{BAR}" stroke-width="2"/>'
        )
        for n, anchor in [(0, "start"), (len(points) - 1, "end")]:
            x, _ = xy(n, 0)
            body.append(
                f'<text x="{x:.1f}" y="{height - 12}" text-anchor="{anchor}">'
                f"{_label(points[n][0], 12)}</text>"
            )
        top_n = values.index(max(values))
        x, y = xy(top_n, values[top_n])
        body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{BAR_ALT}"/>')
    total = sum(values)
    desc = f"{len(points)} points, total {_number(total)}{unit}, peak {_number(peak)}"
    return _svg(chart_id, title, desc, height, body)


def heat_map(chart_id, title, row_labels, column_labels, matrix):
    """A grid of cells shaded by value: rows x columns of numbers."""
    left, top = 36, 20
    columns = max(len(column_labels), 1)
    cell_w = (WIDTH - left - 4) / columns
    cell_h = 24
    height = top + cell_h * len(row_labels) + 6
    peak = max([value for row in matrix for value in row] + [0]) or 1
    body = []
    step = 1 if columns <= 12 else 2  # keep the hour labels apart on a phone
    for c, label in enumerate(column_labels):
        if c % step == 0:
            x = left + c * cell_w + cell_w / 2
            body.append(
                f'<text x="{x:.1f}" y="{top - 6}" text-anchor="middle" '
                f'font-size="{FONT - 2}">{_label(label, 5)}</text>'
            )
    for r, label in enumerate(row_labels):
        y = top + r * cell_h
        body.append(
            f'<text x="{left - 6}" y="{y + cell_h * 0.68:.1f}" '
            f'text-anchor="end">{_label(label, 5)}</text>'
        )
        for c, value in enumerate(matrix[r]):
            opacity = 0.06 + 0.94 * value / peak if value else 0.03
            body.append(
                f'<rect x="{left + c * cell_w + 1:.1f}" y="{y + 1}" '
                f'width="{cell_w - 2:.1f}" height="{cell_h - 2}" fill="{BAR}" '
                f'fill-opacity="{opacity:.2f}"><title>{escape(label)} '
                f"{escape(column_labels[c])}: {value}</title></rect>"
            )
    busiest = max(
        (
            (value, row_labels[r], column_labels[c])
            for r, row in enumerate(matrix)
            for c, value in enumerate(row)
        ),
        default=(0, "", ""),
    )
    desc = (
        f"Busiest: {busiest[1]} {busiest[2]} with {busiest[0]}"
        if busiest[0]
        else "No interviews"
    )
    return _svg(chart_id, title, desc, height, body)

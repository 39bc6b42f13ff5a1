"""Small bar charts as SVG, drawn on the server: no script, no library. Each chart names itself
(title) and says its numbers in words (desc) for screen readers; the page puts a table of the same
numbers beside it. Colours keep at least 3:1 against white, text at least 4.5:1."""

from __future__ import annotations

from typing import Callable, Sequence

from markupsafe import Markup, escape

COLOURS = ("#0b4f8a", "#b35300", "#2f6b3b")
INK = "#1b1b1f"
GRID = "#6b7480"


def _number(value: float) -> str:
    if float(value).is_integer():
        return f"{int(value):,}".replace(",", "\u00a0")
    return f"{value:,.1f}".replace(",", "\u00a0").replace(".", ",")


def bar_chart(chart_id: str, title: str, rows: Sequence[tuple[str, Sequence[float | None]]],
              series: Sequence[str] = ("",), *, unit: str = "",
              fmt: Callable[[float], str] = _number, description: str | None = None) -> Markup:
    """Horizontal bars: one group per row, one bar per series. ``None`` values are left out."""
    label_width, bar_width, right = 210, 330, 90
    bar, gap = 16, 10
    group = bar * len(series) + gap
    legend = 24 if len(series) > 1 else 0
    height = legend + group * max(1, len(rows)) + 10
    width = label_width + bar_width + right
    values = [v for _, vs in rows for v in vs if v is not None]
    top = max(values) if values else 0
    scale = bar_width / top if top > 0 else 0
    parts = []
    if description is None:
        described = []
        for label, vs in rows:
            shown = [f"{name + ' ' if name else ''}{fmt(v)}{unit}" for name, v in zip(series, vs) if v is not None]
            described.append(f"{label}: {', '.join(shown) or 'ingen'}")
        description = "; ".join(described) + "." if described else "Ingen tall."
    if len(series) > 1:
        x = label_width
        for index, name in enumerate(series):
            parts.append(f'<rect x="{x}" y="4" width="14" height="14" fill="{COLOURS[index % len(COLOURS)]}"/>'
                         f'<text x="{x + 20}" y="16" font-size="13" fill="{INK}">{escape(name)}</text>')
            x += 30 + 8 * len(name)
    for row_index, (label, vs) in enumerate(rows):
        y0 = legend + row_index * group
        parts.append(f'<text x="{label_width - 8}" y="{y0 + group / 2}" font-size="13" fill="{INK}" '
                     f'text-anchor="end" dominant-baseline="middle">{escape(label)}</text>')
        for index, value in enumerate(vs):
            if value is None:
                continue
            y = y0 + index * bar
            length = max(1.0, value * scale) if value > 0 else 0
            parts.append(f'<rect x="{label_width}" y="{y + 1}" width="{length:.1f}" height="{bar - 2}" '
                         f'fill="{COLOURS[index % len(COLOURS)]}"/>')
            parts.append(f'<text x="{label_width + length + 6:.1f}" y="{y + bar / 2}" font-size="12" fill="{INK}" '
                         f'dominant-baseline="middle">{escape(fmt(value) + unit)}</text>')
    parts.append(f'<line x1="{label_width}" y1="{legend}" x2="{label_width}" y2="{height - 6}" stroke="{GRID}"/>')
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {width} {height}" '
           f'aria-labelledby="{chart_id}-title {chart_id}-desc" focusable="false">'
           f'<title id="{chart_id}-title">{escape(title)}</title><desc id="{chart_id}-desc">{escape(description)}</desc>'
           + "".join(parts) + "</svg>")
    return Markup(svg)

"""Server-side SVG charts for the outcome dashboard: plain inline SVG, no script, no CDN.

Each function returns markup safe to insert as is (every label is escaped). The SVGs scale to their
container (``viewBox`` and ``width="100%"``), so they fit a 375 px phone as well as a desk screen, and
carry a ``<title>`` and ``role="img"`` with an ``aria-label`` for screen readers.
"""

from __future__ import annotations

from html import escape

from markupsafe import Markup

PALETTE = ("#2f6f9f", "#d9822b", "#3c9d5d", "#a2475e", "#6b5ea8", "#8a8a3a")


def _fmt(value: float, unit: str) -> str:
    text = f"{value:.1f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)
    return f"{text}{unit}"


def _open(css_id: str, width: int, height: int, title: str) -> str:
    return (f'<svg class="chart" id="{escape(css_id)}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
            f'width="100%" role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>')


def bars(title: str, items: list[tuple[str, float | None]], *, unit: str = "%", maximum: float | None = None,
         css_id: str = "") -> Markup:
    """Horizontal bars, one row per item (label left, value right); None is drawn as “—”."""
    top = max([v for _, v in items if v is not None] + [maximum or 0, 1])
    row, label_w, bar_w, width = 26, 120, 190, 360
    height = 30 + row * max(len(items), 1)
    parts = [_open(css_id, width, height, title),
             f'<text x="0" y="16" font-size="13" font-weight="bold">{escape(title)}</text>']
    if not items:
        parts.append('<text x="0" y="44" font-size="12" fill="#777">暂无数据</text>')
    for i, (label, value) in enumerate(items):
        y = 30 + i * row
        short = label if len(label) <= 9 else label[:8] + "…"
        parts.append(f'<text x="{label_w - 6}" y="{y + 15}" font-size="12" text-anchor="end">{escape(short)}</text>')
        parts.append(f'<rect x="{label_w}" y="{y + 3}" width="{bar_w}" height="16" fill="#eef1f4"/>')
        if value is not None:
            w = max(bar_w * float(value) / top, 0.0)
            parts.append(f'<rect class="bar" x="{label_w}" y="{y + 3}" width="{w:.1f}" height="16" '
                         f'fill="{PALETTE[i % len(PALETTE)]}"><title>{escape(label)}：{_fmt(value, unit)}</title></rect>')
        shown = "—" if value is None else _fmt(value, unit)
        parts.append(f'<text x="{label_w + bar_w + 6}" y="{y + 15}" font-size="12">{escape(shown)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def line(title: str, labels: list[str], series: list[tuple[str, list[float | None]]], *, unit: str = "%",
         maximum: float = 100.0, css_id: str = "") -> Markup:
    """Lines over terms (x: ``labels``), one per series, with a legend; None leaves a gap."""
    width, height, left, right, top_pad, bottom = 360, 220, 34, 12, 28, 46
    plot_w, plot_h = width - left - right, height - top_pad - bottom
    top = max([maximum] + [v for _, vals in series for v in vals if v is not None])
    n = max(len(labels), 1)

    def x(i: int) -> float:
        return left + (plot_w / 2 if n == 1 else plot_w * i / (n - 1))

    def y(v: float) -> float:
        return top_pad + plot_h * (1 - v / top) if top else top_pad + plot_h

    parts = [_open(css_id, width, height, title),
             f'<text x="0" y="16" font-size="13" font-weight="bold">{escape(title)}</text>']
    for frac in (0, 0.5, 1):
        gy = top_pad + plot_h * (1 - frac)
        parts.append(f'<line x1="{left}" y1="{gy:.1f}" x2="{width - right}" y2="{gy:.1f}" stroke="#ddd"/>')
        parts.append(f'<text x="{left - 4}" y="{gy + 4:.1f}" font-size="10" text-anchor="end">{_fmt(top * frac, "")}</text>')
    for i, label in enumerate(labels):
        short = label if len(label) <= 10 else "…" + label[-9:]
        parts.append(f'<text x="{x(i):.1f}" y="{top_pad + plot_h + 14}" font-size="9" text-anchor="middle">'
                     f'{escape(short)}</text>')
    for k, (name, values) in enumerate(series):
        color = PALETTE[k % len(PALETTE)]
        points = [(x(i), y(float(v)), v) for i, v in enumerate(values) if v is not None]
        if len(points) > 1:
            path = " ".join(f"{px:.1f},{py:.1f}" for px, py, _ in points)
            parts.append(f'<polyline class="series" points="{path}" fill="none" stroke="{color}" stroke-width="2"/>')
        for px, py, v in points:
            parts.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3.5" fill="{color}">'
                         f'<title>{escape(name)}：{_fmt(v, unit)}</title></circle>')
        lx = left + (k % 3) * 110
        ly = height - 14 + (k // 3) * 12
        parts.append(f'<rect x="{lx}" y="{ly - 8}" width="10" height="10" fill="{color}"/>'
                     f'<text x="{lx + 14}" y="{ly + 1}" font-size="10">{escape(name)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))

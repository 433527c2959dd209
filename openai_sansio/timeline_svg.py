"""`render_svg(timeline)`: a `Timeline` as one self-contained SVG document (no plotting
dependency, no script, no external font or stylesheet), readable at a glance.

One row per lane (``connection``, ``user``, ``responses``, ``audio``, ``tools``, ``errors``),
the trace's seconds along the bottom. Spans are bars coloured by kind (a response by its
status); spans that overlap in a lane (an out-of-band response beside the default one) are
stacked, never drawn over each other; a span that never ended is drawn to the end, dashed.
A barge-in's cut is a red line inside the audio bar at the fraction heard. Marks (errors,
closes, barge-ins, user text) are diamonds. Every shape carries a ``<title>`` with the full
detail (shown as a tooltip by browsers). The output is deterministic: the same timeline
gives the same bytes.
"""

from __future__ import annotations

import math
from typing import Final
from xml.sax.saxutils import escape

from .timeline import Mark, Span, Timeline

__all__ = ["render_svg"]

WIDTH: Final = 1200
_LEFT: Final = 100
_RIGHT: Final = 24
_TOP: Final = 48
_ROW: Final = 26  # one bar row
_LANE_PAD: Final = 10
_BAR: Final = 18
_CHAR_PX: Final = 6.4  # average width of one label character at 11 px
_OUTSIDE_PX: Final = 260  # room for a label drawn after a narrow bar
_COLOURS: Final = {
    "socket": "#cfd8dc",
    "http": "#b0bec5",
    "speech": "#64b5f6",
    "completed": "#81c784",
    "cancelled": "#ffb74d",
    "interrupted": "#bdbdbd",
    "incomplete": "#fff176",
    "failed": "#e57373",
    "open": "#e0e0e0",
    "audio": "#ba68c8",
    "tool": "#4db6ac",
    "error": "#d32f2f",
    "bargein": "#f4511e",
    "usertext": "#1e88e5",
}
_STYLE: Final = (
    "text{font-family:DejaVu Sans,Verdana,sans-serif;font-size:11px;fill:#263238}"
    ".lane{font-weight:bold;font-size:12px}.tick{fill:#78909c;font-size:10px}"
    ".title{font-size:14px;font-weight:bold}.grid{stroke:#eceff1}"
    ".sep{stroke:#cfd8dc}.open{stroke-dasharray:4 3;stroke:#546e7a}"
    ".after{fill:#546e7a}.cut{stroke:#d50000;stroke-width:2}.cutlabel{fill:#b71c1c;font-size:10px}"
)


def _f(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _step(span: float) -> float:
    """A 1-2-5 tick step giving about ten ticks over `span` seconds."""
    raw = span / 10 if span > 0 else 1.0
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if raw <= factor * power:
            return float(factor * power)
    return float(10 * power)


def _fit(label: str, width: float) -> str:
    room = int((width - 6) / _CHAR_PX)
    if room >= len(label):
        return label
    return label[: room - 1] + "…" if room >= 4 else ""


def _rows(spans: list[Span], end: float) -> list[int]:
    """A row per span such that spans of one row do not overlap (greedy, in start order)."""
    ends: list[float] = []
    rows: list[int] = []
    for span in spans:
        stop = span.end if span.end is not None else end
        for row, busy_until in enumerate(ends):
            if span.start >= busy_until:
                ends[row] = max(stop, span.start)
                rows.append(row)
                break
        else:
            ends.append(max(stop, span.start))
            rows.append(len(ends) - 1)
    return rows


class _Canvas:
    def __init__(self, timeline: Timeline) -> None:
        self.timeline = timeline
        ends = [s.end for s in timeline.spans if s.end is not None]
        self.end = max([timeline.end, *ends, *(m.t for m in timeline.marks)], default=0.0)
        self.end = self.end if self.end > 0 else 1.0
        self.plot = WIDTH - _LEFT - _RIGHT
        self.out: list[str] = []

    def x(self, t: float) -> float:
        return _LEFT + self.plot * max(0.0, t) / self.end

    def span(self, span: Span, y: float) -> None:
        x0 = self.x(span.start)
        x1 = self.x(span.end if span.end is not None else self.end)
        width = max(2.0, x1 - x0)
        colour = _COLOURS.get(span.kind, "#90a4ae")
        ended = f"{_f(span.end)} s" if span.end is not None else "never ended"
        tip = f"{span.label} ({_f(span.start)} s to {ended})"
        if span.detail:
            tip += f"\n{span.detail}"
        if span.cut_label:
            tip += f"\n{span.cut_label}"
        dashed = ' class="open"' if span.end is None else ""
        self.out.append(
            f"<g><title>{escape(tip)}</title>"
            f'<rect x="{_f(x0)}" y="{_f(y)}" width="{_f(width)}" height="{_BAR}" rx="3" '
            f'fill="{colour}"{dashed}/>'
        )
        label = _fit(span.label, width)
        if label == span.label:
            self.out.append(f'<text x="{_f(x0 + 3)}" y="{_f(y + 13)}">{escape(label)}</text>')
        else:  # too narrow: the label follows the bar (the next bar of a row starts later)
            outside = _fit(span.label, min(_OUTSIDE_PX, WIDTH - (x0 + width + 4)))
            self.out.append(
                f'<text class="after" x="{_f(x0 + width + 4)}" y="{_f(y + 13)}">'
                f"{escape(outside)}</text>"
            )
        if span.cut is not None:
            cx = x0 + width * span.cut
            self.out.append(
                f'<line class="cut" x1="{_f(cx)}" y1="{_f(y - 3)}" x2="{_f(cx)}" '
                f'y2="{_f(y + _BAR + 3)}"/>'
                f'<text class="cutlabel" x="{_f(cx + 3)}" y="{_f(y - 2)}">'
                f"{escape(span.cut_label)}</text>"
            )
        self.out.append("</g>")

    def mark(self, mark: Mark, y: float) -> None:
        cx, cy = self.x(mark.t), y + _BAR / 2
        colour = _COLOURS.get(mark.kind, "#455a64")
        tip = f"{mark.label} at {_f(mark.t)} s" + (f"\n{mark.detail}" if mark.detail else "")
        corners = ((cx, cy - 7), (cx + 7, cy), (cx, cy + 7), (cx - 7, cy))
        points = " ".join(f"{_f(px)},{_f(py)}" for px, py in corners)
        self.out.append(
            f"<g><title>{escape(tip)}</title>"
            f'<polygon points="{points}" fill="{colour}"/>'
            f'<text x="{_f(cx + 9)}" y="{_f(cy + 4)}">{escape(_fit(mark.label, 220))}</text></g>'
        )


def render_svg(timeline: Timeline) -> str:
    """The SVG document (UTF-8 text) of `timeline`."""
    canvas = _Canvas(timeline)
    body: list[str] = []
    y = float(_TOP)
    lane_tops: list[tuple[str, float, float]] = []
    for lane in timeline.lanes:
        spans = [s for s in timeline.spans if s.lane == lane]
        marks = [m for m in timeline.marks if m.lane == lane]
        rows = _rows(spans, canvas.end)
        count = max([*rows, -1]) + 1 + (1 if marks else 0)
        height = max(1, count) * _ROW + _LANE_PAD
        lane_tops.append((lane, y, height))
        canvas.out = []
        for span, row in zip(spans, rows, strict=True):
            canvas.span(span, y + _LANE_PAD / 2 + row * _ROW + 4)
        mark_row = max([*rows, -1]) + 1
        for mark in marks:
            canvas.mark(mark, y + _LANE_PAD / 2 + mark_row * _ROW + 4)
        body.extend(canvas.out)
        y += height
    height = int(y + 36)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}">',
        f"<style>{_STYLE}</style>",
        f'<rect width="{WIDTH}" height="{height}" fill="#ffffff"/>',
    ]
    title = f"{timeline.api} session"
    if timeline.started:
        title += f", started {timeline.started}"
    title += f", {_f(canvas.end)} s"
    out.append(f'<text class="title" x="{_LEFT}" y="22">{escape(title)}</text>')
    step = _step(canvas.end)
    ticks = int(canvas.end / step + 1e-9)
    for n in range(ticks + 1):
        t = n * step
        x = canvas.x(t)
        out.append(f'<line class="grid" x1="{_f(x)}" y1="{_TOP}" x2="{_f(x)}" y2="{_f(y)}"/>')
        out.append(f'<text class="tick" x="{_f(x - 6)}" y="{_f(y + 14)}">{_f(t)} s</text>')
    for lane, top, lane_height in lane_tops:
        out.append(
            f'<line class="sep" x1="0" y1="{_f(top)}" x2="{WIDTH}" y2="{_f(top)}"/>'
            f'<text class="lane" x="8" y="{_f(top + lane_height / 2 + 4)}">{escape(lane)}</text>'
        )
    out.extend(body)
    out.append("</svg>")
    return "\n".join(out) + "\n"

"""``openai-sansio replay TRACE``: a recorded session through fresh machines, checked.

    openai-sansio replay TRACE [--json] [--until N] [--timeline OUT.svg]

Reads a trace (JSON Lines, or gzip-compressed JSON Lines, of any of the six APIs; a
hand-written one of ``send``/``recv``/``recv_bytes`` records too), replays it exactly
(`protocol.trace.replay`), and prints the turns, errors and per-API facts (audio seconds,
truncations, transcripts). Each divergence (the machine now sends something else than the
trace recorded) is shown as a diff of the recorded and the produced message; any divergence
makes the exit status 1. `--json` prints the summary as JSON instead (DESIGN section 7 keys,
plus ``details`` and ``extras``); `--until N` replays records 1..N only; `--timeline` also
draws the session as an SVG. Long traces show a progress bar on a terminal's stderr.
"""

from __future__ import annotations

import argparse
import difflib
import gzip
import sys
from pathlib import Path
from typing import Any, Final, TextIO

import msgspec

from .protocol.trace import ReplaySummary, load_trace, replay
from .protocol.trace_common import ABSENT, Divergence
from .timeline import timeline_from_trace
from .timeline_svg import render_svg

__all__ = ["add_replay_parser", "read_trace", "run_replay"]

PROGRESS_FROM: Final = 5_000
"""Records from which a terminal gets a progress bar."""
_SHOWN_CHARS: Final = 72  # longer strings (base64 audio) are cut in diffs


def add_replay_parser(sub: Any) -> None:
    rep = sub.add_parser("replay", help="replay a recorded trace through fresh machines")
    rep.add_argument("trace", help="a trace file (.jsonl, or gzip-compressed)")
    rep.add_argument("--json", action="store_true", help="print the summary as JSON")
    rep.add_argument("--until", type=int, metavar="N", help="replay records 1..N only")
    rep.add_argument("--timeline", metavar="OUT.svg", help="also draw the session as an SVG")


def read_trace(path: str | Path) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """Header and records of a trace file, gzip-compressed or not."""
    data = Path(path).read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return load_trace(data.splitlines())


class _ProgressBar:
    """``replaying [#####.....]  48%  12,000/25,000 records`` on `out`, redrawn in place."""

    def __init__(self, total: int, out: TextIO) -> None:
        self.total = max(1, total)
        self.out = out
        self.shown = -1

    def __call__(self, done: int) -> None:
        percent = min(100, 100 * done // self.total)
        if percent == self.shown:
            return
        self.shown = percent
        bar = "#" * (percent // 5) + "." * (20 - percent // 5)
        self.out.write(f"\rreplaying [{bar}] {percent:3d}%  {done:,}/{self.total:,} records")
        if percent == 100:
            self.out.write("\n")
        self.out.flush()


def _shown(value: Any) -> Any:
    """`value` for display: long strings (base64 audio) cut, with their length."""
    if isinstance(value, str) and len(value) > _SHOWN_CHARS:
        return f"{value[: _SHOWN_CHARS - 12]}…({len(value)} chars)"
    if isinstance(value, dict):
        return {k: _shown(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shown(v) for v in value]
    return value


def _pretty(value: Any) -> list[str]:
    text = msgspec.json.format(msgspec.json.encode(_shown(value)), indent=2).decode()
    return text.splitlines()


def divergence_lines(detail: Divergence) -> list[str]:
    """A divergence for a reader: what was recorded against what the machine produced, as
    a unified diff when there are both, else the one message there is."""
    head = f"record {detail.record}" if detail.record else "end of trace"
    expected, produced = detail.expected, detail.produced
    if expected is ABSENT and produced is ABSENT:
        return [f"DIVERGENCE: {detail.text}"]
    if expected is ABSENT:
        return [f"DIVERGENCE at {head}: the machine sent a message the trace lacks:"] + [
            f"  + {line}" for line in _pretty(produced)
        ]
    if produced is ABSENT:
        return [f"DIVERGENCE at {head}: the trace recorded a message the machine never sent:"] + [
            f"  - {line}" for line in _pretty(expected)
        ]
    diff = difflib.unified_diff(
        _pretty(expected), _pretty(produced), "recorded", "replayed", lineterm="", n=2
    )
    return [f"DIVERGENCE at {head}: the machine sent something else:"] + [
        f"  {line}" for line in diff
    ]


def _print_summary(summary: ReplaySummary, until: int | None) -> None:
    stop = f" (until record {until})" if until is not None else ""
    print(f"api: {summary.api}  records: {summary.records}{stop}")
    for number, turn in enumerate(summary.turns, 1):
        print(f"turn {number}: {turn.status} {turn.response_id or ''}")
        if turn.text:
            print(f"  text: {turn.text!r}")
        for call in turn.tool_calls:
            print(f"  tool call: {call['name']}({call['arguments']}) {call['call_id']}")
        if turn.usage:
            usage = turn.usage
            print(f"  usage: in={usage.get('input_tokens')} out={usage.get('output_tokens')}")
    extras = summary.extras
    for key in ("audio_seconds_sent", "audio_seconds_received"):
        if key in extras:
            print(f"{key.replace('_', ' ')}: {extras[key]:.2f}")
    for cut in extras.get("truncations", ()):
        where = f"item {cut['item_id']} at {cut['audio_end_ms']} ms"
        print(f"truncation: {where} (record {cut['record']})")
    for said in extras.get("transcripts", ()):
        role = f"{said['role']} " if said.get("role") else ""
        print(f"transcript: {role}{said.get('text')!r}")
    for error in summary.errors:
        print(f"error [{error['classification']}] {error['code']}: {error['message']}")
    for detail in summary.details:
        for line in divergence_lines(detail):
            print(line)


def run_replay(args: argparse.Namespace) -> int:
    header, records = read_trace(args.trace)
    if args.until is not None:
        records = records[: max(0, args.until)]
    if args.timeline:
        Path(args.timeline).write_text(render_svg(timeline_from_trace(header, records)), "utf-8")
    progress = None
    if len(records) >= PROGRESS_FROM and sys.stderr.isatty():
        progress = _ProgressBar(len(records), sys.stderr)
    summary = replay(header, records, progress=progress)
    if args.json:
        sys.stdout.write(msgspec.json.format(msgspec.json.encode(summary)).decode() + "\n")
    else:
        _print_summary(summary, args.until)
    return 1 if summary.divergences else 0

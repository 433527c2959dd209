"""Timing method shared by every benchmark in ``bench/``.

How one comparison is measured (`compare` / `compare_async`):

- Every method is a zero-argument callable that does one *unit* of work (decode one event,
  decode one whole stream, stream one HTTP response, ...).
- Calibration: the loop length ``n`` is chosen so that one timed loop lasts 50-300 ms
  (aiming at ``BENCH_TARGET_MS``, 100 ms by default). A unit slower than 300 ms runs once.
- A timed loop is ``time.perf_counter()`` around ``for _ in range(n): fn()``, with the cyclic
  GC disabled (as `timeit` does) and collected once before the loop.
- All methods of one comparison run in ``BENCH_ROUNDS`` (7 by default) interleaved rounds; the
  order of the methods is rotated every round so that no method always runs first or last.
- Reported: the median time per unit of each method over the rounds, and for every ratio the
  median of the ratios computed *within* each round (plus their min-max range), which cancels
  most of the machine's slow drifts.

Nothing here asserts on time: the scripts print numbers and say whether a goal is met.
"""

from __future__ import annotations

import gc
import os
import platform
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "DASH",
    "ROUNDS",
    "Comparison",
    "Table",
    "X",
    "calibrate",
    "check",
    "compare",
    "compare_async",
    "fmt_ratio",
    "fmt_time",
    "goal_line",
    "header",
    "matches_wire",
]

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "7"))
TARGET_S = float(os.environ.get("BENCH_TARGET_MS", "100")) / 1000.0
MIN_S = 0.05
MAX_S = 0.3
X = "\N{MULTIPLICATION SIGN}"
DASH = "\N{EN DASH}"
_LAST_CPU = [0.0]  # CPU seconds (this process) of the last timed loop


def _timed_loop(fn: Callable[[], Any], n: int) -> float:
    """Seconds for `n` calls of `fn`, GC off inside the loop."""
    gc.collect()
    enabled = gc.isenabled()
    gc.disable()
    try:
        rng = range(n)
        c0 = time.process_time()
        t0 = time.perf_counter()
        for _ in rng:
            fn()
        t1 = time.perf_counter()
        c1 = time.process_time()
    finally:
        if enabled:
            gc.enable()
    _LAST_CPU[0] = c1 - c0
    return t1 - t0


async def _timed_loop_async(fn: Callable[[], Awaitable[Any]], n: int) -> float:
    gc.collect()
    enabled = gc.isenabled()
    gc.disable()
    try:
        c0 = time.process_time()
        t0 = time.perf_counter()
        for _ in range(n):
            await fn()
        t1 = time.perf_counter()
        c1 = time.process_time()
    finally:
        if enabled:
            gc.enable()
    _LAST_CPU[0] = c1 - c0
    return t1 - t0


def _next_n(n: int, elapsed: float) -> tuple[int, bool]:
    """(next loop length, done) for calibration: grow until the loop is long enough."""
    if elapsed >= MIN_S:
        # scale towards the target; keep inside [MIN_S, MAX_S]
        per = elapsed / n
        want = max(1, round(TARGET_S / per))
        if want * per > MAX_S:
            want = max(1, int(MAX_S / per))
        return want, True
    if elapsed <= 0:
        return n * 10, False
    grow = max(2, min(10, round(TARGET_S / elapsed)))
    return n * grow, False


def calibrate(fn: Callable[[], Any]) -> int:
    """Loop length for which one timed loop of `fn` lasts 50-300 ms (at least 1)."""
    fn()  # warm up (caches, lazy imports, pydantic schema builds)
    n = 1
    while True:
        elapsed = _timed_loop(fn, n)
        n, done = _next_n(n, elapsed)
        if done:
            return n


async def calibrate_async(fn: Callable[[], Awaitable[Any]]) -> int:
    await fn()
    n = 1
    while True:
        elapsed = await _timed_loop_async(fn, n)
        n, done = _next_n(n, elapsed)
        if done:
            return n


@dataclass
class Comparison:
    """Per-round seconds per unit for each method of one comparison."""

    names: list[str]
    per_round: dict[str, list[float]] = field(default_factory=dict)
    loops: dict[str, int] = field(default_factory=dict)
    cpu_per_round: dict[str, list[float]] = field(default_factory=dict)

    def median(self, name: str) -> float:
        return statistics.median(self.per_round[name])

    def median_cpu(self, name: str) -> float:
        """Median CPU seconds per unit spent by *this* process (not a server subprocess)."""
        return statistics.median(self.cpu_per_round[name])

    def cpu_ratio(self, slow: str, fast: str) -> float:
        pairs = zip(self.cpu_per_round[slow], self.cpu_per_round[fast], strict=True)
        return statistics.median(a / b for a, b in pairs)

    def ratios(self, slow: str, fast: str) -> list[float]:
        """time(slow) / time(fast) within each round: how many times faster `fast` is."""
        return [a / b for a, b in zip(self.per_round[slow], self.per_round[fast], strict=True)]

    def ratio(self, slow: str, fast: str) -> float:
        """Median over rounds of the same-round ratio time(slow) / time(fast)."""
        return statistics.median(self.ratios(slow, fast))

    def ratio_range(self, slow: str, fast: str) -> tuple[float, float]:
        r = self.ratios(slow, fast)
        return min(r), max(r)

    def cell(self, slow: str, fast: str) -> str:
        """Table cell: median same-round ratio time(slow) / time(fast) with its range."""
        if slow == fast:
            return f"1.00{X}"
        return fmt_ratio(self.ratio(slow, fast), *self.ratio_range(slow, fast))


def _rotations(names: Sequence[str], rounds: int) -> list[list[str]]:
    k = len(names)
    return [[names[(i + r) % k] for i in range(k)] for r in range(rounds)]


def compare(methods: dict[str, Callable[[], Any]], *, rounds: int | None = None) -> Comparison:
    """Time every method in interleaved, rotated rounds (see the module docstring)."""
    rounds = rounds or ROUNDS
    names = list(methods)
    result = Comparison(names, {n: [] for n in names}, cpu_per_round={n: [] for n in names})
    for name in names:
        result.loops[name] = calibrate(methods[name])
    for order in _rotations(names, rounds):
        for name in order:
            n = result.loops[name]
            result.per_round[name].append(_timed_loop(methods[name], n) / n)
            result.cpu_per_round[name].append(_LAST_CPU[0] / n)
    return result


async def compare_async(
    methods: dict[str, Callable[[], Awaitable[Any]]], *, rounds: int | None = None
) -> Comparison:
    """`compare` for coroutine functions, run inside the caller's event loop."""
    rounds = rounds or ROUNDS
    names = list(methods)
    result = Comparison(names, {n: [] for n in names}, cpu_per_round={n: [] for n in names})
    for name in names:
        result.loops[name] = await calibrate_async(methods[name])
    for order in _rotations(names, rounds):
        for name in order:
            n = result.loops[name]
            result.per_round[name].append(await _timed_loop_async(methods[name], n) / n)
            result.cpu_per_round[name].append(_LAST_CPU[0] / n)
    return result


# --------------------------------------------------------------------------- reporting


def fmt_time(seconds: float) -> str:
    """A duration with a unit that keeps 3 significant digits."""
    us = seconds * 1e6
    if us < 1:
        return f"{us * 1000:.0f} ns"
    if us < 1000:
        return f"{us:.3g} µs"
    if us < 1e6:
        return f"{us / 1000:.3g} ms"
    return f"{us / 1e6:.3g} s"


def fmt_rate(per_second: float) -> str:
    if per_second >= 1e6:
        return f"{per_second / 1e6:.2f} M"
    if per_second >= 1e3:
        return f"{per_second / 1e3:.1f} k"
    return f"{per_second:.0f}"


def fmt_ratio(value: float, low: float | None = None, high: float | None = None) -> str:
    def one(v: float) -> str:
        return f"{v:,.0f}" if v >= 1000 else f"{v:.3g}"

    text = f"{one(value)}{X}"
    if low is not None and high is not None:
        text += f" ({one(low)}{DASH}{one(high)})"
    return text


class Table:
    """A Markdown table printed as it is built."""

    def __init__(self, *columns: str, align: str | None = None) -> None:
        self.columns = columns
        self.rows: list[tuple[str, ...]] = []
        self.align = align or ("l" + "r" * (len(columns) - 1))

    def add(self, *cells: object) -> None:
        self.rows.append(tuple(str(c) for c in cells))

    def render(self) -> str:
        marks = {"l": ":--", "r": "--:", "c": ":-:"}
        lines = ["| " + " | ".join(self.columns) + " |"]
        lines.append("|" + "|".join(marks[a] for a in self.align) + "|")
        lines += ["| " + " | ".join(row) + " |" for row in self.rows]
        return "\n".join(lines)

    def print(self) -> None:
        print(self.render())
        print()


def goal_line(what: str, measured: float, target: float, unit: str = X) -> bool:
    """Print one goal with met / NOT met; returns whether it is met."""
    met = measured >= target
    shown = f"{measured:.3g}{unit}" if unit == X else f"{measured:.4g} {unit}"
    want = f"{target:g}{unit}" if unit == X else f"{target:g} {unit}"
    print(f"- goal {what}: ≥ {want}, measured {shown} -> {'met' if met else 'NOT met'}")
    return met


def header(title: str, description: str = "") -> None:
    import msgspec

    try:
        import openai

        sdk = openai.__version__
    except ImportError:  # pragma: no cover - the bench extra installs it
        sdk = "absent"
    print(f"## {title}")
    print()
    if description:
        print(description.strip())
        print()
    print(
        f"Python {platform.python_version()} ({sys.implementation.name}), "
        f"{platform.machine()}, {os.cpu_count()} CPUs; openai {sdk}, msgspec "
        f"{msgspec.__version__}; {ROUNDS} rounds, loops calibrated to "
        f"{MIN_S * 1000:.0f}-{MAX_S * 1000:.0f} ms (target {TARGET_S * 1000:.0f} ms), GC off "
        f"in timed loops; ratios are medians of same-round ratios (min{DASH}max in brackets)."
    )
    print()


def check(condition: bool, message: str) -> None:
    """Abort the script when methods disagree (never a timing check)."""
    if not condition:
        print(f"RESULT MISMATCH: {message}", file=sys.stderr)
        raise SystemExit(2)


def _field(obj: Any, key: str) -> Any:
    """`obj`'s value for the wire key `key` (msgspec Struct, pydantic model or dict)."""
    if isinstance(obj, dict):
        return obj.get(key, _MISSING)
    encode_fields = getattr(obj, "__struct_encode_fields__", None)
    if encode_fields is not None and key in encode_fields:
        return getattr(obj, obj.__struct_fields__[encode_fields.index(key)])
    if hasattr(obj, key):
        return getattr(obj, key)
    for name, info in getattr(type(obj), "model_fields", {}).items():
        if info.alias == key:
            return getattr(obj, name)
    extra = getattr(obj, "model_extra", None) or {}
    return extra.get(key, _MISSING)


_MISSING: Any = object()


def matches_wire(obj: Any, wire: Any, path: str = "$") -> str | None:
    """None when `obj` carries every non-null value of the wire JSON `wire`, else where not.

    Works for our msgspec Structs, the SDK's pydantic models and plain dicts, so one check
    covers every method: each must reproduce what was on the wire.
    """
    if isinstance(wire, dict):
        for key, value in wire.items():
            if value is None:
                continue
            got = _field(obj, key)
            if got is _MISSING:
                return f"{path}.{key} missing"
            problem = matches_wire(got, value, f"{path}.{key}")
            if problem:
                return problem
        return None
    if isinstance(wire, list):
        if not isinstance(obj, list | tuple) or len(obj) != len(wire):
            return f"{path}: list differs"
        for i, (a, b) in enumerate(zip(obj, wire, strict=True)):
            problem = matches_wire(a, b, f"{path}[{i}]")
            if problem:
                return problem
        return None
    if obj != wire:
        return f"{path}: {obj!r} != {wire!r}"
    return None

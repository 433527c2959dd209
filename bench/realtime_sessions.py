"""Concurrent Realtime (GA) voice sessions per CPU core, audio both ways in real time.

Server: the emulator's ``/v1/realtime`` (``_realtime_server.py``) in its own process, a new
one per run, paced in real time (``realtime_rtf=1.0``: each 100 ms
``response.output_audio.delta`` of 24 kHz PCM16 is due at its audio time), with its default
session: server VAD (threshold 0.5, 300 ms prefix, 200 ms silence) commits the user's speech
and starts an audio response.

Clients: N sessions in this process, one asyncio loop. Each sends 24 kHz mono PCM16 in 20 ms
frames at real time on an absolute schedule (``anyio.sleep_until``): a 3.4 s cycle of 0.6 s
of a 220 Hz tone (about -20 dBFS) and 2.8 s of silence. Session i of N starts at i/N of the
cycle and i/N of the 20 ms tick, so sessions neither speak together nor all wake on the same
instant. The emulator answers each utterance ("You said: Spoken input of <D>
milliseconds.") with about 2.2 s of speech: audio flows both ways ~65 % of the time. Each
session counts what it receives and drops it (playback is the application's cost).

- ours: ``Client(...).realtime.connect(model=...)`` (`RealtimeConnection`): ``send_audio``
  every 20 ms (InputPath -> `RealtimeSession.append_audio` -> the writer task ->
  `WebSocketTransport`); ``async for event in connection``: typed events, the agent's audio
  as exact 20 ms `AudioFrame`s (typed decode with base64 in C, the machine, OutputPath).
- openai SDK: ``AsyncOpenAI(...).realtime.connect(model=...)``; every 20 ms
  ``await conn.input_audio_buffer.append(audio=b64encode(frame).decode())``; ``async for
  event in conn`` (pydantic models), audio deltas ``b64decode``d and cut into 20 ms frames.
- plugin style: the ``websockets`` asyncio client with ``json.dumps`` / ``json.loads`` dicts
  and ``base64``, frames cut likewise (the seed plugin's approach, untyped, no session logic).

Measured over ``BENCH_RT_SECONDS`` (5) s of wall time, after every session is open and has
streamed for 1 s: this process's CPU (``time.process_time``, user + system; the emulator's,
read from ``/proc``, is shown apart). CPU per session-second = CPU / (N x window); sessions
per core = its inverse. Real time is checked, not assumed: the lateness of every scheduled
send (the event loop's delay) and the frames sent and received per session-second are shown;
every session must receive spoken audio, and at least N/2 responses must complete (with a
window under 5 s, only that some audio arrived). Ours runs with N = 10, 20, 40
(``BENCH_RT_SESSIONS``); then ours and the peers at N = 20 in ``BENCH_RT_ROUNDS`` (2) rounds,
order rotated (``BENCH_RT_PEERS=0`` skips them).

The cyclic GC stays on, but each run starts with ``gc.collect(); gc.freeze()``: this process
imports the openai SDK and pydantic for the peers (~100 k objects against ~30 k for
openai_sansio alone), which makes every full collection walk them (~80 ms instead of ~8 ms)
and would charge that pause to every client.

``--diagnose`` (untimed, not in ``run_all.py``): the asyncio callbacks each client needs per
session-second (task steps after a bare yield, wakeups, timers, socket reads), counted by
wrapping ``asyncio.Handle._run`` during the window.

No goal: numbers only. Sessions per core extrapolates the measured CPU (the emulator shares
the machine's cores with the clients).
"""

from __future__ import annotations

import asyncio
import gc
import os
import statistics
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

sys.path.insert(0, str(Path(__file__).resolve().parent))

import anyio
from _common import Table, check, fmt_ratio, header
from _realtime_clients import (
    OURS,
    PLUGIN,
    SDK,
    SESSIONS,
    SILENCE_FRAMES,
    SPEECH_FRAMES,
    Clock,
    Gate,
    Stats,
)

HERE = Path(__file__).resolve().parent
WARMUP_S = 1.0
FULL_CHECK_S = 6.0  # streaming this long lets the worst-placed session speak and be answered
WINDOW_S = float(os.environ.get("BENCH_RT_SECONDS", "5"))
SWEEP = tuple(int(n) for n in os.environ.get("BENCH_RT_SESSIONS", "10,20,40").split(","))
PEER_N = 20
PEER_ROUNDS = int(os.environ.get("BENCH_RT_ROUNDS", "2"))


def start_server() -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "_realtime_server.py"), "--rtf", "1.0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if "listening on" not in line:
        proc.kill()
        raise SystemExit(f"emulator did not start: {line!r}")
    return proc, line.split()[-1]


def proc_cpu(pid: int) -> float | None:
    """User + system CPU seconds of process `pid` (Linux /proc), or None."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Run:
    who: str
    n: int
    wall: float
    cpu: float
    server_cpu: float | None
    sent: int
    frames_in: int
    responses: int
    completed: int
    late: list[float]

    @property
    def session_seconds(self) -> float:
        return self.n * self.wall

    @property
    def cpu_per_session_second(self) -> float:
        return self.cpu / self.session_seconds

    @property
    def sessions_per_core(self) -> float:
        return 1 / self.cpu_per_session_second


class LoopCallbacks:
    """Counts the callbacks the asyncio loop runs (task steps, wakeups, timers, socket I/O)
    while `active`: each is one pass of some task through the loop. Diagnostic only (it
    wraps ``asyncio.Handle._run``, which slows the loop down); never used in timed runs."""

    LABELS: ClassVar[dict[str, str]] = {
        "TaskStepMethWrapper": "task resumed after a bare yield (sleep(0), a checkpoint)",
        "Task.task_wakeup": "task woken by a future (event, lock, queue, timer)",
        "_set_result_unless_cancelled": "timer fired (asyncio.sleep with a delay)",
        "_SelectorSocketTransport._read_ready": "socket readable",
    }

    def __init__(self) -> None:
        self.active = False
        self.counts: Counter[str] = Counter()
        original = asyncio.events.Handle._run
        counts = self.counts

        def counting_run(handle: asyncio.events.Handle) -> None:
            if self.active:
                callback = handle._callback  # type: ignore[attr-defined]
                counts[getattr(callback, "__qualname__", type(callback).__name__)] += 1
            original(handle)

        self._original = original
        asyncio.events.Handle._run = counting_run  # type: ignore[method-assign]

    def uninstall(self) -> None:
        asyncio.events.Handle._run = self._original  # type: ignore[method-assign]


async def run(who: str, n: int, callbacks: LoopCallbacks | None = None) -> Run:
    proc, base_url = start_server()
    gc.collect()
    gc.freeze()  # the imports (SDK, pydantic) stay out of full collections; see the docstring
    try:
        stats = [Stats() for _ in range(n)]
        gate = Gate(n)
        clock = Clock()
        session = SESSIONS[who]
        async with anyio.create_task_group() as group:
            for i in range(n):
                group.start_soon(session, base_url, clock, i / n, stats[i], gate)
            with anyio.fail_after(30):
                await gate.all_open.wait()
            clock.t0 = anyio.current_time() + 0.05
            clock.window = (clock.t0 + WARMUP_S, clock.t0 + WARMUP_S + WINDOW_S)
            clock.stop = clock.window[1] + 0.05
            gate.go.set()
            await anyio.sleep_until(clock.window[0])
            before = [(s.sent, s.frames_in, s.responses, s.completed) for s in stats]
            cpu0, t0, srv0 = time.process_time(), time.perf_counter(), proc_cpu(proc.pid)
            if callbacks is not None:
                callbacks.active = True
            await anyio.sleep_until(clock.window[1])
            if callbacks is not None:
                callbacks.active = False
            cpu1, t1, srv1 = time.process_time(), time.perf_counter(), proc_cpu(proc.pid)
            after = [(s.sent, s.frames_in, s.responses, s.completed) for s in stats]
    finally:
        gc.unfreeze()
        proc.kill()
        proc.wait()
    delta = [sum(a[i] - b[i] for a, b in zip(after, before, strict=True)) for i in range(4)]
    server = srv1 - srv0 if srv0 is not None and srv1 is not None else None
    late = [x for s in stats for x in s.late]
    result = Run(who, n, t1 - t0, cpu1 - cpu0, server, *delta, late)
    check(any(s.frames_in for s in stats), f"{who}, {n} sessions: no agent audio at all")
    if WARMUP_S + WINDOW_S >= FULL_CHECK_S:  # long enough for every phase to speak and hear
        silent = sum(1 for s in stats if not s.frames_in)
        check(not silent, f"{who}, {n} sessions: {silent} got no agent audio")
        completed = sum(s.completed for s in stats)
        check(completed >= n / 2, f"{who}, {n} sessions: only {completed} responses completed")
    return result


# ---------------------------------------------------------------------------- reporting


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def row(table: Table, r: Run) -> None:
    per = r.session_seconds
    table.add(
        r.who,
        r.n,
        f"{r.wall:.2f} s",
        f"{r.cpu:.2f} s ({100 * r.cpu / r.wall:.0f} %)",
        f"{1000 * r.cpu_per_session_second:.2f} ms",
        f"{r.sessions_per_core:.0f}",
        f"{r.sent / per:.1f}",
        f"{r.frames_in / per:.1f}",
        r.responses,
        f"{1000 * pct(r.late, 0.5):.1f} / {1000 * pct(r.late, 0.99):.1f} / "
        f"{1000 * max(r.late, default=float('nan')):.1f} ms",
        f"{100 * r.server_cpu / r.wall:.0f} %" if r.server_cpu is not None else "n/a",
    )


def new_table() -> Table:
    return Table(
        "client", "sessions", "window", "client CPU", "CPU / session-second",
        "sessions per core", "frames sent / session-s", "agent frames in / session-s",
        "responses ended", "send lateness p50 / p99 / max", "emulator CPU", align="lrrrrrrrrrr",
    )  # fmt: skip


async def diagnose() -> None:
    """Untimed: how many loop callbacks each client needs per session-second."""
    print(f"### Event-loop callbacks per session-second, {PEER_N} sessions (untimed)")
    print()
    callbacks = LoopCallbacks()
    kinds = list(LoopCallbacks.LABELS)
    table = Table(
        "client", "all", *(LoopCallbacks.LABELS[k] for k in kinds), "other",
        "per frame sent or received", "frames sent / session-s", align="lrrrrrrrr",
    )  # fmt: skip
    try:
        for who in (OURS, SDK, PLUGIN):
            callbacks.counts.clear()
            r = await run(who, PEER_N, callbacks)
            per = r.session_seconds
            total = sum(callbacks.counts.values())
            known = [callbacks.counts[k] for k in kinds]
            table.add(
                who,
                f"{total / per:.0f}",
                *(f"{c / per:.0f}" for c in known),
                f"{(total - sum(known)) / per:.0f}",
                f"{total / (r.sent + r.frames_in):.2f}",
                f"{r.sent / per:.1f}",
            )
    finally:
        callbacks.uninstall()
    table.print()


async def amain() -> None:
    if "--diagnose" in sys.argv:
        await diagnose()
        return
    header(
        "Realtime (GA): concurrent voice sessions per core, audio both ways in real time",
        f"N sessions in this process against the emulator (its own process, real-time pacing, "
        f"server VAD); each sends 20 ms frames of 24 kHz PCM16 at real time ({SPEECH_FRAMES * 20}"
        f" ms voiced + {SILENCE_FRAMES * 20} ms silence, phases staggered) and receives the "
        f"spoken answers; client CPU over a {WINDOW_S:g} s window after {WARMUP_S:g} s of "
        "streaming.",
    )
    print(
        "Frames sent / session-s is 50 at real time; agent audio is about 2.2 s per 3.4 s "
        "cycle (32 frames / session-s). Lateness: how long after its due time each scheduled "
        "send ran (the event loop's delay). Sessions per core = 1 / (CPU s per session-second). "
        "Each run is one timed window (the rounds and loop calibration in the line above do "
        "not apply here)."
    )
    print()
    print("### Ours, by number of sessions")
    print()
    table = new_table()
    for n in SWEEP:
        row(table, await run(OURS, n))
    table.print()
    if os.environ.get("BENCH_RT_PEERS", "1") == "0":
        return
    print(f"### Against peers, {PEER_N} sessions, {PEER_ROUNDS} rounds (order rotated)")
    print()
    table = new_table()
    names = [OURS, SDK, PLUGIN]
    rounds: list[dict[str, Run]] = []
    for r in range(PEER_ROUNDS):
        done: dict[str, Run] = {}
        for who in names[r % 3 :] + names[: r % 3]:
            done[who] = await run(who, PEER_N)
        rounds.append(done)
        for who in names:
            row(table, done[who])
    table.print()
    print(
        "CPU per session-second relative to ours (median of the same-round ratios; above 1 = "
        "the peer uses more CPU):"
    )
    print()
    for who in (SDK, PLUGIN):
        ratios = [d[who].cpu_per_session_second / d[OURS].cpu_per_session_second for d in rounds]
        print(
            f"- {who}: {fmt_ratio(statistics.median(ratios), min(ratios), max(ratios))}, "
            f"{statistics.median(d[who].sessions_per_core for d in rounds):.0f} sessions per "
            f"core (ours {statistics.median(d[OURS].sessions_per_core for d in rounds):.0f})"
        )
    print()


if __name__ == "__main__":
    anyio.run(amain, backend="asyncio")

"""Responses API WebSocket mode: a chained conversation, and per-message receive cost.

1. Bytes. A 50-turn conversation with the emulator (``openai_sansio.emulator``, in this process,
   ``store=false``, no delays) over a real loopback WebSocket: ``WebSocketTransport`` +
   ``ResponsesSocket``. User turns are seeded sentences of 20-60 words; the emulator answers
   each (``You said: ...``), so the history grows by two items a turn. Chained: one machine,
   its default (``previous_response_id`` + only the new item). Full resend: the same turns on
   another connection, each turn from a fresh machine given ``history=`` the conversation so
   far (no chain, so the whole history goes out without ``previous_response_id``: what a
   stateless client sends). Both runs must get the same answers and end with the same
   conversation; the emulator's received frames are checked turn by turn. Counted: the JSON of
   every message each way, plus the WebSocket frame headers (2-10 B, +4 B mask from the client).
2. Receive. ``_ws_turn_server.py`` (``websockets`` asyncio server, own process) answers every
   message with the same pre-built turn: ``response.created``, ``in_progress``,
   ``output_item.added``, ``content_part.added``, 500 ``output_text.delta``, ``output_text.done``,
   ``content_part.done``, ``output_item.done``, ``response.completed``. One unit = send one
   ``response.create`` and receive the whole turn. Ours: a fresh ``ResponsesSocket`` (so every
   unit sends the same bytes), its frame through ``WebSocketTransport.send_text``, then
   ``receive()`` -> ``receive_message`` -> drain the typed events until ``TurnEnded``. Peer:
   ``websockets.asyncio.client`` sending the same frame, ``recv()`` + ``json.loads`` until
   ``response.completed`` (dicts, no routing, no assembly). Same bytes on the wire both ways.
3. Sending one 64 KiB message is measured by ``ws_frames.py`` (Send table); not repeated here.

Goals: chained sends ≥ 20x fewer bytes than full resend over 50 turns; ours receives no slower
than websockets + ``json.loads``.
"""

from __future__ import annotations

import functools
import json
import random
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import anyio
from _common import Table, X, check, compare, compare_async, fmt_rate, fmt_time, goal_line, header
from _payloads import dumps
from _ws_turn_server import turn_events
from websockets.asyncio.client import ClientConnection
from websockets.asyncio.client import connect as ws_connect

from openai_sansio.emulator import EmulatorConfig, running
from openai_sansio.protocol.requests import GenerationParams
from openai_sansio.protocol.responses_ledger import Chain, item_identity, plan_continuation
from openai_sansio.protocol.responses_ws import ResponsesSocket
from openai_sansio.protocol.responses_ws_events import TurnEnded, TurnEvent, TurnStarted
from openai_sansio.transports.ws import TextMessage, WebSocketTransport

HERE = Path(__file__).resolve().parent
TURNS = 50
SHOW_TURNS = (1, 10, 25, 50)
DELTAS = 500
AUTH = [("Authorization", "Bearer sk-bench")]
PARAMS = GenerationParams(
    model="gpt-5.5",
    store=False,
    instructions=(
        "You are a careful senior engineer helping a small team ship a Python service. Answer "
        "briefly, name the trade-offs, and ask before assuming anything about their setup."
    ),
)

# ------------------------------------------------------------------------------ user turns

_FRAGMENTS = """\
Quick question about our deployment:
I'm still stuck on the same problem.
Thanks, that helped a lot.
Following up on what you said earlier,
Okay, new issue today.
Can you double-check something for me?
My manager asked me to look into this,
Sorry if this is a basic question, but

why does the worker pool stall when the queue fills up faster than we drain it?
how should we retry requests that time out without sending duplicate payments?
what is the cleanest way to stream partial results to the browser over a WebSocket?
is it safe to share one HTTP client between threads if each thread sets its own headers?
how would you structure the config so staging and production cannot be mixed up?
could the memory growth come from caching every response body in a dictionary?
what should the health check actually verify before the load balancer sends traffic?
how do I make the integration tests stop depending on the order they run in?
would switching the JSON parser really change latency for payloads of a few kilobytes?
how can we rotate the API keys without restarting every pod at the same time?

We run four replicas behind nginx and the problem only shows up under real traffic.
Locally everything looks fine, which makes it hard to reproduce.
The logs show the request arriving but nothing after the first database call.
We are on Python 3.11 with asyncio, and most handlers are fairly small.
It started after last week's release, although the diff looks harmless to me.
Our p99 went from about 200 milliseconds to well over two seconds.
I already tried doubling the timeout, and it only moved the problem around.

What would you check first?
Please keep the answer short, I have a meeting soon.
Any pitfalls I should know about?
A small code sketch would be great.
"""
_OPEN, _ASK, _DETAIL, _CLOSE = (part.splitlines() for part in _FRAGMENTS.split("\n\n"))


def user_turns(n: int = TURNS, seed: int = 3) -> list[str]:
    """`n` distinct user messages of 20-60 words: opener, question, maybe detail and close."""
    rng = random.Random(seed)
    out: list[str] = []
    while len(out) < n:
        parts = [rng.choice(_OPEN), rng.choice(_ASK)]
        parts += [rng.choice(pool) for pool in (_DETAIL, _CLOSE) if rng.random() < 0.8]
        text = " ".join(parts)
        if 20 <= len(text.split()) <= 60 and text not in out:
            out.append(text)
    return out


# -------------------------------------------------------------------------- 1. conversation


def frame_header(n: int, *, masked: bool) -> int:
    return (2 if n < 126 else 4 if n < 65536 else 10) + (4 if masked else 0)


@dataclass
class Turn:
    started: TurnStarted
    ended: TurnEnded
    sent: int = 0  # message bytes (JSON)
    sent_wire: int = 0  # + frame headers
    received: int = 0
    received_wire: int = 0
    messages_in: int = 0


@dataclass
class Run:
    turns: list[Turn] = field(default_factory=list)
    seconds: float = 0.0
    conversation: tuple[Any, ...] = ()


async def one_turn(ws: WebSocketTransport, machine: ResponsesSocket) -> Turn:
    counts = [0, 0, 0, 0, 0]
    for frame in machine.data_to_send():
        await ws.send_text(frame)
        counts[0] += len(frame)
        counts[1] += len(frame) + frame_header(len(frame), masked=True)
    started: TurnStarted | None = None
    while True:
        for event in machine.events():
            if isinstance(event, TurnStarted):
                started = event
            elif isinstance(event, TurnEnded):
                assert started is not None
                return Turn(started, event, *counts)
        message = await ws.receive()
        check(isinstance(message, TextMessage), f"unexpected {message!r}")
        assert isinstance(message, TextMessage)
        counts[2] += len(message.data)
        counts[3] += len(message.data) + frame_header(len(message.data), masked=False)
        counts[4] += 1
        machine.receive_message(message.data)
        for frame in machine.data_to_send():  # nothing expected mid-turn; sent if there is
            await ws.send_text(frame)


async def converse(url: str, texts: list[str], *, chained: bool) -> Run:
    run = Run()
    t0 = time.perf_counter()
    async with WebSocketTransport.connect(url, headers=AUTH) as ws:
        machine = ResponsesSocket(PARAMS)
        machine.connection_made(anyio.current_time())
        history: tuple[Any, ...] = ()
        for text in texts:
            if chained:
                machine.create(text)
            else:  # a machine without a chain: the whole conversation goes out
                machine = ResponsesSocket(PARAMS)
                machine.connection_made(anyio.current_time())
                machine.create(
                    history=(*history, {"type": "message", "role": "user", "content": text})
                )
            turn = await one_turn(ws, machine)
            check(turn.ended.status == "completed", f"turn ended {turn.ended.status}")
            history = machine.conversation()
            run.turns.append(turn)
        run.conversation = history
    run.seconds = time.perf_counter() - t0
    return run


def check_runs(chained: Run, full: Run, texts: list[str], frames: list[list[Any]]) -> None:
    check(chained.conversation == full.conversation, "the two runs end in other conversations")
    check(len(chained.conversation) == 2 * TURNS, "conversation length")
    previous: str | None = None
    for i, (a, b) in enumerate(zip(chained.turns, full.turns, strict=True), 1):
        sent_a, sent_b = frames[0][i - 1], frames[1][i - 1]
        check(a.started.chained == (i > 1), f"turn {i}: chained={a.started.chained}")
        check(sent_a.get("previous_response_id") == previous, f"turn {i}: wrong chain")
        check(len(sent_a["input"]) == 1, f"turn {i}: chained turn sent more than its input")
        check("previous_response_id" not in sent_b, f"turn {i}: full resend was chained")
        check(sent_b["input"] == list(full.conversation[: 2 * i - 1]), f"turn {i}: full input")
        ra, rb = a.ended.result, b.ended.result
        assert ra is not None and rb is not None
        check(ra.text == rb.text == f"You said: {texts[i - 1]}", f"turn {i}: answers differ")
        previous = ra.response_id


def planning_cost(run: Run) -> dict[int, float]:
    """Seconds `plan_continuation` takes for chained turn k (what `data_to_send` runs)."""
    methods: dict[str, Callable[[], Any]] = {}
    for k in SHOW_TURNS:
        history = run.conversation[: 2 * k - 1]
        chain = None
        if k > 1:
            previous = run.turns[k - 2].ended.result
            assert previous is not None and previous.response_id is not None
            chain = Chain(previous.response_id, tuple(map(item_identity, history[:-1])))
        # as `ResponsesSocket` plans an incremental turn: the lane's conversation identities
        # are known, only the new item is hashed
        known = chain.context if chain is not None else ()
        methods[str(k)] = functools.partial(plan_continuation, chain, history, known=known)
    check(all(fn().chained == (k != "1") for k, fn in methods.items()), "replanned chain")
    result = compare(methods)
    return {k: result.median(str(k)) for k in SHOW_TURNS}


async def bench_conversation() -> float:
    texts = user_turns()
    words = [len(t.split()) for t in texts]
    async with running(EmulatorConfig(seed=1)) as server:
        chained = await converse(server.ws_url, texts, chained=True)
        full = await converse(server.ws_url, texts, chained=False)
        frames = [list(f) for f in server.ws_frames]
    check_runs(chained, full, texts, frames)
    planning = planning_cost(chained)
    print(
        f"Input: {TURNS} user turns of {min(words)}-{max(words)} words (mean "
        f"{sum(words) / len(words):.0f}); the emulator echoes each, so turn {TURNS}'s context "
        f"is {2 * TURNS - 1} items; instructions of {len(PARAMS.instructions or '')} "
        "characters go with every turn in both runs."
    )
    print()
    print(
        "Check (on the frames the emulator received): chained turn k carries turn k-1's "
        "response id and only its user message; full-resend turn k carries no "
        "previous_response_id and the 2k-1 items of the conversation; both runs get the same "
        "50 answers and end with the same 100-item conversation."
    )
    print()
    table = Table(
        "run", "sent (JSON)", "sent (wire)", "received (JSON)", "received (wire)",
        "messages in", "wall time", align="lrrrrrr",
    )  # fmt: skip
    for name, run in (("chained", chained), ("full resend", full)):
        t = run.turns
        table.add(
            name,
            f"{sum(x.sent for x in t):,} B",
            f"{sum(x.sent_wire for x in t):,} B",
            f"{sum(x.received for x in t):,} B",
            f"{sum(x.received_wire for x in t):,} B",
            f"{sum(x.messages_in for x in t):,}",
            fmt_time(run.seconds),
        )
    print(f"Totals over {TURNS} turns:")
    print()
    table.print()
    per_turn = Table(
        "turn", "chained: items", "chained: bytes sent", "full: items", "full: bytes sent",
        "full ÷ chained", "received per turn", "chained: planning", align="lrrrrrrr",
    )  # fmt: skip
    for i in SHOW_TURNS:
        a, b = chained.turns[i - 1], full.turns[i - 1]
        per_turn.add(
            i,
            a.started.items_sent,
            f"{a.started.bytes_sent:,} B",
            b.started.items_sent,
            f"{b.started.bytes_sent:,} B",
            f"{b.started.bytes_sent / a.started.bytes_sent:.3g}{X}",
            f"{a.received:,} B",
            fmt_time(planning[i]),
        )
    print("Per turn (message bytes of the response.create the machine reported in TurnStarted):")
    print()
    per_turn.print()
    print(
        "Items sent per turn: chained 1 (the new user message, every turn), full resend 2k-1 "
        f"(1 ... {full.turns[-1].started.items_sent}). Wall "
        "times include the in-process emulator (it rebuilds the full context either way). "
        "Planning: `plan_continuation` on the turn's history, in memory, as the machine runs "
        "it for an incremental turn (the conversation's item identities are kept per lane, "
        "so only the new item is hashed; what grows is the prefix comparison)."
    )
    print()
    return sum(x.sent_wire for x in full.turns) / sum(x.sent_wire for x in chained.turns)


# ------------------------------------------------------------------------------ 2. receive


def start_server() -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "_ws_turn_server.py"), "--deltas", str(DELTAS)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.startswith("PORT "):
        proc.kill()
        raise SystemExit(f"server did not start: {line!r}")
    return proc, f"ws://127.0.0.1:{line.split()[1]}/v1/responses"


USER_TEXT = user_turns(1)[0]
OURS = "ours WebSocketTransport + ResponsesSocket (typed, routed, assembled)"
PEER = "websockets asyncio client recv() + json.loads"
MACHINE = "in memory, no socket: ResponsesSocket alone (create + 508 receive_message + events)"
LOADS = "in memory, no socket: json.loads alone"


def fresh_machine() -> ResponsesSocket:
    """A machine with one turn queued: its frame is the same bytes every time."""
    machine = ResponsesSocket(PARAMS)
    machine.connection_made(0.0)
    machine.create(USER_TEXT)
    return machine


async def ours_turn(ws: WebSocketTransport) -> tuple[int, TurnEnded]:
    machine = fresh_machine()
    for frame in machine.data_to_send():
        await ws.send_text(frame)
    receive, feed, drain = ws.receive, machine.receive_message, machine.events
    n = 0
    while True:
        message = await receive()
        feed(message.data)  # type: ignore[union-attr]
        for event in drain():
            if type(event) is TurnEvent:
                n += 1
            elif type(event) is TurnEnded:
                return n, event


async def peer_turn(ws: ClientConnection, frame: str) -> tuple[int, dict[str, Any]]:
    await ws.send(frame)
    recv, loads = ws.recv, json.loads
    n = 0
    while True:
        event = loads(await recv())
        n += 1
        if event["type"] == "response.completed":
            return n, event


def machine_alone(messages: list[bytes]) -> int:
    machine = fresh_machine()
    machine.data_to_send()
    feed, drain = machine.receive_message, machine.events
    n = 0
    for message in messages:
        feed(message)
        for _ in drain():
            n += 1
    return n


def sync(fn: Callable[[], Any]) -> Callable[[], Awaitable[Any]]:
    async def run() -> Any:
        return fn()

    return run


async def bench_receive() -> float:
    events = turn_events(DELTAS)
    messages = [dumps(e).encode() for e in events]
    sizes = [len(m) for m in messages]
    text = "".join(e["delta"] for e in events if e["type"] == "response.output_text.delta")
    frame = fresh_machine().data_to_send()[0]
    frame_text = frame.decode()
    proc, url = start_server()
    try:
        async with (
            WebSocketTransport.connect(url, headers=AUTH) as ours,
            ws_connect(url, compression=None, max_size=None) as peer,
        ):
            n_ours, ended = await ours_turn(ours)
            n_peer, last = await peer_turn(peer, frame_text)
            check(n_ours == n_peer == len(events), f"messages: {n_ours}, {n_peer}")
            check(machine_alone(messages) == len(events) + 2, "in-memory machine events")
            check(ended.result is not None and ended.result.text == text, "assembled text")
            check(last == events[-1], "websockets + json.loads decoded another completed")
            methods: dict[str, Callable[[], Awaitable[Any]]] = {
                OURS: lambda: ours_turn(ours),
                PEER: lambda: peer_turn(peer, frame_text),
                MACHINE: sync(lambda: machine_alone(messages)),
                LOADS: sync(lambda: [json.loads(m) for m in messages]),
            }
            result = await compare_async(methods)
    finally:
        proc.kill()
        proc.wait()
    n = len(events)
    print(
        f"Input per turn: {n} messages, {sum(sizes):,} B of JSON ({sum(sizes) // n} B/message; "
        f"deltas {min(sizes[4:-4])}-{max(sizes[4:-4])} B, response.completed {sizes[-1]:,} B); "
        f"the create frame: {len(frame)} B."
    )
    print()
    print(
        f"Check: both clients get all {n} messages; ours assembles the joined deltas and ends "
        "the turn completed; json.loads of the last message equals the served event."
    )
    print()
    table = Table(
        "client", "per turn", "msgs/s", "per message", "client CPU / message",
        f"time ÷ {PEER.split()[0]}", align="lrrrrr",
    )  # fmt: skip
    for name in methods:
        t = result.median(name)
        table.add(
            name,
            fmt_time(t),
            fmt_rate(n / t),
            fmt_time(t / n),
            fmt_time(result.median_cpu(name) / n),
            result.cell(name, PEER),
        )
    table.print()
    print(
        f"Client CPU ratio (websockets ÷ ours): {result.cpu_ratio(PEER, OURS):.3g}{X}. The "
        "server writes each turn with one call from its own process, so the client sets the "
        "pace."
    )
    print()
    return result.ratio(PEER, OURS)


async def amain() -> None:
    header(
        "Responses WebSocket mode: chained conversation and per-message receive",
        "Part 1: bytes of a 50-turn conversation with the emulator, chained vs full resend. "
        "Part 2: one streamed turn from a loopback server, ours (transport + machine) vs the "
        "websockets client + json.loads. Sending a 64 KiB message: see ws_frames.py.",
    )
    print("### 1. Chained vs full resend, 50 turns")
    print()
    saving = await bench_conversation()
    print(f"### 2. Receive one turn ({DELTAS} deltas)")
    print()
    speed = await bench_receive()
    goal_line("bytes sent over 50 turns, full resend ÷ chained", saving, 20.0)
    goal_line("receive msgs/s, ours vs websockets + json.loads (≥ 1 = no slower)", speed, 1.0)
    print()


if __name__ == "__main__":
    anyio.run(amain, backend="asyncio")

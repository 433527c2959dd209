"""SSE body bytes -> typed events, no HTTP.

Input: the synthetic Responses stream of ``sse_framing.py`` (2,008 events, ~567 KB), fed in
the same random 1-4 KB chunks to every method.

- ours ResponseStream: ``ResponseStream.receive_data(chunk)`` then drain ``events()`` for each
  chunk, then ``receive_eof()``: SSE framing, typed decode, the lifecycle machine and text
  assembly (it also yields a final ``ResponseEnd`` with the assembled result).
- ours SSEDecoder + decode_server_event: the framing and the codec alone, no machine.
- openai SDK: ``openai.Stream[ResponseStreamEvent]`` (``cast_to=ResponseStreamEvent``) over an
  in-memory ``httpx2.Response`` whose byte stream yields the same chunks, built with a real
  ``openai.OpenAI`` client exactly as ``client.responses.create(stream=True)`` builds it.
  Iterating it runs the SDK's SSE decoder, ``json.loads`` and ``client._process_response_data``
  -> ``construct_type(type_=ResponseStreamEvent, ...)`` per event. Building the
  ``httpx2.Response`` and the ``Stream`` is inside the timed call (a few µs per stream).

Goal: ours ResponseStream >= 30x the SDK stream (events per second).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx2
import openai
from _common import (
    Table,
    X,
    check,
    compare,
    fmt_rate,
    fmt_ratio,
    fmt_time,
    goal_line,
    header,
    matches_wire,
)
from _payloads import chunk_body, responses_sse_body, responses_stream_events
from openai._streaming import Stream
from openai.types.responses import ResponseStreamEvent

from openai_sansio.protocol._codec import decode_server_event
from openai_sansio.protocol._sse import SSEDecoder
from openai_sansio.protocol.responses import ResponseEnd, ResponseStream

_CLIENT = openai.OpenAI(api_key="sk-bench", base_url="http://127.0.0.1:9/v1", max_retries=0)
_REQUEST = httpx2.Request("POST", "http://127.0.0.1:9/v1/responses")


def ours_machine(chunks: list[bytes]) -> list[Any]:
    stream = ResponseStream()
    receive = stream.receive_data
    drain = stream.events
    out: list[Any] = []
    for chunk in chunks:
        receive(chunk)
        out += drain()
    stream.receive_eof()
    out += drain()
    return out


def ours_codec(chunks: list[bytes]) -> list[Any]:
    decoder = SSEDecoder()
    out: list[Any] = []
    for chunk in chunks:
        for sse in decoder.feed(chunk):
            out.append(decode_server_event(sse.data, api="responses"))
    decoder.feed_eof()
    return out


def sdk_stream(chunks: list[bytes]) -> list[Any]:
    response = httpx2.Response(200, content=iter(chunks), request=_REQUEST)
    return list(Stream(cast_to=ResponseStreamEvent, response=response, client=_CLIENT))


def main() -> dict[str, bool]:
    header(
        "SSE body -> typed events (no HTTP)",
        "Same stream and the same 1-4 KB chunks for every method; events/s counts the "
        "2,008 wire events.",
    )
    events = responses_stream_events(2000)
    body = responses_sse_body(events)
    chunks = chunk_body(body)
    n = len(events)
    print(f"Input: {len(body):,} B, {n:,} events, {len(chunks)} chunks of 1-4 KB.")
    print()

    # --- every method reproduces every wire event (all non-null fields, typed)
    mine = ours_machine(chunks)
    check(isinstance(mine[-1], ResponseEnd), "ResponseStream did not end with ResponseEnd")
    wire_events = mine[:-1]
    codec = ours_codec(chunks)
    theirs = sdk_stream(chunks)
    for name, got in (("ResponseStream", wire_events), ("codec", codec), ("SDK", theirs)):
        check(len(got) == n, f"{name}: {len(got)} events, want {n}")
        for i, (event, wire) in enumerate(zip(got, events, strict=True)):
            problem = matches_wire(event, wire)
            check(problem is None, f"{name} event {i}: {problem}")
    sdk_types = {type(e).__name__ for e in theirs}
    check("dict" not in sdk_types, "SDK returned untyped dicts")
    text = "".join(e["delta"] for e in events if e["type"] == "response.output_text.delta")
    check(mine[-1].result.text == text, "assembled text differs")
    print(
        f"Check: all methods reproduce every field of all {n:,} events "
        f"(SDK classes: {len(sdk_types)} distinct, e.g. ResponseTextDeltaEvent); "
        "ResponseStream's assembled text equals the joined deltas."
    )
    print()

    methods = {
        "ours ResponseStream (receive_data + events)": lambda: ours_machine(chunks),
        "ours SSEDecoder + decode_server_event": lambda: ours_codec(chunks),
        "openai SDK Stream[ResponseStreamEvent]": lambda: sdk_stream(chunks),
    }
    result = compare(methods)
    base = "ours ResponseStream (receive_data + events)"
    sdk_name = "openai SDK Stream[ResponseStreamEvent]"
    table = Table("pipeline", "MB/s", "events/s", "per event", "SDK time ÷ this")
    for name in methods:
        t = result.median(name)
        table.add(
            name,
            f"{len(body) / t / 1e6:.1f}",
            fmt_rate(n / t),
            fmt_time(t / n),
            fmt_ratio(result.ratio(sdk_name, name), *result.ratio_range(sdk_name, name)),
        )
    table.print()
    overhead = result.ratio(base, "ours SSEDecoder + decode_server_event")
    print(
        f"The ResponseStream machine (state table, text assembly, queue) costs "
        f"{overhead:.2f}{X} the bare framing + codec."
    )
    print()
    goals = {
        "SSE->typed vs SDK": goal_line(
            "ResponseStream speed-up over the SDK stream", result.ratio(sdk_name, base), 30
        ),
    }
    print()
    return goals


if __name__ == "__main__":
    sys.exit(main() and 0)

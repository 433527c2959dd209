"""Realtime (GA) API events: typed decode with the audio out, and the audio append encode.

1. Decode one server event (the ``bytes`` of one WebSocket text message) to a typed object,
   **audio bytes included**:

   - ours: ``server_decoder("realtime")(data)`` (what `RealtimeSession.receive_message`
     binds); ``ResponseOutputAudioDelta.delta`` is already ``bytes`` (msgspec decodes the
     base64 in C). An extra row feeds the machine: ``receive_message`` + drain ``events()``
     (handlers, conversation mirror, audio accounting).
   - openai SDK, its real path: ``AsyncRealtimeConnection.parse_event(data)``, which
     ``recv()`` runs on every message: ``json.loads`` then ``construct_type_unchecked(...,
     RealtimeServerEvent)`` (a cached pydantic ``TypeAdapter.validate_python`` over the
     46-member discriminated union). It leaves the audio as a base64 ``str``, so
     ``base64.b64decode(event.delta)`` is added for the audio deltas (both sides end with
     the PCM ``bytes``).
   - openai SDK, ``TypeAdapter(RealtimeServerEvent).validate_json(data)`` (pydantic's JSON
     parser in Rust), + ``b64decode`` likewise.
   - json.loads + ``b64decode``: untyped dicts (the seed plugin's way).
   - ``base64.b64decode`` alone on the delta's string (what the SDK side pays for audio).

   Events: ``response.output_audio.delta`` with 20 ms (960 B PCM -> 1,280 base64 chars) and
   200 ms of 24 kHz PCM16 mono audio, ``response.output_audio_transcript.delta`` (no goal),
   and a realistic ``response.done`` (an audio message with its transcript and a function
   call as output, full GA usage, the output audio config). Ids have the API's lengths
   (``event_``/``resp_``/``item_``/``conv_`` + 21 alnum, ``call_`` + 16).

2. Encode ``input_audio_buffer.append`` with 20 ms of audio, from PCM ``bytes`` to the JSON
   ``bytes`` of the message:

   - ours: ``encode_event(InputAudioBufferAppend(audio=pcm))`` (msgspec writes the base64);
     and the machine: ``append_audio(pcm)`` + ``data_to_send()``.
   - ``json.dumps({"type": ..., "audio": base64.b64encode(pcm).decode()}).encode()``.
   - openai SDK: what ``conn.input_audio_buffer.append(audio=b64)`` -> ``send(dict)`` runs:
     ``json.dumps(maybe_transform(event, Union[RealtimeClientEventParam,
     ResponseCreateEventWithReferencesParam]))``, with the ``b64encode`` the caller must do.

Goals (same-round time ratios; the SDK's real ``parse_event`` path is the decode peer):
>= 30x the SDK on a 20 ms audio delta, >= 7x on a 200 ms delta (base64 itself is the floor
there), >= 40x on ``response.done``; the append encode >= 5x ``json.dumps``.
The concurrent-sessions benchmark is ``realtime_sessions.py``.
"""

from __future__ import annotations

import base64
import json
import random
import string
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, Union, cast

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
import pydantic
from _common import Table, X, check, compare, fmt_rate, fmt_time, goal_line, header, matches_wire
from _payloads import dumps
from openai._utils import maybe_transform
from openai.resources.realtime.realtime import AsyncRealtimeConnection
from openai.types.realtime import RealtimeServerEvent as SDKServerEvent
from openai.types.realtime.realtime_client_event_param import RealtimeClientEventParam
from openai.types.realtime.response_create_event_with_references_param import (
    ResponseCreateEventWithReferencesParam,
)

from openai_sansio.protocol._codec import decode_client_event, encode_event, server_decoder
from openai_sansio.protocol.events.realtime import InputAudioBufferAppend
from openai_sansio.protocol.realtime import RealtimeSession

RATE = 24000  # GA audio/pcm: 24 kHz, 16-bit little-endian, mono
_ALNUM = string.ascii_letters + string.digits
_DECODE = server_decoder("realtime")
_SDK_ADAPTER: pydantic.TypeAdapter[Any] = pydantic.TypeAdapter(SDKServerEvent)
_SDK_SEND_TYPE = Union[RealtimeClientEventParam, ResponseCreateEventWithReferencesParam]  # noqa: UP007

OURS = "ours server_decoder('realtime')"
MACHINE = "ours RealtimeSession.receive_message + events()"
SDK = "openai SDK parse_event (json.loads + construct_type)"
SDK_JSON = "openai SDK TypeAdapter.validate_json"
LOADS = "json.loads (dicts)"
B64 = "base64.b64decode alone"
GOALS = {"audio delta 20 ms": 30.0, "audio delta 200 ms": 7.0, "response.done": 40.0}
GOAL_ENCODE = 5.0


# ---------------------------------------------------------------------------- payloads


def pcm(ms: int, seed: int = 1) -> bytes:
    """`ms` of speech-like 24 kHz PCM16: two drifting harmonics plus noise, seeded."""
    n = RATE * ms // 1000
    gen = np.random.default_rng(seed)
    t = np.arange(n) / RATE
    wave = 5000 * np.sin(2 * np.pi * 180 * t) + 2500 * np.sin(2 * np.pi * 540 * t + 1.0)
    wave += gen.normal(0, 800, n)
    return np.clip(wave, -32768, 32767).astype("<i2").tobytes()


class Ids:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def __call__(self, prefix: str, n: int = 21) -> str:
        return prefix + "".join(self.rng.choice(_ALNUM) for _ in range(n))


def server_events(seed: int = 9) -> dict[str, tuple[dict[str, Any], bytes | None]]:
    """name -> (wire event, the PCM of its ``delta`` or None)."""
    ids = Ids(seed)
    resp, item, conv, call_item = ids("resp_"), ids("item_"), ids("conv_"), ids("item_")
    where = {"response_id": resp, "item_id": item, "output_index": 0, "content_index": 0}
    out: dict[str, tuple[dict[str, Any], bytes | None]] = {}
    for ms in (20, 200):
        audio = pcm(ms, seed=ms)
        delta = base64.b64encode(audio).decode()
        event = {"type": "response.output_audio.delta", "event_id": ids("event_")}
        out[f"audio delta {ms} ms"] = ({**event, **where, "delta": delta}, audio)
    transcript = {"type": "response.output_audio_transcript.delta", "event_id": ids("event_")}
    out["transcript delta"] = ({**transcript, **where, "delta": " weather"}, None)
    said = (
        "Sure, let me check the weather in Paris for you. One moment while I look up the "
        "current temperature and whether it is going to rain this afternoon, so you can "
        "decide what to wear before you head out."
    )
    response = {
        "object": "realtime.response",
        "id": resp,
        "status": "completed",
        "status_details": None,
        "output": [
            {
                "id": item,
                "type": "message",
                "object": "realtime.item",
                "status": "completed",
                "role": "assistant",
                "content": [{"type": "output_audio", "transcript": said}],
            },
            {
                "id": call_item,
                "type": "function_call",
                "object": "realtime.item",
                "status": "completed",
                "name": "get_weather",
                "call_id": ids("call_", 16),
                "arguments": '{"city":"Paris","unit":"celsius","days":1}',
            },
        ],
        "conversation_id": conv,
        "output_modalities": ["audio"],
        "max_output_tokens": "inf",
        "audio": {"output": {"format": {"type": "audio/pcm", "rate": RATE}, "voice": "marin"}},
        "usage": {
            "total_tokens": 1372,
            "input_tokens": 1108,
            "output_tokens": 264,
            "input_token_details": {
                "text_tokens": 845,
                "audio_tokens": 263,
                "image_tokens": 0,
                "cached_tokens": 768,
                "cached_tokens_details": {
                    "text_tokens": 704,
                    "audio_tokens": 64,
                    "image_tokens": 0,
                },
            },
            "output_token_details": {"text_tokens": 61, "audio_tokens": 203},
        },
        "metadata": None,
    }
    done = {"type": "response.done", "event_id": ids("event_"), "response": response}
    out["response.done"] = (done, None)
    return out


# ------------------------------------------------------------------------------ decode


def sdk_parse_event(data: bytes) -> Any:
    """What ``AsyncRealtimeConnection.recv()`` runs on each message (it does not use self)."""
    return AsyncRealtimeConnection.parse_event(cast(Any, None), data)


def fresh_machine() -> RealtimeSession:
    machine = RealtimeSession()
    machine.connection_made(0.0)
    machine.data_to_send()
    return machine


def decode_methods(data: bytes, audio: bytes | None) -> dict[str, Callable[[], Any]]:
    decode, loads, b64decode, parse, validate = (
        _DECODE,
        json.loads,
        base64.b64decode,
        sdk_parse_event,
        _SDK_ADAPTER.validate_json,
    )
    machine = fresh_machine()
    feed, drain = machine.receive_message, machine.events

    def run_machine() -> Any:
        feed(data)
        return list(drain())

    if audio is None:
        methods = {
            OURS: lambda: decode(data),
            MACHINE: run_machine,
            SDK: lambda: parse(data),
            SDK_JSON: lambda: validate(data),
            LOADS: lambda: loads(data),
        }
    else:
        b64 = json.loads(data)["delta"]
        methods = {
            OURS: lambda: decode(data).delta,
            MACHINE: run_machine,
            SDK: lambda: b64decode(parse(data).delta),
            SDK_JSON: lambda: b64decode(validate(data).delta),
            LOADS: lambda: b64decode(loads(data)["delta"]),
            B64: lambda: b64decode(b64),
        }
    return methods


def check_decode(name: str, wire: dict[str, Any], data: bytes, audio: bytes | None) -> None:
    mine, parsed, validated = _DECODE(data), sdk_parse_event(data), _SDK_ADAPTER.validate_json(data)
    check(type(parsed) is type(validated), f"{name}: the two SDK routes build other classes")
    rest = {k: v for k, v in wire.items() if k != "delta"} if audio is not None else wire
    for who, obj in (("ours", mine), ("SDK parse_event", parsed), ("SDK validate_json", validated)):
        problem = matches_wire(obj, rest)
        check(problem is None, f"{name}: {who} differs from the wire: {problem}")
    if audio is not None:
        check(mine.delta == audio, f"{name}: our delta is not the PCM")
        check(base64.b64decode(parsed.delta) == audio, f"{name}: SDK delta is not the PCM")
        check(base64.b64decode(validated.delta) == audio, f"{name}: SDK delta is not the PCM")
    machine = fresh_machine()
    machine.receive_message(data)
    check(next(iter(machine.events())) == mine, f"{name}: the machine surfaced another event")


def bench_decode() -> dict[str, bool]:
    print("### 1. Decode one server event (bytes -> typed object, audio as bytes)")
    print()
    events = server_events()
    table = Table(
        "event", "bytes", "ours", "ours machine", "SDK parse_event", "SDK validate_json",
        "json.loads", "b64decode alone", "ours ev/s", "SDK ÷ ours", "SDK validate_json ÷ ours",
        align="lrrrrrrrrrr",
    )  # fmt: skip
    ratios: dict[str, float] = {}
    for name, (wire, audio) in events.items():
        data = dumps(wire).encode()
        check_decode(name, wire, data, audio)
        result = compare(decode_methods(data, audio))
        table.add(
            name,
            f"{len(data):,}",
            fmt_time(result.median(OURS)),
            fmt_time(result.median(MACHINE)),
            fmt_time(result.median(SDK)),
            fmt_time(result.median(SDK_JSON)),
            fmt_time(result.median(LOADS)),
            fmt_time(result.median(B64)) if audio is not None else "",
            fmt_rate(1 / result.median(OURS)),
            result.cell(SDK, OURS),
            result.cell(SDK_JSON, OURS),
        )
        ratios[name] = result.ratio(SDK, OURS)
    print(
        "Check: ours and both SDK routes carry every non-null wire field of each event; the "
        "audio deltas' bytes (ours directly, the SDK's after b64decode) equal the PCM that "
        "was encoded; the machine surfaces our decoded event first."
    )
    print()
    print(
        "Audio rows end with the PCM bytes on every side: the SDK and json.loads columns "
        'include `base64.b64decode(delta)`, shown alone in its own column. "ours machine" '
        "adds the session machine's handling (stale-response filter, conversation mirror, "
        "samples received per item, the event queue)."
    )
    print()
    table.print()
    return {
        name: goal_line(f"decode {name}: vs the SDK's parse_event", ratios[name], target)
        for name, target in GOALS.items()
    }


# ------------------------------------------------------------------------------ encode


def bench_encode() -> bool:
    print("### 2. Encode input_audio_buffer.append (20 ms of audio: PCM bytes -> JSON bytes)")
    print()
    audio = pcm(20, seed=3)
    b64encode, dumps_, transform = base64.b64encode, json.dumps, maybe_transform
    kind = "input_audio_buffer.append"
    machine = fresh_machine()
    append, to_send = machine.append_audio, machine.data_to_send

    def ours() -> bytes:
        return encode_event(InputAudioBufferAppend(audio=audio))

    def ours_machine() -> bytes:
        append(audio)
        return to_send()[0]

    def plain() -> bytes:
        return dumps_({"type": kind, "audio": b64encode(audio).decode()}).encode()

    def sdk() -> bytes:
        event = {"type": kind, "audio": b64encode(audio).decode()}
        return dumps_(transform(event, _SDK_SEND_TYPE)).encode()

    methods = {
        "ours encode_event(InputAudioBufferAppend(audio=pcm))": ours,
        "ours RealtimeSession.append_audio + data_to_send": ours_machine,
        "json.dumps({type, audio: b64encode(pcm)}).encode()": plain,
        "openai SDK maybe_transform + json.dumps (+ b64encode)": sdk,
    }
    base, peer, via_sdk_name = (list(methods)[i] for i in (0, 2, 3))
    expected = {"type": kind, "audio": base64.b64encode(audio).decode()}
    outputs = {name: fn() for name, fn in methods.items()}
    for name, out in outputs.items():
        check(json.loads(out) == expected, f"{name} encodes another document")
    check(decode_client_event(ours(), api="realtime").audio == audio, "round trip")
    print(
        f"Check: every method encodes the same JSON document ({len(audio)} B of PCM -> "
        f"{len(expected['audio'])} base64 chars; ours {len(outputs[base])} B, compact); ours "
        "decodes back to the same PCM."
    )
    print()
    result = compare(methods)
    table = Table("method", "bytes", "per event", "events/s", "time ÷ ours")
    for name in methods:
        t = result.median(name)
        table.add(name, len(outputs[name]), fmt_time(t), fmt_rate(1 / t), result.cell(name, base))
    table.print()
    via_sdk = result.ratio(via_sdk_name, base)
    met = goal_line("append encode: vs json.dumps", result.ratio(peer, base), GOAL_ENCODE)
    print(f"(vs the SDK's send path: {via_sdk:,.0f}{X})")
    print()
    return met


def main() -> dict[str, bool]:
    header(
        "Realtime (GA) events: typed decode with audio, and the audio append encode",
        "One WebSocket message's bytes -> a typed event with the audio as bytes (ours, the "
        "openai SDK's Realtime connection path, json.loads); and 20 ms of PCM -> an "
        "input_audio_buffer.append message.",
    )
    goals = bench_decode()
    print()
    goals["append encode"] = bench_encode()
    return goals


if __name__ == "__main__":
    main()

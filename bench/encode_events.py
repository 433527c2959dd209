"""Encoding one client event: a realistic ``response.create`` -> JSON bytes.

The event (``_payloads.responses_create_fields``): model, an input list of 3 messages, one
function tool with a JSON schema, ``previous_response_id``, ``stream_id``, ``store`` and
``tool_choice``. The nested input and tools lists are built once; every method builds its own
top-level container inside the timed call and ends with ``bytes``.

- ours: ``encode_event(ResponseCreate(model=..., input=..., ...))`` (struct construction
  included); a second row times ``encode_event`` alone on a pre-built struct.
- json.dumps: ``json.dumps({"type": "response.create", ...}).encode()`` (the seed's way).
- json.dumps compact: the same with ``separators=(",", ":")`` (same bytes as ours).
- openai SDK: what ``client.beta.responses.connect(...).send(event_dict)`` runs:
  ``json.dumps(maybe_transform(event, BetaResponsesClientEventParam))``, plus ``.encode()``
  (websockets does that when sending a ``str``).

Goal: ours >= 5x json.dumps.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    Table,
    X,
    check,
    compare,
    fmt_rate,
    fmt_time,
    goal_line,
    header,
)
from _payloads import responses_create_fields
from openai._utils import maybe_transform
from openai.types.beta.beta_responses_client_event_param import (
    BetaResponsesClientEventParam,
)

from openai_sansio.protocol._codec import decode_client_event, encode_event
from openai_sansio.protocol.events.responses import ResponseCreate


def main() -> dict[str, bool]:
    header("Client event encode: response.create -> JSON bytes")
    f = responses_create_fields()
    model, inp, tools = f["model"], f["input"], f["tools"]
    prev, lane, store, choice = (
        f["previous_response_id"],
        f["stream_id"],
        f["store"],
        f["tool_choice"],
    )

    def ours() -> bytes:
        return encode_event(
            ResponseCreate(
                model=model,
                input=inp,
                tools=tools,
                previous_response_id=prev,
                stream_id=lane,
                store=store,
                tool_choice=choice,
            )
        )

    prebuilt = ResponseCreate(**f)

    def ours_prebuilt() -> bytes:
        return encode_event(prebuilt)

    def as_dict() -> dict[str, Any]:
        return {
            "type": "response.create",
            "model": model,
            "input": inp,
            "tools": tools,
            "previous_response_id": prev,
            "stream_id": lane,
            "store": store,
            "tool_choice": choice,
        }

    def dumps() -> bytes:
        return json.dumps(as_dict()).encode()

    def dumps_compact() -> bytes:
        return json.dumps(as_dict(), separators=(",", ":")).encode()

    def sdk() -> bytes:
        return json.dumps(maybe_transform(as_dict(), BetaResponsesClientEventParam)).encode()

    methods = {
        "ours encode_event(ResponseCreate(...))": ours,
        "ours encode_event(prebuilt struct)": ours_prebuilt,
        "json.dumps(dict).encode()": dumps,
        "json.dumps(dict, compact).encode()": dumps_compact,
        "openai SDK maybe_transform + json.dumps": sdk,
    }
    expected = as_dict()
    outputs = {name: fn() for name, fn in methods.items()}
    for name, out in outputs.items():
        check(json.loads(out) == expected, f"{name} encodes a different document")
    check(len(outputs["ours encode_event(ResponseCreate(...))"]) == len(dumps_compact()), "size")
    check(decode_client_event(ours(), api="responses") == prebuilt, "round trip")
    size = len(outputs["ours encode_event(ResponseCreate(...))"])
    print(
        f"Check: every method encodes the same JSON document; ours has the size of compact "
        f"json.dumps ({size} B; keys in struct order) and decodes back to an equal struct."
    )
    print()
    result = compare(methods)
    base = "ours encode_event(ResponseCreate(...))"
    table = Table("method", "bytes", "per event", "events/s", "time ÷ ours")
    for name in methods:
        t = result.median(name)
        table.add(
            name,
            len(outputs[name]),
            fmt_time(t),
            fmt_rate(1 / t),
            result.cell(name, base),
        )
    table.print()
    goals = {
        "encode vs json.dumps": goal_line(
            "speed-up over json.dumps", result.ratio("json.dumps(dict).encode()", base), 5
        )
    }
    compact = result.ratio("json.dumps(dict, compact).encode()", base)
    via_sdk = result.ratio("openai SDK maybe_transform + json.dumps", base)
    print(f"(vs compact json.dumps: {compact:.3g}{X}; vs the SDK path: {via_sdk:,.0f}{X})")
    print()
    return goals


if __name__ == "__main__":
    main()

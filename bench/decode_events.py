"""Typed decode of one event's JSON text, per event kind.

- ours: ``decode_server_event(data, api=...)`` on ``bytes`` (what our SSE decoder hands
  over); the ``str`` input column shows the same call on text.
- openai SDK: what ``openai.Stream`` does per event, on the ``str`` its SSE decoder hands
  over: ``json.loads`` then ``client._process_response_data(data, cast_to=...)``, i.e.
  ``construct_type(type_=ResponseStreamEvent, ...)`` for Responses (a cached pydantic
  ``TypeAdapter`` over the 59-member union, validated in smart mode) and
  ``construct_type(type_=ChatCompletionChunk, ...)`` for Chat (recursive ``construct``).
- json.loads: plain dicts from the ``str`` (the seed's approach).

Payloads (``_payloads.single_events``) are compact JSON shaped like real traffic; every one
except the unknown type validates against the SDK's own types, so the SDK takes its normal
path. The unknown type exercises our pass-through path (``UnknownEvent`` with the raw bytes).

Goals: >= 100x the SDK on text / argument / chat deltas, >= 40x on ``response.completed``,
>= 2x ``json.loads`` on every event kind.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx2
import openai
from _common import (
    Table,
    check,
    compare,
    fmt_rate,
    fmt_ratio,
    fmt_time,
    goal_line,
    header,
    matches_wire,
)
from _payloads import single_events
from openai.types.chat import ChatCompletionChunk
from openai.types.responses import ResponseStreamEvent

from openai_sansio.protocol._codec import decode_server_event
from openai_sansio.protocol.events.common import UnknownEvent

_CLIENT = openai.OpenAI(api_key="sk-bench", base_url="http://127.0.0.1:9/v1", max_retries=0)
_RESPONSE = httpx2.Response(200, request=httpx2.Request("POST", "http://127.0.0.1:9/v1/x"))
_SDK_TYPES: dict[str, Any] = {"responses": ResponseStreamEvent, "chat": ChatCompletionChunk}

GOALS_SDK = {
    "resp text delta": 100,
    "resp function_call_arguments.delta": 100,
    "chat chunk": 100,
    "resp response.completed": 40,
}
GOAL_JSON = 2.0


def sdk_decoder(api: str) -> Any:
    cast_to = _SDK_TYPES[api]
    process = _CLIENT._process_response_data
    loads = json.loads

    def run(text: str) -> Any:
        return process(data=loads(text), cast_to=cast_to, response=_RESPONSE)

    return run


def main() -> dict[str, bool]:
    header(
        "Typed event decode (one event's JSON -> object)",
        "Per event kind; ours on bytes (and on str), the SDK's per-event streaming path and "
        "json.loads on str.",
    )
    payloads = single_events()
    table = Table(
        "event",
        "bytes",
        "ours",
        "ours (str in)",
        "SDK path",
        "json.loads",
        "ours ev/s",
        "SDK ÷ ours",
        "json.loads ÷ ours",
    )
    goals: dict[str, bool] = {}
    lines: list[tuple[str, float, float]] = []
    for name, (api, text) in payloads.items():
        data = text.encode()
        wire = json.loads(text)
        sdk = sdk_decoder(api)
        # --- same result
        mine = decode_server_event(data, api=api)
        theirs = sdk(text)
        if "unknown" in name:
            check(
                type(mine) is UnknownEvent and mine.raw == data and mine.type == wire["type"],
                "unknown type did not pass through as UnknownEvent with the raw bytes",
            )
            print(
                f"Check {name}: ours -> UnknownEvent(type, raw bytes); the SDK builds a "
                f"{type(theirs).__name__} (its first-variant fallback)."
            )
        else:
            for who, obj in (("ours", mine), ("SDK", theirs)):
                problem = matches_wire(obj, wire)
                check(problem is None, f"{name}: {who} differs from the wire: {problem}")
            check(
                decode_server_event(text, api=api) == mine,
                f"{name}: str and bytes input differ",
            )
        check(json.loads(text) == wire, "json.loads")

        def run_ours(data: bytes = data, api: str = api) -> Any:
            return decode_server_event(data, api=api)

        def run_ours_str(text: str = text, api: str = api) -> Any:
            return decode_server_event(text, api=api)

        methods = {
            "ours": run_ours,
            "ours (str in)": run_ours_str,
            "SDK": lambda sdk=sdk, text=text: sdk(text),
            "json.loads": lambda text=text: json.loads(text),
        }
        result = compare(methods)
        sdk_ratio = result.ratio("SDK", "ours")
        json_ratio = result.ratio("json.loads", "ours")
        table.add(
            name,
            f"{len(data):,}",
            fmt_time(result.median("ours")),
            fmt_time(result.median("ours (str in)")),
            fmt_time(result.median("SDK")),
            fmt_time(result.median("json.loads")),
            fmt_rate(1 / result.median("ours")),
            fmt_ratio(sdk_ratio, *result.ratio_range("SDK", "ours")),
            fmt_ratio(json_ratio, *result.ratio_range("json.loads", "ours")),
        )
        lines.append((name, sdk_ratio, json_ratio))
    print("Check: ours and the SDK reproduce every non-null wire field of each known event.")
    print()
    table.print()
    for name, sdk_ratio, _ in lines:
        if name in GOALS_SDK:
            goals[f"{name} vs SDK"] = goal_line(f"{name}: vs SDK", sdk_ratio, GOALS_SDK[name])
    for name, _, json_ratio in lines:
        goals[f"{name} vs json.loads"] = goal_line(f"{name}: vs json.loads", json_ratio, GOAL_JSON)
    print()
    return goals


if __name__ == "__main__":
    main()

"""`ResponseStream`: the Responses API over SSE, as protocol.md section 1 describes it.

Every test builds the exact wire bytes (``event: <type>\\ndata: <json>\\n\\n``) from small
event-building helpers, feeds them to a fresh machine and asserts the exact event sequence and
the assembled `ResponseResult`. DESIGN.md 8: every stream is fed whole, byte by byte and at
hypothesis-chosen split points, and must give identical events; `feed_every_way` does the
first two for every golden test, `test_any_split_gives_the_same_events` the third for every
registered scenario.

Also here: the transition table is total (every (state, input) pair transitions or raises), a
property test over random valid streams, and a conformance run over the official examples
in ``../shared/fixtures/openapi-event-examples.jsonl``.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from openai_sansio.protocol import (
    NEED_DATA,
    APIError,
    LocalProtocolError,
    RemoteProtocolError,
    ResponseEnd,
    ResponseResult,
    ResponseStream,
    StreamState,
    TokenUsage,
    ToolCall,
    UnknownEvent,
    decode_server_event,
)
from openai_sansio.protocol._sse import SSEDecoder
from openai_sansio.protocol._stream_common import EventQueue
from openai_sansio.protocol.events.common import WireEvent
from openai_sansio.protocol.responses import _TRANSITIONS, _Input

RESP_ID = "resp_67ccfcdd16748190a91872c75d38539e"
MODEL = "gpt-4o-2024-08-06"
FIXTURES = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures"

# --------------------------------------------------------------------------------------------
# Wire builders: dicts shaped like the API's events, framed as SSE.


def response(status: str = "in_progress", output: Sequence[dict[str, Any]] = (), **extra: Any):
    """A ``response`` object as lifecycle events carry it."""
    body: dict[str, Any] = {
        "id": RESP_ID,
        "object": "response",
        "created_at": 1741487325,
        "status": status,
        "model": MODEL,
        "output": list(output),
        "usage": None,
    }
    body.update(extra)
    return body


def created(**kw: Any) -> dict[str, Any]:
    return {"type": "response.created", "response": response(**kw)}


def in_progress(**kw: Any) -> dict[str, Any]:
    return {"type": "response.in_progress", "response": response(**kw)}


def completed(output: Sequence[dict[str, Any]] = (), **kw: Any) -> dict[str, Any]:
    return {"type": "response.completed", "response": response("completed", output, **kw)}


def incomplete(output: Sequence[dict[str, Any]], reason: str, **kw: Any) -> dict[str, Any]:
    details = {"reason": reason}
    body = response("incomplete", output, incomplete_details=details, **kw)
    return {"type": "response.incomplete", "response": body}


def failed(code: str | None, message: str, **kw: Any) -> dict[str, Any]:
    error = {"code": code, "message": message}
    return {"type": "response.failed", "response": response("failed", [], error=error, **kw)}


def error_event(code: str | None, message: str, param: str | None = None) -> dict[str, Any]:
    return {"type": "error", "code": code, "message": message, "param": param}


def message(
    item_id: str, text: str | None = None, *, refusal: str | None = None, status="completed"
):
    """A ``message`` item; ``text``/``refusal`` None means no content yet."""
    content: list[dict[str, Any]] = []
    if text is not None:
        content.append({"type": "output_text", "text": text, "annotations": []})
    if refusal is not None:
        content.append({"type": "refusal", "refusal": refusal})
    return {
        "id": item_id,
        "type": "message",
        "status": status,
        "role": "assistant",
        "content": content,
    }


def function_call(
    item_id: str, call_id: str, name: str, arguments: str | None, status: str = "completed"
) -> dict[str, Any]:
    item = {"id": item_id, "type": "function_call", "status": status, "call_id": call_id}
    item["name"] = name
    if arguments is not None:
        item["arguments"] = arguments
    return item


def reasoning(item_id: str, summaries: Sequence[str] = ()) -> dict[str, Any]:
    summary = [{"type": "summary_text", "text": s} for s in summaries]
    return {"id": item_id, "type": "reasoning", "summary": summary}


def item_added(index: int, item: dict[str, Any]) -> dict[str, Any]:
    return {"type": "response.output_item.added", "output_index": index, "item": item}


def item_done(index: int, item: dict[str, Any]) -> dict[str, Any]:
    return {"type": "response.output_item.done", "output_index": index, "item": item}


def _at(item_id: str, index: int, content_index: int = 0) -> dict[str, Any]:
    return {"item_id": item_id, "output_index": index, "content_index": content_index}


def part_added(item_id: str, index: int, part_type: str = "output_text") -> dict[str, Any]:
    part = {"type": part_type, "text": "", "annotations": []}
    if part_type == "refusal":
        part = {"type": "refusal", "refusal": ""}
    return {"type": "response.content_part.added", **_at(item_id, index), "part": part}


def part_done(item_id: str, index: int, part: dict[str, Any]) -> dict[str, Any]:
    return {"type": "response.content_part.done", **_at(item_id, index), "part": part}


def text_delta(item_id: str, index: int, delta: str, content_index: int = 0) -> dict[str, Any]:
    at = _at(item_id, index, content_index)
    return {"type": "response.output_text.delta", **at, "delta": delta, "logprobs": []}


def text_done(item_id: str, index: int, text: str, content_index: int = 0) -> dict[str, Any]:
    at = _at(item_id, index, content_index)
    return {"type": "response.output_text.done", **at, "text": text, "logprobs": []}


def refusal_delta(item_id: str, index: int, delta: str) -> dict[str, Any]:
    return {"type": "response.refusal.delta", **_at(item_id, index), "delta": delta}


def refusal_done(item_id: str, index: int, refusal: str) -> dict[str, Any]:
    return {"type": "response.refusal.done", **_at(item_id, index), "refusal": refusal}


def args_delta(item_id: str, index: int, delta: str) -> dict[str, Any]:
    return {
        "type": "response.function_call_arguments.delta",
        "item_id": item_id,
        "output_index": index,
        "delta": delta,
    }


def args_done(item_id: str, index: int, arguments: str) -> dict[str, Any]:
    return {
        "type": "response.function_call_arguments.done",
        "item_id": item_id,
        "output_index": index,
        "arguments": arguments,
    }


def _summary_at(item_id: str, index: int, summary_index: int) -> dict[str, Any]:
    return {"item_id": item_id, "output_index": index, "summary_index": summary_index}


def summary_part_added(item_id: str, index: int, summary_index: int) -> dict[str, Any]:
    return {
        "type": "response.reasoning_summary_part.added",
        **_summary_at(item_id, index, summary_index),
        "part": {"type": "summary_text", "text": ""},
    }


def summary_delta(item_id: str, index: int, summary_index: int, delta: str) -> dict[str, Any]:
    at = _summary_at(item_id, index, summary_index)
    return {"type": "response.reasoning_summary_text.delta", **at, "delta": delta}


def summary_done(item_id: str, index: int, summary_index: int, text: str) -> dict[str, Any]:
    at = _summary_at(item_id, index, summary_index)
    return {"type": "response.reasoning_summary_text.done", **at, "text": text}


def web_search(kind: str, item_id: str, index: int) -> dict[str, Any]:
    return {"type": f"response.web_search_call.{kind}", "item_id": item_id, "output_index": index}


def numbered(events: Iterable[dict[str, Any]], start: int = 0) -> list[dict[str, Any]]:
    """The events with ``sequence_number`` 0, 1, 2, ... as the server numbers them."""
    return [{**e, "sequence_number": start + i} for i, e in enumerate(events)]


def frame(event: dict[str, Any]) -> bytes:
    """One SSE event exactly as the Responses API frames it."""
    data = json.dumps(event, separators=(",", ":")).encode()
    return b"event: " + event["type"].encode() + b"\ndata: " + data + b"\n\n"


def wire(*events: dict[str, Any]) -> bytes:
    """The SSE body of `events`, numbered from 0."""
    return b"".join(frame(e) for e in numbered(events))


# --------------------------------------------------------------------------------------------
# Feeding: the same bytes, chunked several ways, must give the same events.


def drain(machine: ResponseStream) -> list[Any]:
    out = []
    while (event := machine.next_event()) is not NEED_DATA:
        out.append(event)
    return out


def feed(chunks: Iterable[bytes], *, eof: bool = True, **kw: Any) -> tuple[list[Any], Any]:
    machine = ResponseStream(**kw)
    out: list[Any] = []
    for chunk in chunks:
        machine.receive_data(chunk)
        out.extend(drain(machine))
    if eof:
        machine.receive_eof()
        out.extend(drain(machine))
    return out, machine


def split_at(stream: bytes, cuts: Iterable[int]) -> list[bytes]:
    points = sorted(min(max(c, 0), len(stream)) for c in cuts)
    bounds = [0, *points, len(stream)]
    return [stream[a:b] for a, b in itertools.pairwise(bounds)]


def bytewise(stream: bytes) -> list[bytes]:
    return [stream[i : i + 1] for i in range(len(stream))]


def feed_every_way(
    stream: bytes, *, eof: bool = True, **kw: Any
) -> tuple[list[Any], ResponseStream]:
    """Feed `stream` whole and byte by byte; assert the same events; return them."""
    whole, machine = feed([stream], eof=eof, **kw)
    by_byte, other = feed(bytewise(stream), eof=eof, **kw)
    assert by_byte == whole
    assert other.result == machine.result
    assert other.state is machine.state
    return whole, machine


def names(events: Iterable[Any]) -> list[str]:
    """Wire events by their tag, unknown ones as ``?<tag>``, synthesized ones by class."""
    out = []
    for event in events:
        if isinstance(event, WireEvent):
            out.append(event.type)
        elif isinstance(event, UnknownEvent):
            out.append(f"?{event.type}")
        else:
            out.append(type(event).__name__)
    return out


def only(events: Iterable[Any], kind: type[Any]) -> list[Any]:
    return [e for e in events if isinstance(e, kind)]


def end_of(events: Sequence[Any]) -> ResponseResult:
    """The result carried by the stream's last event, which must be its only `ResponseEnd`."""
    assert isinstance(events[-1], ResponseEnd)
    assert len(only(events, ResponseEnd)) == 1
    return events[-1].result


# --------------------------------------------------------------------------------------------
# Scenarios: registered so that the split property test replays every one of them.

SCENARIOS: dict[str, Callable[[], bytes]] = {}


def scenario(fn: Callable[[], bytes]) -> Callable[[], bytes]:
    SCENARIOS[fn.__name__] = fn
    return fn


MSG = "msg_67ccfcdf5b5c8190a15f4f2f57f0b3d8"
FC1 = "fc_12345xyz"
FC2 = "fc_67890abc"


@scenario
def text_turn() -> bytes:
    final = message(MSG, "Hello, world!")
    return wire(
        created(),
        in_progress(),
        item_added(0, message(MSG, status="in_progress")),
        part_added(MSG, 0),
        text_delta(MSG, 0, "Hel"),
        text_delta(MSG, 0, "lo"),
        text_delta(MSG, 0, ", wor"),
        text_delta(MSG, 0, "ld"),  # the deltas say "Hello, world"; the done event wins
        text_done(MSG, 0, "Hello, world!"),
        part_done(MSG, 0, final["content"][0]),
        item_done(0, final),
        completed([final]),
    )


def test_text_turn() -> None:
    events, machine = feed_every_way(text_turn())
    assert names(events) == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
        "response.output_text.delta",
        "response.output_text.delta",
        "response.output_text.delta",
        "response.output_text.delta",
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
        "ResponseEnd",
    ]
    assert [e.delta for e in events[4:8]] == ["Hel", "lo", ", wor", "ld"]
    assert [e.sequence_number for e in events[:-1]] == list(range(12))
    result = end_of(events)
    assert result.status == "completed"
    assert result.text == "Hello, world!"
    assert result.refusal == ""
    assert result.response_id == RESP_ID
    assert result.model == MODEL
    assert result.tool_calls == ()
    assert result.error is None
    assert result.usage is None
    assert [item.id for item in result.output] == [MSG]
    assert machine.result == result
    assert machine.state is StreamState.DONE
    assert machine.data_to_send() == []


@scenario
def text_cut_after_done() -> bytes:
    """The body ends after ``output_text.done`` but before the item and the response end."""
    return wire(
        created(),
        item_added(0, message(MSG, status="in_progress")),
        part_added(MSG, 0),
        text_delta(MSG, 0, "Hello, wor"),
        text_done(MSG, 0, "Hello, world!"),
    )


def test_output_text_done_wins_over_the_deltas_when_nothing_else_finalised_the_part() -> None:
    events, _ = feed_every_way(text_cut_after_done())
    result = end_of(events)
    assert result.status == "interrupted"
    assert result.text == "Hello, world!"


@scenario
def text_without_terminal_output() -> bytes:
    """``response.completed`` without ``output``: the item's ``done`` payload is the text."""
    final = message(MSG, "Authoritative.")
    return wire(
        created(),
        item_added(0, message(MSG, status="in_progress")),
        text_delta(MSG, 0, "Provisional"),
        text_done(MSG, 0, "Also provisional"),
        item_done(0, final),
        completed([]),
    )


def test_output_item_done_wins_when_the_terminal_response_has_no_output() -> None:
    events, _ = feed_every_way(text_without_terminal_output())
    result = end_of(events)
    assert result.text == "Authoritative."
    assert [item.content[0].text for item in result.output] == ["Authoritative."]


@scenario
def refusal() -> bytes:
    final = message(MSG, refusal="I can't help with that.")
    return wire(
        created(),
        item_added(0, message(MSG, status="in_progress")),
        part_added(MSG, 0, "refusal"),
        refusal_delta(MSG, 0, "I can't"),
        refusal_delta(MSG, 0, " help"),
        refusal_done(MSG, 0, "I can't help with that."),
        part_done(MSG, 0, final["content"][0]),
        item_done(0, final),
        completed([final]),
    )


def test_refusal() -> None:
    events, _ = feed_every_way(refusal())
    assert names(events) == [
        "response.created",
        "response.output_item.added",
        "response.content_part.added",
        "response.refusal.delta",
        "response.refusal.delta",
        "response.refusal.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
        "ResponseEnd",
    ]
    result = end_of(events)
    assert result.status == "completed"
    assert result.refusal == "I can't help with that."
    assert result.text == ""


def test_text_of_a_cut_stream_stays_in_output_order() -> None:
    """Regression: unfinished parts used to be appended after every finished item ("BA")."""
    stream = wire(
        created(),
        item_added(0, message("m0", status="in_progress")),
        text_delta("m0", 0, "A"),
        item_added(1, message("m1", status="in_progress")),
        text_delta("m1", 1, "B"),
        item_done(1, message("m1", "B")),
    )
    events, _ = feed_every_way(stream)
    assert end_of(events).text == "AB"


def test_text_of_a_resumed_cut_stream_is_keyed_by_output_index_not_position() -> None:
    """Regression: a resumed stream (items before the resume point never seen) that is cut
    again. Item 1 is unfinished, item 2 finished; item 2 sat at *position* 1 of the assembled
    output, which used to mark output_index 1 as finished and drop its deltas ("Y")."""
    stream = wire(
        created(),
        item_added(1, message("m1", status="in_progress")),
        text_delta("m1", 1, "X"),
        item_done(2, message("m2", "Y")),
    )
    events, _ = feed_every_way(stream)
    result = end_of(events)
    assert result.text == "XY"
    assert [item.id for item in result.output] == ["m1", "m2"]


def test_refusal_from_deltas_when_the_stream_is_cut() -> None:
    stream = wire(
        created(),
        item_added(0, message(MSG, status="in_progress")),
        refusal_delta(MSG, 0, "I can't"),
        refusal_delta(MSG, 0, " help"),
    )
    events, _ = feed_every_way(stream)
    assert end_of(events).refusal == "I can't help"


RS = "rs_6876cf02e0bc8192b74af0fb64b715ff"


@scenario
def reasoning_summary() -> bytes:
    rs_final = reasoning(RS, ["**Plan** First.", "Then second."])
    final = message(MSG, "Answer.")
    usage = {
        "input_tokens": 100,
        "input_tokens_details": {"cached_tokens": 40},
        "output_tokens": 50,
        "output_tokens_details": {"reasoning_tokens": 20},
        "total_tokens": 150,
    }
    return wire(
        created(),
        item_added(0, reasoning(RS)),
        summary_part_added(RS, 0, 0),
        summary_delta(RS, 0, 0, "**Plan** "),
        summary_delta(RS, 0, 0, "First"),
        summary_done(RS, 0, 0, "**Plan** First."),
        summary_part_added(RS, 0, 1),
        summary_delta(RS, 0, 1, "Then second."),
        summary_done(RS, 0, 1, "Then second."),
        item_done(0, rs_final),
        item_added(1, message(MSG, status="in_progress")),
        text_delta(MSG, 1, "Answer."),
        text_done(MSG, 1, "Answer."),
        item_done(1, final),
        completed([rs_final, final], usage=usage),
    )


def test_reasoning_summary_and_usage_flattening() -> None:
    events, _ = feed_every_way(reasoning_summary())
    assert names(events)[2:6] == [
        "response.reasoning_summary_part.added",
        "response.reasoning_summary_text.delta",
        "response.reasoning_summary_text.delta",
        "response.reasoning_summary_text.done",
    ]
    result = end_of(events)
    assert result.reasoning_summary == "**Plan** First.\n\nThen second."
    assert result.text == "Answer."
    assert result.usage == TokenUsage(
        input_tokens=100,
        output_tokens=50,
        total_tokens=150,
        cached_tokens=40,
        reasoning_tokens=20,
        raw={
            "input_tokens": 100,
            "output_tokens": 50,
            "total_tokens": 150,
            "input_tokens_details": {"cached_tokens": 40},
            "output_tokens_details": {"reasoning_tokens": 20},
        },
    )


def test_usage_without_details_flattens_to_zero_counters() -> None:
    usage = {"input_tokens": 3, "output_tokens": 4, "total_tokens": 7}
    events, _ = feed_every_way(wire(created(), completed([], usage=usage)))
    assert end_of(events).usage == TokenUsage(
        input_tokens=3, output_tokens=4, total_tokens=7, raw=usage
    )


# --------------------------------------------------------------------------------------------
# Function calls: one `ToolCall` each, right after its ``output_item.done``.


@scenario
def function_call_turn() -> bytes:
    final = function_call(FC1, "call_abc", "get_weather", '{"city":"Paris"}')
    return wire(
        created(),
        item_added(0, function_call(FC1, "call_abc", "get_weather", "", "in_progress")),
        args_delta(FC1, 0, '{"city":'),
        args_delta(FC1, 0, '"Par'),  # the deltas never say "Paris": the done item does
        args_done(FC1, 0, '{"city":"Paris"}'),
        item_done(0, final),
        completed([final]),
    )


def test_function_call_is_surfaced_once_right_after_output_item_done() -> None:
    events, _ = feed_every_way(function_call_turn())
    assert names(events) == [
        "response.created",
        "response.output_item.added",
        "response.function_call_arguments.delta",
        "response.function_call_arguments.delta",
        "response.function_call_arguments.done",
        "response.output_item.done",
        "ToolCall",
        "response.completed",
        "ResponseEnd",
    ]
    call = events[6]
    assert call == ToolCall(
        call_id="call_abc",
        name="get_weather",
        arguments='{"city":"Paris"}',
        parsed={"city": "Paris"},
        item_id=FC1,
        index=0,
    )
    assert call.ok
    result = end_of(events)
    assert result.tool_calls == (call,)
    assert result.text == ""


def test_done_item_arguments_win_over_the_arguments_done_event_and_deltas() -> None:
    final = function_call(FC1, "call_abc", "f", '{"v":3}')
    stream = wire(
        created(),
        item_added(0, function_call(FC1, "call_abc", "f", "", "in_progress")),
        args_delta(FC1, 0, '{"v":1}'),
        args_done(FC1, 0, '{"v":2}'),
        item_done(0, final),
        completed([final]),
    )
    events, _ = feed_every_way(stream)
    (call,) = only(events, ToolCall)
    assert call.arguments == '{"v":3}'
    assert call.parsed == {"v": 3}


def test_arguments_done_wins_when_the_done_item_omits_arguments() -> None:
    stream = wire(
        created(),
        item_added(0, function_call(FC1, "call_abc", "f", "", "in_progress")),
        args_delta(FC1, 0, '{"v":1'),
        args_done(FC1, 0, '{"v":2}'),
        item_done(0, function_call(FC1, "call_abc", "f", None)),
        completed([]),
    )
    events, _ = feed_every_way(stream)
    (call,) = only(events, ToolCall)
    assert call.arguments == '{"v":2}'


def test_call_id_and_name_come_from_the_added_item_when_the_done_item_lacks_them() -> None:
    done = {"id": FC1, "type": "function_call", "status": "completed", "arguments": "{}"}
    stream = wire(
        created(),
        item_added(0, function_call(FC1, "call_abc", "lookup", "", "in_progress")),
        item_done(0, done),
        completed([]),
    )
    events, _ = feed_every_way(stream)
    (call,) = only(events, ToolCall)
    assert (call.call_id, call.name, call.parsed) == ("call_abc", "lookup", {})


@pytest.mark.parametrize(
    ("arguments", "kind"),
    [
        ('{"city": "Par', "invalid_json"),
        ("not json", "invalid_json"),
        ('{"a":1} trailing', "invalid_json"),
        ("[1, 2]", "not_an_object"),
        ('"a string"', "not_an_object"),
        ("null", "not_an_object"),
    ],
)
def test_invalid_arguments_become_an_arguments_problem_never_an_empty_object(
    arguments: str, kind: str
) -> None:
    final = function_call(FC1, "call_abc", "f", arguments)
    stream = wire(created(), item_added(0, final), item_done(0, final), completed([final]))
    events, _ = feed_every_way(stream)
    (call,) = only(events, ToolCall)
    assert call.arguments == arguments
    assert call.parsed is None
    assert not call.ok
    assert call.problem is not None
    assert call.problem.kind == kind
    assert call.problem.message
    assert end_of(events).tool_calls == (call,)


def test_empty_arguments_parse_as_an_empty_object() -> None:
    final = function_call(FC1, "call_abc", "no_params", "")
    events, _ = feed_every_way(wire(created(), item_done(0, final), completed([final])))
    (call,) = only(events, ToolCall)
    assert call.parsed == {}
    assert call.ok


@scenario
def two_parallel_calls() -> bytes:
    one = function_call(FC1, "call_1", "get_weather", '{"city":"Paris"}')
    two = function_call(FC2, "call_2", "get_time", '{"tz":"CET"}')
    return wire(
        created(),
        item_added(0, function_call(FC1, "call_1", "get_weather", "", "in_progress")),
        args_delta(FC1, 0, '{"city":"Paris"}'),
        args_done(FC1, 0, '{"city":"Paris"}'),
        item_done(0, one),
        item_added(1, function_call(FC2, "call_2", "get_time", "", "in_progress")),
        args_delta(FC2, 1, '{"tz":"CET"}'),
        args_done(FC2, 1, '{"tz":"CET"}'),
        item_done(1, two),
        completed([one, two]),
    )


def test_two_parallel_calls_each_surfaced_once_in_output_order() -> None:
    events, _ = feed_every_way(two_parallel_calls())
    assert names(events)[4:10] == [
        "response.output_item.done",
        "ToolCall",
        "response.output_item.added",
        "response.function_call_arguments.delta",
        "response.function_call_arguments.done",
        "response.output_item.done",
    ]
    assert names(events)[10:] == ["ToolCall", "response.completed", "ResponseEnd"]
    calls = only(events, ToolCall)
    assert [(c.call_id, c.name, c.parsed, c.index) for c in calls] == [
        ("call_1", "get_weather", {"city": "Paris"}, 0),
        ("call_2", "get_time", {"tz": "CET"}, 1),
    ]
    assert end_of(events).tool_calls == tuple(calls)


@scenario
def interleaved_call_deltas() -> bytes:
    """Two calls whose argument deltas interleave; their done items omit ``arguments`` (so
    the buffered deltas, keyed by ``output_index``, are all there is), and item 1 closes
    first."""
    return wire(
        created(),
        item_added(0, function_call(FC1, "call_1", "a", "", "in_progress")),
        item_added(1, function_call(FC2, "call_2", "b", "", "in_progress")),
        args_delta(FC1, 0, '{"x"'),
        args_delta(FC2, 1, '{"y"'),
        args_delta(FC2, 1, ":2}"),
        args_delta(FC1, 0, ":1}"),
        item_done(1, function_call(FC2, "call_2", "b", None)),
        item_done(0, function_call(FC1, "call_1", "a", None)),
        completed([]),
    )


def test_interleaved_deltas_of_two_calls_are_kept_apart() -> None:
    events, _ = feed_every_way(interleaved_call_deltas())
    assert names(events)[7:11] == [
        "response.output_item.done",
        "ToolCall",
        "response.output_item.done",
        "ToolCall",
    ]
    calls = only(events, ToolCall)
    assert [(c.call_id, c.arguments, c.index) for c in calls] == [
        ("call_2", '{"y":2}', 1),
        ("call_1", '{"x":1}', 0),
    ]


@scenario
def call_without_item_done() -> bytes:
    final = function_call(FC1, "call_abc", "get_weather", '{"city":"Oslo"}')
    return wire(
        created(),
        item_added(0, function_call(FC1, "call_abc", "get_weather", "", "in_progress")),
        args_delta(FC1, 0, '{"city":"Oslo"}'),
        args_done(FC1, 0, '{"city":"Oslo"}'),
        completed([final]),
    )


def test_a_call_whose_item_done_never_came_is_surfaced_at_the_terminal_event_once() -> None:
    events, _ = feed_every_way(call_without_item_done())
    assert names(events)[-3:] == ["response.completed", "ToolCall", "ResponseEnd"]
    (call,) = only(events, ToolCall)
    assert (call.call_id, call.parsed, call.item_id) == ("call_abc", {"city": "Oslo"}, FC1)
    assert end_of(events).tool_calls == (call,)


def test_a_call_surfaced_at_item_done_is_not_surfaced_again_at_the_terminal_event() -> None:
    events, _ = feed_every_way(function_call_turn())
    assert len(only(events, ToolCall)) == 1


def test_an_unfinished_call_is_not_surfaced_when_the_stream_is_cut() -> None:
    stream = wire(
        created(),
        item_added(0, function_call(FC1, "call_abc", "f", "", "in_progress")),
        args_delta(FC1, 0, '{"a":'),
    )
    events, _ = feed_every_way(stream)
    assert only(events, ToolCall) == []
    assert end_of(events).tool_calls == ()


# --------------------------------------------------------------------------------------------
# The three distinct bad outcomes, and a body cut short.


@scenario
def incomplete_turn() -> bytes:
    partial = message(MSG, "Once upon a", status="incomplete")
    return wire(
        created(),
        item_added(0, message(MSG, status="in_progress")),
        text_delta(MSG, 0, "Once upon a"),
        incomplete([partial], "max_output_tokens"),
    )


def test_response_incomplete() -> None:
    events, _ = feed_every_way(incomplete_turn())
    assert names(events)[-2:] == ["response.incomplete", "ResponseEnd"]
    assert only(events, APIError) == []
    result = end_of(events)
    assert result.status == "incomplete"
    assert result.incomplete_reason == "max_output_tokens"
    assert result.text == "Once upon a"
    assert result.error is None


@scenario
def failed_turn() -> bytes:
    return wire(
        created(),
        item_added(0, message(MSG, status="in_progress")),
        text_delta(MSG, 0, "Par"),
        failed("server_error", "The model failed to generate a response."),
    )


def test_response_failed_is_an_api_error_from_the_response() -> None:
    events, _ = feed_every_way(failed_turn())
    assert names(events)[-3:] == ["response.failed", "APIError", "ResponseEnd"]
    error = events[-2]
    assert error == APIError(
        message="The model failed to generate a response.",
        code="server_error",
        source="response",
        classification="retryable",
    )
    result = end_of(events)
    assert result.status == "failed"
    assert result.error == error
    assert result.text == "Par"  # what was streamed before the failure is kept


@pytest.mark.parametrize(
    ("code", "classification"),
    [
        ("rate_limit_exceeded", "retryable"),
        ("invalid_prompt", "fatal"),
        ("image_content_policy_violation", "retryable"),  # open set: unknown -> retryable
        (None, "retryable"),
    ],
)
def test_response_failed_classification(code: str | None, classification: str) -> None:
    events, _ = feed_every_way(wire(created(), failed(code, "nope")))
    (error,) = only(events, APIError)
    assert (error.code, error.source, error.classification) == (code, "response", classification)
    assert error.message == "nope"


def test_response_failed_without_an_error_object() -> None:
    body = response("failed", [], error=None)
    events, _ = feed_every_way(wire({"type": "response.failed", "response": body}))
    (error,) = only(events, APIError)
    assert (error.message, error.code, error.source) == ("the response failed", None, "response")


@scenario
def error_mid_stream() -> bytes:
    return wire(
        created(),
        item_added(0, message(MSG, status="in_progress")),
        text_delta(MSG, 0, "Hi"),
        error_event("rate_limit_exceeded", "Rate limit reached", "model"),
    )


def test_mid_stream_error_event() -> None:
    events, machine = feed_every_way(error_mid_stream())
    assert names(events)[-3:] == ["error", "APIError", "ResponseEnd"]
    assert events[-3].code == "rate_limit_exceeded"
    assert events[-2] == APIError(
        message="Rate limit reached",
        code="rate_limit_exceeded",
        param="model",
        source="stream",
        classification="retryable",
    )
    result = end_of(events)
    assert result.status == "error"
    assert result.error == events[-2]
    assert result.text == "Hi"
    assert machine.state is StreamState.DONE


def test_websocket_shaped_error_with_nested_object_and_status() -> None:
    machine = ResponseStream()
    machine.receive_message(
        json.dumps(
            {
                "type": "error",
                "status": 400,
                "error": {
                    "type": "invalid_request_error",
                    "code": "previous_response_not_found",
                    "message": "Previous response not found.",
                    "param": "previous_response_id",
                },
            }
        )
    )
    events = drain(machine)
    assert names(events) == ["error", "APIError", "ResponseEnd"]
    error = events[1]
    assert (error.code, error.type, error.param, error.status, error.source) == (
        "previous_response_not_found",
        "invalid_request_error",
        "previous_response_id",
        400,
        "stream",
    )
    assert error.classification == "fatal"  # unknown code, status 400


@scenario
def cut_short() -> bytes:
    return wire(
        created(),
        item_added(0, message(MSG, status="in_progress")),
        text_delta(MSG, 0, "Half a sen"),
    )


def test_eof_without_a_terminal_event_is_an_interrupted_failure() -> None:
    events, machine = feed_every_way(cut_short())
    assert names(events)[-2:] == ["APIError", "ResponseEnd"]
    error = events[-2]
    assert (error.code, error.source, error.classification) == (
        "stream_interrupted",
        "transport",
        "retryable",
    )
    result = end_of(events)
    assert result.status == "interrupted"
    assert result.error == error
    assert result.text == "Half a sen"
    assert result.response_id == RESP_ID
    assert machine.state is StreamState.DONE


def test_eof_on_an_empty_body_is_interrupted() -> None:
    events, _ = feed([])
    assert names(events) == ["APIError", "ResponseEnd"]
    result = end_of(events)
    assert (result.status, result.response_id, result.text) == ("interrupted", None, "")


def test_a_half_event_at_eof_is_dropped() -> None:
    stream = wire(created()) + frame(completed())[:-1]  # no dispatching blank line
    events, _ = feed_every_way(stream)
    assert names(events) == ["response.created", "APIError", "ResponseEnd"]


# --------------------------------------------------------------------------------------------
# After the end, [DONE], unknown and built-in tool events, events before response.created.


@scenario
def trailing_events() -> bytes:
    final = message(MSG, "Done.")
    more = [text_delta(MSG, 0, "late"), completed([final]), error_event("x", "late")]
    return wire(created(), item_done(0, final), completed([final]), *more)


def test_events_after_the_end_are_counted_and_dropped() -> None:
    events, machine = feed_every_way(trailing_events())
    assert names(events) == [
        "response.created",
        "response.output_item.done",
        "response.completed",
        "ResponseEnd",
    ]
    assert machine.trailing_events == 3
    assert end_of(events).text == "Done."


@scenario
def done_marker() -> bytes:
    done = b"data: [DONE]\n\n"
    return wire(created()) + done + frame(completed()) + done


def test_done_marker_is_ignored() -> None:
    events, machine = feed_every_way(done_marker())
    assert names(events) == ["response.created", "response.completed", "ResponseEnd"]
    assert machine.trailing_events == 0
    assert end_of(events).status == "completed"


FUTURE = {
    "type": "response.future_tool.progress",
    "item_id": "ft_1",
    "output_index": 0,
    "progress": 0.5,
    "new": {"nested": [1, 2]},
}


@scenario
def unknown_events() -> bytes:
    return wire(created(), FUTURE, {"type": "response.shiny_new_thing"}, completed())


def test_unknown_event_types_pass_through_in_order() -> None:
    events, _ = feed_every_way(unknown_events())
    assert names(events) == [
        "response.created",
        "?response.future_tool.progress",
        "?response.shiny_new_thing",
        "response.completed",
        "ResponseEnd",
    ]
    future = events[1]
    assert future.data() == {**FUTURE, "sequence_number": 1}
    assert future.raw == json.dumps(future.data(), separators=(",", ":")).encode()
    assert end_of(events).status == "completed"


WS = "ws_67ccf18f64008190a39b619f4c8455ef"


@scenario
def web_search_turn() -> bytes:
    search = {"id": WS, "type": "web_search_call", "status": "completed", "action": {"q": "x"}}
    final = message(MSG, "Found it.")
    return wire(
        created(),
        item_added(0, {"id": WS, "type": "web_search_call", "status": "in_progress"}),
        web_search("in_progress", WS, 0),
        web_search("searching", WS, 0),
        web_search("completed", WS, 0),
        item_done(0, search),
        item_added(1, message(MSG, status="in_progress")),
        text_delta(MSG, 1, "Found it."),
        item_done(1, final),
        completed([search, final]),
    )


def test_built_in_tool_events_pass_through_typed_and_are_not_tool_calls() -> None:
    events, _ = feed_every_way(web_search_turn())
    assert names(events)[1:6] == [
        "response.output_item.added",
        "response.web_search_call.in_progress",
        "response.web_search_call.searching",
        "response.web_search_call.completed",
        "response.output_item.done",
    ]
    assert only(events, ToolCall) == []
    result = end_of(events)
    assert result.text == "Found it."
    assert [item.type for item in result.output] == ["web_search_call", "message"]
    assert result.output[0].action == {"q": "x"}


@scenario
def items_before_created() -> bytes:
    final = message(MSG, "No preamble.")
    return wire(
        item_added(0, message(MSG, status="in_progress")),
        text_delta(MSG, 0, "No preamble."),
        item_done(0, final),
        completed([final]),
    )


def test_item_events_before_response_created_are_tolerated() -> None:
    machine = ResponseStream()
    assert machine.state is StreamState.AWAITING
    machine.receive_data(frame(numbered([item_added(0, message(MSG))])[0]))
    assert machine.state is StreamState.IN_PROGRESS
    events, _ = feed_every_way(items_before_created())
    result = end_of(events)
    assert (result.status, result.text, result.response_id) == (
        "completed",
        "No preamble.",
        RESP_ID,
    )


@scenario
def framing_variants() -> bytes:
    """The text turn with CRLF line ends, keep-alive comments, the JSON split over several
    ``data:`` lines, and ``event:`` names that disagree with the JSON ``type``."""
    out = [b": keep-alive\r\n\r\n"]
    for event in numbered(_text_turn_events()):
        data = json.dumps(event, separators=(",", ":"), indent=None).replace(",", ",\n", 1)
        lines = [f"data: {line}" for line in data.split("\n")]
        out.append(("\r\n".join(["event: misleading", *lines]) + "\r\n\r\n").encode())
        out.append(b":\r\n")
    return b"".join(out)


def _text_turn_events() -> list[dict[str, Any]]:
    final = message(MSG, "Hi!")
    return [
        created(),
        item_added(0, message(MSG, status="in_progress")),
        text_delta(MSG, 0, "Hi"),
        item_done(0, final),
        completed([final]),
    ]


def test_sse_framing_variants_do_not_matter_and_the_json_type_wins() -> None:
    events, _ = feed_every_way(framing_variants())
    plain, _ = feed([wire(*_text_turn_events())])
    assert events == plain
    assert end_of(events).text == "Hi!"


@scenario
def queued_lifecycle() -> bytes:
    queued = {"type": "response.queued", "response": {"id": RESP_ID, "status": "queued"}}
    return wire(created(status="queued"), queued, in_progress(), completed())


def test_queued_lifecycle() -> None:
    events, _ = feed_every_way(queued_lifecycle())
    assert names(events) == [
        "response.created",
        "response.queued",
        "response.in_progress",
        "response.completed",
        "ResponseEnd",
    ]


# --------------------------------------------------------------------------------------------
# Protocol violations and caller mistakes.


def test_bad_json_is_a_remote_protocol_error_and_breaks_the_machine() -> None:
    machine = ResponseStream()
    machine.receive_data(wire(created()))
    with pytest.raises(RemoteProtocolError) as info:
        machine.receive_data(b"event: response.in_progress\ndata: {not json\n\n")
    assert info.value.error_hint == "invalid_json"
    assert machine.state is StreamState.BROKEN
    assert names(drain(machine)) == ["response.created"]  # what came before is kept
    for more in (
        lambda: machine.receive_data(frame(completed())),
        lambda: machine.receive_message(json.dumps(completed())),
        lambda: machine.receive_event(
            decode_server_event(json.dumps(completed()), api="responses")
        ),
    ):
        with pytest.raises(RemoteProtocolError) as again:
            more()
        assert again.value.error_hint == "broken"
    machine.receive_eof()  # closing a broken stream is quiet and produces nothing
    assert machine.next_event() is NEED_DATA
    assert machine.state is StreamState.BROKEN
    assert machine.result is None


@pytest.mark.parametrize(
    ("payload", "hint"),
    [
        (b'{"type":"response.output_text.delta","delta":5}', "schema_violation"),
        (b'{"type":"response.completed"}', "schema_violation"),
        (b"[1,2,3]", "schema_violation"),
        (b'{"no_type":1}', "schema_violation"),
        (b'"just a string"', "schema_violation"),
        (b"{", "invalid_json"),
        (b'{"type":"response.created","response":{"id":"\xff"}}', "invalid_json"),
    ],
)
def test_broken_bodies_are_remote_protocol_errors(payload: bytes, hint: str) -> None:
    for chunks in ([b"data: " + payload + b"\n\n"], bytewise(b"data: " + payload + b"\n\n")):
        machine = ResponseStream()
        with pytest.raises(RemoteProtocolError) as info:
            for chunk in chunks:
                machine.receive_data(chunk)
        assert info.value.error_hint == hint
        assert machine.state is StreamState.BROKEN


@pytest.mark.parametrize(
    "payload",
    [
        b'{"type":"response.created","response":' + b"[" * 3000 + b"]" * 3000 + b"}",
        b'{"type":"response.brand_new","x":' + b"[" * 3000 + b"]" * 3000 + b"}",
    ],
    ids=["known-type", "unknown-type"],
)
def test_json_nested_past_the_recursion_limit_is_a_remote_protocol_error(payload: bytes) -> None:
    """Regression: msgspec raises RecursionError for ~1000 levels of nesting (in the typed
    decode, or while the second phase reads only ``type``); it escaped `receive_data`."""
    machine = ResponseStream()
    with pytest.raises(RemoteProtocolError) as info:
        machine.receive_data(b"data: " + payload + b"\n\n")
    assert info.value.error_hint == "invalid_json"
    assert machine.state is StreamState.BROKEN


def test_arguments_nested_past_the_recursion_limit_are_an_arguments_problem() -> None:
    deep = "[" * 3000 + "]" * 3000
    final = function_call(FC1, "call_abc", "f", deep)
    events, _ = feed_every_way(wire(created(), item_done(0, final), completed([final])))
    (call,) = only(events, ToolCall)
    assert call.problem is not None
    assert call.problem.kind == "invalid_json"


def test_receive_message_with_bad_json_breaks_the_machine() -> None:
    machine = ResponseStream()
    with pytest.raises(RemoteProtocolError):
        machine.receive_message("{")
    assert machine.state is StreamState.BROKEN
    with pytest.raises(RemoteProtocolError):
        machine.receive_message(json.dumps(created()))


def test_receive_data_after_receive_eof_is_a_local_protocol_error() -> None:
    machine = ResponseStream()
    machine.receive_data(wire(created(), completed()))
    machine.receive_eof()
    with pytest.raises(LocalProtocolError) as info:
        machine.receive_data(b"data: {}\n\n")
    assert info.value.error_hint == "after_eof"


def test_receive_eof_is_idempotent() -> None:
    machine = ResponseStream()
    machine.receive_data(wire(created()))
    machine.receive_eof()
    first = drain(machine)
    assert names(first) == ["response.created", "APIError", "ResponseEnd"]
    result = machine.result
    machine.receive_eof()
    machine.receive_eof()
    assert machine.next_event() is NEED_DATA
    assert machine.result is result
    assert machine.state is StreamState.DONE


def test_eof_after_a_terminal_event_adds_nothing() -> None:
    machine = ResponseStream()
    machine.receive_data(wire(created(), completed()))
    assert names(drain(machine)) == ["response.created", "response.completed", "ResponseEnd"]
    machine.receive_eof()
    assert machine.next_event() is NEED_DATA
    assert machine.result is not None
    assert machine.result.status == "completed"


# --------------------------------------------------------------------------------------------
# Bounds.


def test_more_output_items_than_max_items_is_a_remote_protocol_error() -> None:
    ok = wire(created(), item_added(0, message("m0")), item_added(1, message("m1")), completed())
    events, _ = feed_every_way(ok, max_items=2)
    assert end_of(events).status == "completed"
    for builder in (item_added, item_done):
        stream = wire(
            created(),
            item_added(0, message("m0")),
            item_added(1, message("m1")),
            builder(2, message("m2")),
        )
        for chunks in ([stream], bytewise(stream)):
            machine = ResponseStream(max_items=2)
            with pytest.raises(RemoteProtocolError) as info:
                for chunk in chunks:
                    machine.receive_data(chunk)
            assert info.value.error_hint == "too_many_items"
            assert machine.state is StreamState.BROKEN
            with pytest.raises(RemoteProtocolError):
                machine.receive_data(b"\n")


def test_the_same_output_index_twice_is_one_item() -> None:
    stream = wire(
        created(),
        item_added(0, message("m0")),
        item_added(0, message("m0")),
        item_done(0, message("m0", "x")),
        completed(),
    )
    events, _ = feed_every_way(stream, max_items=1)
    assert end_of(events).text == "x"


@pytest.mark.parametrize(
    "delta_of",
    [
        lambda d: text_delta(MSG, 0, d),
        lambda d: refusal_delta(MSG, 0, d),
        lambda d: summary_delta(RS, 0, 0, d),
        lambda d: args_delta(FC1, 0, d),
    ],
)
def test_more_delta_text_than_max_text_chars_is_a_remote_protocol_error(
    delta_of: Callable[[str], dict[str, Any]],
) -> None:
    exactly = wire(created(), delta_of("12345"), delta_of("67890"), completed())
    events, _ = feed_every_way(exactly, max_text_chars=10)
    assert end_of(events).status == "completed"
    over = wire(created(), delta_of("12345"), delta_of("678901"))
    machine = ResponseStream(max_text_chars=10)
    with pytest.raises(RemoteProtocolError) as info:
        machine.receive_data(over)
    assert info.value.error_hint == "text_too_large"
    assert machine.state is StreamState.BROKEN


def test_max_text_chars_applies_to_receive_event_too() -> None:
    machine = ResponseStream(max_text_chars=3)
    event = decode_server_event(json.dumps(text_delta(MSG, 0, "abcd")), api="responses")
    with pytest.raises(RemoteProtocolError):
        machine.receive_event(event)
    assert machine.state is StreamState.BROKEN


def test_an_event_larger_than_max_event_bytes_is_a_remote_protocol_error() -> None:
    big = wire(created(), text_delta(MSG, 0, "x" * 500))
    machine = ResponseStream(max_event_bytes=256)
    with pytest.raises(RemoteProtocolError) as info:
        machine.receive_data(big)
    assert info.value.error_hint.startswith("sse_")
    assert machine.state is StreamState.BROKEN


# --------------------------------------------------------------------------------------------
# Resuming a background stream.


def test_starting_after_drops_replayed_sequence_numbers() -> None:
    final = message(MSG, "Hello there")
    events = numbered(
        [
            created(),
            item_added(0, message(MSG, status="in_progress")),
            text_delta(MSG, 0, "Hello"),
            text_delta(MSG, 0, " there"),
            item_done(0, final),
            completed([final]),
        ]
    )
    # The first connection saw 0..2 and dropped; the resumed one (starting_after=2) gets a
    # server that replays 1 and 2 again before the new events.
    resumed = b"".join(frame(e) for e in events[1:])
    got, machine = feed_every_way(resumed, starting_after=2)
    assert [getattr(e, "sequence_number", None) for e in got] == [3, 4, 5, None]
    assert names(got) == [
        "response.output_text.delta",
        "response.output_item.done",
        "response.completed",
        "ResponseEnd",
    ]
    assert got[0].delta == " there"
    assert end_of(got).text == "Hello there"
    assert machine.trailing_events == 0


def test_starting_after_keeps_events_without_a_sequence_number() -> None:
    stream = frame(created()) + frame(completed())  # no sequence numbers at all
    events, _ = feed_every_way(stream, starting_after=10)
    assert names(events) == ["response.created", "response.completed", "ResponseEnd"]


def test_starting_after_drops_replays_even_after_the_end() -> None:
    stream = wire(created(), completed()) + frame({**completed(), "sequence_number": 1})
    _, machine = feed_every_way(stream, starting_after=-1)
    assert machine.trailing_events == 1
    _, machine = feed_every_way(stream, starting_after=1)
    assert machine.trailing_events == 0


# --------------------------------------------------------------------------------------------
# The other input verbs, and the pull API.


def payloads(stream: bytes) -> list[bytes]:
    """The ``data`` of every SSE event of `stream`, except ``[DONE]`` markers."""
    decoder = SSEDecoder()
    out = [sse.data for sse in decoder.feed(stream) if not sse.data.startswith(b"[DONE]")]
    decoder.feed_eof()
    return out


@pytest.mark.parametrize("name", sorted(SCENARIOS))
@pytest.mark.parametrize("verb", ["message_str", "message_bytes", "event"])
def test_receive_message_and_receive_event_equal_sse_feeding(name: str, verb: str) -> None:
    stream = SCENARIOS[name]()
    expected, expected_machine = feed([stream])
    machine = ResponseStream()
    got: list[Any] = []
    for payload in payloads(stream):
        if verb == "message_str":
            machine.receive_message(payload.decode())
        elif verb == "message_bytes":
            machine.receive_message(payload)
        else:
            machine.receive_event(decode_server_event(payload, api="responses"))
        got.extend(drain(machine))
    machine.receive_eof()
    got.extend(drain(machine))
    assert got == expected
    assert machine.result == expected_machine.result
    assert machine.trailing_events == expected_machine.trailing_events


def test_next_event_returns_need_data_when_empty() -> None:
    machine = ResponseStream()
    assert machine.next_event() is NEED_DATA
    stream = wire(created(), completed())
    machine.receive_data(stream[:10])
    assert machine.next_event() is NEED_DATA
    machine.receive_data(stream[10:])
    assert names([machine.next_event(), machine.next_event(), machine.next_event()]) == [
        "response.created",
        "response.completed",
        "ResponseEnd",
    ]
    assert machine.next_event() is NEED_DATA


def test_events_drains_until_need_data_then_resumes() -> None:
    machine = ResponseStream()
    stream = text_turn()
    half = len(stream) // 2
    machine.receive_data(stream[:half])
    first = list(machine.events())
    assert first
    assert not only(first, ResponseEnd)
    assert list(machine.events()) == []
    machine.receive_data(stream[half:])
    rest = list(machine.events())
    assert isinstance(rest[-1], ResponseEnd)
    assert first + rest == feed([stream], eof=False)[0]


def test_events_stops_at_the_terminal_event() -> None:
    queue = EventQueue((ResponseEnd,))
    end = ResponseEnd(ResponseResult(status="completed"))
    for event in ("a", end, "after"):
        queue.push(event)
    assert list(queue.drain()) == ["a", end]
    assert queue.pop() == "after"
    assert queue.pop() is NEED_DATA


def test_the_end_is_the_last_event_events_yields() -> None:
    machine = ResponseStream()
    machine.receive_data(wire(created(), completed()) + frame(completed()))
    drained = list(machine.events())
    assert names(drained) == ["response.created", "response.completed", "ResponseEnd"]
    assert drained[-1].status == "completed"
    assert machine.next_event() is NEED_DATA


# --------------------------------------------------------------------------------------------
# The transition table is total: every (state, input) pair transitions as listed or raises.


def _machine_in(state: StreamState) -> ResponseStream:
    machine = ResponseStream()
    if state is StreamState.IN_PROGRESS:
        machine.receive_data(wire(created()))
    elif state is StreamState.DONE:
        machine.receive_data(wire(created(), completed()))
    elif state is StreamState.BROKEN:
        with pytest.raises(RemoteProtocolError):
            machine.receive_data(b"data: {\n\n")
    drain(machine)
    assert machine.state is state
    return machine


_INPUT_WIRE: dict[_Input, dict[str, Any] | None] = {
    _Input.LIFECYCLE: in_progress(),
    _Input.ITEM: item_added(0, message(MSG, status="in_progress")),
    _Input.TERMINAL: completed(),
    _Input.ERROR: error_event("server_error", "boom"),
    _Input.EOF: None,
}


@pytest.mark.parametrize("state", list(StreamState))
@pytest.mark.parametrize("what", list(_Input))
def test_transition_table_is_total(state: StreamState, what: _Input) -> None:
    machine = _machine_in(state)
    event = _INPUT_WIRE[what]
    target = _TRANSITIONS.get((state, what))

    def apply() -> None:
        if event is None:
            machine.receive_eof()
        else:
            machine.receive_data(frame(event))

    if target is not None:
        apply()
        assert machine.state is target
        events = drain(machine)
        if target is StreamState.DONE and state is not StreamState.DONE:
            assert isinstance(events[-1], ResponseEnd)
        return
    if state is StreamState.BROKEN:
        if event is None:  # closing a broken stream is quiet (receive_eof is idempotent)
            apply()
            assert machine.next_event() is NEED_DATA
        else:
            with pytest.raises(RemoteProtocolError):
                apply()
        assert machine.state is StreamState.BROKEN
        return
    # the only other unlisted pairs are inputs after the end: counted and dropped
    assert state is StreamState.DONE
    apply()
    assert machine.state is StreamState.DONE
    assert machine.trailing_events == 1
    assert machine.next_event() is NEED_DATA


def test_transition_table_covers_every_state_that_accepts_input() -> None:
    for state in (StreamState.AWAITING, StreamState.IN_PROGRESS):
        assert {what for (s, what) in _TRANSITIONS if s is state} == set(_Input)
    assert all(s is not StreamState.BROKEN for s, _ in _TRANSITIONS)


# --------------------------------------------------------------------------------------------
# Every scenario: whole == any split.


@pytest.mark.parametrize("name", sorted(SCENARIOS))
@given(data=st.data())
def test_any_split_gives_the_same_events(name: str, data: st.DataObject) -> None:
    stream = SCENARIOS[name]()
    cuts = data.draw(st.lists(st.integers(0, len(stream)), max_size=12), label="cuts")
    whole, machine = feed([stream])
    split, other = feed(split_at(stream, cuts))
    assert split == whole
    assert other.result == machine.result


# --------------------------------------------------------------------------------------------
# Property: random valid streams.

_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
_JSON_VALUE = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**6), 10**6) | _TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_TEXT, inner, max_size=3),
    max_leaves=6,
)


@st.composite
def _fragments(draw: st.DrawFn, whole: str) -> list[str]:
    """`whole` cut into consecutive fragments at random points (empty ones allowed)."""
    cuts = sorted(draw(st.lists(st.integers(0, len(whole)), max_size=6)))
    bounds = [0, *cuts, len(whole)]
    return [whole[a:b] for a, b in itertools.pairwise(bounds)]


@st.composite
def _items(draw: st.DrawFn) -> list[tuple[str, Any, list[str]]]:
    """A response's output: ("text", text, deltas) or ("call", (name, args), deltas)."""
    out: list[tuple[str, Any, list[str]]] = []
    for _ in range(draw(st.integers(0, 5))):
        if draw(st.booleans()):
            text = draw(_TEXT)
            out.append(("text", text, draw(_fragments(text))))
        else:
            name = draw(st.from_regex(r"[a-z_]{1,10}", fullmatch=True))
            args = json.dumps(draw(st.dictionaries(_TEXT, _JSON_VALUE, max_size=4)))
            out.append(("call", (name, args), draw(_fragments(args))))
    return out


_LEVELS = ("terminal", "item_done", "part_done", "deltas")
"""How much authoritative payload the random stream carries: everything up to the terminal
``response.output`` / up to ``output_item.done`` payloads / only ``output_text.done`` and
``function_call_arguments.done`` (done items without content or arguments) / only deltas."""


def _build(items: list[tuple[str, Any, list[str]]], level: str) -> bytes:
    events: list[dict[str, Any]] = [created(), in_progress()]
    finals: list[dict[str, Any]] = []
    with_done_events = level != "deltas"
    with_done_items = level in ("terminal", "item_done")
    for index, (kind, value, deltas) in enumerate(items):
        item_id = f"item_{index}"
        if kind == "text":
            final = message(item_id, value if with_done_items else None)
            events += [item_added(index, message(item_id, status="in_progress"))]
            events += [part_added(item_id, index)]
            events += [text_delta(item_id, index, d) for d in deltas]
            if with_done_events:
                events += [text_done(item_id, index, value)]
                part = {"type": "output_text", "text": value, "annotations": []}
                events += [part_done(item_id, index, part)]
        else:
            name, args = value
            call_id = f"call_{index}"
            final = function_call(item_id, call_id, name, args if with_done_items else None)
            events += [item_added(index, function_call(item_id, call_id, name, ""))]
            events += [args_delta(item_id, index, d) for d in deltas]
            if with_done_events:
                events += [args_done(item_id, index, args)]
        events.append(item_done(index, final))
        finals.append(final)
    events.append(completed(finals if level == "terminal" else []))
    return wire(*events)


@given(items=_items(), level=st.sampled_from(_LEVELS), data=st.data())
def test_random_valid_streams(
    items: list[tuple[str, Any, list[str]]], level: str, data: st.DataObject
) -> None:
    stream = _build(items, level)
    cuts = data.draw(st.lists(st.integers(0, len(stream)), max_size=8), label="cuts")
    events, _ = feed(split_at(stream, cuts))
    assert events == feed([stream])[0]
    result = end_of(events)
    assert result.status == "completed"
    assert result.text == "".join(value for kind, value, _ in items if kind == "text")
    expected_calls = [
        (f"call_{index}", value[0], value[1], json.loads(value[1]), index)
        for index, (kind, value, _) in enumerate(items)
        if kind == "call"
    ]
    calls = only(events, ToolCall)
    assert [(c.call_id, c.name, c.arguments, c.parsed, c.index) for c in calls] == expected_calls
    assert result.tool_calls == tuple(calls)
    # each call right after its own output_item.done
    for position, event in enumerate(events):
        if isinstance(event, ToolCall):
            before = events[position - 1]
            assert before.type == "response.output_item.done"
            assert before.output_index == event.index


# --------------------------------------------------------------------------------------------
# Conformance: the official examples, streamed in order, pass through typed.


def _official_examples() -> list[dict[str, Any]]:
    path = FIXTURES / "openapi-event-examples.jsonl"
    if not path.exists():
        pytest.skip(f"{path} not found")
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return [r["example"] for r in rows if r["group"] == "responses-streaming"]


_TERMINALS = {
    "response.completed": "completed",
    "response.incomplete": "incomplete",
    "response.failed": "failed",
    "error": "error",
}


@pytest.mark.parametrize("terminal", sorted(_TERMINALS))
def test_official_examples_stream_through_in_order(terminal: str) -> None:
    examples = _official_examples()
    lifecycle = [e for e in examples if e["type"] in ("response.created", "response.queued")]
    middle = [
        e
        for e in examples
        if e["type"] not in _TERMINALS and e["type"] not in ("response.created", "response.queued")
    ]
    (end,) = [e for e in examples if e["type"] == terminal]
    sent = [*lifecycle, *middle, end]
    assert len(sent) == len(examples) - len(_TERMINALS) + 1
    stream = b"".join(frame(e) for e in sent)
    events, _ = feed_every_way(stream)
    wire_events = [e for e in events if isinstance(e, WireEvent | UnknownEvent)]
    assert only(wire_events, UnknownEvent) == []  # every official example is a known type
    assert [e.type for e in wire_events] == [e["type"] for e in sent]
    for event, example in zip(wire_events, sent, strict=True):
        assert event == decode_server_event(json.dumps(example), api="responses")
    result = end_of(events)
    assert result.status == _TERMINALS[terminal]
    assert (result.error is None) == (terminal in ("response.completed", "response.incomplete"))
    if terminal == "response.completed":
        assert result.text.startswith("In a shimmering forest")


def test_official_examples_are_all_accepted_by_the_machine_one_by_one() -> None:
    for example in _official_examples():
        machine = ResponseStream()
        machine.receive_message(json.dumps(example))
        events = drain(machine)
        assert isinstance(events[0], WireEvent)
        assert events[0].type == example["type"]
        assert msgspec.to_builtins(events[0])["type"] == example["type"]


# --- regressions for the lead's review changes -------------------------------------------


def _wire_events(*events: dict[str, object]) -> bytes:
    out = b""
    for number, event in enumerate(events):
        body = {**event, "sequence_number": number}
        out += b"event: " + str(event["type"]).encode() + b"\ndata: " + json.dumps(body).encode()
        out += b"\n\n"
    return out


def _resp(status: str, output: list[object]) -> dict[str, object]:
    return {"id": "resp_r", "object": "response", "status": status, "output": output}


def test_garbage_after_the_terminal_event_is_counted_not_decoded() -> None:
    machine = ResponseStream()
    machine.receive_data(
        _wire_events({"type": "response.completed", "response": _resp("completed", [])})
        + b"data: {not json\n\n"
    )
    machine.receive_eof()
    assert machine.state is StreamState.DONE
    assert machine.trailing_events == 1
    assert machine.result is not None and machine.result.status == "completed"


def test_an_incomplete_function_call_is_never_surfaced() -> None:
    cut = {
        "type": "function_call",
        "id": "fc_1",
        "call_id": "call_1",
        "name": "f",
        "arguments": '{"a": ',
        "status": "incomplete",
    }
    machine = ResponseStream()
    machine.receive_data(
        _wire_events(
            {"type": "response.created", "response": _resp("in_progress", [])},
            {"type": "response.output_item.added", "output_index": 0, "item": cut},
            {"type": "response.incomplete", "response": _resp("incomplete", [cut])},
        )
    )
    events = list(machine.events())
    assert not [e for e in events if type(e).__name__ == "ToolCall"]
    assert machine.result is not None
    assert machine.result.status == "incomplete" and machine.result.tool_calls == ()
    assert machine.result.output[0].arguments == '{"a": '


def test_buffered_parts_are_bounded() -> None:
    machine = ResponseStream(max_items=2)  # max_parts = 8
    deltas = [
        {
            "type": "response.output_text.delta",
            "item_id": "m",
            "output_index": 0,
            "content_index": index,
            "delta": "",
            "logprobs": [],
        }
        for index in range(9)
    ]
    with pytest.raises(RemoteProtocolError) as info:
        machine.receive_data(_wire_events(*deltas))
    assert info.value.error_hint == "too_many_parts"
    assert machine.state is StreamState.BROKEN

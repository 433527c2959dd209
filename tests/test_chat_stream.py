"""`ChatStream`: Chat Completions streaming, as protocol.md section 3 describes it.

Each test builds exact wire bytes (``data: <json>\\n\\n`` per chunk, ``data: [DONE]\\n\\n`` at
the end) from small chunk-building helpers, feeds them to a fresh machine and asserts the exact
event sequence and the assembled `ChatResult`. Every golden stream is fed whole and byte by
byte (`feed_every_way`), and every registered scenario at hypothesis-chosen split points too
(`test_any_split_gives_the_same_events`). A property test builds random tool-call streams
(random argument fragmentation, random interleaving across calls and choices) and checks the
assembled arguments are the originals.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openai_sansio.protocol import (
    NEED_DATA,
    APIError,
    ChatChoiceDone,
    ChatChoiceResult,
    ChatEnd,
    ChatResult,
    ChatStream,
    LocalProtocolError,
    RemoteProtocolError,
    StreamState,
    TokenUsage,
    ToolCall,
)
from openai_sansio.protocol.chat import _TRANSITIONS, _Input
from openai_sansio.protocol.events.chat import ChatCompletionChunk

CHAT_ID = "chatcmpl-ABfw4IfQfCCrcuybFm41wJyxjbkz7"
MODEL = "gpt-4o-2024-08-06"
CREATED = 1727346172
FINGERPRINT = "fp_5050236cbd"
FIXTURES = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures"

# --------------------------------------------------------------------------------------------
# Wire builders.


def chunk(*choices: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """A ``chat.completion.chunk`` as the API sends it."""
    body: dict[str, Any] = {
        "id": CHAT_ID,
        "object": "chat.completion.chunk",
        "created": CREATED,
        "model": MODEL,
        "system_fingerprint": FINGERPRINT,
        "choices": list(choices),
    }
    body.update(extra)
    return body


def choice(
    index: int = 0,
    *,
    finish: str | None = None,
    logprobs: dict[str, Any] | None = None,
    **delta: Any,
) -> dict[str, Any]:
    return {"index": index, "delta": delta, "logprobs": logprobs, "finish_reason": finish}


def tc(
    index: int,
    *,
    id: str | None = None,
    name: str | None = None,
    arguments: str | None = None,
) -> dict[str, Any]:
    """One ``delta.tool_calls[]`` fragment; the first of a call carries id/type/name."""
    out: dict[str, Any] = {"index": index}
    if id is not None:
        out["id"] = id
        out["type"] = "function"
    function: dict[str, Any] = {}
    if name is not None:
        function["name"] = name
    if arguments is not None:
        function["arguments"] = arguments
    if function:
        out["function"] = function
    return out


def usage_chunk(prompt: int, completion: int, **details: Any) -> dict[str, Any]:
    usage = {"prompt_tokens": prompt, "completion_tokens": completion}
    usage["total_tokens"] = prompt + completion
    usage.update(details)
    return chunk(usage=usage)


def token(text: str, logprob: float) -> dict[str, Any]:
    return {"token": text, "logprob": logprob, "bytes": list(text.encode()), "top_logprobs": []}


DONE = b"data: [DONE]\n\n"


def frame(payload: dict[str, Any]) -> bytes:
    return b"data: " + json.dumps(payload, separators=(",", ":")).encode() + b"\n\n"


def wire(*chunks: dict[str, Any], done: bool = True) -> bytes:
    return b"".join(frame(c) for c in chunks) + (DONE if done else b"")


# --------------------------------------------------------------------------------------------
# Feeding.


def drain(machine: ChatStream) -> list[Any]:
    out = []
    while (event := machine.next_event()) is not NEED_DATA:
        out.append(event)
    return out


def feed(chunks: Iterable[bytes], *, eof: bool = True, **kw: Any) -> tuple[list[Any], ChatStream]:
    machine = ChatStream(**kw)
    out: list[Any] = []
    for piece in chunks:
        machine.receive_data(piece)
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


def feed_every_way(stream: bytes, *, eof: bool = True, **kw: Any) -> tuple[list[Any], ChatStream]:
    whole, machine = feed([stream], eof=eof, **kw)
    by_byte, other = feed(bytewise(stream), eof=eof, **kw)
    assert by_byte == whole
    assert other.result == machine.result
    assert other.state is machine.state
    return whole, machine


def names(events: Iterable[Any]) -> list[str]:
    return [type(e).__name__ for e in events]


def only(events: Iterable[Any], kind: type[Any]) -> list[Any]:
    return [e for e in events if isinstance(e, kind)]


def end_of(events: Sequence[Any]) -> ChatResult:
    assert isinstance(events[-1], ChatEnd)
    assert len(only(events, ChatEnd)) == 1
    return events[-1].result


def calls_of(result_or_choice: ChatResult | ChatChoiceResult) -> list[tuple[Any, ...]]:
    return [(c.index, c.call_id, c.name, c.arguments) for c in result_or_choice.tool_calls]


SCENARIOS: dict[str, Callable[[], bytes]] = {}


def scenario(fn: Callable[[], bytes]) -> Callable[[], bytes]:
    SCENARIOS[fn.__name__] = fn
    return fn


# --------------------------------------------------------------------------------------------
# Text, refusal, logprobs, usage.


@scenario
def text_turn() -> bytes:
    return wire(
        chunk(choice(role="assistant", content="", refusal=None)),
        chunk(choice(content="Hel")),
        chunk(choice(content="lo!")),
        chunk(choice(finish="stop")),
        usage_chunk(9, 2, completion_tokens_details={"reasoning_tokens": 0}),
    )


def test_text_turn() -> None:
    events, machine = feed_every_way(text_turn())
    assert names(events) == [
        "ChatCompletionChunk",
        "ChatCompletionChunk",
        "ChatCompletionChunk",
        "ChatCompletionChunk",
        "ChatChoiceDone",
        "ChatCompletionChunk",
        "ChatEnd",
    ]
    assert [c.choices[0].delta.content for c in events[:3]] == ["", "Hel", "lo!"]
    expected_choice = ChatChoiceResult(
        index=0, role="assistant", content="Hello!", finish_reason="stop"
    )
    assert events[4] == ChatChoiceDone(expected_choice)
    result = end_of(events)
    assert result == ChatResult(
        status="completed",
        id=CHAT_ID,
        model=MODEL,
        created=CREATED,
        system_fingerprint=FINGERPRINT,
        choices=(expected_choice,),
        usage=TokenUsage(
            input_tokens=9,
            output_tokens=2,
            total_tokens=11,
            raw={
                "prompt_tokens": 9,
                "completion_tokens": 2,
                "total_tokens": 11,
                "completion_tokens_details": {"reasoning_tokens": 0},
            },
        ),
        done_marker=True,
    )
    assert result.text == "Hello!"
    assert result.tool_calls == ()
    assert machine.state is StreamState.DONE
    assert machine.data_to_send() == []


@scenario
def refusal_turn() -> bytes:
    return wire(
        chunk(choice(role="assistant", content=None, refusal="")),
        chunk(choice(refusal="I'm")),
        chunk(choice(refusal=" sorry")),
        chunk(choice(finish="stop")),
    )


def test_refusal() -> None:
    events, _ = feed_every_way(refusal_turn())
    (choice0,) = end_of(events).choices
    assert choice0.refusal == "I'm sorry"
    assert choice0.content is None  # content and refusal are separate channels
    assert end_of(events).text == ""


@scenario
def logprobs_turn() -> bytes:
    return wire(
        chunk(choice(role="assistant", content="", logprobs={"content": [], "refusal": None})),
        chunk(choice(content="Foo", logprobs={"content": [token("Foo", -0.25)], "refusal": None})),
        chunk(
            choice(
                content="!!",
                logprobs={"content": [token("!", -0.5), token("!", -0.75)], "refusal": None},
            )
        ),
        chunk(choice(finish="stop")),  # "logprobs": null here: nothing to add
    )


def test_logprobs_concatenate() -> None:
    events, _ = feed_every_way(logprobs_turn())
    (choice0,) = end_of(events).choices
    assert choice0.content == "Foo!!"
    assert choice0.logprobs_content == [token("Foo", -0.25), token("!", -0.5), token("!", -0.75)]
    assert choice0.logprobs_refusal is None


def test_refusal_logprobs_concatenate() -> None:
    stream = wire(
        chunk(choice(refusal="", logprobs={"content": None, "refusal": []})),
        chunk(choice(refusal="No", logprobs={"content": None, "refusal": [token("No", -1.0)]})),
        chunk(choice(refusal=".", logprobs={"content": None, "refusal": [token(".", -2.0)]})),
        chunk(choice(finish="stop")),
    )
    events, _ = feed_every_way(stream)
    (choice0,) = end_of(events).choices
    assert choice0.logprobs_refusal == [token("No", -1.0), token(".", -2.0)]
    assert choice0.logprobs_content is None


@scenario
def usage_only_after_finish() -> bytes:
    return wire(
        chunk(choice(content="ok", finish="stop")),
        usage_chunk(
            100,
            50,
            prompt_tokens_details={"cached_tokens": 64, "audio_tokens": 3},
            completion_tokens_details={"reasoning_tokens": 20, "audio_tokens": 4},
        ),
    )


def test_usage_chunk_with_empty_choices() -> None:
    events, _ = feed_every_way(usage_only_after_finish())
    assert names(events) == [
        "ChatCompletionChunk",
        "ChatChoiceDone",
        "ChatCompletionChunk",
        "ChatEnd",
    ]
    assert events[2].choices == []
    usage = end_of(events).usage
    assert usage is not None
    assert (
        usage.input_tokens,
        usage.output_tokens,
        usage.total_tokens,
        usage.cached_tokens,
        usage.reasoning_tokens,
        usage.input_audio_tokens,
        usage.output_audio_tokens,
    ) == (100, 50, 150, 64, 20, 3, 4)


AZURE_PREAMBLE = {
    "choices": [],
    "created": 0,
    "id": "",
    "model": "",
    "object": "",
    "prompt_filter_results": [{"prompt_index": 0, "content_filter_results": {}}],
}


@scenario
def empty_choices_preamble() -> bytes:
    return wire(
        AZURE_PREAMBLE,
        chunk(choice(role="assistant", content="Hi")),
        chunk(choices=[], usage=None),  # empty choices, explicit null usage: not the usage chunk
        chunk(choice(finish="stop")),
    )


def test_an_empty_choices_chunk_without_usage_is_not_mistaken_for_usage() -> None:
    events, _ = feed_every_way(empty_choices_preamble())
    assert names(events) == [
        "ChatCompletionChunk",
        "ChatCompletionChunk",
        "ChatCompletionChunk",
        "ChatCompletionChunk",
        "ChatChoiceDone",
        "ChatEnd",
    ]
    result = end_of(events)
    assert result.usage is None
    assert result.text == "Hi"
    assert result.status == "completed"


def test_metadata_comes_from_the_first_real_chunk_not_a_preamble() -> None:
    """Regression: an Azure content-filter preamble (``object: ""``, ``id: ""``) used to give
    the result an empty id and model and ``created`` 0."""
    events, _ = feed_every_way(empty_choices_preamble())
    result = end_of(events)
    assert (result.id, result.model, result.created) == (CHAT_ID, MODEL, CREATED)
    assert result.system_fingerprint == FINGERPRINT


def test_service_tier_is_kept() -> None:
    stream = wire(chunk(choice(content="x", finish="stop"), service_tier="default"))
    events, _ = feed_every_way(stream)
    assert end_of(events).service_tier == "default"


# --------------------------------------------------------------------------------------------
# Tool calls.


@scenario
def first_index_not_zero() -> bytes:
    return wire(
        chunk(choice(role="assistant", content=None, tool_calls=[tc(1, id="call_a", name="f")])),
        chunk(choice(tool_calls=[tc(1, arguments='{"x"')])),
        chunk(choice(tool_calls=[tc(1, arguments=":1}")])),
        chunk(choice(finish="tool_calls")),
    )


def test_tool_call_whose_first_index_is_not_zero() -> None:
    events, _ = feed_every_way(first_index_not_zero())
    assert names(events)[-3:] == ["ToolCall", "ChatChoiceDone", "ChatEnd"]
    call = events[-3]
    assert call == ToolCall(
        call_id="call_a", name="f", arguments='{"x":1}', parsed={"x": 1}, index=1, choice=0
    )
    assert end_of(events).tool_calls == (call,)
    assert end_of(events).choices[0].finish_reason == "tool_calls"


@scenario
def index_gaps() -> bytes:
    return wire(
        chunk(choice(tool_calls=[tc(0, id="call_0", name="a", arguments="{}")])),
        chunk(choice(tool_calls=[tc(2, id="call_2", name="b", arguments='{"n":2}')])),
        chunk(choice(tool_calls=[tc(5, id="call_5", name="c", arguments='{"n":5}')])),
        chunk(choice(finish="tool_calls")),
    )


def test_tool_call_indices_with_gaps() -> None:
    events, _ = feed_every_way(index_gaps())
    assert names(events)[-5:] == ["ToolCall", "ToolCall", "ToolCall", "ChatChoiceDone", "ChatEnd"]
    assert calls_of(end_of(events)) == [
        (0, "call_0", "a", "{}"),
        (2, "call_2", "b", '{"n":2}'),
        (5, "call_5", "c", '{"n":5}'),
    ]
    assert only(events, ToolCall) == list(end_of(events).tool_calls)


@scenario
def out_of_order_indices() -> bytes:
    return wire(
        chunk(choice(tool_calls=[tc(2, id="call_2", name="b", arguments='{"b":')])),
        chunk(choice(tool_calls=[tc(0, id="call_0", name="a", arguments='{"a":0}')])),
        chunk(choice(tool_calls=[tc(2, arguments="2}")])),
        chunk(choice(finish="tool_calls")),
    )


def test_out_of_order_indices_are_surfaced_in_index_order() -> None:
    events, _ = feed_every_way(out_of_order_indices())
    assert [(c.index, c.call_id, c.parsed) for c in only(events, ToolCall)] == [
        (0, "call_0", {"a": 0}),
        (2, "call_2", {"b": 2}),
    ]


@scenario
def interleaved_parallel_calls() -> bytes:
    return wire(
        chunk(choice(tool_calls=[tc(0, id="call_w", name="get_weather", arguments="")])),
        chunk(choice(tool_calls=[tc(1, id="call_s", name="get_stock", arguments="")])),
        chunk(choice(tool_calls=[tc(0, arguments='{"city":')])),
        chunk(choice(tool_calls=[tc(1, arguments='{"ticker":')])),
        chunk(choice(tool_calls=[tc(1, arguments='"AAPL"}'), tc(0, arguments='"Oslo"}')])),
        chunk(choice(finish="tool_calls")),
    )


def test_interleaved_parallel_calls() -> None:
    events, _ = feed_every_way(interleaved_parallel_calls())
    assert [(c.call_id, c.name, c.parsed) for c in only(events, ToolCall)] == [
        ("call_w", "get_weather", {"city": "Oslo"}),
        ("call_s", "get_stock", {"ticker": "AAPL"}),
    ]


@scenario
def repeated_id_and_name() -> bytes:
    return wire(
        chunk(choice(tool_calls=[tc(0, id="call_a", name="get_weather", arguments='{"a"')])),
        chunk(choice(tool_calls=[tc(0, id="call_a", name="get_weather", arguments=":1}")])),
        chunk(choice(tool_calls=[{"index": 0, "type": "function", "function": {"name": "x"}}])),
        chunk(choice(finish="tool_calls")),
    )


def test_id_and_name_are_set_once_never_concatenated() -> None:
    events, _ = feed_every_way(repeated_id_and_name())
    (call,) = only(events, ToolCall)
    assert (call.call_id, call.name, call.arguments) == ("call_a", "get_weather", '{"a":1}')


@scenario
def new_id_on_a_reused_index() -> bytes:
    return wire(
        chunk(choice(tool_calls=[tc(0, id="call_1", name="first", arguments='{"n":1}')])),
        chunk(choice(tool_calls=[tc(0, id="call_2", name="second", arguments='{"n":')])),
        chunk(choice(tool_calls=[tc(0, arguments="2}")])),
        chunk(choice(finish="tool_calls")),
    )


def test_a_different_id_on_a_reused_index_starts_a_new_call() -> None:
    events, _ = feed_every_way(new_id_on_a_reused_index())
    assert calls_of(end_of(events)) == [
        (0, "call_1", "first", '{"n":1}'),
        (0, "call_2", "second", '{"n":2}'),
    ]
    assert len(only(events, ToolCall)) == 2


@scenario
def text_and_tool_call_in_one_chunk() -> bytes:
    return wire(
        chunk(
            choice(
                role="assistant",
                content="Let me check.",
                tool_calls=[tc(0, id="call_a", name="lookup", arguments='{"q":"x"}')],
            )
        ),
        chunk(choice(finish="tool_calls")),
    )


def test_text_and_tool_call_delta_in_one_chunk_are_both_kept() -> None:
    events, _ = feed_every_way(text_and_tool_call_in_one_chunk())
    result = end_of(events)
    assert result.text == "Let me check."
    assert calls_of(result) == [(0, "call_a", "lookup", '{"q":"x"}')]


@pytest.mark.parametrize(
    ("arguments", "kind"),
    [('{"city": "Par', "invalid_json"), ("{}}", "invalid_json"), ("[]", "not_an_object")],
)
def test_invalid_argument_json_is_an_arguments_problem(arguments: str, kind: str) -> None:
    stream = wire(
        chunk(choice(tool_calls=[tc(0, id="call_a", name="f", arguments=arguments)])),
        chunk(choice(finish="tool_calls")),
    )
    events, _ = feed_every_way(stream)
    (call,) = only(events, ToolCall)
    assert call.arguments == arguments
    assert call.parsed is None
    assert call.problem is not None
    assert call.problem.kind == kind
    assert not call.ok


def test_a_call_without_arguments_parses_as_an_empty_object() -> None:
    stream = wire(
        chunk(choice(tool_calls=[tc(0, id="call_a", name="no_params")])),
        chunk(choice(finish="tool_calls")),
    )
    events, _ = feed_every_way(stream)
    (call,) = only(events, ToolCall)
    assert (call.arguments, call.parsed, call.ok) == ("", {}, True)


@scenario
def legacy_function_call() -> bytes:
    return wire(
        chunk(choice(role="assistant", content=None, function_call={"name": "f", "arguments": ""})),
        chunk(choice(function_call={"arguments": '{"a"'})),
        chunk(choice(function_call={"name": "f", "arguments": ":1}"})),
        chunk(choice(finish="function_call")),
    )


def test_legacy_function_call_deltas() -> None:
    events, _ = feed_every_way(legacy_function_call())
    assert names(events)[-3:] == ["ToolCall", "ChatChoiceDone", "ChatEnd"]
    call = events[-3]
    assert (call.name, call.arguments, call.parsed, call.call_id) == ("f", '{"a":1}', {"a": 1}, "")
    (choice0,) = end_of(events).choices
    assert choice0.function_call == call
    assert choice0.tool_calls == ()
    assert choice0.finish_reason == "function_call"


# --------------------------------------------------------------------------------------------
# n > 1.


@scenario
def three_choices() -> bytes:
    return wire(
        chunk(choice(0, role="assistant", content="")),
        chunk(choice(1, role="assistant", content="")),
        chunk(choice(2, role="assistant", content="")),
        chunk(choice(2, content="C")),
        chunk(choice(0, content="A")),
        chunk(choice(1, content="B"), choice(0, content="a")),
        chunk(choice(1, finish="length")),
        chunk(choice(2, tool_calls=[tc(0, id="call_c", name="f", arguments="{}")])),
        chunk(choice(0, finish="stop")),
        chunk(choice(2, finish="tool_calls")),
        usage_chunk(10, 6),
    )


def test_n3_choices_interleaved_each_with_its_own_finish() -> None:
    events, _ = feed_every_way(three_choices())
    assert names(events) == [
        *["ChatCompletionChunk"] * 7,
        "ChatChoiceDone",  # choice 1, right after its finish chunk
        "ChatCompletionChunk",
        "ChatCompletionChunk",
        "ChatChoiceDone",  # choice 0
        "ChatCompletionChunk",
        "ToolCall",  # choice 2's call, then its done
        "ChatChoiceDone",
        "ChatCompletionChunk",
        "ChatEnd",
    ]
    done = [e.choice for e in only(events, ChatChoiceDone)]
    assert [(c.index, c.content, c.finish_reason) for c in done] == [
        (1, "B", "length"),
        (0, "Aa", "stop"),
        (2, "C", "tool_calls"),
    ]
    (call,) = only(events, ToolCall)
    assert (call.choice, call.index, call.call_id) == (2, 0, "call_c")
    result = end_of(events)
    assert [c.index for c in result.choices] == [0, 1, 2]
    assert result.choices == (done[1], done[0], done[2])
    assert result.text == "Aa"
    assert result.usage is not None
    assert result.usage.total_tokens == 16


def test_choices_first_seen_out_of_order_are_sorted_by_index() -> None:
    stream = wire(
        chunk(choice(3, content="d", finish="stop")),
        chunk(choice(1, content="b", finish="stop")),
    )
    events, _ = feed_every_way(stream)
    assert [(c.index, c.content) for c in end_of(events).choices] == [(1, "b"), (3, "d")]


# --------------------------------------------------------------------------------------------
# Endings: [DONE], missing [DONE], EOF early, a mid-stream error object.


def test_done_marker_ends_the_stream_and_later_data_is_trailing() -> None:
    stream = wire(chunk(choice(content="x", finish="stop"))) + frame(chunk(choice(content="y")))
    events, machine = feed_every_way(stream)
    result = end_of(events)
    assert (result.status, result.done_marker, result.text) == ("completed", True, "x")
    assert machine.trailing_events == 1


def test_done_marker_with_a_suffix_is_still_the_marker() -> None:
    events, _ = feed_every_way(
        wire(chunk(choice(content="x", finish="stop")), done=False) + b"data: [DONE] \n\n"
    )
    assert end_of(events).done_marker


@scenario
def missing_done_marker() -> bytes:
    return wire(chunk(choice(content="All there.")), chunk(choice(finish="stop")), done=False)


def test_missing_done_after_every_choice_finished_is_completed_but_flagged() -> None:
    events, _ = feed_every_way(missing_done_marker())
    assert names(events)[-2:] == ["ChatChoiceDone", "ChatEnd"]
    assert only(events, APIError) == []
    result = end_of(events)
    assert (result.status, result.done_marker, result.error) == ("completed", False, None)


@scenario
def cut_before_finish() -> bytes:
    return wire(
        chunk(choice(0, content="Half")),
        chunk(choice(1, content="Whole", finish="stop")),
        chunk(choice(0, tool_calls=[tc(0, id="call_a", name="f", arguments='{"a":')])),
        done=False,
    )


def test_eof_before_finish_is_interrupted_with_an_api_error() -> None:
    events, machine = feed_every_way(cut_before_finish())
    assert names(events)[-2:] == ["APIError", "ChatEnd"]
    error = events[-2]
    assert (error.code, error.source, error.classification) == (
        "stream_interrupted",
        "transport",
        "retryable",
    )
    assert only(events, ToolCall) == []  # an unfinished call is never surfaced
    result = end_of(events)
    assert (result.status, result.error, result.done_marker) == ("interrupted", error, False)
    assert [(c.index, c.content, c.finish_reason) for c in result.choices] == [
        (0, "Half", None),
        (1, "Whole", "stop"),
    ]
    assert result.choices[0].tool_calls[0].problem is not None  # partial, as received
    assert machine.state is StreamState.DONE


def test_eof_on_an_empty_body_is_interrupted() -> None:
    events, _ = feed([])
    assert names(events) == ["APIError", "ChatEnd"]
    assert end_of(events).status == "interrupted"
    assert end_of(events).id is None


def test_done_marker_with_an_unfinished_choice_surfaces_it() -> None:
    stream = wire(chunk(choice(content="no finish", tool_calls=[tc(0, id="c", name="f")])))
    events, _ = feed_every_way(stream)
    assert names(events)[-3:] == ["ToolCall", "ChatChoiceDone", "ChatEnd"]
    result = end_of(events)
    assert (result.status, result.choices[0].finish_reason) == ("completed", None)


@scenario
def error_mid_stream() -> bytes:
    error = {
        "error": {
            "message": "The server had an error while processing your request.",
            "type": "server_error",
            "param": None,
            "code": "server_error",
        }
    }
    return wire(chunk(choice(content="Partial")), error, chunk(choice(content="late")), done=False)


def test_mid_stream_error_object() -> None:
    events, machine = feed_every_way(error_mid_stream())
    assert names(events) == ["ChatCompletionChunk", "APIError", "ChatEnd"]
    assert events[1] == APIError(
        message="The server had an error while processing your request.",
        code="server_error",
        type="server_error",
        source="stream",
        classification="retryable",
    )
    result = end_of(events)
    assert (result.status, result.error, result.text) == ("error", events[1], "Partial")
    assert machine.trailing_events == 1


def test_an_error_key_inside_a_chunk_is_a_mid_stream_error() -> None:
    """Regression: OpenAI-compatible servers (OpenRouter) put ``error`` inside a chunk with
    ``finish_reason: "error"``; protocol.md 3.4 (and the SDK) treat any payload with an
    ``error`` key as the error. It used to pass as a normal finished choice."""
    failing = chunk(
        choice(content="", finish="error"),
        error={"code": "server_error", "message": "Provider disconnected unexpectedly"},
    )
    events, _ = feed_every_way(wire(chunk(choice(content="Hi")), failing))
    assert names(events) == ["ChatCompletionChunk", "APIError", "ChatEnd"]
    assert (events[1].code, events[1].source) == ("server_error", "stream")
    assert end_of(events).status == "error"
    # an explicit "error": null is no error
    events, _ = feed_every_way(wire(chunk(choice(content="ok", finish="stop"), error=None)))
    assert end_of(events).status == "completed"


def test_error_object_before_any_chunk() -> None:
    events, _ = feed_every_way(wire({"error": {"message": "bad key", "code": "invalid_api_key"}}))
    assert names(events) == ["APIError", "ChatEnd"]
    assert events[0].classification == "fatal"
    assert end_of(events).id is None


# --------------------------------------------------------------------------------------------
# Violations, caller mistakes, bounds.


@pytest.mark.parametrize(
    ("payload", "hint"),
    [
        (b"{not json", "invalid_json"),
        (b'{"id":"c","choices":[{"delta":{}}]}', "schema_violation"),
        (b'{"id":"c","choices":[{"index":"0","delta":{}}]}', "schema_violation"),
        (b'{"choices":[]}', "schema_violation"),
        (b"[]", "schema_violation"),
        (b'{"error":"boom"}', "schema_violation"),
    ],
)
def test_broken_payloads_are_remote_protocol_errors_and_break_the_machine(
    payload: bytes, hint: str
) -> None:
    stream = wire(chunk(choice(content="before")), done=False) + b"data: " + payload + b"\n\n"
    for chunks in ([stream], bytewise(stream)):
        machine = ChatStream()
        got: list[Any] = []
        with pytest.raises(RemoteProtocolError) as info:
            for piece in chunks:
                machine.receive_data(piece)
                got.extend(drain(machine))
        got.extend(drain(machine))
        assert info.value.error_hint == hint
        assert names(got) == ["ChatCompletionChunk"]
        assert machine.state is StreamState.BROKEN
        with pytest.raises(RemoteProtocolError) as again:
            machine.receive_data(DONE)
        assert again.value.error_hint == "broken"
        machine.receive_eof()  # quiet
        assert machine.next_event() is NEED_DATA
        assert machine.result is None


def test_json_nested_past_the_recursion_limit_is_a_remote_protocol_error() -> None:
    """Regression: msgspec raises RecursionError for ~1000 levels of nesting; it escaped
    `receive_data` instead of being the peer's fault."""
    deep = "[" * 3000 + "]" * 3000
    machine = ChatStream()
    with pytest.raises(RemoteProtocolError) as info:
        machine.receive_data(
            b'data: {"id":"c","choices":[],"moderation":' + deep.encode() + b"}\n\n"
        )
    assert info.value.error_hint == "invalid_json"
    assert machine.state is StreamState.BROKEN


def test_arguments_nested_past_the_recursion_limit_are_an_arguments_problem() -> None:
    """Regression: the same RecursionError escaped from parsing tool-call arguments."""
    deep = "[" * 3000 + "]" * 3000
    stream = wire(
        chunk(choice(tool_calls=[tc(0, id="call_a", name="f", arguments=deep)])),
        chunk(choice(finish="tool_calls")),
    )
    events, _ = feed_every_way(stream)
    (call,) = only(events, ToolCall)
    assert call.problem is not None
    assert call.problem.kind == "invalid_json"
    assert call.arguments == deep


def test_receive_data_after_receive_eof_is_a_local_protocol_error() -> None:
    machine = ChatStream()
    machine.receive_eof()
    with pytest.raises(LocalProtocolError) as info:
        machine.receive_data(DONE)
    assert info.value.error_hint == "after_eof"


def test_receive_eof_is_idempotent() -> None:
    machine = ChatStream()
    machine.receive_data(wire(chunk(choice(content="x")), done=False))
    machine.receive_eof()
    assert names(drain(machine)) == ["ChatCompletionChunk", "APIError", "ChatEnd"]
    result = machine.result
    machine.receive_eof()
    assert machine.next_event() is NEED_DATA
    assert machine.result is result


def test_more_choices_than_max_items() -> None:
    ok = wire(chunk(choice(0, finish="stop"), choice(1, finish="stop")))
    assert end_of(feed_every_way(ok, max_items=2)[0]).status == "completed"
    over = wire(chunk(choice(0), choice(1), choice(2)))
    for chunks in ([over], bytewise(over)):
        machine = ChatStream(max_items=2)
        with pytest.raises(RemoteProtocolError) as info:
            for piece in chunks:
                machine.receive_data(piece)
        assert info.value.error_hint == "too_many_items"
        assert machine.state is StreamState.BROKEN


def test_more_tool_calls_than_max_items() -> None:
    calls = [tc(i, id=f"call_{i}", name="f", arguments="{}") for i in range(3)]
    ok = wire(chunk(choice(tool_calls=calls[:2], finish="tool_calls")))
    assert len(end_of(feed_every_way(ok, max_items=2)[0]).tool_calls) == 2
    machine = ChatStream(max_items=2)
    with pytest.raises(RemoteProtocolError) as info:
        machine.receive_data(wire(chunk(choice(tool_calls=calls))))
    assert info.value.error_hint == "too_many_items"
    assert machine.state is StreamState.BROKEN
    # a new id on a reused index is a new call, and counts
    machine = ChatStream(max_items=2)
    reused = [tc(0, id=f"call_{i}", name="f") for i in range(3)]
    with pytest.raises(RemoteProtocolError):
        machine.receive_data(wire(*(chunk(choice(tool_calls=[r])) for r in reused)))


@pytest.mark.parametrize(
    "delta_of",
    [
        lambda d: choice(content=d),
        lambda d: choice(refusal=d),
        lambda d: choice(tool_calls=[tc(0, id="c", name="f", arguments=d)]),
        lambda d: choice(function_call={"arguments": d}),
    ],
)
def test_more_delta_text_than_max_text_chars(delta_of: Callable[[str], dict[str, Any]]) -> None:
    ok = wire(chunk(delta_of("12345")), chunk(delta_of("67890")), chunk(choice(finish="stop")))
    assert end_of(feed_every_way(ok, max_text_chars=10)[0]).status == "completed"
    machine = ChatStream(max_text_chars=10)
    with pytest.raises(RemoteProtocolError) as info:
        machine.receive_data(wire(chunk(delta_of("12345")), chunk(delta_of("678901"))))
    assert info.value.error_hint == "text_too_large"
    assert machine.state is StreamState.BROKEN


def test_an_event_larger_than_max_event_bytes() -> None:
    machine = ChatStream(max_event_bytes=128)
    with pytest.raises(RemoteProtocolError) as info:
        machine.receive_data(wire(chunk(choice(content="x" * 200))))
    assert info.value.error_hint.startswith("sse_")
    assert machine.state is StreamState.BROKEN


# --------------------------------------------------------------------------------------------
# Pull API and the transition table.


def test_next_event_returns_need_data_when_empty() -> None:
    machine = ChatStream()
    assert machine.next_event() is NEED_DATA
    stream = text_turn()
    machine.receive_data(stream[:20])
    assert machine.next_event() is NEED_DATA
    machine.receive_data(stream[20:])
    assert isinstance(machine.next_event(), ChatCompletionChunk)


def test_events_stops_at_chat_end_and_resumes_after_need_data() -> None:
    machine = ChatStream()
    stream = text_turn()
    half = len(stream) // 2
    machine.receive_data(stream[:half])
    first = list(machine.events())
    assert first
    assert list(machine.events()) == []
    machine.receive_data(stream[half:])
    rest = list(machine.events())
    assert isinstance(rest[-1], ChatEnd)
    assert first + rest == feed([stream], eof=False)[0]
    assert machine.next_event() is NEED_DATA


def _machine_in(state: StreamState) -> ChatStream:
    machine = ChatStream()
    if state is StreamState.IN_PROGRESS:
        machine.receive_data(wire(chunk(choice(content="x")), done=False))
    elif state is StreamState.DONE:
        machine.receive_data(wire(chunk(choice(content="x", finish="stop"))))
    elif state is StreamState.BROKEN:
        with pytest.raises(RemoteProtocolError):
            machine.receive_data(b"data: {\n\n")
    drain(machine)
    assert machine.state is state
    return machine


_INPUT_WIRE: dict[_Input, bytes | None] = {
    _Input.CHUNK: frame(chunk(choice(content="y"))),
    _Input.DONE_MARKER: DONE,
    _Input.ERROR: frame({"error": {"message": "boom"}}),
    _Input.EOF: None,
}


@pytest.mark.parametrize("state", list(StreamState))
@pytest.mark.parametrize("what", list(_Input))
def test_transition_table_is_total(state: StreamState, what: _Input) -> None:
    machine = _machine_in(state)
    data = _INPUT_WIRE[what]
    target = _TRANSITIONS.get((state, what))

    def apply() -> None:
        if data is None:
            machine.receive_eof()
        else:
            machine.receive_data(data)

    if target is not None:
        apply()
        assert machine.state is target
        if target is StreamState.DONE and state is not StreamState.DONE:
            assert isinstance(drain(machine)[-1], ChatEnd)
        return
    if state is StreamState.BROKEN:
        if data is None:
            apply()  # closing a broken stream is quiet
            assert machine.next_event() is NEED_DATA
        else:
            with pytest.raises(RemoteProtocolError):
                apply()
        assert machine.state is StreamState.BROKEN
        return
    assert state is StreamState.DONE  # inputs after the end: counted and dropped
    apply()
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
# Property: random tool-call fragment streams.

_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=10)
_ARGS = st.dictionaries(
    _TEXT,
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | _TEXT,
    max_size=4,
).map(json.dumps)


@st.composite
def _call_streams(draw: st.DrawFn) -> tuple[dict[int, list[tuple[int, str, str, str]]], list[Any]]:
    """Random choices, each with random calls at random distinct indices; each call's
    arguments cut into random fragments; all fragments of all calls of all choices interleaved
    at random (a call's own fragments stay in order). Returns the expected calls per choice
    (sorted by index) and the sequence of (choice, call index, fragment) to send."""
    choices = draw(st.lists(st.integers(0, 6), min_size=1, max_size=3, unique=True))
    expected: dict[int, list[tuple[int, str, str, str]]] = {}
    queues: list[list[tuple[int, dict[str, Any]]]] = []
    for ch in choices:
        indices = draw(st.lists(st.integers(0, 9), min_size=1, max_size=4, unique=True))
        expected[ch] = []
        for index in sorted(indices):
            call_id = f"call_{ch}_{index}"
            name = draw(st.from_regex(r"[a-z_]{1,8}", fullmatch=True))
            arguments = draw(_ARGS)
            expected[ch].append((index, call_id, name, arguments))
        for index, call_id, name, arguments in expected[ch]:
            cuts = sorted(draw(st.lists(st.integers(0, len(arguments)), max_size=5)))
            bounds = [0, *cuts, len(arguments)]
            pieces = [arguments[a:b] for a, b in itertools.pairwise(bounds)]
            head = tc(index, id=call_id, name=name, arguments=pieces[0])
            queue = [(ch, head)] + [(ch, tc(index, arguments=p)) for p in pieces[1:]]
            queues.append(queue)
    order: list[Any] = []
    while any(queues):
        live = [q for q in queues if q]
        pick = draw(st.integers(0, len(live) - 1))
        order.append(live[pick].pop(0))
    return expected, order


@given(streams=_call_streams(), group=st.integers(1, 3), data=st.data())
def test_random_tool_call_fragment_streams_assemble_to_the_original_arguments(
    streams: tuple[dict[int, list[tuple[int, str, str, str]]], list[Any]],
    group: int,
    data: st.DataObject,
) -> None:
    expected, order = streams
    chunks = []
    for start in range(0, len(order), group):  # up to `group` fragments per chunk
        per_choice: dict[int, list[dict[str, Any]]] = {}
        for ch, fragment in order[start : start + group]:
            per_choice.setdefault(ch, []).append(fragment)
        chunks.append(chunk(*(choice(ch, tool_calls=fs) for ch, fs in per_choice.items())))
    chunks.append(chunk(*(choice(ch, finish="tool_calls") for ch in sorted(expected))))
    stream = wire(*chunks)
    cuts = data.draw(st.lists(st.integers(0, len(stream)), max_size=6), label="cuts")
    events, _ = feed(split_at(stream, cuts))
    assert events == feed([stream])[0]
    result = end_of(events)
    assert result.status == "completed"
    assert {c.index: calls_of(c) for c in result.choices} == expected
    for c in result.choices:
        assert [call.parsed for call in c.tool_calls] == [
            json.loads(args) for *_, args in expected[c.index]
        ]
        assert all(call.choice == c.index for call in c.tool_calls)
    surfaced = only(events, ToolCall)
    assert len(surfaced) == sum(len(v) for v in expected.values())
    assert sorted(surfaced, key=lambda call: call.choice) == surfaced  # grouped per choice


# --------------------------------------------------------------------------------------------
# Conformance: the official chat-streaming examples.


def test_official_chat_examples_stream_through() -> None:
    path = FIXTURES / "openapi-event-examples.jsonl"
    if not path.exists():
        pytest.skip(f"{path} not found")
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    examples = [r["example"] for r in rows if r["group"] == "chat-streaming"]
    assert examples
    events, _ = feed_every_way(wire(*examples))
    chunks = only(events, ChatCompletionChunk)
    assert [c.obfuscation for c in chunks] == [e.get("obfuscation") for e in examples]
    result = end_of(events)
    assert (result.status, result.id, result.text) == ("completed", "chatcmpl-123", "Hello")
    assert result.choices[0].finish_reason == "stop"

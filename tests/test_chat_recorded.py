"""The 12 byte-exact recorded Chat Completions streams assemble to what the SDK assembles.

DESIGN.md 8: "the recorded real Chat Completions streams in ``../shared/fixtures/chat-sse-
recorded/`` assemble to exactly what the ``openai`` SDK's own stream accumulator produces".

The oracle is the SDK's public helper ``openai.lib.streaming.chat.ChatCompletionStreamState``:
the same bytes go through the SDK's ``SSEDecoder``, each ``data`` line up to ``[DONE]`` becomes
a ``ChatCompletionChunk`` (``model_validate``, so a recording that drifted from the SDK's
schema fails loudly), ``handle_chunk`` accumulates it, and ``get_final_completion()`` gives the
completion (``current_completion_snapshot`` for a ``length``/``content_filter`` finish, where
the SDK raises instead of returning it). Our side: `ChatStream` fed whole, byte by byte and at
hypothesis-chosen split points.

Compared: ``id``, ``model``, ``created``, ``system_fingerprint``, usage numbers (including
the cached/reasoning/audio details we flatten), and per choice ``index``, ``finish_reason``,
``content``, ``refusal``, tool call ids/names/arguments in order, the parsed arguments, and
the logprob token lists (token, logprob, bytes, top_logprobs) for content and refusal.

Not compared, because we deliberately do not produce them:

* ``message.parsed`` - the SDK parses ``content`` with a caller-supplied pydantic
  ``response_format`` class; a sans-I/O machine has no such class. Callers decode
  `ChatResult.text` with their own schema.
* ``tool_calls[].function.parsed_arguments`` as a *pydantic model* - we give the decoded JSON
  object (`ToolCall.parsed`). It is compared against the SDK's value for tools declared
  ``strict`` (where the SDK gives ``json.loads(arguments)``), which is how the input tools
  are declared below.
* ``object`` (``"chat.completion"``, a constant the SDK writes into its snapshot) and
  ``service_tier`` (absent from every recording; covered in test_chat_stream.py).
* *empty vs None* logprob channels: after the first ``logprobs`` object the SDK extends a
  channel only with a non-empty list (a later ``[]`` leaves its ``None``), while we keep any
  list the server sent; the token lists are compared as lists, ``None`` and ``[]`` both
  meaning "no tokens".

``message.role`` is compared too (``assistant`` in every recording).
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openai import ContentFilterFinishReasonError, LengthFinishReasonError
from openai._streaming import SSEDecoder as SDKSSEDecoder
from openai.lib.streaming.chat._completions import ChatCompletionStreamState
from openai.types.chat import ChatCompletionChunk as SDKChunk

from openai_sansio.protocol import NEED_DATA, ChatEnd, ChatResult, ChatStream, ToolCall

RECORDED = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures" / "chat-sse-recorded"
FILES = sorted(RECORDED.glob("*.bin")) if RECORDED.is_dir() else []

pytestmark = pytest.mark.skipif(not FILES, reason=f"{RECORDED} not found")


def _ids(path: Path) -> str:
    return path.name[:8]


# --------------------------------------------------------------------------------------------
# The SDK side.


def sdk_data_lines(raw: bytes) -> list[str]:
    """The ``data`` of each SSE event, as the SDK's own decoder reads them, up to ``[DONE]``."""
    out = []
    for sse in SDKSSEDecoder().iter_bytes(iter([raw])):
        if sse.data.startswith("[DONE]"):
            break
        out.append(sse.data)
    return out


def _input_tools(datas: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A strict function tool for every tool name the stream calls (so the SDK parses the
    arguments with ``json.loads`` and we can compare `ToolCall.parsed` against it)."""
    found: list[str] = []
    for data in datas:
        for choice in data.get("choices", []):
            for call in choice.get("delta", {}).get("tool_calls") or []:
                name = (call.get("function") or {}).get("name")
                if name and name not in found:
                    found.append(name)
    return [
        {
            "type": "function",
            "function": {"name": name, "parameters": {"type": "object"}, "strict": True},
        }
        for name in found
    ]


def sdk_completion(raw: bytes) -> Any:
    datas = [json.loads(line) for line in sdk_data_lines(raw)]
    tools = _input_tools(datas)
    state: ChatCompletionStreamState[Any] = (
        ChatCompletionStreamState(input_tools=tools) if tools else ChatCompletionStreamState()
    )
    for data in datas:
        state.handle_chunk(SDKChunk.model_validate(data))
    try:
        return state.get_final_completion()
    except (LengthFinishReasonError, ContentFilterFinishReasonError):
        return state.current_completion_snapshot


# --------------------------------------------------------------------------------------------
# Our side.


def ours(chunks: list[bytes]) -> ChatResult:
    machine = ChatStream()
    events: list[Any] = []
    for piece in chunks:
        machine.receive_data(piece)
        while (event := machine.next_event()) is not NEED_DATA:
            events.append(event)
    machine.receive_eof()
    while (event := machine.next_event()) is not NEED_DATA:
        events.append(event)
    assert isinstance(events[-1], ChatEnd)
    assert machine.result is events[-1].result
    # every tool call surfaced exactly once, and the same as in the result
    surfaced = [e for e in events if isinstance(e, ToolCall)]
    assert surfaced == [call for c in machine.result.choices for call in c.tool_calls]
    return machine.result


def _tokens(entries: list[Any] | None) -> list[tuple[Any, ...]]:
    """token, logprob, bytes and top_logprobs of each entry (plain dicts or SDK models)."""
    out = []
    for entry in entries or []:
        item = entry if isinstance(entry, dict) else entry.model_dump()
        tops = [(t["token"], t["logprob"], t.get("bytes")) for t in item.get("top_logprobs") or []]
        out.append((item["token"], item["logprob"], item.get("bytes"), tops))
    return out


def assert_same(result: ChatResult, sdk: Any) -> None:
    assert result.status == "completed"
    assert result.done_marker is True
    assert result.id == sdk.id
    assert result.model == sdk.model
    assert result.created == sdk.created
    assert result.system_fingerprint == sdk.system_fingerprint
    if sdk.usage is None:
        assert result.usage is None
    else:
        usage = result.usage
        assert usage is not None
        assert usage.input_tokens == sdk.usage.prompt_tokens
        assert usage.output_tokens == sdk.usage.completion_tokens
        assert usage.total_tokens == sdk.usage.total_tokens
        prompt = sdk.usage.prompt_tokens_details
        completion = sdk.usage.completion_tokens_details
        assert usage.cached_tokens == ((prompt and prompt.cached_tokens) or 0)
        assert usage.input_audio_tokens == ((prompt and prompt.audio_tokens) or 0)
        assert usage.reasoning_tokens == ((completion and completion.reasoning_tokens) or 0)
        assert usage.output_audio_tokens == ((completion and completion.audio_tokens) or 0)
        assert usage.raw == sdk.usage.model_dump(exclude_unset=True)
    assert len(result.choices) == len(sdk.choices)
    for mine, theirs in zip(result.choices, sdk.choices, strict=True):
        assert mine.index == theirs.index
        assert mine.finish_reason == theirs.finish_reason
        assert mine.role == theirs.message.role
        assert mine.content == theirs.message.content
        assert mine.refusal == theirs.message.refusal
        sdk_calls = theirs.message.tool_calls or []
        assert [(c.call_id, c.name, c.arguments) for c in mine.tool_calls] == [
            (c.id, c.function.name, c.function.arguments) for c in sdk_calls
        ]
        assert [c.parsed for c in mine.tool_calls] == [
            c.function.parsed_arguments for c in sdk_calls
        ]
        assert all(c.ok for c in mine.tool_calls)
        sdk_logprobs = theirs.logprobs
        assert _tokens(mine.logprobs_content) == _tokens(
            sdk_logprobs.content if sdk_logprobs else None
        )
        assert _tokens(mine.logprobs_refusal) == _tokens(
            sdk_logprobs.refusal if sdk_logprobs else None
        )


# --------------------------------------------------------------------------------------------
# Tests.


@pytest.mark.parametrize("path", FILES, ids=_ids)
def test_recorded_stream_matches_the_sdk_whole_and_byte_by_byte(path: Path) -> None:
    raw = path.read_bytes()
    sdk = sdk_completion(raw)
    whole = ours([raw])
    assert_same(whole, sdk)
    assert ours([raw[i : i + 1] for i in range(len(raw))]) == whole


@pytest.mark.parametrize("path", FILES, ids=_ids)
@given(data=st.data())
def test_recorded_stream_matches_the_sdk_at_any_split(path: Path, data: st.DataObject) -> None:
    raw = path.read_bytes()
    cuts = sorted(data.draw(st.lists(st.integers(0, len(raw)), max_size=16), label="cuts"))
    bounds = [0, *cuts, len(raw)]
    assert ours([raw[a:b] for a, b in itertools.pairwise(bounds)]) == ours([raw])


def test_the_recordings_cover_what_they_are_meant_to() -> None:
    """The set exercises text, refusal, logprobs, tool calls (parallel too), n > 1 and a
    ``length`` finish; if the fixtures change, this says which case went missing."""
    results = [ours([path.read_bytes()]) for path in FILES]
    assert len(FILES) == 12
    choices = [c for r in results for c in r.choices]
    assert any(c.refusal for c in choices)
    assert any(c.logprobs_content for c in choices)
    assert any(c.logprobs_refusal for c in choices)
    assert any(len(c.tool_calls) >= 2 for c in choices)
    assert any(len(r.choices) == 3 for r in results)
    assert {c.finish_reason for c in choices} >= {"stop", "length", "tool_calls"}
    assert all(r.usage is not None for r in results)


@pytest.mark.parametrize("path", FILES, ids=_ids)
def test_recorded_stream_without_done_marker_is_flagged_but_complete(path: Path) -> None:
    raw = path.read_bytes()
    cut = raw[: raw.rindex(b"data: [DONE]")]
    result = ours([cut])
    expected = ours([raw])
    assert result.done_marker is False
    assert result.status == "completed"
    assert result.choices == expected.choices
    assert result.usage == expected.usage

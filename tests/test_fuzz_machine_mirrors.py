"""Hypothesis mirrors of the stream-machine fuzz targets (``fuzz/fuzz_chat_stream.py`` and
``fuzz/fuzz_response_stream.py``), what CI runs where atheris is not installed (DESIGN.md 8).

The same `TestOneInput` functions the fuzzers drive run here over hypothesis ``binary()``,
over streams built from SSE/JSON tokens, over every seed (built from the recorded chat streams
and the official Responses examples), over mutated seeds, and over the inputs that once broke
an invariant. Invariant: accept or raise `RemoteProtocolError` only; whole and split input give
the same events up to the first error. The last tests check the targets' assertions have teeth.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from _fuzz_load import ROOT, SHARED, load_target
from hypothesis import given
from hypothesis import strategies as st

from openai_sansio.protocol import APIError, ChatStream, RemoteProtocolError, ResponseStream

FUZZ = ROOT / "fuzz"


fuzz_chat = load_target("fuzz_chat_stream")
fuzz_responses = load_target("fuzz_response_stream")

HAVE_FIXTURES = (SHARED / "fixtures" / "chat-sse-recorded").is_dir()
NO_FIXTURES = f"shared fixtures not found under {SHARED}"
CHAT_SEEDS: list[bytes] = list(dict.fromkeys(fuzz_chat.seeds(SHARED)))
RESPONSE_SEEDS: list[bytes] = list(dict.fromkeys(fuzz_responses.seeds(SHARED)))
TARGETS = {"chat": fuzz_chat, "responses": fuzz_responses}


def test_fuzz_modules_do_not_need_atheris() -> None:
    for module in TARGETS.values():
        assert callable(module.TestOneInput)
        assert "atheris" not in vars(module)


# --------------------------------------------------------------------------------------------
# Mutation, as a fuzzer would do it.

_TOKENS = [
    b"\r",
    b"\n",
    b"\n\n",
    b"data: ",
    b"event: ",
    b"data: [DONE]\n\n",
    b'"',
    b"{",
    b"}",
    b"[",
    b"]",
    b",",
    b":",
    b"null",
    b"0",
    b"-1",
    b"1e999",
    b"99999999999999999999",
    b'""',
    b'"index":',
    b'"choices":[]',
    b'"tool_calls":[{"index":0}]',
    b'"error":{}',
    b'"type":"error"',
    b'"type":"response.completed"',
    b'"type":"response.output_item.done"',
    b'"finish_reason":"stop"',
    b'"sequence_number":',
    b"\\ud800",
    b"\xff",
    b"\xc3",
]

_MUTATIONS = st.lists(
    st.tuples(
        st.sampled_from(["flip", "insert", "delete", "duplicate", "truncate", "splice_token"]),
        st.integers(0, 1 << 16),
        st.integers(0, 255),
    ),
    min_size=1,
    max_size=6,
)


def mutate(seed: bytes, ops: list[tuple[str, int, int]]) -> bytes:
    """Mutate the body of a seed; the two header bytes and the cuts stay meaningful."""
    data = bytearray(seed)
    for op, position, value in ops:
        at = 2 + position % (len(data) - 1)
        if op == "flip" and len(data) > 2:
            data[2 + at % (len(data) - 2)] ^= 1 << (value % 8)
        elif op == "insert":
            data[at:at] = bytes([value])
        elif op == "delete" and len(data) > 2:
            start = 2 + at % (len(data) - 2)
            del data[start : start + 1 + value % 16]
        elif op == "duplicate":
            data[at:at] = data[at : at + 1 + value]
        elif op == "truncate":
            del data[at:]
        elif op == "splice_token":
            data[at:at] = _TOKENS[value % len(_TOKENS)]
    return bytes(data)


def test_mutate_changes_the_body_only() -> None:
    seed = bytes([3, 0]) + b"data: a\n\n"
    assert mutate(seed, [("flip", 0, 0)])[:2] == bytes([3, 0])
    assert mutate(seed, [("flip", 0, 0)]) != seed
    assert mutate(seed, [("splice_token", 0, 0)]) == bytes([3, 0, 13]) + b"data: a\n\n"
    assert mutate(seed, [("truncate", 3, 0)]) == bytes([3, 0]) + b"dat"


# --------------------------------------------------------------------------------------------
# Both targets.


@pytest.mark.parametrize("target", sorted(TARGETS))
@given(data=st.binary(max_size=4096))
def test_target_on_arbitrary_bytes(target: str, data: bytes) -> None:
    TARGETS[target].TestOneInput(data)


@pytest.mark.parametrize("target", sorted(TARGETS))
@given(
    config=st.integers(0, 255),
    cuts=st.lists(st.integers(0, 65535), max_size=15),
    tokens=st.lists(st.sampled_from([*_TOKENS, b"x", b"1", b" "]), max_size=60),
)
def test_target_on_tokens(target: str, config: int, cuts: list[int], tokens: list[bytes]) -> None:
    control = b"".join(c.to_bytes(2, "little") for c in cuts)
    TARGETS[target].TestOneInput(bytes([config, len(cuts)]) + control + b"".join(tokens))


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=6),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)


@given(
    config=st.integers(0, 255),
    cuts=st.lists(st.integers(0, 65535), max_size=6),
    chunks=st.lists(
        st.fixed_dictionaries(
            {
                "id": st.sampled_from(["c", ""]),
                "choices": st.lists(
                    st.fixed_dictionaries(
                        {
                            "index": st.integers(-2, 4),
                            "delta": st.fixed_dictionaries(
                                {},
                                optional={
                                    "content": st.none() | st.text(max_size=5),
                                    "refusal": st.none() | st.text(max_size=5),
                                    "tool_calls": st.lists(
                                        st.fixed_dictionaries(
                                            {"index": st.integers(-1, 3)},
                                            optional={
                                                "id": st.sampled_from(["a", "b"]),
                                                "function": st.fixed_dictionaries(
                                                    {},
                                                    optional={
                                                        "name": st.sampled_from(["f", "g", ""]),
                                                        "arguments": st.sampled_from(
                                                            ["", "{", "}", '"a"', ":1", "[]", "{}"]
                                                        ),
                                                    },
                                                ),
                                            },
                                        ),
                                        max_size=3,
                                    ),
                                },
                            ),
                        },
                        optional={
                            "finish_reason": st.none() | st.sampled_from(["stop", "tool_calls"]),
                            "logprobs": st.none()
                            | st.fixed_dictionaries(
                                {"content": st.none() | st.lists(_JSON, max_size=2)}
                            ),
                        },
                    ),
                    max_size=3,
                ),
            },
            optional={
                "usage": st.none()
                | st.fixed_dictionaries(
                    {
                        "prompt_tokens": st.integers(0, 9),
                        "completion_tokens": st.integers(0, 9),
                        "total_tokens": st.integers(0, 9),
                    },
                    optional={"prompt_tokens_details": _JSON},
                ),
                "error": st.none() | st.fixed_dictionaries({"message": st.text(max_size=4)}),
            },
        ),
        max_size=8,
    ),
    done=st.booleans(),
)
def test_chat_target_on_chunk_shaped_streams(
    config: int, cuts: list[int], chunks: list[dict[str, Any]], done: bool
) -> None:
    body = b"".join(b"data: " + json.dumps(c).encode() + b"\n\n" for c in chunks)
    body += b"data: [DONE]\n\n" if done else b""
    control = b"".join(c.to_bytes(2, "little") for c in cuts)
    fuzz_chat.TestOneInput(bytes([config, len(cuts)]) + control + body)


_RESPONSE_TYPES = [
    "response.created",
    "response.in_progress",
    "response.output_item.added",
    "response.output_item.done",
    "response.output_text.delta",
    "response.output_text.done",
    "response.refusal.delta",
    "response.function_call_arguments.delta",
    "response.function_call_arguments.done",
    "response.reasoning_summary_text.delta",
    "response.completed",
    "response.incomplete",
    "response.failed",
    "error",
    "response.brand_new",
]
_ITEM = st.fixed_dictionaries(
    {"type": st.sampled_from(["message", "function_call", "reasoning", "web_search_call"])},
    optional={
        "id": st.sampled_from(["i0", "i1"]),
        "call_id": st.sampled_from(["c0", "c1"]),
        "name": st.sampled_from(["f", ""]),
        "arguments": st.sampled_from(["", "{}", "{", '{"a":1}', "[]"]),
        "content": st.lists(
            st.fixed_dictionaries(
                {"type": st.sampled_from(["output_text", "refusal"])},
                optional={"text": st.text(max_size=4), "refusal": st.text(max_size=4)},
            ),
            max_size=2,
        ),
    },
)
_RESPONSE = st.fixed_dictionaries(
    {"id": st.just("resp_1")},
    optional={
        "output": st.lists(_ITEM, max_size=3),
        "usage": st.fixed_dictionaries(
            {
                "input_tokens": st.integers(0, 9),
                "output_tokens": st.integers(0, 9),
                "total_tokens": st.integers(0, 9),
            }
        ),
        "incomplete_details": _JSON,
        "error": st.fixed_dictionaries({}, optional={"code": st.text(max_size=4)}),
    },
)


@given(
    config=st.integers(0, 255),
    cuts=st.lists(st.integers(0, 65535), max_size=6),
    events=st.lists(
        st.fixed_dictionaries(
            {"type": st.sampled_from(_RESPONSE_TYPES)},
            optional={
                "response": _RESPONSE,
                "item": _ITEM,
                "output_index": st.integers(0, 3),
                "content_index": st.integers(0, 1),
                "summary_index": st.integers(0, 1),
                "item_id": st.sampled_from(["i0", "i1"]),
                "delta": st.text(max_size=5),
                "text": st.text(max_size=5),
                "arguments": st.sampled_from(["{}", "{", '{"a":1}']),
                "sequence_number": st.integers(0, 8),
                "message": st.text(max_size=4),
            },
        ),
        max_size=10,
    ),
)
def test_responses_target_on_event_shaped_streams(
    config: int, cuts: list[int], events: list[dict[str, Any]]
) -> None:
    body = b"".join(
        b"event: " + e["type"].encode() + b"\ndata: " + json.dumps(e).encode() + b"\n\n"
        for e in events
    )
    control = b"".join(c.to_bytes(2, "little") for c in cuts)
    fuzz_responses.TestOneInput(bytes([config, len(cuts)]) + control + body)


@pytest.mark.skipif(not HAVE_FIXTURES, reason=NO_FIXTURES)
def test_chat_target_on_every_seed() -> None:
    assert len(CHAT_SEEDS) >= 60
    for seed in CHAT_SEEDS:
        fuzz_chat.TestOneInput(seed)


@pytest.mark.skipif(not HAVE_FIXTURES, reason=NO_FIXTURES)
def test_responses_target_on_every_seed() -> None:
    assert len(RESPONSE_SEEDS) >= 60
    for seed in RESPONSE_SEEDS:
        fuzz_responses.TestOneInput(seed)


@pytest.mark.skipif(not HAVE_FIXTURES, reason=NO_FIXTURES)
@given(seed=st.sampled_from(CHAT_SEEDS or [b""]), ops=_MUTATIONS)
def test_chat_target_on_mutated_seeds(seed: bytes, ops: list[tuple[str, int, int]]) -> None:
    fuzz_chat.TestOneInput(mutate(seed, ops))


@pytest.mark.skipif(not HAVE_FIXTURES, reason=NO_FIXTURES)
@given(seed=st.sampled_from(RESPONSE_SEEDS or [b""]), ops=_MUTATIONS)
def test_responses_target_on_mutated_seeds(seed: bytes, ops: list[tuple[str, int, int]]) -> None:
    fuzz_responses.TestOneInput(mutate(seed, ops))


# Inputs that broke an invariant before the fix noted next to each.
_DEEP = b"[" * 3000 + b"]" * 3000
REGRESSIONS: list[Any] = [
    # JSON nested past the recursion limit: RecursionError escaped the codec (both phases)
    pytest.param(
        "chat",
        bytes([0, 0]) + b'data: {"id":"c","choices":[],"moderation":' + _DEEP + b"}\n\n",
        id="chat-deep-json",
    ),
    pytest.param(
        "responses",
        bytes([0, 0]) + b'data: {"type":"response.new","a":' + _DEEP + b"}\n\n",
        id="responses-deep-json-unknown-type",
    ),
    pytest.param(
        "responses",
        bytes([0, 0]) + b'data: {"type":"response.created","response":' + _DEEP + b"}\n\n",
        id="responses-deep-json-known-type",
    ),
    # tool-call arguments nested past the recursion limit: RecursionError escaped
    # parse_arguments (it is now an ArgumentsProblem)
    pytest.param(
        "chat",
        bytes([0, 0])
        + b'data: {"id":"c","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,'
        + b'"function":{"arguments":"'
        + _DEEP
        + b'"}}]},"finish_reason":"tool_calls"}]}\n\n',
        id="chat-deep-arguments",
    ),
    pytest.param(
        "responses",
        bytes([0, 0])
        + b'data: {"type":"response.output_item.done","output_index":0,"item":'
        + b'{"type":"function_call","id":"fc","call_id":"c","name":"f","arguments":"'
        + _DEEP
        + b'"}}\n\n',
        id="responses-deep-arguments",
    ),
]


@pytest.mark.parametrize(("target", "data"), REGRESSIONS)
def test_regressions(target: str, data: bytes) -> None:
    TARGETS[target].TestOneInput(data)


# --------------------------------------------------------------------------------------------
# The targets' assertions have teeth.


def test_chat_target_catches_a_foreign_exception(monkeypatch: pytest.MonkeyPatch) -> None:
    class Broken(ChatStream):
        def receive_data(self, data: bytes) -> None:
            raise ValueError("not a protocol error")

    monkeypatch.setattr(fuzz_chat, "ChatStream", Broken)
    with pytest.raises(ValueError):
        fuzz_chat.TestOneInput(bytes([0, 0]) + b"data: [DONE]\n\n")


def test_responses_target_catches_a_foreign_exception(monkeypatch: pytest.MonkeyPatch) -> None:
    class Broken(ResponseStream):
        def receive_data(self, data: bytes) -> None:
            raise KeyError("not a protocol error")

    monkeypatch.setattr(fuzz_responses, "ResponseStream", Broken)
    with pytest.raises(KeyError):
        fuzz_responses.TestOneInput(bytes([0, 0]) + b"data: {}\n\n")


def test_chat_target_catches_split_dependent_output(monkeypatch: pytest.MonkeyPatch) -> None:
    class ChunkCounting(ChatStream):
        """Emits one extra event per chunk: output depends on how the bytes were split."""

        def receive_data(self, data: bytes) -> None:
            super().receive_data(data)
            if data:
                self._queue.push(APIError.build("one per chunk"))

    monkeypatch.setattr(fuzz_chat, "ChatStream", ChunkCounting)
    body = b'data: {"id":"c","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n'
    fuzz_chat.TestOneInput(bytes([0, 0]) + body)  # one chunk either way: agrees
    with pytest.raises(AssertionError, match="different events"):
        fuzz_chat.TestOneInput(bytes([0, 1, 10, 0]) + body)  # split at byte 10


def test_responses_target_catches_a_status_that_does_not_match_the_end(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Lying(ResponseStream):
        def _finish(self, status: Any, *, error: Any) -> None:
            super()._finish("completed" if status == "interrupted" else status, error=error)

    monkeypatch.setattr(fuzz_responses, "ResponseStream", Lying)
    with pytest.raises(AssertionError):
        fuzz_responses.TestOneInput(bytes([0, 0]) + b"")


def test_responses_target_catches_a_machine_that_raises_something_else_on_messages(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Broken(ResponseStream):
        def receive_message(self, text: str | bytes) -> None:
            raise RemoteProtocolError("x") if not text else TypeError("foreign")

    monkeypatch.setattr(fuzz_responses, "ResponseStream", Broken)
    with pytest.raises(TypeError):
        fuzz_responses.TestOneInput(bytes([0, 0]) + b"data: {}\n\n")

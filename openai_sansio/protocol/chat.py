"""`ChatStream`: one streamed Chat Completions response, SSE bytes in, events out.

It hands out, in wire order:

- every `ChatCompletionChunk`, typed, as it arrives (``chunk.choices[i].delta.content`` is
  the text to show);
- when a choice's ``finish_reason`` arrives: a `ToolCall` per tool call of that choice, in
  ``index`` order, then `ChatChoiceDone` with the assembled choice;
- an `APIError` for a mid-stream ``{"error": {...}}`` object, or when the body ends before
  every choice finished;
- finally one `ChatEnd` carrying the `ChatResult`.

Assembly rules (the recorded real streams and peers' failures decide them): choices keyed by
``index`` (``n > 1`` interleaves them); tool calls keyed by ``index`` within a choice, with
gaps, any order and a first index other than 0 allowed; ``id``/``type``/``name`` are set once
(a repeated name is not concatenated); a fragment with a *different* ``id`` on an index already
in use starts a new call; ``arguments`` are concatenated and parsed only when the choice
finishes, invalid JSON becoming a typed `ArgumentsProblem`; text and tool deltas in one chunk
are both kept; ``content`` and ``refusal`` are separate channels; logprob lists concatenate.

Lifecycle (table `_TRANSITIONS`)::

    AWAITING --chunk--> IN_PROGRESS --[DONE]/error/eof--> DONE      BROKEN after a violation

``[DONE]`` ends the stream. A clean EOF without ``[DONE]`` after every choice finished is
accepted (status ``completed``, `ChatResult.done_marker` False so callers can flag it).
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from typing import Any, Final, Literal

import msgspec

from ._codec import server_decoder
from ._errors import LocalProtocolError, RemoteProtocolError
from ._sse import DEFAULT_MAX_EVENT_BYTES, SSEDecoder
from ._stream_common import (
    DEFAULT_MAX_ITEMS,
    DEFAULT_MAX_TEXT_CHARS,
    EventQueue,
    flatten_usage,
)
from .events.chat import ChatCompletionChunk, ChatStreamErrorObject, ChunkChoice
from .events.common import APIError, NeedData, TokenUsage, ToolCall
from .events.responses import ErrorDetail
from .responses import StreamState

__all__ = ["ChatChoiceDone", "ChatChoiceResult", "ChatEnd", "ChatResult", "ChatStream"]

ChatStatus = Literal["in_progress", "completed", "error", "interrupted"]


class _Input(enum.Enum):
    CHUNK = "chunk"
    DONE_MARKER = "done_marker"
    ERROR = "error"
    EOF = "eof"

    __hash__ = object.__hash__  # identity hashing: cheap table lookups (see StreamState)


_decode_chat: Final = server_decoder("chat")
_IN_PROGRESS: Final = StreamState.IN_PROGRESS
_DONE: Final = StreamState.DONE


class _ErrorKey(msgspec.Struct, frozen=True, gc=False):
    """Only the ``error`` key of a chunk. OpenAI-compatible servers (OpenRouter) report a
    mid-stream failure *inside* a chunk (``finish_reason: "error"`` plus ``error``);
    protocol.md 3.4 and the SDK treat any payload with an ``error`` key as the error."""

    error: ErrorDetail | None = None


_error_key: Final = msgspec.json.Decoder(_ErrorKey)


def _chunk_error(data: bytes) -> ErrorDetail | None:
    """The ``error`` object of a chunk that carries one (looked for only when the bytes
    mention it, so ordinary chunks are decoded once)."""
    if b'"error"' not in data:
        return None
    try:
        return _error_key.decode(data).error
    except (msgspec.DecodeError, UnicodeError, RecursionError):  # not an error report
        return None


_S = StreamState
_TRANSITIONS: Final[dict[tuple[StreamState, _Input], StreamState]] = {
    (_S.AWAITING, _Input.CHUNK): _S.IN_PROGRESS,
    (_S.AWAITING, _Input.DONE_MARKER): _S.DONE,
    (_S.AWAITING, _Input.ERROR): _S.DONE,
    (_S.AWAITING, _Input.EOF): _S.DONE,
    (_S.IN_PROGRESS, _Input.CHUNK): _S.IN_PROGRESS,
    (_S.IN_PROGRESS, _Input.DONE_MARKER): _S.DONE,
    (_S.IN_PROGRESS, _Input.ERROR): _S.DONE,
    (_S.IN_PROGRESS, _Input.EOF): _S.DONE,
    (_S.DONE, _Input.EOF): _S.DONE,
}
"""Pairs not listed: in DONE the input is trailing (counted, dropped); BROKEN raises."""


class ChatChoiceResult(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """One assembled choice. `logprobs_content`/`logprobs_refusal` are ``None`` when the
    server never sent a list for them."""

    index: int
    role: str | None = None
    content: str | None = None
    refusal: str | None = None
    tool_calls: tuple[ToolCall, ...] = ()
    finish_reason: str | None = None
    logprobs_content: list[Any] | None = None
    logprobs_refusal: list[Any] | None = None
    function_call: ToolCall | None = None


class ChatChoiceDone(msgspec.Struct, frozen=True, gc=False):
    """A choice received its ``finish_reason``; its tool calls were just surfaced."""

    choice: ChatChoiceResult


class ChatResult(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """The whole stream: `choices` in ``index`` order; `text`/`tool_calls` read choice 0."""

    status: ChatStatus
    id: str | None = None
    model: str | None = None
    created: int | None = None
    system_fingerprint: str | None = None
    service_tier: str | None = None
    choices: tuple[ChatChoiceResult, ...] = ()
    usage: TokenUsage | None = None
    error: APIError | None = None
    done_marker: bool = False

    @property
    def text(self) -> str:
        """Choice 0's content ("" when there is none)."""
        return (self.choices[0].content or "") if self.choices else ""

    @property
    def tool_calls(self) -> tuple[ToolCall, ...]:
        """Choice 0's tool calls."""
        return self.choices[0].tool_calls if self.choices else ()


class ChatEnd(msgspec.Struct, frozen=True, gc=False):
    """The last event of a `ChatStream`."""

    result: ChatResult

    @property
    def status(self) -> ChatStatus:
        return self.result.status


class _Call:
    __slots__ = ("arguments", "id", "index", "name", "type")

    def __init__(self, index: int) -> None:
        self.index = index
        self.id: str | None = None
        self.type: str | None = None
        self.name: str | None = None
        self.arguments: list[str] = []


class _Choice:
    __slots__ = (
        "calls",
        "content",
        "finish_reason",
        "function_call",
        "index",
        "logprobs_content",
        "logprobs_refusal",
        "open_calls",
        "refusal",
        "role",
    )

    def __init__(self, index: int) -> None:
        self.index = index
        self.role: str | None = None
        self.content: list[str] | None = None
        self.refusal: list[str] | None = None
        self.calls: list[_Call] = []
        self.open_calls: dict[int, _Call] = {}
        self.function_call: _Call | None = None
        self.finish_reason: str | None = None
        self.logprobs_content: list[Any] | None = None
        self.logprobs_refusal: list[Any] | None = None


def _finish_call(call: _Call, choice: int) -> ToolCall:
    return ToolCall.assemble(
        call_id=call.id or "",
        name=call.name or "",
        arguments="".join(call.arguments),
        index=call.index,
        choice=choice,
    )


class ChatStream:
    """Assemble one streamed chat completion. Pure: no I/O, no clock.

    Call `receive_data` with each body chunk, drain `next_event`/`events`, and call
    `receive_eof` when the body ends. `result` holds the `ChatResult` once `ChatEnd` is out.
    """

    def __init__(
        self,
        *,
        max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
        max_items: int = DEFAULT_MAX_ITEMS,
        max_text_chars: int = DEFAULT_MAX_TEXT_CHARS,
    ) -> None:
        self._sse = SSEDecoder(max_event_bytes=max_event_bytes)
        self._queue = EventQueue((ChatEnd,))
        self.state = StreamState.AWAITING
        self.max_items = max_items
        self.max_text_chars = max_text_chars
        self.trailing_events = 0
        self.result: ChatResult | None = None
        self._eof = False
        self._chars = 0
        self._calls = 0
        self._choices: dict[int, _Choice] = {}
        self._first: ChatCompletionChunk | None = None
        self._usage: TokenUsage | None = None
        self._service_tier: str | None = None

    # ------------------------------------------------------------------ input verbs

    def receive_data(self, data: bytes) -> None:
        """Feed a chunk of the SSE body (any split). Then drain `next_event`/`events`.

        Raises `RemoteProtocolError` on bad framing, bad JSON, a schema violation or a bound
        exceeded (the machine is then BROKEN); `LocalProtocolError` after `receive_eof`.
        """
        if self._eof:
            raise LocalProtocolError("receive_data after receive_eof", error_hint="after_eof")
        if self.state is StreamState.BROKEN:
            raise RemoteProtocolError(
                "the stream already violated the protocol", error_hint="broken"
            )
        try:
            for sse in self._sse.feed(data):
                self._on_data(sse.data)
        except RemoteProtocolError:
            self.state = StreamState.BROKEN
            raise

    def receive_eof(self) -> None:
        """The body ended. Unfinished choices make it ``interrupted`` (with an `APIError`);
        otherwise it is ``completed`` without the ``[DONE]`` marker. Idempotent."""
        if self._eof:
            return
        self._eof = True
        self._sse.feed_eof()
        if self.state is StreamState.BROKEN or self.state is StreamState.DONE:
            return
        unfinished = not self._choices or any(
            c.finish_reason is None for c in self._choices.values()
        )
        if unfinished:
            error = APIError.build(
                "the stream ended before every choice finished",
                code="stream_interrupted",
                source="transport",
            )
            self._queue.push(error)
            self._finish("interrupted", error=error, done_marker=False)
        else:
            self._finish("completed", error=None, done_marker=False)
        self.state = _TRANSITIONS[(self.state, _Input.EOF)]

    # ----------------------------------------------------------------- output verbs

    def next_event(self) -> Any | NeedData:
        """The next event, or `NEED_DATA` when more input is needed."""
        return self._queue.pop()

    def events(self) -> Iterator[Any]:
        """Drain events until `NEED_DATA` or the `ChatEnd`."""
        return self._queue.drain()

    def data_to_send(self) -> list[bytes]:
        """Nothing: a streamed HTTP response has no outgoing messages."""
        return []

    # ------------------------------------------------------------------ internals

    def _on_data(self, data: bytes) -> None:
        if self.state is _DONE:
            self.trailing_events += 1
            return
        if data[:6] == b"[DONE]":
            self.state = _TRANSITIONS[(self.state, _Input.DONE_MARKER)]
            self._finish_open_choices()
            self._finish("completed", error=None, done_marker=True)
            return
        decoded = _decode_chat(data)
        detail = decoded.error if type(decoded) is ChatStreamErrorObject else _chunk_error(data)
        if detail is not None:
            self.state = _TRANSITIONS[(self.state, _Input.ERROR)]
            error = APIError.build(
                detail.message or "the server reported an error",
                code=detail.code,
                type=detail.type,
                param=detail.param,
                source="stream",
            )
            self._queue.push(error)
            self._finish("error", error=error, done_marker=False)
            return
        if self.state is not _IN_PROGRESS:  # the (IN_PROGRESS, CHUNK) self-loop needs no lookup
            self.state = _TRANSITIONS[(self.state, _Input.CHUNK)]
        self._on_chunk(decoded)

    def _on_chunk(self, chunk: ChatCompletionChunk) -> None:
        first = self._first
        # id/model/created come from the first real chunk, not from a preamble such as Azure's
        # content-filter chunk (``"object": ""``, ``"id": ""``, ``"choices": []``)
        if first is None or (
            first.object != "chat.completion.chunk" and chunk.object == "chat.completion.chunk"
        ):
            self._first = chunk
        if chunk.service_tier is not None:
            self._service_tier = chunk.service_tier
        usage = chunk.usage
        if usage is not None:
            self._usage = flatten_usage(
                input_tokens=usage.prompt_tokens,
                output_tokens=usage.completion_tokens,
                total_tokens=usage.total_tokens,
                input_details=usage.prompt_tokens_details,
                output_details=usage.completion_tokens_details,
                raw=msgspec.to_builtins(usage),
            )
        self._queue.push(chunk)
        for choice in chunk.choices:
            self._on_choice(choice)

    def _choice(self, index: int) -> _Choice:
        state = self._choices.get(index)
        if state is None:
            if len(self._choices) >= self.max_items:
                raise RemoteProtocolError(
                    f"more than {self.max_items} choices", error_hint="too_many_items"
                )
            state = self._choices[index] = _Choice(index)
        return state

    def _text(self, text: str) -> None:
        self._chars += len(text)
        if self._chars > self.max_text_chars:
            raise RemoteProtocolError(
                f"more than {self.max_text_chars} characters of deltas",
                error_hint="text_too_large",
            )

    def _on_choice(self, choice: ChunkChoice) -> None:
        state = self._choice(choice.index)
        delta = choice.delta
        if delta.role is not None and state.role is None:
            state.role = delta.role
        if delta.content is not None:
            self._text(delta.content)
            if state.content is None:
                state.content = []
            state.content.append(delta.content)
        if delta.refusal is not None:
            self._text(delta.refusal)
            if state.refusal is None:
                state.refusal = []
            state.refusal.append(delta.refusal)
        if delta.tool_calls:
            for fragment in delta.tool_calls:
                call = state.open_calls.get(fragment.index)
                if call is None or (
                    fragment.id is not None and call.id is not None and fragment.id != call.id
                ):
                    self._calls += 1
                    if self._calls > self.max_items:
                        raise RemoteProtocolError(
                            f"more than {self.max_items} tool calls", error_hint="too_many_items"
                        )
                    call = state.open_calls[fragment.index] = _Call(fragment.index)
                    state.calls.append(call)
                if fragment.id is not None and call.id is None:
                    call.id = fragment.id
                if fragment.type is not None and call.type is None:
                    call.type = fragment.type
                function = fragment.function
                if function is not None:
                    if function.name and call.name is None:
                        call.name = function.name
                    if function.arguments:
                        self._text(function.arguments)
                        call.arguments.append(function.arguments)
        legacy = delta.function_call
        if legacy is not None:
            if state.function_call is None:
                state.function_call = _Call(0)
            if legacy.name and state.function_call.name is None:
                state.function_call.name = legacy.name
            if legacy.arguments:
                self._text(legacy.arguments)
                state.function_call.arguments.append(legacy.arguments)
        logprobs = choice.logprobs
        if logprobs is not None:
            if logprobs.content is not None:
                if state.logprobs_content is None:
                    state.logprobs_content = []
                state.logprobs_content.extend(logprobs.content)
            if logprobs.refusal is not None:
                if state.logprobs_refusal is None:
                    state.logprobs_refusal = []
                state.logprobs_refusal.extend(logprobs.refusal)
        if choice.finish_reason is not None and state.finish_reason is None:
            state.finish_reason = choice.finish_reason
            self._emit_choice(state)

    def _assemble(self, state: _Choice) -> ChatChoiceResult:
        return ChatChoiceResult(
            index=state.index,
            role=state.role,
            content=None if state.content is None else "".join(state.content),
            refusal=None if state.refusal is None else "".join(state.refusal),
            tool_calls=tuple(
                _finish_call(call, state.index)
                for call in sorted(state.calls, key=lambda c: c.index)
            ),
            finish_reason=state.finish_reason,
            logprobs_content=state.logprobs_content,
            logprobs_refusal=state.logprobs_refusal,
            function_call=(
                _finish_call(state.function_call, state.index) if state.function_call else None
            ),
        )

    def _emit_choice(self, state: _Choice) -> None:
        result = self._assemble(state)
        for call in result.tool_calls:
            self._queue.push(call)
        if result.function_call is not None:
            self._queue.push(result.function_call)
        self._queue.push(ChatChoiceDone(result))

    def _finish_open_choices(self) -> None:
        """``[DONE]`` with a choice that never got a ``finish_reason``: nothing more will
        come, so its calls are surfaced now (its ``finish_reason`` stays ``None``)."""
        for index in sorted(self._choices):
            state = self._choices[index]
            if state.finish_reason is None:
                self._emit_choice(state)

    def _finish(self, status: ChatStatus, *, error: APIError | None, done_marker: bool) -> None:
        first = self._first
        result = ChatResult(
            status=status,
            id=first.id if first else None,
            model=first.model if first else None,
            created=first.created if first else None,
            system_fingerprint=first.system_fingerprint if first else None,
            service_tier=self._service_tier,
            choices=tuple(self._assemble(self._choices[i]) for i in sorted(self._choices)),
            usage=self._usage,
            error=error,
            done_marker=done_marker,
        )
        self.result = result
        self._queue.push(ChatEnd(result))

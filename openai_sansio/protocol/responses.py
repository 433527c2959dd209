"""`ResponseStream`: one streamed Responses API response, bytes (or messages) in, events out.

Feed it the SSE body of ``POST /v1/responses`` (``receive_data``), or, on the WebSocket,
one message at a time (``receive_message``) or already-decoded events (``receive_event``).
It hands out, in wire order:

- every wire event, typed (unknown ``type`` values pass through as `UnknownEvent`);
- a `ToolCall` per function call, exactly once, right after its ``response.output_item.done``
  (the done payload's ``arguments`` win over concatenated deltas), or at the terminal event
  for a call the server never closed with ``output_item.done``;
- an `APIError` when the response failed, the server sent ``error``, or the stream ended
  before a terminal event;
- finally one `ResponseEnd` with the assembled `ResponseResult`.

Lifecycle (table `_TRANSITIONS`)::

    AWAITING --lifecycle/item--> IN_PROGRESS --terminal/error/eof--> DONE
    AWAITING --terminal/error/eof--> DONE          BROKEN: after a RemoteProtocolError

Item events before ``response.created`` are tolerated (some compatible servers skip it);
events after the end are counted in `trailing_events` and dropped; ``data: [DONE]`` is ignored.
When resuming a background stream (``GET /v1/responses/{id}?stream=true&starting_after=N``),
pass ``starting_after=N``: events with a ``sequence_number`` at or below it are dropped.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterator
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
from .events.common import APIError, NeedData, TokenUsage, ToolCall
from .events.responses import (
    ErrorEvent,
    OutputItem,
    Response,
    ResponseCompleted,
    ResponseCreated,
    ResponseFailed,
    ResponseFunctionCallArgumentsDelta,
    ResponseFunctionCallArgumentsDone,
    ResponseIncomplete,
    ResponseInProgress,
    ResponseOutputItemAdded,
    ResponseOutputItemDone,
    ResponseOutputTextDelta,
    ResponseOutputTextDone,
    ResponseQueued,
    ResponseReasoningSummaryTextDelta,
    ResponseReasoningSummaryTextDone,
    ResponseRefusalDelta,
    ResponseRefusalDone,
)

__all__ = ["ResponseEnd", "ResponseResult", "ResponseStatus", "ResponseStream", "StreamState"]

ResponseStatus = Literal["in_progress", "completed", "incomplete", "failed", "error", "interrupted"]


class StreamState(enum.Enum):
    """States of a stream machine (shared by `ResponseStream` and `ChatStream`)."""

    AWAITING = "awaiting"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    BROKEN = "broken"

    # Members are singletons: identity hashing makes the transition-table lookup ~3x cheaper
    # than Enum's Python-level __hash__ on CPython 3.11 (bench/proto_suggestions.py).
    __hash__ = object.__hash__


class _Input(enum.Enum):
    LIFECYCLE = "lifecycle"
    ITEM = "item"
    TERMINAL = "terminal"
    ERROR = "error"
    EOF = "eof"

    __hash__ = object.__hash__


_S = StreamState
_I = _Input
_IN_PROGRESS: Final = StreamState.IN_PROGRESS
_DONE: Final = StreamState.DONE
_ITEM: Final = _Input.ITEM
_decode_responses: Final = server_decoder("responses")
_TRANSITIONS: Final[dict[tuple[StreamState, _Input], StreamState]] = {
    (_S.AWAITING, _I.LIFECYCLE): _S.IN_PROGRESS,
    (_S.AWAITING, _I.ITEM): _S.IN_PROGRESS,
    (_S.AWAITING, _I.TERMINAL): _S.DONE,
    (_S.AWAITING, _I.ERROR): _S.DONE,
    (_S.AWAITING, _I.EOF): _S.DONE,
    (_S.IN_PROGRESS, _I.LIFECYCLE): _S.IN_PROGRESS,
    (_S.IN_PROGRESS, _I.ITEM): _S.IN_PROGRESS,
    (_S.IN_PROGRESS, _I.TERMINAL): _S.DONE,
    (_S.IN_PROGRESS, _I.ERROR): _S.DONE,
    (_S.IN_PROGRESS, _I.EOF): _S.DONE,
    (_S.DONE, _I.EOF): _S.DONE,
}
"""Every (state, input) pair not listed: in DONE the event is a trailing one (dropped and
counted, not even decoded); in BROKEN every input raises, except ``receive_eof``, which
only closes the SSE decoder (the caller already got the `RemoteProtocolError`)."""


class ResponseResult(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """What one response came to. `text` joins the ``output_text`` of every message item,
    `refusal` every refusal, `reasoning_summary` every summary text, in output order."""

    status: ResponseStatus
    response_id: str | None = None
    model: str | None = None
    text: str = ""
    refusal: str = ""
    reasoning_summary: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    usage: TokenUsage | None = None
    error: APIError | None = None
    incomplete_reason: str | None = None
    output: tuple[OutputItem, ...] = ()
    response: Response | None = None


class ResponseEnd(msgspec.Struct, frozen=True, gc=False):
    """The last event of a `ResponseStream`: the response is over, for whatever reason."""

    result: ResponseResult

    @property
    def status(self) -> ResponseStatus:
        return self.result.status


_TERMINAL_STATUS: Final[dict[type[Any], ResponseStatus]] = {
    ResponseCompleted: "completed",
    ResponseIncomplete: "incomplete",
    ResponseFailed: "failed",
}


class ResponseStream:
    """Assemble one streamed response. Pure: no I/O, no clock.

    Call `receive_data` with each body chunk (or `receive_message`/`receive_event`), then
    drain `next_event`/`events`; call `receive_eof` when the body ends. `result` is the final
    `ResponseResult` once `ResponseEnd` was produced. `data_to_send` is always empty over
    SSE (present for the shared verb set). Bounds: `max_items` output items, `max_parts`
    (4 x `max_items`) buffered content parts, `max_text_chars` characters of deltas.
    """

    def __init__(
        self,
        *,
        max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
        max_items: int = DEFAULT_MAX_ITEMS,
        max_text_chars: int = DEFAULT_MAX_TEXT_CHARS,
        starting_after: int | None = None,
    ) -> None:
        self._sse = SSEDecoder(max_event_bytes=max_event_bytes)
        self._queue = EventQueue((ResponseEnd,))
        self.state = StreamState.AWAITING
        self.max_items = max_items
        self.max_text_chars = max_text_chars
        self.trailing_events = 0
        self.result: ResponseResult | None = None
        self._eof = False
        self._starting_after = starting_after
        self._response: Response | None = None
        self._items: dict[int, OutputItem] = {}
        self._final_items: dict[int, OutputItem] = {}
        self._text: dict[tuple[int, int], list[str]] = {}
        self._text_done: dict[tuple[int, int], str] = {}
        self._refusal: dict[tuple[int, int], list[str]] = {}
        self._refusal_done: dict[tuple[int, int], str] = {}
        self._summary: dict[tuple[int, int], list[str]] = {}
        self._summary_done: dict[tuple[int, int], str] = {}
        self._args: dict[int, list[str]] = {}
        self._args_done: dict[int, str] = {}
        self._chars = 0
        self._parts = 0
        self.max_parts = max_items * 4
        self._surfaced: set[str] = set()
        self._tool_calls: list[ToolCall] = []
        self._handlers: dict[type[Any], Callable[[Any], None]] = {
            ResponseCreated: self._on_lifecycle,
            ResponseQueued: self._on_lifecycle,
            ResponseInProgress: self._on_lifecycle,
            ResponseOutputItemAdded: self._on_item_added,
            ResponseOutputItemDone: self._on_item_done,
            ResponseOutputTextDelta: self._on_text_delta,
            ResponseOutputTextDone: self._on_text_done,
            ResponseRefusalDelta: self._on_refusal_delta,
            ResponseRefusalDone: self._on_refusal_done,
            ResponseReasoningSummaryTextDelta: self._on_summary_delta,
            ResponseReasoningSummaryTextDone: self._on_summary_done,
            ResponseFunctionCallArgumentsDelta: self._on_args_delta,
            ResponseFunctionCallArgumentsDone: self._on_args_done,
            ResponseCompleted: self._on_terminal,
            ResponseIncomplete: self._on_terminal,
            ResponseFailed: self._on_terminal,
            ErrorEvent: self._on_error,
        }

    # ------------------------------------------------------------------ input verbs

    def receive_data(self, data: bytes) -> None:
        """Feed a chunk of the SSE body (any split). Then drain `next_event`/`events`.

        Raises `RemoteProtocolError` on bad framing, bad JSON or a schema violation (the
        machine is then BROKEN), `LocalProtocolError` when called after `receive_eof`.
        """
        if self._eof:
            raise LocalProtocolError("receive_data after receive_eof", error_hint="after_eof")
        self._check_usable()
        handlers = self._handlers
        resumed = self._starting_after is not None
        try:
            for sse in self._sse.feed(data):
                payload = sse.data
                if payload.startswith(b"[DONE]"):
                    continue
                if self.state is _DONE:
                    self.trailing_events += 1  # not even decoded: the response is over
                    continue
                event = _decode_responses(payload)
                handler = handlers.get(type(event))
                if handler is None or resumed:
                    self._process(event)  # pass-through events and resumed streams
                else:
                    handler(event)  # `_process`, inlined for the common case
        except RemoteProtocolError:
            self.state = StreamState.BROKEN
            raise

    def receive_message(self, text: str | bytes) -> None:
        """Feed one WebSocket message (one JSON event). Then drain `next_event`/`events`."""
        self._check_usable()
        if self.state is StreamState.DONE:
            self.trailing_events += 1
            return
        try:
            self._process(_decode_responses(text))
        except RemoteProtocolError:
            self.state = StreamState.BROKEN
            raise

    def receive_event(self, event: Any) -> None:
        """Feed one already-decoded event (the WebSocket conversation machine does this)."""
        self._check_usable()
        self._process(event)

    def receive_eof(self) -> None:
        """The body (or socket) ended. Without a terminal event this produces an `APIError`
        (``stream_interrupted``) and a `ResponseEnd` with status ``interrupted``. Idempotent."""
        if self._eof:
            return
        self._eof = True
        self._sse.feed_eof()
        if self.state is StreamState.BROKEN:
            return
        if self.state is not StreamState.DONE:
            error = APIError.build(
                "the stream ended before a terminal event",
                code="stream_interrupted",
                source="transport",
            )
            self._queue.push(error)
            self._finish("interrupted", error=error)
        self.state = _TRANSITIONS[(self.state, _Input.EOF)]

    # ----------------------------------------------------------------- output verbs

    def next_event(self) -> Any | NeedData:
        """The next event, or `NEED_DATA` when more input is needed."""
        return self._queue.pop()

    def events(self) -> Iterator[Any]:
        """Drain events until `NEED_DATA` or the `ResponseEnd`."""
        return self._queue.drain()

    def data_to_send(self) -> list[bytes]:
        """Nothing: a streamed HTTP response has no outgoing messages."""
        return []

    # ------------------------------------------------------------------ internals

    def _check_usable(self) -> None:
        if self.state is StreamState.BROKEN:
            raise RemoteProtocolError(
                "the stream already violated the protocol", error_hint="broken"
            )

    def _process(self, event: Any) -> None:
        if self._starting_after is not None:
            seq = getattr(event, "sequence_number", None)
            if seq is not None and seq <= self._starting_after:
                return  # replayed by a resumed background stream: handled before
        if self.state is _DONE:
            self.trailing_events += 1
            return
        handler = self._handlers.get(type(event))
        if handler is None:
            self._advance(_Input.ITEM)
            self._queue.push(event)
            return
        handler(event)

    def _advance(self, what: _Input) -> None:
        state = self.state
        if state is _IN_PROGRESS and what is _ITEM:
            return  # the table's self-loop, taken by almost every event: skip the lookup
        self.state = _TRANSITIONS[(state, what)]

    def _budget(self, text: str) -> None:
        self._chars += len(text)
        if self._chars > self.max_text_chars:
            self.state = StreamState.BROKEN
            raise RemoteProtocolError(
                f"more than {self.max_text_chars} characters of deltas",
                error_hint="text_too_large",
            )

    def _new_part(self) -> None:
        self._parts += 1
        if self._parts > self.max_parts:
            self.state = StreamState.BROKEN
            raise RemoteProtocolError(
                f"more than {self.max_parts} content parts", error_hint="too_many_parts"
            )

    def _append(self, store: dict[Any, list[str]], key: Any, delta: str) -> None:
        """Buffer a delta under its part key, within the text and part budgets."""
        self._budget(delta)
        parts = store.get(key)
        if parts is None:
            self._new_part()
            parts = store[key] = []
        parts.append(delta)

    def _record(self, store: dict[Any, str], key: Any, value: str) -> None:
        """Keep a part's authoritative ``.done`` value, within the part budget."""
        if key not in store:
            self._new_part()
        store[key] = value

    def _on_lifecycle(self, event: Any) -> None:
        self._advance(_Input.LIFECYCLE)
        self._response = event.response
        self._queue.push(event)

    def _on_item_added(self, event: ResponseOutputItemAdded) -> None:
        self._advance(_Input.ITEM)
        if event.output_index not in self._items and len(self._items) >= self.max_items:
            self.state = StreamState.BROKEN
            raise RemoteProtocolError(
                f"more than {self.max_items} output items", error_hint="too_many_items"
            )
        self._items[event.output_index] = event.item
        self._queue.push(event)

    def _on_item_done(self, event: ResponseOutputItemDone) -> None:
        self._advance(_Input.ITEM)
        index = event.output_index
        if index not in self._items and len(self._items) >= self.max_items:
            self.state = StreamState.BROKEN
            raise RemoteProtocolError(
                f"more than {self.max_items} output items", error_hint="too_many_items"
            )
        self._items.setdefault(index, event.item)
        self._final_items[index] = event.item
        self._queue.push(event)
        if event.item.type == "function_call":
            self._surface(event.item, index)

    def _on_text_delta(self, event: ResponseOutputTextDelta) -> None:
        # the hottest path: `_advance` and `_append` inlined (same table, same bounds)
        if self.state is not _IN_PROGRESS:
            self._advance(_ITEM)
        delta = event.delta
        self._chars += len(delta)
        parts = self._text.get((event.output_index, event.content_index))
        if parts is None or self._chars > self.max_text_chars:
            self._chars -= len(delta)
            self._append(self._text, (event.output_index, event.content_index), delta)
        else:
            parts.append(delta)
        self._queue.push(event)

    def _on_text_done(self, event: ResponseOutputTextDone) -> None:
        self._advance(_Input.ITEM)
        self._record(self._text_done, (event.output_index, event.content_index), event.text)
        self._queue.push(event)

    def _on_refusal_delta(self, event: ResponseRefusalDelta) -> None:
        self._advance(_Input.ITEM)
        self._append(self._refusal, (event.output_index, event.content_index), event.delta)
        self._queue.push(event)

    def _on_refusal_done(self, event: ResponseRefusalDone) -> None:
        self._advance(_Input.ITEM)
        self._record(self._refusal_done, (event.output_index, event.content_index), event.refusal)
        self._queue.push(event)

    def _on_summary_delta(self, event: ResponseReasoningSummaryTextDelta) -> None:
        self._advance(_Input.ITEM)
        self._append(self._summary, (event.output_index, event.summary_index), event.delta)
        self._queue.push(event)

    def _on_summary_done(self, event: ResponseReasoningSummaryTextDone) -> None:
        self._advance(_Input.ITEM)
        self._record(self._summary_done, (event.output_index, event.summary_index), event.text)
        self._queue.push(event)

    def _on_args_delta(self, event: ResponseFunctionCallArgumentsDelta) -> None:
        self._advance(_Input.ITEM)
        self._append(self._args, event.output_index, event.delta)
        self._queue.push(event)

    def _on_args_done(self, event: ResponseFunctionCallArgumentsDone) -> None:
        self._advance(_Input.ITEM)
        self._record(self._args_done, event.output_index, event.arguments)
        self._queue.push(event)

    def _surface(self, item: OutputItem, index: int) -> None:
        """Emit the `ToolCall` of a ``function_call`` item unless it was emitted already.

        An item with status ``incomplete`` (cut by ``max_output_tokens``) is never surfaced:
        its arguments may be truncated, so it must not be dispatched; it stays visible in
        `ResponseResult.output`."""
        key = item.id if item.id is not None else f"#{index}"
        if key in self._surfaced or item.status == "incomplete":
            return
        self._surfaced.add(key)
        added = self._items.get(index)
        arguments = item.arguments if isinstance(item.arguments, str) else None
        if arguments is None:
            arguments = self._args_done.get(index)
        if arguments is None:
            arguments = "".join(self._args.get(index, ()))
        call = ToolCall.assemble(
            call_id=item.call_id or (added.call_id if added else None) or "",
            name=item.name or (added.name if added else None) or "",
            arguments=arguments,
            item_id=item.id,
            index=index,
        )
        self._tool_calls.append(call)
        self._queue.push(call)

    def _on_terminal(self, event: ResponseCompleted | ResponseIncomplete | ResponseFailed) -> None:
        self._advance(_Input.TERMINAL)
        response = event.response
        self._response = response
        self._queue.push(event)
        for index, item in enumerate(response.items):
            if item.type == "function_call":
                self._surface(item, index)
        status = _TERMINAL_STATUS[type(event)]
        error = None
        if status == "failed":
            detail = response.error
            error = APIError.build(
                (detail.message if detail else None) or "the response failed",
                code=detail.code if detail else None,
                type=detail.type if detail else None,
                param=detail.param if detail else None,
                source="response",
            )
            self._queue.push(error)
        self._finish(status, error=error)

    def _on_error(self, event: ErrorEvent) -> None:
        self._advance(_Input.ERROR)
        self._queue.push(event)
        detail = event.detail()
        error = APIError.build(
            detail.message or "the server reported an error",
            code=detail.code,
            type=detail.type,
            param=detail.param,
            status=event.status,
            source="stream",
        )
        self._queue.push(error)
        self._finish("error", error=error)

    def _finish(self, status: ResponseStatus, *, error: APIError | None) -> None:
        response = self._response
        output = self._assemble_output()
        text, refusal = self._texts(output)
        usage = None
        incomplete_reason = None
        if response is not None:
            raw = response.usage
            if raw is not None:
                usage = flatten_usage(
                    input_tokens=raw.input_tokens,
                    output_tokens=raw.output_tokens,
                    total_tokens=raw.total_tokens,
                    input_details=raw.input_tokens_details,
                    output_details=raw.output_tokens_details,
                    raw=msgspec.to_builtins(raw),
                )
            details = response.incomplete_details
            if isinstance(details, dict) and isinstance(details.get("reason"), str):
                incomplete_reason = details["reason"]
        result = ResponseResult(
            status=status,
            response_id=response.id if response is not None else None,
            model=response.model if response is not None else None,
            text=text,
            refusal=refusal,
            reasoning_summary=self._summary_text(),
            tool_calls=tuple(self._tool_calls),
            usage=usage,
            error=error,
            incomplete_reason=incomplete_reason,
            output=tuple(output.values()),
            response=response,
        )
        self.result = result
        self._queue.push(ResponseEnd(result))

    def _assemble_output(self) -> dict[int, OutputItem]:
        """The output items by ``output_index``: the terminal response's when it has them
        (authoritative), else the ``output_item.done`` payloads, else what
        ``output_item.added`` announced."""
        response = self._response
        if response is not None and response.output:
            return dict(enumerate(response.output))
        merged = dict(self._items)
        merged.update(self._final_items)
        return {index: merged[index] for index in sorted(merged)}

    def _texts(self, output: dict[int, OutputItem]) -> tuple[str, str]:
        """Text and refusal in ``output_index`` order: a finalised item's content, else (an
        interrupted or failed stream) the ``.done`` text or the deltas of its parts."""
        pending: dict[int, list[tuple[int, int]]] = {}
        for store in (self._text, self._text_done, self._refusal, self._refusal_done):
            for key in store:
                pending.setdefault(key[0], []).append(key)
        text: list[str] = []
        refusal: list[str] = []
        for index in sorted(set(output) | set(pending)):
            item = output.get(index)
            if item is not None and item.content:
                if item.type == "message":
                    for part in item.content:
                        if part.type == "output_text" and part.text is not None:
                            text.append(part.text)
                        elif part.type == "refusal" and part.refusal is not None:
                            refusal.append(part.refusal)
                continue
            for key in sorted(set(pending.get(index, ()))):
                for deltas, done, into in (
                    (self._text, self._text_done, text),
                    (self._refusal, self._refusal_done, refusal),
                ):
                    final = done.get(key)
                    if final is not None:
                        into.append(final)
                    elif key in deltas:
                        into.append("".join(deltas[key]))
        return "".join(text), "".join(refusal)

    def _summary_text(self) -> str:
        parts: list[str] = []
        for key in sorted(set(self._summary) | set(self._summary_done)):
            done = self._summary_done.get(key)
            parts.append(done if done is not None else "".join(self._summary.get(key, ())))
        return "\n\n".join(parts)

"""Responses API script: request JSON -> SSE events and the final ``response`` object (pure).

What: `parse_request()` (from `responses_request`, re-exported) validates a
``POST /v1/responses`` body into a `ResponsesRequest`; `script()` turns it (plus the remembered
chain of ``previous_response_id``, if any) into the exact event sequence the real API streams:
``response.created``, ``response.in_progress``, per output item ``output_item.added`` /
content part / text or argument deltas / ``.done``, then ``response.completed`` (or
``.incomplete`` / ``.failed`` / an ``error`` event when a fault knob asks), with
``sequence_number`` 0, 1, 2, ...
Why: no I/O here, so the whole script is unit-testable and deterministic.
The same script serves both transports: the HTTP router encodes `ResponsesScript.events` as
SSE frames, the WebSocket engine (`ws_engine`) sends them one JSON text frame each; only the
WebSocket uses ``generate=False`` (warm-up: no output) and ``steer_cut`` (a steered response).
Next: the router encodes `ResponsesScript.events` as ``event: <type>\\ndata: <json>\\n\\n``
frames (or sends `ResponsesScript.final` as JSON) and stores `ResponsesScript.record` when
``store`` is not false.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from . import rules
from .faults import EmulatorConfig
from .ids import IdSource
from .responses_request import ResponsesRequest, parse_input, parse_request
from .rules import Call, Item, Message

__all__ = [
    "ChainRecord",
    "ResponsesRequest",
    "ResponsesScript",
    "parse_input",
    "parse_request",
    "script",
]


@dataclass(frozen=True)
class ChainRecord:
    """What the emulator remembers of a response, for ``previous_response_id``.

    `items` is the whole conversation including the response's own output items;
    `context_tokens` the tokens of those items (the instructions and tools of a request are
    not inherited by a continuation, which sends its own; they count once per request).
    """

    items: tuple[Item, ...]
    context_tokens: int


@dataclass(frozen=True)
class ResponsesScript:
    """Events to stream (dicts, in order), the final response object, and the chain record.

    `record` is None when the response failed or was cut by an injected ``error`` event;
    otherwise it is set whatever ``store`` says (the WebSocket caches unstored responses on
    the connection; the HTTP router remembers only stored ones).
    """

    response_id: str
    events: list[dict[str, Any]]
    final: dict[str, Any]
    record: ChainRecord | None


@dataclass
class _Planned:
    """One output item being scripted: message (`name` None) or function call."""

    item_id: str
    pieces: list[str]
    name: str | None = None
    call_id: str = ""
    status: str = "completed"

    def content(self) -> str:
        return "".join(self.pieces)

    def tokens(self) -> int:
        return rules.count_tokens(self.content()) + rules.count_tokens(self.name or "")

    def item(self, status: str | None = None, *, empty: bool = False) -> dict[str, Any]:
        text = "" if empty else self.content()
        state = status or self.status
        if self.name is None:
            parts = [] if empty else [_text_part(text)]
            return {
                "id": self.item_id,
                "type": "message",
                "status": state,
                "content": parts,
                "role": "assistant",
            }
        return {
            "id": self.item_id,
            "type": "function_call",
            "status": state,
            "arguments": text,
            "call_id": self.call_id,
            "name": self.name,
        }

    def as_item(self) -> Item:
        if self.name is None:
            return Message("assistant", self.content())
        return Call(self.call_id, self.name, self.content())


def _text_part(text: str) -> dict[str, Any]:
    return {"type": "output_text", "annotations": [], "logprobs": [], "text": text}


def _plan(req: ResponsesRequest, decision: rules.Decision, ids: IdSource) -> list[_Planned]:
    if decision.calls:
        return [
            _Planned(
                item_id=ids.function_call_id(i),
                pieces=rules.split_chunks(call.arguments),
                name=call.name,
                call_id=ids.call_id(f"resp:{i}"),
            )
            for i, call in enumerate(decision.calls)
        ]
    pieces = rules.split_words(decision.text)
    if req.max_output_tokens is not None:
        kept: list[str] = []
        for piece in pieces:
            if rules.count_tokens("".join([*kept, piece])) > req.max_output_tokens:
                break
            kept.append(piece)
        if len(kept) < len(pieces):
            return [_Planned(ids.message_id(0), kept, status="incomplete")]
    return [_Planned(ids.message_id(0), pieces)]


def _truncate(planned: list[_Planned]) -> list[_Planned]:
    """Keep the first item only, cut to half its deltas, marked incomplete (for the faults)."""
    first = planned[0]
    half = first.pieces[: max(1, len(first.pieces) // 2)]
    return [_Planned(first.item_id, half, first.name, first.call_id, "incomplete")]


def script(
    req: ResponsesRequest,
    prior: ChainRecord | None,
    ids: IdSource,
    config: EmulatorConfig,
    *,
    generate: bool = True,
    steer_cut: int | None = None,
) -> ResponsesScript:
    """Script one response for `req`; `prior` is the chain of its ``previous_response_id``.

    `generate` False is the WebSocket warm-up: no output items, a completed response whose
    record still holds the input. `steer_cut` k: a text answer is steered after its first k
    deltas (the message ends ``incomplete``, the response ``response.incomplete`` with reason
    ``steered``); the first events are exactly those of the uncut script, so a transport that
    already sent them can continue with the rest. Ignored for function calls and faults.
    """
    history = (prior.items if prior else ()) + req.items
    planned: list[_Planned] = []
    if generate:
        decision = rules.decide(history, req.tools, req.choice, parallel=req.parallel)
        planned = _plan(req, decision, ids)
    failing = config.fail_response
    if (failing or config.incomplete) and planned:
        planned = _truncate(planned)
    steered = (
        steer_cut is not None
        and not failing
        and len(planned) == 1
        and planned[0].name is None
        and steer_cut < len(planned[0].pieces)
    )
    if steered:
        planned = [_Planned(planned[0].item_id, planned[0].pieces[:steer_cut], status="incomplete")]
    incomplete = not failing and any(p.status == "incomplete" for p in planned)

    resp_id = ids.response_id()
    out = _Out(ids, req.obfuscate)
    snapshot = _Snapshot(req, resp_id, ids.created)
    out.emit("response.created", response=snapshot.build("in_progress"))
    out.emit("response.in_progress", response=snapshot.build("in_progress"))
    for index, item in enumerate(planned):
        _emit_item(out, index, item, finish=not failing)

    inherited = prior.context_tokens if prior else 0
    item_tokens = inherited + sum(rules.item_tokens(i) for i in req.items)
    preamble = (
        rules.count_tokens(req.instructions) if isinstance(req.instructions, str) else 0
    ) + rules.count_tokens(json.dumps(req.echo["tools"]))
    input_tokens = item_tokens + preamble
    # a continuation's prompt-cache hit: the instructions and tools (taken as unchanged) and
    # the inherited items; a fresh chain is a miss
    cached = inherited + preamble if prior else 0
    output_tokens = sum(p.tokens() for p in planned)
    usage = {
        "input_tokens": input_tokens,
        "input_tokens_details": {"cache_write_tokens": 0, "cached_tokens": cached},
        "output_tokens": output_tokens,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": input_tokens + output_tokens,
    }
    output = [p.item() for p in planned]
    if failing:
        error = {
            "code": config.error_code or "server_error",
            "message": "The model failed to generate a response (emulated fault).",
        }
        final = snapshot.build("failed", output=output, usage=usage, error=error)
        out.emit("response.failed", response=final)
    elif incomplete:
        details = {"reason": "steered" if steered else "max_output_tokens"}
        final = snapshot.build("incomplete", output=output, usage=usage, incomplete=details)
        out.emit("response.incomplete", response=final)
    else:
        final = snapshot.build("completed", output=output, usage=usage, completed=True)
        out.emit("response.completed", response=final)

    events = out.events
    injected = config.inject_error_after is not None and req.stream
    if config.inject_error_after is not None and injected:
        cut = min(config.inject_error_after, len(events) - 1)
        events = events[:cut]
        events.append(
            {
                "type": "error",
                "code": config.error_code or "server_error",
                "message": "The server had an error while processing your request (emulated).",
                "param": None,
                "sequence_number": cut,
            }
        )
    record = None
    if not failing and not injected:
        items = history + tuple(p.as_item() for p in planned)
        # instructions and tools are per request: a continuation does not inherit them
        record = ChainRecord(items, item_tokens + output_tokens)
    return ResponsesScript(resp_id, events, final, record)


class _Out:
    """Collects events, numbering them and adding obfuscation padding to deltas."""

    def __init__(self, ids: IdSource, obfuscate: bool) -> None:
        self.events: list[dict[str, Any]] = []
        self._ids = ids
        self._obfuscate = obfuscate

    def emit(self, type_: str, **fields: Any) -> None:
        event: dict[str, Any] = {"type": type_, "sequence_number": len(self.events), **fields}
        if self._obfuscate and "delta" in fields:
            event["obfuscation"] = self._ids.obfuscation(str(len(self.events)), fields["delta"])
        self.events.append(event)


class _Snapshot:
    """Builds the ``response`` object at each lifecycle step, echoing the request."""

    def __init__(self, req: ResponsesRequest, resp_id: str, created_at: int) -> None:
        self._req = req
        self._id = resp_id
        self._created = created_at

    def build(
        self,
        status: str,
        *,
        output: list[dict[str, Any]] | None = None,
        usage: dict[str, Any] | None = None,
        error: dict[str, Any] | None = None,
        incomplete: dict[str, Any] | None = None,
        completed: bool = False,
    ) -> dict[str, Any]:
        req, echo = self._req, self._req.echo
        return {
            "id": self._id,
            "object": "response",
            "created_at": self._created,
            "status": status,
            "background": False,
            "completed_at": self._created + 1 if completed else None,
            "error": error,
            "incomplete_details": incomplete,
            "instructions": req.instructions,
            "max_output_tokens": req.max_output_tokens,
            "max_tool_calls": None,
            "model": req.model,
            "output": output or [],
            "parallel_tool_calls": req.parallel,
            "previous_response_id": req.previous_response_id,
            "prompt_cache_key": None,
            "reasoning": echo["reasoning"],
            "safety_identifier": None,
            "service_tier": "default",
            "store": req.store,
            "temperature": echo["temperature"],
            "text": echo["text"],
            "tool_choice": echo["tool_choice"],
            "tools": echo["tools"],
            "top_logprobs": 0,
            "top_p": echo["top_p"],
            "truncation": "disabled",
            "usage": usage,
            "user": None,
            "metadata": echo["metadata"],
        }


def _emit_item(out: _Out, index: int, item: _Planned, *, finish: bool) -> None:
    """Emit one output item's events; without `finish` stop after the deltas (a failure)."""
    out.emit(
        "response.output_item.added", output_index=index, item=item.item("in_progress", empty=True)
    )
    where = {"item_id": item.item_id, "output_index": index}
    if item.name is None:
        part = {**where, "content_index": 0}
        out.emit("response.content_part.added", **part, part=_text_part(""))
        for piece in item.pieces:
            out.emit("response.output_text.delta", **part, delta=piece, logprobs=[])
        if not finish:
            return
        text = item.content()
        out.emit("response.output_text.done", **part, text=text, logprobs=[])
        out.emit("response.content_part.done", **part, part=_text_part(text))
    else:
        for piece in item.pieces:
            out.emit("response.function_call_arguments.delta", **where, delta=piece)
        if not finish:
            return
        out.emit(
            "response.function_call_arguments.done",
            **where,
            name=item.name,
            arguments=item.content(),
        )
    out.emit("response.output_item.done", output_index=index, item=item.item())

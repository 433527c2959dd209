"""Responses API script: request JSON -> SSE events and the final ``response`` object (pure).

What: `parse_request()` validates a ``POST /v1/responses`` body into a `ResponsesRequest`;
`script()` turns it (plus the remembered chain of ``previous_response_id``, if any) into the
exact event sequence the real API streams: ``response.created``, ``response.in_progress``,
per output item ``output_item.added`` / content part / text or argument deltas / ``.done``,
then ``response.completed`` (or ``.incomplete`` / ``.failed`` / an ``error`` event when a
fault knob asks), with ``sequence_number`` 0, 1, 2, ...
Why: no I/O here, so the whole script is unit-testable and deterministic.
Next: the router encodes `ResponsesScript.events` as ``event: <type>\\ndata: <json>\\n\\n``
frames (or sends `ResponsesScript.final` as JSON) and stores `ResponsesScript.record`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from . import rules
from .errors import ApiError
from .faults import EmulatorConfig
from .ids import IdSource
from .rules import Call, CallOutput, Item, Message, Other, Tool, ToolChoice
from .validate import describe, missing, text_of, wrong_type
from .validate import field as get

__all__ = ["ChainRecord", "ResponsesRequest", "ResponsesScript", "parse_request", "script"]

_ROLES = frozenset({"user", "system", "developer", "assistant"})
_MIN_OUTPUT_TOKENS = 16
"""The real API refuses ``max_output_tokens`` below 16."""


@dataclass(frozen=True)
class ChainRecord:
    """What the emulator remembers of a stored response, for ``previous_response_id``."""

    items: tuple[Item, ...]
    context_tokens: int


@dataclass(frozen=True)
class ResponsesRequest:
    """A validated Responses create request; `echo` holds the fields echoed in ``response``."""

    model: str
    items: tuple[Item, ...]
    stream: bool
    obfuscate: bool
    tools: tuple[Tool, ...]
    choice: ToolChoice
    parallel: bool
    previous_response_id: str | None
    store: bool
    max_output_tokens: int | None
    instructions: Any
    echo: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ResponsesScript:
    """Events to stream (dicts, in order), the final response object, and the chain record."""

    response_id: str
    events: list[dict[str, Any]]
    final: dict[str, Any]
    record: ChainRecord | None


def parse_request(body: Any) -> ResponsesRequest:
    """Validate a Responses create body; raises `ApiError` 400 with the real API's wording."""
    if not isinstance(body, dict):
        raise ApiError(400, f"Invalid body: expected an object, but got {describe(body)} instead.")
    model = get(body, "model", "string", required=True)
    if not model:
        raise missing("model")
    raw_input = body.get("input")
    if raw_input is None:
        raise missing("input")
    stream = bool(get(body, "stream", "boolean"))
    options = get(body, "stream_options", "object")
    if options is not None and not stream:
        raise ApiError(
            400,
            "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
            param="stream_options",
            code="invalid_value",
        )
    obfuscate = get(
        options or {},
        "include_obfuscation",
        "boolean",
        param="stream_options.include_obfuscation",
    )
    tools, tools_echo = _parse_tools(body)
    choice = _parse_tool_choice(body.get("tool_choice"), tools)
    parallel = get(body, "parallel_tool_calls", "boolean")
    store = get(body, "store", "boolean")
    max_tokens = get(body, "max_output_tokens", "integer")
    if max_tokens is not None and max_tokens < _MIN_OUTPUT_TOKENS:
        raise ApiError(
            400,
            f"Invalid 'max_output_tokens': integer below minimum value. Expected a value >= "
            f"{_MIN_OUTPUT_TOKENS}, but got {max_tokens} instead.",
            param="max_output_tokens",
            code="integer_below_min_value",
        )
    instructions = get(body, "instructions", "string", "array")
    echo = {
        "metadata": get(body, "metadata", "object") or {},
        "reasoning": get(body, "reasoning", "object") or {"effort": None, "summary": None},
        "temperature": _number(body, "temperature", 1.0),
        "text": get(body, "text", "object") or {"format": {"type": "text"}, "verbosity": "medium"},
        "tool_choice": body.get("tool_choice") or "auto",
        "tools": tools_echo,
        "top_p": _number(body, "top_p", 1.0),
    }
    return ResponsesRequest(
        model=model,
        items=_parse_input(raw_input),
        stream=stream,
        obfuscate=obfuscate is not False,
        tools=tools,
        choice=choice,
        parallel=parallel is not False,
        previous_response_id=get(body, "previous_response_id", "string"),
        store=store is not False,
        max_output_tokens=max_tokens,
        instructions=instructions,
        echo=echo,
    )


def _number(body: dict[str, Any], key: str, default: float) -> float:
    value = get(body, key, "number")
    return float(value) if value is not None else default


def _parse_tools(body: dict[str, Any]) -> tuple[tuple[Tool, ...], list[Any]]:
    raw = get(body, "tools", "array") or []
    tools: list[Tool] = []
    echo: list[Any] = []
    for index, tool in enumerate(raw):
        where = f"tools[{index}]"
        if not isinstance(tool, dict):
            raise wrong_type(where, "an object", tool)
        if tool.get("type") != "function":
            echo.append(tool)
            continue
        name = get(tool, "name", "string", param=f"{where}.name", required=True)
        if not name:
            raise missing(f"{where}.name")
        params = get(tool, "parameters", "object", param=f"{where}.parameters")
        tools.append(Tool(name=name, parameters=params))
        strict = get(tool, "strict", "boolean", param=f"{where}.strict")
        echo.append(
            {
                "type": "function",
                "name": name,
                "description": get(tool, "description", "string", param=f"{where}.description"),
                "parameters": params,
                "strict": True if strict is None else strict,
            }
        )
    return tuple(tools), echo


def _parse_tool_choice(raw: Any, tools: tuple[Tool, ...]) -> ToolChoice:
    if raw is None or raw == "auto":
        return ToolChoice("auto")
    if raw == "none":
        return ToolChoice("none")
    if raw == "required":
        return ToolChoice("required")
    if isinstance(raw, dict):
        if raw.get("type") == "function":
            name = get(raw, "name", "string", param="tool_choice.name", required=True)
            if name not in {t.name for t in tools}:
                raise ApiError(
                    400,
                    f"Tool choice '{name}' not found in 'tools' parameter.",
                    param="tool_choice",
                    code="invalid_value",
                )
            return ToolChoice("named", name)
        return ToolChoice("auto")  # allowed_tools, hosted tools, ...: let the rule decide
    raise ApiError(
        400,
        f"Invalid value for 'tool_choice': {json.dumps(raw)}. "
        "Supported values are: 'none', 'auto', 'required', or an object.",
        param="tool_choice",
        code="invalid_value",
    )


def _parse_input(raw: Any) -> tuple[Item, ...]:
    if isinstance(raw, str):
        return (Message("user", raw),)
    if not isinstance(raw, list):
        raise wrong_type("input", "a string or an array", raw)
    items: list[Item] = []
    for index, item in enumerate(raw):
        where = f"input[{index}]"
        if not isinstance(item, dict):
            raise wrong_type(where, "an object", item)
        kind = item.get("type")
        if kind in (None, "message"):
            role = get(item, "role", "string", param=f"{where}.role", required=True)
            if role not in _ROLES:
                raise ApiError(
                    400,
                    f"Invalid value: '{role}'. Supported values are: 'assistant', 'system', "
                    "'developer', and 'user'.",
                    param=f"{where}.role",
                    code="invalid_value",
                )
            items.append(Message(role, text_of(item.get("content"), f"{where}.content")))
        elif kind == "function_call_output":
            call_id = get(item, "call_id", "string", param=f"{where}.call_id", required=True)
            output = item.get("output")
            if output is None:
                raise missing(f"{where}.output")
            items.append(CallOutput(call_id, text_of(output, f"{where}.output")))
        elif kind == "function_call":
            items.append(
                Call(
                    get(item, "call_id", "string", param=f"{where}.call_id", required=True),
                    get(item, "name", "string", param=f"{where}.name", required=True),
                    get(item, "arguments", "string", param=f"{where}.arguments") or "",
                )
            )
        else:
            items.append(Other(str(kind)))
    return tuple(items)


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
) -> ResponsesScript:
    """Script one response for `req`; `prior` is the chain of its ``previous_response_id``."""
    history = (prior.items if prior else ()) + req.items
    decision = rules.decide(history, req.tools, req.choice, parallel=req.parallel)
    planned = _plan(req, decision, ids)
    failing = config.fail_response
    if failing or config.incomplete:
        planned = _truncate(planned)
    incomplete = not failing and any(p.status == "incomplete" for p in planned)

    resp_id = ids.response_id()
    out = _Out(ids, req.obfuscate)
    snapshot = _Snapshot(req, resp_id, ids.created)
    out.emit("response.created", response=snapshot.build("in_progress"))
    out.emit("response.in_progress", response=snapshot.build("in_progress"))
    for index, item in enumerate(planned):
        _emit_item(out, index, item, finish=not failing)

    cached = prior.context_tokens if prior else 0
    input_tokens = (
        cached
        + sum(rules.item_tokens(i) for i in req.items)
        + (rules.count_tokens(req.instructions) if isinstance(req.instructions, str) else 0)
        + rules.count_tokens(json.dumps(req.echo["tools"]))
    )
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
        details = {"reason": "max_output_tokens"}
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
    if req.store and not failing and not injected:
        items = history + tuple(p.as_item() for p in planned)
        record = ChainRecord(items, input_tokens + output_tokens)
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

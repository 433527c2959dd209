"""Chat Completions script: request JSON -> ``chat.completion.chunk`` list or final object (pure).

What: `parse_request()` validates a ``POST /v1/chat/completions`` body into a `ChatRequest`;
`script()` produces the chunks the real API streams: per choice a first chunk with
``role: "assistant"`` (``content: ""`` for text, ``content: null`` for tool calls), content
deltas or tool-call fragments (first fragment ``id``/``type``/``name``/``arguments: ""``, later
ones only ``index`` + ``arguments``), a ``finish_reason`` chunk with an empty delta; choices of
``n > 1`` interleaved round-robin; then the usage chunk (``choices: []``) when
``stream_options.include_usage`` is set, and ``[DONE]``.
Why: no I/O here, so the script is unit-testable and deterministic.
Next: the router writes each chunk as ``data: <json>\\n\\n`` and ``data: [DONE]\\n\\n`` when
`ChatScript.done` is true, or sends `ChatScript.final` as the non-streamed JSON body.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from . import rules
from .errors import ApiError
from .faults import EmulatorConfig
from .ids import IdSource
from .rules import Call, CallOutput, Item, Message, Tool, ToolChoice
from .validate import describe, missing, text_of, wrong_type
from .validate import field as get

__all__ = ["ChatRequest", "ChatScript", "parse_request", "script"]

_ROLES = frozenset({"system", "developer", "user", "assistant", "tool", "function"})
_MAX_N = 128


@dataclass(frozen=True)
class ChatRequest:
    """A validated Chat Completions request (only what the script needs)."""

    model: str
    items: tuple[Item, ...]
    stream: bool
    include_usage: bool
    obfuscate: bool
    tools: tuple[Tool, ...]
    tools_tokens: int
    choice: ToolChoice
    parallel: bool
    n: int
    max_tokens: int | None


@dataclass(frozen=True)
class ChatScript:
    """Chunks to stream (dicts), whether ``[DONE]`` follows, and the non-streamed object."""

    chunks: list[dict[str, Any]]
    done: bool
    final: dict[str, Any]


def parse_request(body: Any, *, default_model: str | None = None) -> ChatRequest:
    """Validate a Chat Completions body; raises `ApiError` 400 with the real API's wording.

    `default_model` is the Azure deployment name, used when the body has no ``model``.
    """
    if not isinstance(body, dict):
        raise ApiError(400, f"Invalid body: expected an object, but got {describe(body)} instead.")
    model = get(body, "model", "string", required=default_model is None) or default_model
    if not model:
        raise missing("model")
    messages = get(body, "messages", "array", required=True)
    if not messages:
        raise ApiError(
            400,
            "Invalid 'messages': empty array. Expected an array with minimum length 1, "
            "but got an empty array instead.",
            param="messages",
            code="empty_array",
        )
    stream = bool(get(body, "stream", "boolean"))
    options = get(body, "stream_options", "object")
    if options is not None and not stream:
        raise ApiError(
            400,
            "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
            param="stream_options",
            code="invalid_value",
        )
    options = options or {}
    usage = get(options, "include_usage", "boolean", param="stream_options.include_usage")
    obfuscate = get(
        options, "include_obfuscation", "boolean", param="stream_options.include_obfuscation"
    )
    n = get(body, "n", "integer")
    if n is not None and not 1 <= n <= _MAX_N:
        raise ApiError(
            400,
            f"Invalid 'n': expected a value between 1 and {_MAX_N}, but got {n} instead.",
            param="n",
            code="invalid_value",
        )
    max_tokens = get(body, "max_completion_tokens", "integer")
    if max_tokens is None:
        max_tokens = get(body, "max_tokens", "integer")
    if max_tokens is not None and max_tokens < 1:
        raise ApiError(
            400,
            f"Invalid 'max_tokens': integer below minimum value. Expected a value >= 1, "
            f"but got {max_tokens} instead.",
            param="max_tokens",
            code="integer_below_min_value",
        )
    tools, tools_tokens = _parse_tools(body)
    return ChatRequest(
        model=model,
        items=_parse_messages(messages),
        stream=stream,
        include_usage=usage is True,
        obfuscate=obfuscate is not False,
        tools=tools,
        tools_tokens=tools_tokens,
        choice=_parse_tool_choice(body.get("tool_choice"), tools),
        parallel=get(body, "parallel_tool_calls", "boolean") is not False,
        n=n or 1,
        max_tokens=max_tokens,
    )


def _parse_tools(body: dict[str, Any]) -> tuple[tuple[Tool, ...], int]:
    raw = get(body, "tools", "array") or []
    tools: list[Tool] = []
    for index, tool in enumerate(raw):
        where = f"tools[{index}]"
        if not isinstance(tool, dict):
            raise wrong_type(where, "an object", tool)
        if tool.get("type", "function") != "function":
            continue  # custom tools: accepted, never called by the emulated model
        function = get(tool, "function", "object", param=f"{where}.function", required=True)
        name = get(function, "name", "string", param=f"{where}.function.name", required=True)
        if not name:
            raise missing(f"{where}.function.name")
        params = get(function, "parameters", "object", param=f"{where}.function.parameters")
        tools.append(Tool(name=name, parameters=params))
    return tuple(tools), rules.count_tokens(json.dumps(raw)) if raw else 0


def _parse_tool_choice(raw: Any, tools: tuple[Tool, ...]) -> ToolChoice:
    if raw is None or raw == "auto":
        return ToolChoice("auto")
    if raw == "none":
        return ToolChoice("none")
    if raw == "required":
        return ToolChoice("required")
    if isinstance(raw, dict):
        if raw.get("type") == "function":
            function = get(raw, "function", "object", param="tool_choice.function", required=True)
            name = get(function, "name", "string", param="tool_choice.function.name", required=True)
            if name not in {t.name for t in tools}:
                raise ApiError(
                    400,
                    f"Invalid value for 'tool_choice': function '{name}' is not in 'tools'.",
                    param="tool_choice",
                    code="invalid_value",
                )
            return ToolChoice("named", name)
        return ToolChoice("auto")
    raise ApiError(
        400,
        f"Invalid value for 'tool_choice': {json.dumps(raw)}. "
        "Supported values are: 'none', 'auto', 'required', or an object.",
        param="tool_choice",
        code="invalid_value",
    )


def _parse_messages(messages: list[Any]) -> tuple[Item, ...]:
    items: list[Item] = []
    for index, message in enumerate(messages):
        where = f"messages[{index}]"
        if not isinstance(message, dict):
            raise wrong_type(where, "an object", message)
        role = get(message, "role", "string", param=f"{where}.role", required=True)
        if role not in _ROLES:
            raise ApiError(
                400,
                f"Invalid value: '{role}'. Supported values are: 'system', 'assistant', "
                "'user', 'tool', 'function' and 'developer'.",
                param=f"{where}.role",
                code="invalid_value",
            )
        text = text_of(message.get("content"), f"{where}.content")
        if role == "tool":
            call_id = get(
                message, "tool_call_id", "string", param=f"{where}.tool_call_id", required=True
            )
            items.append(CallOutput(call_id, text))
        elif role == "function":
            name = get(message, "name", "string", param=f"{where}.name", required=True)
            items += [Call(f"function:{name}", name, ""), CallOutput(f"function:{name}", text)]
        else:
            items.append(Message(role, text))
            if role == "assistant":
                items += _assistant_calls(message, where)
    return tuple(items)


def _assistant_calls(message: dict[str, Any], where: str) -> list[Item]:
    calls: list[Item] = []
    for j, call in enumerate(
        get(message, "tool_calls", "array", param=f"{where}.tool_calls") or []
    ):
        at = f"{where}.tool_calls[{j}]"
        if not isinstance(call, dict):
            raise wrong_type(at, "an object", call)
        function = get(call, "function", "object", param=f"{at}.function") or {}
        calls.append(
            Call(
                get(call, "id", "string", param=f"{at}.id", required=True),
                get(function, "name", "string", param=f"{at}.function.name") or "",
                get(function, "arguments", "string", param=f"{at}.function.arguments") or "",
            )
        )
    return calls


@dataclass
class _Choice:
    """One choice being scripted: its stream deltas, final message and finish reason."""

    deltas: list[dict[str, Any]]
    message: dict[str, Any]
    finish: str
    tokens: int


def _text_choice(text: str, req: ChatRequest, cut: bool) -> _Choice:
    pieces = rules.split_words(text)
    finish = "stop"
    if cut:
        pieces, finish = pieces[: max(1, len(pieces) // 2)], "length"
    elif req.max_tokens is not None:
        kept: list[str] = []
        for piece in pieces:
            if rules.count_tokens("".join([*kept, piece])) > req.max_tokens:
                break
            kept.append(piece)
        if len(kept) < len(pieces):
            pieces, finish = kept, "length"
    content = "".join(pieces)
    deltas: list[dict[str, Any]] = [{"role": "assistant", "content": "", "refusal": None}]
    deltas += [{"content": p} for p in pieces]
    message: dict[str, Any] = {
        "role": "assistant",
        "content": content,
        "refusal": None,
        "annotations": [],
    }
    return _Choice(deltas, message, finish, rules.count_tokens(content))


def _tool_choice(
    calls: tuple[rules.PlannedCall, ...], index: int, ids: IdSource, cut: bool
) -> _Choice:
    deltas: list[dict[str, Any]] = [{"role": "assistant", "content": None, "refusal": None}]
    tool_calls: list[dict[str, Any]] = []
    tokens = 0
    for j, call in enumerate(calls[:1] if cut else calls):
        call_id = ids.call_id(f"chat:{index}:{j}")
        pieces = rules.split_chunks(call.arguments)
        if cut:
            pieces = pieces[: max(1, len(pieces) // 2)]
        first = {"index": j, "id": call_id, "type": "function"}
        deltas.append({"tool_calls": [{**first, "function": {"name": call.name, "arguments": ""}}]})
        deltas += [{"tool_calls": [{"index": j, "function": {"arguments": p}}]} for p in pieces]
        arguments = "".join(pieces)
        tool_calls.append(
            {
                "id": call_id,
                "type": "function",
                "function": {"name": call.name, "arguments": arguments},
            }
        )
        tokens += rules.count_tokens(call.name) + rules.count_tokens(arguments)
    message: dict[str, Any] = {
        "role": "assistant",
        "content": None,
        "refusal": None,
        "annotations": [],
        "tool_calls": tool_calls,
    }
    return _Choice(deltas, message, "length" if cut else "tool_calls", tokens)


def script(req: ChatRequest, ids: IdSource, config: EmulatorConfig) -> ChatScript:
    """Script one chat completion for `req` (all `n` choices)."""
    decision = rules.decide(req.items, req.tools, req.choice, parallel=req.parallel)
    choices: list[_Choice] = []
    for index in range(req.n):
        if decision.calls:
            choices.append(_tool_choice(decision.calls, index, ids, config.incomplete))
        else:
            suffix = f" [choice {index}]" if index else ""
            choices.append(_text_choice(decision.text + suffix, req, config.incomplete))

    prompt = sum(rules.item_tokens(i) for i in req.items) + req.tools_tokens
    completion = sum(c.tokens for c in choices)
    usage = {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": 0,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }
    head = {
        "id": ids.chat_id(),
        "object": "chat.completion.chunk",
        "created": ids.created,
        "model": req.model,
        "service_tier": "default",
        "system_fingerprint": ids.fingerprint(),
    }
    chunks: list[dict[str, Any]] = []

    def chunk(choice_list: list[dict[str, Any]], usage_value: Any) -> None:
        body: dict[str, Any] = {**head, "choices": choice_list}
        if req.include_usage:
            body["usage"] = usage_value
        if req.obfuscate:
            body["obfuscation"] = ids.obfuscation(f"chat:{len(chunks)}", json.dumps(choice_list))
        chunks.append(body)

    longest = max(len(c.deltas) for c in choices)
    for step in range(longest + 1):
        for index, choice in enumerate(choices):
            if step < len(choice.deltas):
                entry = {"index": index, "delta": choice.deltas[step], "logprobs": None}
                chunk([{**entry, "finish_reason": None}], None)
            elif step == len(choice.deltas):
                entry = {"index": index, "delta": {}, "logprobs": None}
                chunk([{**entry, "finish_reason": choice.finish}], None)
    if req.include_usage:
        chunk([], usage)

    done = not config.omit_done
    if config.inject_error_after is not None:
        chunks = chunks[: config.inject_error_after]
        chunks.append(
            {
                "error": {
                    "message": "The server had an error while processing your request (emulated).",
                    "type": "server_error",
                    "param": None,
                    "code": config.error_code or "server_error",
                }
            }
        )
        done = False

    final = {
        "id": head["id"],
        "object": "chat.completion",
        "created": ids.created,
        "model": req.model,
        "choices": [
            {"index": i, "message": c.message, "logprobs": None, "finish_reason": c.finish}
            for i, c in enumerate(choices)
        ],
        "usage": usage,
        "service_tier": "default",
        "system_fingerprint": head["system_fingerprint"],
    }
    return ChatScript(chunks, done, final)

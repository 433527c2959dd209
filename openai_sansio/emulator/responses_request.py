"""Responses create request validation, shared by the HTTP endpoint and the WebSocket (pure).

What: `parse_request()` validates a ``POST /v1/responses`` body into a `ResponsesRequest`
(conversation items, function tools, tool choice, echoed fields) and `parse_input()` an
``input`` value alone (the WebSocket's ``response.steer`` reuses it).
Why: one validator means both transports refuse the same bodies with the same wording.
Next: `responses_script.script()` turns a `ResponsesRequest` into events.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from .errors import ApiError
from .rules import Call, CallOutput, Item, Message, Other, Tool, ToolChoice
from .validate import describe, missing, text_of, wrong_type
from .validate import field as get

__all__ = ["ResponsesRequest", "parse_input", "parse_request"]

_ROLES = frozenset({"user", "system", "developer", "assistant"})
_MIN_OUTPUT_TOKENS = 16
"""The real API refuses ``max_output_tokens`` below 16."""


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
        items=parse_input(raw_input),
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


def parse_input(raw: Any) -> tuple[Item, ...]:
    """Validate an ``input`` value (string or item list) into conversation items."""
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

"""JSON-shaped conversation items: Responses input items and Chat Completions messages.

Plain dicts, exactly as the APIs define them, so a conversation is a list the caller owns and
can store, edit or replay. Validation is light (types, non-empty ids); the server validates
the rest. Public names are re-exported by `openai_sansio.protocol.requests`.

Next: pass a list of these as ``input`` to `build_responses_request` or as ``messages`` to
`build_chat_request`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ._request_params import _check_str, _fail, encode_json

__all__ = [
    "assistant_message",
    "chat_assistant",
    "chat_developer",
    "chat_system",
    "chat_tool_call",
    "chat_tool_result",
    "chat_user",
    "developer_message",
    "function_call_item",
    "function_call_output",
    "system_message",
    "user_message",
]


# -- Responses input items ------------------------------------------------------------------


def _message(role: str, text: str) -> dict[str, Any]:
    _check_str(f"{role} message text", text, empty_ok=True)
    return {"type": "message", "role": role, "content": text}


def user_message(text: str) -> dict[str, Any]:
    """A Responses input message from the user: ``{"type":"message","role":"user",...}``."""
    return _message("user", text)


def system_message(text: str) -> dict[str, Any]:
    """A Responses ``system`` message (prefer `GenerationParams.instructions` for a prompt)."""
    return _message("system", text)


def developer_message(text: str) -> dict[str, Any]:
    """A Responses ``developer`` message (what reasoning models read as system guidance)."""
    return _message("developer", text)


def assistant_message(text: str) -> dict[str, Any]:
    """A previous assistant turn, replayed as Responses input."""
    return _message("assistant", text)


def _json_text(value: str | Mapping[str, Any], what: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        return encode_json(value).decode("utf-8")
    raise _fail(f"{what} must be a str or a mapping (encoded as JSON)")


def function_call_item(
    call_id: str, name: str, arguments: str | Mapping[str, Any]
) -> dict[str, Any]:
    """A function call the model made earlier, replayed as Responses input.

    `arguments` is the JSON text the model produced (a mapping is encoded for you). Send it
    before the matching `function_call_output` when not chaining with a previous response.
    """
    _check_str("call_id", call_id)
    _check_str("name", name)
    args = _json_text(arguments, "arguments")
    return {"type": "function_call", "call_id": call_id, "name": name, "arguments": args}


def function_call_output(call_id: str, output: str | Mapping[str, Any]) -> dict[str, Any]:
    """The result of running a function call, as a Responses input item.

    Next: send it as input of the next request (with `previous_response_id` to chain).
    """
    _check_str("call_id", call_id)
    return {
        "type": "function_call_output",
        "call_id": call_id,
        "output": _json_text(output, "output"),
    }


# -- Chat Completions messages ---------------------------------------------------------------


def chat_user(text: str) -> dict[str, Any]:
    """A Chat ``user`` message."""
    _check_str("text", text, empty_ok=True)
    return {"role": "user", "content": text}


def chat_system(text: str) -> dict[str, Any]:
    """A Chat ``system`` message (reasoning models read it as ``developer``)."""
    _check_str("text", text, empty_ok=True)
    return {"role": "system", "content": text}


def chat_developer(text: str) -> dict[str, Any]:
    """A Chat ``developer`` message."""
    _check_str("text", text, empty_ok=True)
    return {"role": "developer", "content": text}


def chat_tool_call(id: str, name: str, arguments: str | Mapping[str, Any]) -> dict[str, Any]:
    """One entry of an assistant message's ``tool_calls``, for `chat_assistant`."""
    _check_str("id", id)
    _check_str("name", name)
    args = _json_text(arguments, "arguments")
    return {"id": id, "type": "function", "function": {"name": name, "arguments": args}}


def chat_assistant(
    text: str | None = None, tool_calls: Sequence[Mapping[str, Any]] | None = None
) -> dict[str, Any]:
    """A previous assistant turn for Chat: its text, its tool calls (`chat_tool_call`), or both.

    Next: one `chat_tool_result` per tool call, then the next request.
    """
    if text is None and not tool_calls:
        raise _fail("chat_assistant needs text or tool_calls")
    msg: dict[str, Any] = {"role": "assistant"}
    if text is not None:
        _check_str("text", text, empty_ok=True)
        msg["content"] = text
    if tool_calls:
        if not all(isinstance(c, Mapping) for c in tool_calls):
            raise _fail("tool_calls must hold mappings (see chat_tool_call)")
        msg["tool_calls"] = [dict(c) for c in tool_calls]
    return msg


def chat_tool_result(tool_call_id: str, content: str | Mapping[str, Any]) -> dict[str, Any]:
    """The result of one tool call, as a Chat ``tool`` message."""
    _check_str("tool_call_id", tool_call_id)
    return {"role": "tool", "tool_call_id": tool_call_id, "content": _json_text(content, "content")}

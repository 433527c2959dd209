"""What the server holds: item identities and per-lane chains for the Responses WebSocket mode.

Chaining with ``previous_response_id`` is only correct when the server's context for that
response is exactly a prefix of the conversation the caller wants to continue. The seed plugin
guessed that by counting items; here it is decided by *content identity*:

- `item_identity(item)` reduces an input or output item to what the model sees (role and text
  of a message, call id/name/arguments of a function call, call id/output of a tool result,
  the id of a reasoning item), so the server's echo of an item (with ``id``/``status`` and
  ``output_text`` parts) and the caller's own copy (a plain ``content`` string) compare equal,
  while an edited, truncated or injected item does not.
- a `Chain` is one lane's head: the response id the server has cached and the identities of
  the whole context behind it (inputs sent plus outputs received).
- `plan_continuation(chain, history)` says what to send: the new items after the server's
  context when it is a prefix of `history`, or everything (a fresh chain) when it is not.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

import msgspec

__all__ = ["Chain", "Continuation", "as_input_item", "item_identity", "plan_continuation"]

_encoder: Final = msgspec.json.Encoder(order="sorted")
_VOLATILE: Final = frozenset({"id", "status", "annotations", "logprobs"})


def _text_of(content: Any) -> Any:
    """A message's content as the model reads it: text parts joined, other parts as-is."""
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        return content
    texts: list[str] = []
    others: list[Any] = []
    for part in content:
        if isinstance(part, Mapping) and isinstance(part.get("text"), str):
            texts.append(part["text"])
        elif isinstance(part, Mapping) and isinstance(part.get("refusal"), str):
            texts.append(part["refusal"])
        else:
            others.append(_strip(part))
    return "".join(texts) if not others else ["".join(texts), others]


def _strip(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _strip(v) for k, v in value.items() if k not in _VOLATILE}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def item_identity(item: Any) -> bytes:
    """Canonical bytes for what `item` contributes to the model's context."""
    if isinstance(item, msgspec.Struct):
        item = msgspec.to_builtins(item)
    if not isinstance(item, Mapping):
        return _encoder.encode(["raw", item])
    kind = item.get("type")
    if kind == "function_call":
        key: Any = ["function_call", item.get("call_id"), item.get("name"), item.get("arguments")]
    elif kind == "function_call_output":
        key = ["function_call_output", item.get("call_id"), item.get("output")]
    elif kind == "reasoning":
        key = ["reasoning", item.get("id"), item.get("encrypted_content")]
    elif kind == "message" or (kind is None and "role" in item):
        key = ["message", item.get("role"), _text_of(item.get("content"))]
    else:
        key = ["item", _strip(item)]
    return _encoder.encode(key)


class Chain(msgspec.Struct, frozen=True, gc=False):
    """A lane's head: `response_id` is cached (or stored) server-side with `context` behind it."""

    response_id: str
    context: tuple[bytes, ...]
    stored: bool = False


class Continuation(msgspec.Struct, frozen=True, gc=False):
    """How to send a turn: chained on `previous_response_id` with only `items`, or (when
    `previous_response_id` is None) the whole history as a fresh chain."""

    previous_response_id: str | None
    items: tuple[Any, ...]
    identities: tuple[bytes, ...]

    @property
    def chained(self) -> bool:
        return self.previous_response_id is not None


def plan_continuation(
    chain: Chain | None, history: Sequence[Any], *, known: Sequence[bytes] | None = None
) -> Continuation:
    """What to send so the server's context becomes `history` (as identities).

    `known` are the identities of a prefix of `history` the caller already computed (the
    lane's conversation before the new items), so a long conversation is not re-hashed on
    every turn."""
    head = tuple(known or ())
    if len(head) > len(history):
        head = ()
    identities = head + tuple(item_identity(item) for item in history[len(head) :])
    if chain is not None:
        held = chain.context
        if len(held) <= len(identities) and identities[: len(held)] == held:
            return Continuation(chain.response_id, tuple(history[len(held) :]), identities)
    return Continuation(None, tuple(history), identities)


def as_input_item(item: Mapping[str, Any]) -> dict[str, Any]:
    """A response's output item as it must be sent back as input on a *fresh* chain.

    Server item ids are dropped from messages and function calls: with ``store=false`` the
    server keeps no items, and an input item naming one is rejected. Reasoning items keep their
    id and ``encrypted_content`` (that is how they travel without storage). The identity is
    unchanged, so chaining decisions are the same either way."""
    kind = item.get("type")
    if kind == "message":
        parts = item.get("content")
        content = (
            [
                {"type": p.get("type"), "text": p["text"]}
                if isinstance(p, Mapping) and isinstance(p.get("text"), str)
                else p
                for p in parts
            ]
            if isinstance(parts, list)
            else parts
        )
        return {"type": "message", "role": item.get("role", "assistant"), "content": content}
    if kind == "function_call":
        return {
            "type": "function_call",
            "call_id": item.get("call_id"),
            "name": item.get("name"),
            "arguments": item.get("arguments"),
        }
    return {k: v for k, v in item.items() if k != "status"}

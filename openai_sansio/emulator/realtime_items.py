"""Realtime conversation items of the emulator: storage, client-item validation, rule view (pure).

What: `Conversation` keeps the default conversation's items in order (insert after an item,
at the ``"root"``, or at the end; delete; look up the previous item); each `StoredItem` holds
the item's wire object without audio plus its audio bytes and format (audio is sent only by
``conversation.item.retrieved``). `parse_client_item()` validates the ``item`` of
``conversation.item.create`` / ``response.create.input`` with the GA rules (roles and content
types, no client-made assistant audio); `rule_items()` turns items into the API-neutral view
of `rules.decide()` (user audio is "heard" as `realtime_audio.heard_transcript`);
`input_usage()` counts the prompt tokens of a context.
Why: the engine and the response runs share one model of the conversation.
Next: `realtime_engine.RealtimeEngine` owns one `Conversation`; `realtime_response` reads and
extends it.
"""

from __future__ import annotations

import base64
import copy
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ..audio.formats import AudioFormat
from .errors import ApiError
from .realtime_audio import audio_ms, decode_audio, heard_transcript
from .realtime_session import invalid_value
from .rules import Call, CallOutput, Item, Message, Other, count_tokens, item_tokens
from .validate import describe, field

__all__ = [
    "IMAGE_TOKENS",
    "Conversation",
    "StoredItem",
    "input_usage",
    "item_not_found",
    "parse_client_item",
    "rule_items",
    "wire_item",
]

IMAGE_TOKENS = 85
"""Prompt tokens counted per ``input_image`` part."""

_PART_TYPES = {
    "system": ("input_text",),
    "user": ("input_text", "input_audio", "input_image"),
    "assistant": ("output_text", "output_audio"),
}


@dataclass
class StoredItem:
    """One conversation item: its wire object (no ``audio`` fields) and its audio, if any."""

    item: dict[str, Any]
    audio: bytes | None = None
    fmt: AudioFormat | None = None
    char_bytes: int | None = None
    """Assistant audio: bytes of synthetic speech per transcript character (truncation)."""

    @property
    def id(self) -> str:
        return str(self.item["id"])

    @property
    def audio_ms(self) -> int:
        if self.audio is None or self.fmt is None:
            return 0
        return audio_ms(self.fmt, len(self.audio))


def wire_item(stored: StoredItem, *, with_audio: bool = False) -> dict[str, Any]:
    """A copy of the item for an event; `with_audio` puts the base64 audio in its audio part."""
    item = copy.deepcopy(stored.item)
    if with_audio and stored.audio is not None:
        for part in item.get("content") or []:
            if part.get("type") in ("input_audio", "output_audio"):
                part["audio"] = base64.b64encode(stored.audio).decode("ascii")
                break
    return item


def item_not_found(action: str, item_id: str, param: str = "item_id") -> ApiError:
    """The error for an unknown item id (``item_<action>_invalid_item_id``)."""
    return ApiError(
        400,
        f"Item with item_id not found: {item_id}",
        param=param,
        code=f"item_{action}_invalid_item_id",
    )


class Conversation:
    """The default conversation: items in order, by id."""

    def __init__(self) -> None:
        self._order: list[str] = []
        self._items: dict[str, StoredItem] = {}

    def __contains__(self, item_id: object) -> bool:
        return item_id in self._items

    def get(self, item_id: str) -> StoredItem | None:
        return self._items.get(item_id)

    def items(self) -> list[StoredItem]:
        """The items in conversation order."""
        return [self._items[i] for i in self._order]

    def last_id(self) -> str | None:
        return self._order[-1] if self._order else None

    def previous_id(self, item_id: str) -> str | None:
        index = self._order.index(item_id)
        return self._order[index - 1] if index else None

    def insert(self, stored: StoredItem, previous_item_id: str | None = None) -> str | None:
        """Add an item after `previous_item_id` (``"root"`` = first, None = last).

        Returns the id of the item now before it (None when it is first).
        """
        if previous_item_id is None:
            self._order.append(stored.id)
        elif previous_item_id == "root":
            self._order.insert(0, stored.id)
        else:
            self._order.insert(self._order.index(previous_item_id) + 1, stored.id)
        self._items[stored.id] = stored
        return self.previous_id(stored.id)

    def delete(self, item_id: str) -> None:
        self._order.remove(item_id)
        del self._items[item_id]


def _part(
    part: Any, role: str, where: str, fmt: AudioFormat
) -> tuple[dict[str, Any], bytes | None]:
    if not isinstance(part, dict):
        raise ApiError(
            400,
            f"Invalid type for '{where}': expected an object, but got {describe(part)} instead.",
            param=where,
            code="invalid_type",
        )
    kind = field(part, "type", "string", param=f"{where}.type", required=True)
    allowed = _PART_TYPES[role]
    if kind not in allowed:
        names = ", ".join(f"'{a}'" for a in allowed)
        raise invalid_value(
            f"{where}.type",
            f"Invalid value: '{kind}'. Supported values for {role} messages are: {names}.",
        )
    if kind in ("input_text", "output_text"):
        text = field(part, "text", "string", param=f"{where}.text", required=True)
        return {"type": kind, "text": text}, None
    if kind == "input_image":
        url = field(part, "image_url", "string", param=f"{where}.image_url", required=True)
        if not url.startswith("data:image/"):
            raise invalid_value(
                f"{where}.image_url", "Invalid image_url: expected a data URI (data:image/...)."
            )
        detail = field(part, "detail", "string", param=f"{where}.detail") or "auto"
        return {"type": "input_image", "image_url": url, "detail": detail}, None
    if kind == "output_audio":
        raise invalid_value(
            f"{where}.type",
            "Assistant audio cannot be created by the client; use 'output_text' content.",
        )
    audio = field(part, "audio", "string", param=f"{where}.audio")
    transcript = field(part, "transcript", "string", param=f"{where}.transcript")
    raw = decode_audio(audio, fmt, f"{where}.audio")[0] if audio is not None else None
    return {"type": "input_audio", "transcript": transcript}, raw


def parse_client_item(
    item: Any, param: str, new_id: Callable[[], str], fmt: AudioFormat
) -> StoredItem:
    """Validate a client-sent item; the stored form (server id if none, status completed).

    `fmt` is the session's input format (for ``input_audio`` parts).
    """
    if item is None:
        raise ApiError(
            400,
            f"Missing required parameter: '{param}'.",
            param=param,
            code="missing_required_parameter",
        )
    field({"item": item}, "item", "object", param=param)
    kind = field(item, "type", "string", param=f"{param}.type", required=True)
    item_id = field(item, "id", "string", param=f"{param}.id") or new_id()
    base: dict[str, Any] = {"id": item_id, "type": kind, "object": "realtime.item"}
    audio: bytes | None = None
    if kind == "message":
        role = field(item, "role", "string", param=f"{param}.role", required=True)
        if role not in _PART_TYPES:
            raise invalid_value(
                f"{param}.role",
                f"Invalid value: '{role}'. Supported values are: 'system', 'user', and "
                "'assistant'.",
            )
        content = field(item, "content", "array", param=f"{param}.content", required=True)
        parts = []
        for index, raw in enumerate(content):
            part, part_audio = _part(raw, role, f"{param}.content[{index}]", fmt)
            parts.append(part)
            audio = audio if part_audio is None else part_audio
        base.update(status="completed", role=role, content=parts)
    elif kind == "function_call":
        call_id = field(item, "call_id", "string", param=f"{param}.call_id", required=True)
        name = field(item, "name", "string", param=f"{param}.name", required=True)
        arguments = field(item, "arguments", "string", param=f"{param}.arguments", required=True)
        base.update(status="completed", call_id=call_id, name=name, arguments=arguments)
    elif kind == "function_call_output":
        call_id = field(item, "call_id", "string", param=f"{param}.call_id", required=True)
        output = field(item, "output", "string", param=f"{param}.output", required=True)
        base.update(status="completed", call_id=call_id, output=output)
    else:
        raise invalid_value(
            f"{param}.type",
            f"Invalid value: '{kind}'. Supported values are: 'message', 'function_call', and "
            "'function_call_output'.",
        )
    return StoredItem(base, audio, fmt if audio is not None else None)


def _message_text(stored: StoredItem) -> str:
    texts: list[str] = []
    for part in stored.item.get("content") or []:
        kind = part.get("type")
        if kind in ("input_text", "output_text"):
            texts.append(str(part.get("text") or ""))
        elif kind == "output_audio":
            texts.append(str(part.get("transcript") or ""))
        elif kind == "input_audio":
            transcript = part.get("transcript")
            texts.append(transcript if transcript else heard_transcript(stored.audio_ms))
    return " ".join(t for t in texts if t)


def rule_items(items: Sequence[StoredItem]) -> list[Item]:
    """The conversation as `rules.decide()` sees it (user audio -> its heard transcript)."""
    out: list[Item] = []
    for stored in items:
        item = stored.item
        kind = item.get("type")
        if kind == "message":
            out.append(Message(str(item.get("role")), _message_text(stored)))
        elif kind == "function_call":
            out.append(Call(str(item.get("call_id")), str(item["name"]), str(item["arguments"])))
        elif kind == "function_call_output":
            out.append(CallOutput(str(item.get("call_id")), str(item["output"])))
        else:
            out.append(Other(str(kind)))
    return out


def input_usage(
    items: Sequence[StoredItem], instructions: str, tools: Sequence[Any]
) -> dict[str, int]:
    """Prompt tokens of a context: ``text_tokens``, ``audio_tokens``, ``image_tokens``.

    Text: instructions, tools (their JSON) and every item as `rules.item_tokens` (a user
    audio part counts its heard transcript there); audio: one token per started 100 ms of
    user audio; images: `IMAGE_TOKENS` each.
    """
    text = count_tokens(instructions)
    if tools:
        text += count_tokens(json.dumps(list(tools), sort_keys=True))
    audio = 0
    image = 0
    for stored, rule_item in zip(items, rule_items(items), strict=True):
        text += item_tokens(rule_item)
        for part in stored.item.get("content") or []:
            if part.get("type") == "input_audio":
                audio += math.ceil(stored.audio_ms / 100)
            elif part.get("type") == "input_image":
                image += IMAGE_TOKENS
    return {"text_tokens": text, "audio_tokens": audio, "image_tokens": image}

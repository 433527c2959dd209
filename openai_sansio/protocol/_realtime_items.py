"""GA Realtime conversation items (``conversation.item.create``) and usage accounting.

Items are plain dicts exactly as the GA API defines them. `RealtimeUsage` flattens the
``usage`` of ``response.done`` into the plugin's ``get_realtime_tokens`` keys and adds up
across responses. Public names are re-exported by `openai_sansio.protocol.realtime_config`.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any, ClassVar, Final, Literal

import msgspec

from ._errors import LocalProtocolError
from ._request_params import _check_str

__all__ = [
    "RealtimeUsage",
    "assistant_text_item",
    "conversation_item_create",
    "flatten_realtime_usage",
    "function_call_output_item",
    "image_input_item",
    "item_reference",
    "system_text_item",
    "user_text_item",
]

_IMAGE_SIGNATURES: Final = {"image/png": b"\x89PNG\r\n\x1a\n", "image/jpeg": b"\xff\xd8\xff"}
_DETAILS: Final = frozenset({"auto", "low", "high"})


def _fail(message: str) -> LocalProtocolError:
    return LocalProtocolError(message, error_hint="invalid_param")


def _text(text: object, what: str) -> str:
    if not isinstance(text, str):
        raise _fail(f"{what} must be a str, got {type(text).__name__}")
    return text


def user_text_item(text: str) -> dict[str, Any]:
    """A user text message (role ``user``, one ``input_text`` part)."""
    return {
        "type": "message",
        "role": "user",
        "content": [{"type": "input_text", "text": _text(text, "user text")}],
    }


def system_text_item(text: str) -> dict[str, Any]:
    """A system message (``input_text``); prefer the session ``instructions`` for a prompt."""
    return {
        "type": "message",
        "role": "system",
        "content": [{"type": "input_text", "text": _text(text, "system text")}],
    }


def assistant_text_item(text: str) -> dict[str, Any]:
    """An earlier assistant turn as text (``output_text``), e.g. replayed after a reconnect.

    Assistant *audio* cannot be created by a client; replay its transcript this way.
    """
    return {
        "type": "message",
        "role": "assistant",
        "content": [{"type": "output_text", "text": _text(text, "assistant text")}],
    }


def image_input_item(
    data: bytes | bytearray | memoryview,
    mime: Literal["image/jpeg", "image/png"] | str = "image/jpeg",
    detail: Literal["auto", "low", "high"] | None = None,
    text: str | None = None,
) -> dict[str, Any]:
    """A user message with an image (a ``data:`` URL) and, first, optional `text`.

    The GA API takes JPEG and PNG. When `data` starts with the signature of the other
    format than `mime` says, this raises rather than send a mislabelled image. `detail`
    ``low``/``high``/``auto`` (the server's default is ``high``).
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise _fail(f"image data must be bytes, got {type(data).__name__}")
    raw = bytes(data)
    if not raw:
        raise _fail("image data is empty")
    if mime not in _IMAGE_SIGNATURES:
        raise _fail(f"image mime must be 'image/jpeg' or 'image/png', got {mime!r}")
    for other, signature in _IMAGE_SIGNATURES.items():
        if other != mime and raw.startswith(signature):
            raise _fail(f"image data is {other} but mime says {mime}")
    if detail is not None and detail not in _DETAILS:
        raise _fail(f"image detail must be 'auto', 'low' or 'high', got {detail!r}")
    content: list[dict[str, Any]] = []
    if text is not None:
        content.append({"type": "input_text", "text": _text(text, "image text")})
    part: dict[str, Any] = {
        "type": "input_image",
        "image_url": f"data:{mime};base64,{base64.b64encode(raw).decode('ascii')}",
    }
    if detail is not None:
        part["detail"] = detail
    content.append(part)
    return {"type": "message", "role": "user", "content": content}


def function_call_output_item(call_id: str, output: str) -> dict[str, Any]:
    """The result of function call `call_id`: ``{"type":"function_call_output",...}``.

    `output` is free text (often JSON you encoded); send one per call, then a single
    ``response.create`` once the response that asked for them is done.
    """
    _check_str("call_id", call_id)
    if not isinstance(output, str):
        raise _fail(
            f"function call output must be a str (encode structured results as JSON), "
            f"got {type(output).__name__}"
        )
    return {"type": "function_call_output", "call_id": call_id, "output": output}


def item_reference(item_id: str) -> dict[str, Any]:
    """``{"type":"item_reference","id":...}``: an existing item, in ``response.input`` only."""
    _check_str("item_id", item_id)
    return {"type": "item_reference", "id": item_id}


def conversation_item_create(
    item: Mapping[str, Any],
    *,
    previous_item_id: str | None = None,
    event_id: str | None = None,
) -> dict[str, Any]:
    """The ``conversation.item.create`` event for `item`.

    `previous_item_id` inserts after that item (``"root"`` = at the beginning; an unknown id
    is an error event); without it the item is appended.
    """
    if not isinstance(item, Mapping) or not isinstance(item.get("type"), str):
        raise _fail("item must be a mapping with a str 'type' (see user_text_item)")
    if item.get("type") == "item_reference":
        raise _fail("an item_reference is only valid in response.create input")
    _check_str("previous_item_id", previous_item_id)
    _check_str("event_id", event_id)
    event: dict[str, Any] = {"type": "conversation.item.create"}
    if event_id is not None:
        event["event_id"] = event_id
    if previous_item_id is not None:
        event["previous_item_id"] = previous_item_id
    event["item"] = dict(item)
    return event


def _field(source: Any, key: str) -> Any:
    """`key` of a JSON object or of a typed record (``None`` when absent)."""
    if isinstance(source, Mapping):
        return source.get(key)
    return getattr(source, key, None)


def _count(source: Any, key: str) -> int:
    value = _field(source, key)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return 0
    return value


def _sub(source: Any, key: str) -> Any:
    return _field(source, key)


class RealtimeUsage(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """Token usage of Realtime responses, flattened; ``a + b`` sums (per-session totals).

    Field names are the plugin's ``get_realtime_tokens`` keys. ``input_cached_tokens`` are
    part of ``input_tokens``; ``cached_*`` split them by modality. ``output_image_tokens``
    is not in the API today and stays 0 unless the server starts sending it.
    """

    total_tokens: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    input_text_tokens: int = 0
    input_audio_tokens: int = 0
    input_image_tokens: int = 0
    input_cached_tokens: int = 0
    cached_text_tokens: int = 0
    cached_audio_tokens: int = 0
    cached_image_tokens: int = 0
    output_text_tokens: int = 0
    output_audio_tokens: int = 0
    output_image_tokens: int = 0

    FIELDS: ClassVar[tuple[str, ...]] = (
        "total_tokens",
        "input_tokens",
        "output_tokens",
        "input_text_tokens",
        "input_audio_tokens",
        "input_image_tokens",
        "input_cached_tokens",
        "cached_text_tokens",
        "cached_audio_tokens",
        "cached_image_tokens",
        "output_text_tokens",
        "output_audio_tokens",
        "output_image_tokens",
    )

    @classmethod
    def from_usage(cls, usage: Any) -> RealtimeUsage:
        """From a ``response.usage`` object (JSON or the typed `RealtimeResponseUsage`);
        missing, null or malformed counts are 0."""
        if usage is None:
            return cls()
        inp = _sub(usage, "input_token_details")
        cached = _sub(inp, "cached_tokens_details")
        out = _sub(usage, "output_token_details")
        return cls(
            total_tokens=_count(usage, "total_tokens"),
            input_tokens=_count(usage, "input_tokens"),
            output_tokens=_count(usage, "output_tokens"),
            input_text_tokens=_count(inp, "text_tokens"),
            input_audio_tokens=_count(inp, "audio_tokens"),
            input_image_tokens=_count(inp, "image_tokens"),
            input_cached_tokens=_count(inp, "cached_tokens"),
            cached_text_tokens=_count(cached, "text_tokens"),
            cached_audio_tokens=_count(cached, "audio_tokens"),
            cached_image_tokens=_count(cached, "image_tokens"),
            output_text_tokens=_count(out, "text_tokens"),
            output_audio_tokens=_count(out, "audio_tokens"),
            output_image_tokens=_count(out, "image_tokens"),
        )

    def as_dict(self) -> dict[str, int]:
        """The flat ``{name: count}`` dict, in `FIELDS` order."""
        return {name: getattr(self, name) for name in self.FIELDS}

    def __add__(self, other: object) -> RealtimeUsage:
        if not isinstance(other, RealtimeUsage):
            return NotImplemented
        return RealtimeUsage(
            **{name: getattr(self, name) + getattr(other, name) for name in self.FIELDS}
        )


def flatten_realtime_usage(usage: Mapping[str, Any] | None) -> dict[str, int]:
    """``response.usage`` as one flat dict of counts (the plugin's keys), zeros when absent."""
    return RealtimeUsage.from_usage(usage).as_dict()

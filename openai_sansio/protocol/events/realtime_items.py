"""Objects shared by the Realtime (GA) events: the `RealtimeEvent` base and the open records
carried inside events (conversation items, content parts, the response, error details, rate
limits, the conversation).

What: every record is an *open* record. Unknown fields are ignored, unknown ``type`` values
(a new item or part type) decode, and every field the wire may leave out defaults to ``None``
(omitted again when encoding: the API rejects explicit nulls in what a client sends).

Why: one `RealtimeItem` / `RealtimeContent` for all item and part types instead of a union
per type. The server mixes spellings (content parts are ``audio``/``text`` in
``response.content_part.*`` but ``output_audio``/``output_text`` in items; spec examples even
show beta-style parts), and a new item type must never fail a session. `is_audio` /
`is_text` read both spellings.

Audio is ``bytes``: msgspec decodes and encodes base64 for ``bytes`` fields natively (in C),
so no caller ever calls ``base64`` on the hot path. Invalid base64 in a known field is a
schema violation (`RemoteProtocolError`), like any wrong field type.

The response's ``usage``, ``status_details`` and ``audio`` are typed (the session machine reads
them on every ``response.done``; typed decoding is also faster than building dicts).

Next: shapes the machines only pass through (MCP errors and tool lists, metadata) stay plain
JSON values (`Any`); type them here when a machine starts reading them.
"""

from __future__ import annotations

import typing
from typing import Any, Final

import msgspec

from .common import WireEvent

__all__ = [
    "AUDIO_PART_TYPES",
    "TEXT_PART_TYPES",
    "RealtimeAudioFormat",
    "RealtimeAudioOutput",
    "RealtimeContent",
    "RealtimeConversation",
    "RealtimeErrorDetail",
    "RealtimeEvent",
    "RealtimeItem",
    "RealtimeRateLimit",
    "RealtimeResponse",
    "RealtimeResponseAudio",
    "RealtimeResponseUsage",
    "RealtimeStatusDetails",
    "RealtimeTokenDetails",
    "union_tags",
]

AUDIO_PART_TYPES: Final = frozenset({"audio", "output_audio", "input_audio"})
"""Content/part ``type`` values that carry audio (GA parts say ``audio``, GA items
``output_audio``; user items ``input_audio``)."""

TEXT_PART_TYPES: Final = frozenset({"text", "output_text", "input_text"})
"""Content/part ``type`` values that carry text, in every spelling the server uses."""


def union_tags(union: Any) -> frozenset[str]:
    """The wire tags of a union of `WireEvent` classes (one source of truth for the
    ``*_EVENT_TYPES`` sets the codec uses to tell a broken known event from an unknown one)."""
    tags: set[str] = set()
    for cls in typing.get_args(union):
        tag = cls.__struct_config__.tag
        assert isinstance(tag, str), cls
        tags.add(tag)
    return frozenset(tags)


class RealtimeEvent(WireEvent, frozen=True, kw_only=True):
    """Base of every Realtime event, server and client.

    Server events carry the server's ``event_id`` (all but ``input_audio_buffer.dtmf_event_
    received``); on a client event it is optional and client-chosen, and the server echoes it
    in ``error.error.event_id`` when that event failed.
    """

    event_id: str | None = None


class RealtimeContent(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True, gc=False):
    """One content part of a message item, or the ``part`` of ``response.content_part.*``.

    Types seen: ``input_text``, ``input_audio``, ``input_image`` (user); ``output_text``,
    ``output_audio`` (assistant items); ``text``, ``audio`` (parts, and some examples' items).
    `audio` is the raw audio (base64 on the wire; usually omitted by the server except in
    ``conversation.item.retrieved``); `image_url` is a data URI, `detail` its fidelity.
    """

    type: str | None = None
    text: str | None = None
    transcript: str | None = None
    audio: bytes | None = None
    image_url: str | None = None
    detail: str | None = None

    @property
    def is_audio(self) -> bool:
        """True for ``audio``, ``output_audio`` and ``input_audio`` parts."""
        return self.type in AUDIO_PART_TYPES

    @property
    def is_text(self) -> bool:
        """True for ``text``, ``output_text`` and ``input_text`` parts."""
        return self.type in TEXT_PART_TYPES


class RealtimeItem(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True, gc=False):
    """One conversation item: an open record keyed by ``type``.

    ``message`` (role ``system``/``user``/``assistant``, content), ``function_call``
    (call_id, name, arguments), ``function_call_output`` (call_id, output), ``mcp_call``,
    ``mcp_list_tools``, ``mcp_approval_request``, ``mcp_approval_response`` (their fields
    kept as plain JSON values), or a type added later. `object` is ``"realtime.item"``;
    `status` is ``in_progress``/``completed``/``incomplete``.
    """

    type: str
    id: str | None = None
    object: str | None = None
    status: str | None = None
    # message
    role: str | None = None
    content: list[RealtimeContent] | None = None
    # function_call / function_call_output / mcp_call / mcp_approval_request
    call_id: str | None = None
    name: str | None = None
    arguments: str | None = None
    output: str | None = None
    # MCP items (open shapes)
    server_label: Any = None
    approval_request_id: Any = None
    approve: Any = None
    reason: Any = None
    error: Any = None
    tools: Any = None

    @property
    def parts(self) -> list[RealtimeContent]:
        """``content``, or an empty list when the item has none."""
        return self.content if self.content is not None else []


class RealtimeTokenDetails(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True, gc=False):
    """``input_token_details`` / ``output_token_details`` / ``cached_tokens_details`` of a
    response's usage (only the fields that apply are present)."""

    text_tokens: int | None = None
    audio_tokens: int | None = None
    image_tokens: int | None = None
    cached_tokens: int | None = None
    cached_tokens_details: RealtimeTokenDetails | None = None


class RealtimeResponseUsage(
    msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True, gc=False
):
    """``response.usage`` (on ``response.done``)."""

    total_tokens: int | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    input_token_details: RealtimeTokenDetails | None = None
    output_token_details: RealtimeTokenDetails | None = None


class RealtimeStatusDetails(
    msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True, gc=False
):
    """``response.status_details``: `type` (the final status), `reason` (``turn_detected``,
    ``client_cancelled``, ``max_output_tokens``, ...) and the `error` of a failed response."""

    type: str | None = None
    reason: str | None = None
    error: RealtimeErrorDetail | None = None


class RealtimeAudioFormat(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True, gc=False):
    """An audio ``format`` object: `type` ``audio/pcm`` (with `rate`), ``audio/pcmu``,
    ``audio/pcma``."""

    type: str | None = None
    rate: int | None = None


class RealtimeAudioOutput(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True, gc=False):
    """``response.audio.output``: its `format` and `voice` (a name or ``{"id": ...}``)."""

    format: RealtimeAudioFormat | None = None
    voice: Any = None


class RealtimeResponseAudio(
    msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True, gc=False
):
    """``response.audio``."""

    output: RealtimeAudioOutput | None = None


class RealtimeResponse(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True, gc=False):
    """The ``response`` of ``response.created`` / ``response.done``.

    `status` is ``in_progress``/``completed``/``cancelled``/``failed``/``incomplete``;
    `status_details` says why it ended early; `usage` is only on ``response.done``.
    `conversation_id` is ``None`` for an out-of-band response;
    `max_output_tokens` is an int or ``"inf"``. The output items' audio is omitted by the
    server.
    """

    id: str | None = None
    object: str | None = None
    status: str | None = None
    status_details: RealtimeStatusDetails | None = None
    output: list[RealtimeItem] | None = None
    conversation_id: str | None = None
    output_modalities: list[str] | None = None
    max_output_tokens: int | str | None = None
    audio: RealtimeResponseAudio | None = None
    metadata: Any = None
    usage: RealtimeResponseUsage | None = None

    @property
    def items(self) -> list[RealtimeItem]:
        """``output``, or an empty list when the server sent none."""
        return self.output if self.output is not None else []

    @property
    def reason(self) -> str | None:
        """``status_details.reason`` (``turn_detected``, ``client_cancelled``, ...), if any."""
        details = self.status_details
        return details.reason if details is not None else None


class RealtimeErrorDetail(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True, gc=False):
    """The ``error`` object of an ``error`` event (and of a failed transcription).

    `event_id` is the *client* event that caused it, when the server could name one.
    """

    message: str | None = None
    type: str | None = None
    code: str | None = None
    param: str | None = None
    event_id: str | None = None


class RealtimeRateLimit(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True, gc=False):
    """One entry of ``rate_limits.updated``: `name` is ``requests`` or ``tokens``;
    `reset_seconds` is fractional."""

    name: str | None = None
    limit: int | None = None
    remaining: int | None = None
    reset_seconds: float | None = None


class RealtimeConversation(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True, gc=False):
    """The ``conversation`` of ``conversation.created`` (`object`: ``realtime.conversation``)."""

    id: str | None = None
    object: str | None = None

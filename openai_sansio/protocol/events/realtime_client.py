"""Realtime (GA) client events: the 11 members of the SDK's ``RealtimeClientEvent`` union.

What: one frozen struct per client event, named after its wire tag
(``input_audio_buffer.append`` -> `InputAudioBufferAppend`), tagged on ``type``. Fields the
SDK requires are required here, so a client cannot build an event the server must reject, and
a peer's broken event (the emulator decodes these) is a `RemoteProtocolError`. `event_id` is
optional everywhere; the server echoes it in ``error.error.event_id`` on failure.

Why `InputAudioBufferAppend.audio` is ``bytes``: the encoder writes base64 in C; the caller
hands over raw PCM/G.711 and never base64-encodes on the hot path.

Next: ``session`` (``session.update``) and ``response`` (``response.create``) are plain JSON
values (a ``dict`` or any msgspec-encodable object such as a config struct); the typed GA
session lives in ``protocol.realtime_config``.
"""

from __future__ import annotations

from typing import Any, Final

from .realtime_items import RealtimeEvent, RealtimeItem, union_tags

__all__ = [
    "REALTIME_CLIENT_EVENT_TYPES",
    "ConversationItemCreate",
    "ConversationItemDelete",
    "ConversationItemRetrieve",
    "ConversationItemTruncate",
    "InputAudioBufferAppend",
    "InputAudioBufferClear",
    "InputAudioBufferCommit",
    "OutputAudioBufferClear",
    "RealtimeClientEvent",
    "ResponseCancel",
    "ResponseCreate",
    "SessionUpdate",
]


class SessionUpdate(RealtimeEvent, tag="session.update", frozen=True):
    """Client event ``session.update``: change the fields present in `session` (its ``type``,
    ``"realtime"`` or ``"transcription"``, is required by the server). Reply:
    ``session.updated``."""

    session: Any


class InputAudioBufferAppend(RealtimeEvent, tag="input_audio_buffer.append", frozen=True):
    """Client event ``input_audio_buffer.append``: raw audio in the session's input format
    (base64 on the wire, at most 15 MiB per event). No reply."""

    audio: bytes


class InputAudioBufferCommit(RealtimeEvent, tag="input_audio_buffer.commit", frozen=True):
    """Client event ``input_audio_buffer.commit`` (at least 100 ms buffered). Reply:
    ``input_audio_buffer.committed``."""


class InputAudioBufferClear(RealtimeEvent, tag="input_audio_buffer.clear", frozen=True):
    """Client event ``input_audio_buffer.clear``. Reply: ``input_audio_buffer.cleared``."""


class OutputAudioBufferClear(RealtimeEvent, tag="output_audio_buffer.clear", frozen=True):
    """Client event ``output_audio_buffer.clear`` (WebRTC/SIP only; send ``response.cancel``
    first). Reply: ``output_audio_buffer.cleared``."""


class ConversationItemCreate(RealtimeEvent, tag="conversation.item.create", frozen=True):
    """Client event ``conversation.item.create``: insert `item` after `previous_item_id`
    (``"root"`` prepends; absent appends). Reply: ``conversation.item.added`` / ``.done``."""

    item: RealtimeItem
    previous_item_id: str | None = None


class ConversationItemRetrieve(RealtimeEvent, tag="conversation.item.retrieve", frozen=True):
    """Client event ``conversation.item.retrieve``. Reply: ``conversation.item.retrieved``
    (with the item's audio)."""

    item_id: str


class ConversationItemTruncate(RealtimeEvent, tag="conversation.item.truncate", frozen=True):
    """Client event ``conversation.item.truncate``: cut an assistant audio item at
    `audio_end_ms` (what was played). Reply: ``conversation.item.truncated``."""

    item_id: str
    content_index: int
    audio_end_ms: int


class ConversationItemDelete(RealtimeEvent, tag="conversation.item.delete", frozen=True):
    """Client event ``conversation.item.delete``. Reply: ``conversation.item.deleted``."""

    item_id: str


class ResponseCreate(RealtimeEvent, tag="response.create", frozen=True):
    """Client event ``response.create``: `response` holds the per-response parameters
    (``output_modalities``, ``instructions``, ``tools``, ``conversation``, ``input``,
    ``metadata``, ...) as a plain JSON value. Reply: ``response.created`` ...
    ``response.done``."""

    response: Any = None


class ResponseCancel(RealtimeEvent, tag="response.cancel", frozen=True):
    """Client event ``response.cancel`` (`response_id` defaults to the active response of the
    default conversation). Reply: ``response.done`` with status ``cancelled``, or the benign
    error ``response_cancel_not_active``."""

    response_id: str | None = None


RealtimeClientEvent = (
    SessionUpdate
    | InputAudioBufferAppend
    | InputAudioBufferCommit
    | InputAudioBufferClear
    | OutputAudioBufferClear
    | ConversationItemCreate
    | ConversationItemRetrieve
    | ConversationItemTruncate
    | ConversationItemDelete
    | ResponseCreate
    | ResponseCancel
)
"""The Realtime (GA) client events."""

REALTIME_CLIENT_EVENT_TYPES: Final[frozenset[str]] = union_tags(RealtimeClientEvent)
"""The wire tags of `RealtimeClientEvent`: a tag outside it becomes an `UnknownEvent`."""

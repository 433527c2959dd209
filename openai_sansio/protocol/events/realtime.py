"""Realtime API (GA, WebSocket) wire events: every member of the SDK's ``RealtimeServerEvent``
union, and (re-exported from `realtime_client`) the 11 client events.

What: each class is named after its wire tag, CamelCase over ``.`` and ``_``
(``response.output_audio.delta`` -> `ResponseOutputAudioDelta`); the one exception is the
tag ``error`` -> `RealtimeErrorEvent`. Names repeat some of `events.responses` (``ResponseCreated``,
``ResponseDone``...): import them from here, never flat from both.

Why every server field is optional: the server sends extra fields, and GA servers leave some
out (``response.mcp_call.*`` has no ``response_id``; transcription deltas may lack
``content_index``). A missing field decodes as ``None`` and re-encodes as absent; a field of
the wrong type is a `RemoteProtocolError`. The one required field is
`ResponseOutputAudioDelta.delta` (``bytes``, base64 decoded by msgspec in C): an audio delta
without audio is meaningless, and a default would be dropped again on encoding.

Next: a ``type`` outside `REALTIME_SERVER_EVENT_TYPES` (beta names such as
``response.audio.delta``, events added later) decodes as `UnknownEvent`, never a failure;
when the SDK adds an event, `tests/test_realtime_events.py` fails until it has a class here.
"""

from __future__ import annotations

from typing import Any, Final

from .realtime_client import (
    REALTIME_CLIENT_EVENT_TYPES,
    ConversationItemCreate,
    ConversationItemDelete,
    ConversationItemRetrieve,
    ConversationItemTruncate,
    InputAudioBufferAppend,
    InputAudioBufferClear,
    InputAudioBufferCommit,
    OutputAudioBufferClear,
    RealtimeClientEvent,
    ResponseCancel,
    ResponseCreate,
    SessionUpdate,
)
from .realtime_items import (
    AUDIO_PART_TYPES,
    TEXT_PART_TYPES,
    RealtimeAudioFormat,
    RealtimeAudioOutput,
    RealtimeContent,
    RealtimeConversation,
    RealtimeErrorDetail,
    RealtimeEvent,
    RealtimeItem,
    RealtimeRateLimit,
    RealtimeResponse,
    RealtimeResponseAudio,
    RealtimeResponseUsage,
    RealtimeStatusDetails,
    RealtimeTokenDetails,
    union_tags,
)

__all__ = [
    "AUDIO_PART_TYPES",
    "REALTIME_CLIENT_EVENT_TYPES",
    "REALTIME_SERVER_EVENT_TYPES",
    "TEXT_PART_TYPES",
    "ConversationCreated",
    "ConversationItemAdded",
    "ConversationItemCreate",
    "ConversationItemCreated",
    "ConversationItemDelete",
    "ConversationItemDeleted",
    "ConversationItemDone",
    "ConversationItemInputAudioTranscriptionCompleted",
    "ConversationItemInputAudioTranscriptionDelta",
    "ConversationItemInputAudioTranscriptionFailed",
    "ConversationItemInputAudioTranscriptionSegment",
    "ConversationItemRetrieve",
    "ConversationItemRetrieved",
    "ConversationItemTruncate",
    "ConversationItemTruncated",
    "InputAudioBufferAppend",
    "InputAudioBufferClear",
    "InputAudioBufferCleared",
    "InputAudioBufferCommit",
    "InputAudioBufferCommitted",
    "InputAudioBufferDtmfEventReceived",
    "InputAudioBufferSpeechStarted",
    "InputAudioBufferSpeechStopped",
    "InputAudioBufferTimeoutTriggered",
    "McpListToolsCompleted",
    "McpListToolsFailed",
    "McpListToolsInProgress",
    "OutputAudioBufferClear",
    "OutputAudioBufferCleared",
    "OutputAudioBufferStarted",
    "OutputAudioBufferStopped",
    "RateLimitsUpdated",
    "RealtimeAudioFormat",
    "RealtimeAudioOutput",
    "RealtimeClientEvent",
    "RealtimeContent",
    "RealtimeConversation",
    "RealtimeErrorDetail",
    "RealtimeErrorEvent",
    "RealtimeEvent",
    "RealtimeItem",
    "RealtimeRateLimit",
    "RealtimeResponse",
    "RealtimeResponseAudio",
    "RealtimeResponseUsage",
    "RealtimeServerEvent",
    "RealtimeStatusDetails",
    "RealtimeTokenDetails",
    "ResponseCancel",
    "ResponseContentPartAdded",
    "ResponseContentPartDone",
    "ResponseCreate",
    "ResponseCreated",
    "ResponseDone",
    "ResponseFunctionCallArgumentsDelta",
    "ResponseFunctionCallArgumentsDone",
    "ResponseMcpCallArgumentsDelta",
    "ResponseMcpCallArgumentsDone",
    "ResponseMcpCallCompleted",
    "ResponseMcpCallFailed",
    "ResponseMcpCallInProgress",
    "ResponseOutputAudioDelta",
    "ResponseOutputAudioDone",
    "ResponseOutputAudioTranscriptDelta",
    "ResponseOutputAudioTranscriptDone",
    "ResponseOutputItemAdded",
    "ResponseOutputItemDone",
    "ResponseOutputTextDelta",
    "ResponseOutputTextDone",
    "SessionCreated",
    "SessionUpdate",
    "SessionUpdated",
]

# --------------------------------------------------------------------------------------------
# Session, conversation, errors, rate limits


class SessionCreated(RealtimeEvent, tag="session.created", frozen=True):
    """Server event ``session.created``: the first event; `session` is the effective GA
    session (``type`` ``realtime`` or ``transcription``) as plain JSON. Read defaults here."""

    session: Any = None


class SessionUpdated(RealtimeEvent, tag="session.updated", frozen=True):
    """Server event ``session.updated``: the full effective session after a
    ``session.update`` (does not echo the client's ``event_id``)."""

    session: Any = None


class ConversationCreated(RealtimeEvent, tag="conversation.created", frozen=True):
    """Server event ``conversation.created`` (may follow ``session.created``)."""

    conversation: RealtimeConversation | None = None


class RealtimeErrorEvent(RealtimeEvent, tag="error", frozen=True):
    """Server event ``error``: most errors leave the session open. `error.event_id` names the
    client event that caused it. How to react is the session machine's call (Realtime reads
    codes differently from HTTP: ``invalid_request_error`` is usually recoverable here)."""

    error: RealtimeErrorDetail | None = None


class RateLimitsUpdated(RealtimeEvent, tag="rate_limits.updated", frozen=True):
    """Server event ``rate_limits.updated`` (may hold only ``tokens``, or nothing)."""

    rate_limits: list[RealtimeRateLimit] | None = None


# --------------------------------------------------------------------------------------------
# Input audio buffer


class InputAudioBufferCommitted(RealtimeEvent, tag="input_audio_buffer.committed", frozen=True):
    """Server event ``input_audio_buffer.committed``: the buffer became user item `item_id`,
    placed after `previous_item_id`."""

    item_id: str | None = None
    previous_item_id: str | None = None


class InputAudioBufferCleared(RealtimeEvent, tag="input_audio_buffer.cleared", frozen=True):
    """Server event ``input_audio_buffer.cleared``."""


class InputAudioBufferSpeechStarted(
    RealtimeEvent, tag="input_audio_buffer.speech_started", frozen=True
):
    """Server event ``input_audio_buffer.speech_started`` (server VAD; with
    ``interrupt_response`` the server cancels the active response)."""

    audio_start_ms: int | None = None
    item_id: str | None = None


class InputAudioBufferSpeechStopped(
    RealtimeEvent, tag="input_audio_buffer.speech_stopped", frozen=True
):
    """Server event ``input_audio_buffer.speech_stopped``."""

    audio_end_ms: int | None = None
    item_id: str | None = None


class InputAudioBufferTimeoutTriggered(
    RealtimeEvent, tag="input_audio_buffer.timeout_triggered", frozen=True
):
    """Server event ``input_audio_buffer.timeout_triggered`` (server VAD ``idle_timeout_ms``)."""

    audio_start_ms: int | None = None
    audio_end_ms: int | None = None
    item_id: str | None = None


class InputAudioBufferDtmfEventReceived(
    RealtimeEvent, tag="input_audio_buffer.dtmf_event_received", frozen=True
):
    """Server event ``input_audio_buffer.dtmf_event_received`` (SIP; no ``event_id``):
    `event` is the key pressed, `received_at` a Unix time."""

    event: str | None = None
    received_at: int | None = None


# --------------------------------------------------------------------------------------------
# Conversation items


class ConversationItemCreated(RealtimeEvent, tag="conversation.item.created", frozen=True):
    """Server event ``conversation.item.created`` (documented and in the SDK union; GA servers
    send ``conversation.item.added`` / ``.done`` instead)."""

    item: RealtimeItem | None = None
    previous_item_id: str | None = None


class ConversationItemAdded(RealtimeEvent, tag="conversation.item.added", frozen=True):
    """Server event ``conversation.item.added``: `item` entered the conversation after
    `previous_item_id` (its content may still be filling in)."""

    item: RealtimeItem | None = None
    previous_item_id: str | None = None


class ConversationItemDone(RealtimeEvent, tag="conversation.item.done", frozen=True):
    """Server event ``conversation.item.done``: `item` is final."""

    item: RealtimeItem | None = None
    previous_item_id: str | None = None


class ConversationItemRetrieved(RealtimeEvent, tag="conversation.item.retrieved", frozen=True):
    """Server event ``conversation.item.retrieved``: the server's copy, audio included."""

    item: RealtimeItem | None = None


class ConversationItemTruncated(RealtimeEvent, tag="conversation.item.truncated", frozen=True):
    """Server event ``conversation.item.truncated``."""

    item_id: str | None = None
    content_index: int | None = None
    audio_end_ms: int | None = None


class ConversationItemDeleted(RealtimeEvent, tag="conversation.item.deleted", frozen=True):
    """Server event ``conversation.item.deleted``."""

    item_id: str | None = None


class ConversationItemInputAudioTranscriptionDelta(
    RealtimeEvent, tag="conversation.item.input_audio_transcription.delta", frozen=True
):
    """Server event ``conversation.item.input_audio_transcription.delta`` (``whisper-1``
    sends the whole turn as one delta)."""

    item_id: str | None = None
    content_index: int | None = None
    delta: str | None = None
    logprobs: list[Any] | None = None
    obfuscation: str | None = None


class ConversationItemInputAudioTranscriptionCompleted(
    RealtimeEvent, tag="conversation.item.input_audio_transcription.completed", frozen=True
):
    """Server event ``conversation.item.input_audio_transcription.completed``; `usage` is
    ``{"type": "tokens", ...}`` or ``{"type": "duration", "seconds": ...}``."""

    item_id: str | None = None
    content_index: int | None = None
    transcript: str | None = None
    usage: Any = None
    logprobs: list[Any] | None = None
    languages: Any = None


class ConversationItemInputAudioTranscriptionFailed(
    RealtimeEvent, tag="conversation.item.input_audio_transcription.failed", frozen=True
):
    """Server event ``conversation.item.input_audio_transcription.failed``."""

    item_id: str | None = None
    content_index: int | None = None
    error: RealtimeErrorDetail | None = None


class ConversationItemInputAudioTranscriptionSegment(
    RealtimeEvent, tag="conversation.item.input_audio_transcription.segment", frozen=True
):
    """Server event ``conversation.item.input_audio_transcription.segment`` (diarization):
    `start` / `end` in seconds."""

    item_id: str | None = None
    content_index: int | None = None
    id: str | None = None
    speaker: str | None = None
    start: float | None = None
    end: float | None = None
    text: str | None = None


# --------------------------------------------------------------------------------------------
# Responses


class ResponseCreated(RealtimeEvent, tag="response.created", frozen=True):
    """Server event ``response.created`` (status ``in_progress``, empty output)."""

    response: RealtimeResponse | None = None


class ResponseDone(RealtimeEvent, tag="response.done", frozen=True):
    """Server event ``response.done``: the final response, with `usage`; also ends cancelled,
    failed and incomplete responses (there is no ``response.cancelled``)."""

    response: RealtimeResponse | None = None


class ResponseOutputItemAdded(RealtimeEvent, tag="response.output_item.added", frozen=True):
    """Server event ``response.output_item.added``."""

    response_id: str | None = None
    output_index: int | None = None
    item: RealtimeItem | None = None


class ResponseOutputItemDone(RealtimeEvent, tag="response.output_item.done", frozen=True):
    """Server event ``response.output_item.done`` (status ``incomplete`` when interrupted)."""

    response_id: str | None = None
    output_index: int | None = None
    item: RealtimeItem | None = None


class ResponseContentPartAdded(RealtimeEvent, tag="response.content_part.added", frozen=True):
    """Server event ``response.content_part.added`` (`part.type` ``audio`` or ``text``)."""

    response_id: str | None = None
    item_id: str | None = None
    output_index: int | None = None
    content_index: int | None = None
    part: RealtimeContent | None = None


class ResponseContentPartDone(RealtimeEvent, tag="response.content_part.done", frozen=True):
    """Server event ``response.content_part.done``."""

    response_id: str | None = None
    item_id: str | None = None
    output_index: int | None = None
    content_index: int | None = None
    part: RealtimeContent | None = None


class ResponseOutputTextDelta(RealtimeEvent, tag="response.output_text.delta", frozen=True):
    """Server event ``response.output_text.delta`` (text-only responses)."""

    response_id: str | None = None
    item_id: str | None = None
    output_index: int | None = None
    content_index: int | None = None
    delta: str | None = None
    obfuscation: str | None = None


class ResponseOutputTextDone(RealtimeEvent, tag="response.output_text.done", frozen=True):
    """Server event ``response.output_text.done``."""

    response_id: str | None = None
    item_id: str | None = None
    output_index: int | None = None
    content_index: int | None = None
    text: str | None = None


class ResponseOutputAudioDelta(RealtimeEvent, tag="response.output_audio.delta", frozen=True):
    """Server event ``response.output_audio.delta``: `delta` is the raw audio chunk in the
    session's output format (base64 on the wire, decoded by msgspec)."""

    delta: bytes
    response_id: str | None = None
    item_id: str | None = None
    output_index: int | None = None
    content_index: int | None = None


class ResponseOutputAudioDone(RealtimeEvent, tag="response.output_audio.done", frozen=True):
    """Server event ``response.output_audio.done``."""

    response_id: str | None = None
    item_id: str | None = None
    output_index: int | None = None
    content_index: int | None = None


class ResponseOutputAudioTranscriptDelta(
    RealtimeEvent, tag="response.output_audio_transcript.delta", frozen=True
):
    """Server event ``response.output_audio_transcript.delta``."""

    response_id: str | None = None
    item_id: str | None = None
    output_index: int | None = None
    content_index: int | None = None
    delta: str | None = None
    obfuscation: str | None = None


class ResponseOutputAudioTranscriptDone(
    RealtimeEvent, tag="response.output_audio_transcript.done", frozen=True
):
    """Server event ``response.output_audio_transcript.done``."""

    response_id: str | None = None
    item_id: str | None = None
    output_index: int | None = None
    content_index: int | None = None
    transcript: str | None = None


class ResponseFunctionCallArgumentsDelta(
    RealtimeEvent, tag="response.function_call_arguments.delta", frozen=True
):
    """Server event ``response.function_call_arguments.delta`` (partial JSON)."""

    response_id: str | None = None
    item_id: str | None = None
    output_index: int | None = None
    call_id: str | None = None
    delta: str | None = None
    obfuscation: str | None = None


class ResponseFunctionCallArgumentsDone(
    RealtimeEvent, tag="response.function_call_arguments.done", frozen=True
):
    """Server event ``response.function_call_arguments.done``."""

    response_id: str | None = None
    item_id: str | None = None
    output_index: int | None = None
    call_id: str | None = None
    name: str | None = None
    arguments: str | None = None


# --------------------------------------------------------------------------------------------
# MCP


class ResponseMcpCallArgumentsDelta(
    RealtimeEvent, tag="response.mcp_call_arguments.delta", frozen=True
):
    """Server event ``response.mcp_call_arguments.delta``."""

    response_id: str | None = None
    item_id: str | None = None
    output_index: int | None = None
    delta: str | None = None
    obfuscation: str | None = None


class ResponseMcpCallArgumentsDone(
    RealtimeEvent, tag="response.mcp_call_arguments.done", frozen=True
):
    """Server event ``response.mcp_call_arguments.done``."""

    response_id: str | None = None
    item_id: str | None = None
    output_index: int | None = None
    arguments: str | None = None


class ResponseMcpCallInProgress(RealtimeEvent, tag="response.mcp_call.in_progress", frozen=True):
    """Server event ``response.mcp_call.in_progress`` (no ``response_id`` in the SDK)."""

    item_id: str | None = None
    output_index: int | None = None
    response_id: str | None = None


class ResponseMcpCallCompleted(RealtimeEvent, tag="response.mcp_call.completed", frozen=True):
    """Server event ``response.mcp_call.completed``."""

    item_id: str | None = None
    output_index: int | None = None
    response_id: str | None = None


class ResponseMcpCallFailed(RealtimeEvent, tag="response.mcp_call.failed", frozen=True):
    """Server event ``response.mcp_call.failed``."""

    item_id: str | None = None
    output_index: int | None = None
    response_id: str | None = None


class McpListToolsInProgress(RealtimeEvent, tag="mcp_list_tools.in_progress", frozen=True):
    """Server event ``mcp_list_tools.in_progress``."""

    item_id: str | None = None


class McpListToolsCompleted(RealtimeEvent, tag="mcp_list_tools.completed", frozen=True):
    """Server event ``mcp_list_tools.completed``."""

    item_id: str | None = None


class McpListToolsFailed(RealtimeEvent, tag="mcp_list_tools.failed", frozen=True):
    """Server event ``mcp_list_tools.failed``."""

    item_id: str | None = None


# --------------------------------------------------------------------------------------------
# WebRTC/SIP output buffer


class OutputAudioBufferStarted(RealtimeEvent, tag="output_audio_buffer.started", frozen=True):
    """Server event ``output_audio_buffer.started`` (WebRTC/SIP only)."""

    response_id: str | None = None


class OutputAudioBufferStopped(RealtimeEvent, tag="output_audio_buffer.stopped", frozen=True):
    """Server event ``output_audio_buffer.stopped`` (WebRTC/SIP only)."""

    response_id: str | None = None


class OutputAudioBufferCleared(RealtimeEvent, tag="output_audio_buffer.cleared", frozen=True):
    """Server event ``output_audio_buffer.cleared`` (WebRTC/SIP only)."""

    response_id: str | None = None


RealtimeServerEvent = (
    ResponseOutputAudioDelta
    | ResponseOutputAudioTranscriptDelta
    | ResponseOutputTextDelta
    | ResponseFunctionCallArgumentsDelta
    | ConversationItemInputAudioTranscriptionDelta
    | SessionCreated
    | SessionUpdated
    | ConversationCreated
    | RealtimeErrorEvent
    | RateLimitsUpdated
    | InputAudioBufferCommitted
    | InputAudioBufferCleared
    | InputAudioBufferSpeechStarted
    | InputAudioBufferSpeechStopped
    | InputAudioBufferTimeoutTriggered
    | InputAudioBufferDtmfEventReceived
    | ConversationItemCreated
    | ConversationItemAdded
    | ConversationItemDone
    | ConversationItemRetrieved
    | ConversationItemTruncated
    | ConversationItemDeleted
    | ConversationItemInputAudioTranscriptionCompleted
    | ConversationItemInputAudioTranscriptionFailed
    | ConversationItemInputAudioTranscriptionSegment
    | ResponseCreated
    | ResponseDone
    | ResponseOutputItemAdded
    | ResponseOutputItemDone
    | ResponseContentPartAdded
    | ResponseContentPartDone
    | ResponseOutputTextDone
    | ResponseOutputAudioDone
    | ResponseOutputAudioTranscriptDone
    | ResponseFunctionCallArgumentsDone
    | ResponseMcpCallArgumentsDelta
    | ResponseMcpCallArgumentsDone
    | ResponseMcpCallInProgress
    | ResponseMcpCallCompleted
    | ResponseMcpCallFailed
    | McpListToolsInProgress
    | McpListToolsCompleted
    | McpListToolsFailed
    | OutputAudioBufferStarted
    | OutputAudioBufferStopped
    | OutputAudioBufferCleared
)
"""The Realtime (GA) server events (46, the SDK's ``RealtimeServerEvent`` union)."""

REALTIME_SERVER_EVENT_TYPES: Final[frozenset[str]] = union_tags(RealtimeServerEvent)
"""The wire tags of `RealtimeServerEvent`: a tag outside it becomes an `UnknownEvent`."""

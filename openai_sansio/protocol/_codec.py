"""The codec: wire JSON <-> typed events, two-phase, built once at import.

`decode_server_event(data, api=...)` tries the API's known tagged union first. If msgspec
rejects the document, a second, tiny decode reads only ``type``: a ``type`` outside the known
set becomes `UnknownEvent(type, raw)` (never fails a stream); a known ``type`` with a broken
body, bad JSON or a non-object is a `RemoteProtocolError`. Nothing else escapes.

`encode_event(event)` gives the JSON bytes; unset optionals are omitted (the API rejects
explicit nulls) and an `UnknownEvent` re-encodes to exactly the bytes it was decoded from.

APIs are registered by name in `_SERVER` / `_CLIENT`; later protocols add their entries.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

import msgspec

from ._errors import RemoteProtocolError
from .events.chat import ChatCompletionChunk, ChatStreamErrorObject
from .events.common import UnknownEvent
from .events.realtime import (
    REALTIME_CLIENT_EVENT_TYPES,
    REALTIME_SERVER_EVENT_TYPES,
    RealtimeClientEvent,
    RealtimeServerEvent,
)
from .events.responses import (
    RESPONSES_SERVER_EVENT_TYPES,
    ResponsesClientEvent,
    ResponsesServerEvent,
)
from .events.speech import SPEECH_SERVER_EVENT_TYPES, SpeechServerEvent
from .events.transcription import (
    TRANSCRIPTION_HTTP_EVENT_TYPES,
    TranscriptionHTTPServerEvent,
)

__all__ = [
    "ServerEvent",
    "decode_client_event",
    "decode_server_event",
    "encode_event",
    "known_apis",
    "server_decoder",
]

ServerEvent = (
    ResponsesServerEvent
    | ChatCompletionChunk
    | ChatStreamErrorObject
    | RealtimeServerEvent
    | UnknownEvent
)


class _TypeOnly(msgspec.Struct, gc=False):
    type: str


_type_only: Final = msgspec.json.Decoder(_TypeOnly)
_UNDECODABLE: Final = (msgspec.DecodeError, UnicodeError, RecursionError)
"""What decoding a peer's document may raise besides a schema mismatch: bad JSON, invalid UTF-8
inside a string (msgspec raises UnicodeDecodeError), and nesting deeper than the interpreter's
recursion limit (msgspec raises RecursionError at about 1000 levels)."""
_encoder: Final = msgspec.json.Encoder()


def _as_bytes(data: bytes | str) -> bytes:
    return data.encode("utf-8", "surrogatepass") if isinstance(data, str) else bytes(data)


def _tagged(
    decoder: msgspec.json.Decoder[Any], known: frozenset[str], what: str
) -> Callable[[bytes | str], Any]:
    """A two-phase decoder for a union tagged on ``type``."""
    decode = decoder.decode

    def run(data: bytes | str) -> Any:
        try:
            return decode(data)
        except msgspec.ValidationError as exc:
            failure: Exception = exc
        except _UNDECODABLE as exc:  # msgspec raises UnicodeDecodeError
            raise RemoteProtocolError(  # for invalid UTF-8 inside a string it decodes
                f"invalid JSON in {what} event: {exc}", error_hint="invalid_json"
            ) from None
        try:
            tag = _type_only.decode(data).type
        except _UNDECODABLE as exc:
            if not isinstance(exc, msgspec.ValidationError):  # e.g. trailing garbage
                raise RemoteProtocolError(
                    f"invalid JSON in {what} event: {exc}", error_hint="invalid_json"
                ) from None
            raise RemoteProtocolError(
                f"{what} event is not an object with a string 'type': {failure}",
                error_hint="schema_violation",
            ) from None
        if tag in known:
            raise RemoteProtocolError(
                f"{what} event {tag!r} does not match its schema: {failure}",
                error_hint="schema_violation",
            ) from None
        return UnknownEvent(tag, _as_bytes(data))

    return run


_chunk_decoder: Final = msgspec.json.Decoder(ChatCompletionChunk)
_chat_error_decoder: Final = msgspec.json.Decoder(ChatStreamErrorObject)


def _decode_chat(data: bytes | str) -> ChatCompletionChunk | ChatStreamErrorObject:
    """A chunk, or the ``{"error": {...}}`` object a failing stream sends instead."""
    try:
        return _chunk_decoder.decode(data)
    except msgspec.ValidationError as exc:
        failure: Exception = exc
    except _UNDECODABLE as exc:  # invalid UTF-8 in a string: Unicode
        raise RemoteProtocolError(
            f"invalid JSON in chat chunk: {exc}", error_hint="invalid_json"
        ) from None
    try:
        return _chat_error_decoder.decode(data)
    except _UNDECODABLE as exc:
        if not isinstance(exc, msgspec.ValidationError):  # e.g. trailing garbage
            raise RemoteProtocolError(
                f"invalid JSON in chat chunk: {exc}", error_hint="invalid_json"
            ) from None
        raise RemoteProtocolError(
            f"chat chunk does not match its schema: {failure}", error_hint="schema_violation"
        ) from None


_SERVER: Final[dict[str, Callable[[bytes | str], Any]]] = {
    "responses": _tagged(
        msgspec.json.Decoder(ResponsesServerEvent), RESPONSES_SERVER_EVENT_TYPES, "responses"
    ),
    "chat": _decode_chat,
    "realtime": _tagged(
        msgspec.json.Decoder(RealtimeServerEvent), REALTIME_SERVER_EVENT_TYPES, "realtime"
    ),
    "speech": _tagged(msgspec.json.Decoder(SpeechServerEvent), SPEECH_SERVER_EVENT_TYPES, "speech"),
    "transcription-http": _tagged(
        msgspec.json.Decoder(TranscriptionHTTPServerEvent),
        TRANSCRIPTION_HTTP_EVENT_TYPES,
        "transcription",
    ),
}

_CLIENT: Final[dict[str, Callable[[bytes | str], Any]]] = {
    "responses": _tagged(
        msgspec.json.Decoder(ResponsesClientEvent),
        frozenset({"response.create", "response.steer"}),
        "responses client",
    ),
    "realtime": _tagged(
        msgspec.json.Decoder(RealtimeClientEvent), REALTIME_CLIENT_EVENT_TYPES, "realtime client"
    ),
}


def server_decoder(api: str) -> Callable[[bytes | str], Any]:
    """The decode function of `api`, for machines that bind it once (saves a keyword call
    and a lookup per event on the hot path). Same contract as `decode_server_event`."""
    try:
        return _SERVER[api]
    except KeyError:
        raise ValueError(f"unknown api {api!r}; expected one of {sorted(_SERVER)}") from None


def known_apis() -> tuple[str, ...]:
    """The API names `decode_server_event` accepts."""
    return tuple(_SERVER)


def decode_server_event(data: bytes | str, *, api: str) -> Any:
    """Decode one server event of `api` (``"responses"``, ``"chat"``, ``"realtime"``).

    Returns the typed event, or `UnknownEvent` for a ``type`` this library does not know.
    Raises `RemoteProtocolError` on bad JSON or a known type with a broken body, and
    `ValueError` for an unknown `api` name (a caller bug, not a wire problem).
    """
    try:
        decode = _SERVER[api]
    except KeyError:
        raise ValueError(f"unknown api {api!r}; expected one of {sorted(_SERVER)}") from None
    return decode(data)


def decode_client_event(data: bytes | str, *, api: str) -> Any:
    """Decode one client event of `api` (``"responses"``: ``response.create``/``.steer``;
    ``"realtime"``: the 11 Realtime GA client events).

    Same contract as `decode_server_event`. The Chat Completions API has no client events
    (its request is an HTTP body), so ``api="chat"`` is a `ValueError`.
    """
    try:
        decode = _CLIENT[api]
    except KeyError:
        raise ValueError(
            f"api {api!r} has no client events; expected one of {sorted(_CLIENT)}"
        ) from None
    return decode(data)


def encode_event(event: Any) -> bytes:
    """The JSON bytes of `event` (an `UnknownEvent` gives back its exact raw bytes)."""
    if type(event) is UnknownEvent:
        return event.raw
    return _encoder.encode(event)

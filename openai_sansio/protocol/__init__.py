"""The pure protocol layer: bytes or messages in, typed events and outgoing messages out.

Nothing here does I/O, reads a clock or draws entropy (a test enforces it), so every machine
is deterministic: the same inputs give the same events and the same bytes out.
"""

from __future__ import annotations

from ._codec import decode_client_event, decode_server_event, encode_event, known_apis
from ._errors import LocalProtocolError, ProtocolError, RemoteProtocolError
from ._sse import ServerSentEvent, SSEDecoder
from .chat import ChatChoiceDone, ChatChoiceResult, ChatEnd, ChatResult, ChatStream
from .events.common import (
    NEED_DATA,
    APIError,
    ArgumentsProblem,
    ErrorClass,
    NeedData,
    TokenUsage,
    ToolCall,
    UnknownEvent,
    classify_error,
    parse_arguments,
)
from .http_errors import api_error_from_http
from .responses import ResponseEnd, ResponseResult, ResponseStream, StreamState

__all__ = [
    "NEED_DATA",
    "APIError",
    "ArgumentsProblem",
    "ChatChoiceDone",
    "ChatChoiceResult",
    "ChatEnd",
    "ChatResult",
    "ChatStream",
    "ErrorClass",
    "LocalProtocolError",
    "NeedData",
    "ProtocolError",
    "RemoteProtocolError",
    "ResponseEnd",
    "ResponseResult",
    "ResponseStream",
    "SSEDecoder",
    "ServerSentEvent",
    "StreamState",
    "TokenUsage",
    "ToolCall",
    "UnknownEvent",
    "api_error_from_http",
    "classify_error",
    "decode_client_event",
    "decode_server_event",
    "encode_event",
    "known_apis",
    "parse_arguments",
]

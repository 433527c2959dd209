"""openai-sansio: sans-I/O protocol machines for OpenAI's streaming APIs, thin anyio transports.

- `openai_sansio.protocol`: pure machines and the event codec (no I/O, no clock).
- `openai_sansio.transports`: anyio + h11 adapters.
- `openai_sansio.Client`: the async API on top, for asyncio and trio.
- `openai_sansio.emulator`: a loopback OpenAI emulator for tests, demos and benchmarks.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .protocol import (
    NEED_DATA,
    APIError,
    ChatResult,
    ChatStream,
    ResponseResult,
    ResponseStream,
    TokenUsage,
    ToolCall,
    UnknownEvent,
)
from .protocol._errors import LocalProtocolError, ProtocolError, RemoteProtocolError

if TYPE_CHECKING:
    from .client import Client
    from .errors import (
        APIConnectionError,
        APIStatusError,
        APITimeoutError,
        InsecureTransportError,
        OpenAISansIOError,
    )

__version__ = "0.1.0"

_LAZY = {
    "Client": "client",
    "APIConnectionError": "errors",
    "APIStatusError": "errors",
    "APITimeoutError": "errors",
    "InsecureTransportError": "errors",
    "OpenAISansIOError": "errors",
}
"""Names imported on first use, so ``import openai_sansio.protocol`` loads no event-loop
library (the pure layer must stay usable without anyio)."""


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'openai_sansio' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


__all__ = [
    "NEED_DATA",
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "ChatResult",
    "ChatStream",
    "Client",
    "InsecureTransportError",
    "LocalProtocolError",
    "OpenAISansIOError",
    "ProtocolError",
    "RemoteProtocolError",
    "ResponseResult",
    "ResponseStream",
    "TokenUsage",
    "ToolCall",
    "UnknownEvent",
    "__version__",
]

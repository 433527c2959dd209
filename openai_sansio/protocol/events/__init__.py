"""Typed wire events (frozen msgspec Structs) and the machine-level events built from them."""

from __future__ import annotations

from .common import (
    NEED_DATA,
    APIError,
    ArgumentsProblem,
    ErrorClass,
    NeedData,
    TokenUsage,
    ToolCall,
    UnknownEvent,
    WireEvent,
)

__all__ = [
    "NEED_DATA",
    "APIError",
    "ArgumentsProblem",
    "ErrorClass",
    "NeedData",
    "TokenUsage",
    "ToolCall",
    "UnknownEvent",
    "WireEvent",
]

"""Chat Completions streaming wire objects: the ``chat.completion.chunk`` and the mid-stream
error object. Chunks are not tagged on ``type``; they carry ``object: "chat.completion.chunk"``.

Open-shaped parts (usage details, audio, logprob entries) stay plain JSON values. Unknown
fields are ignored, so OpenAI-compatible servers that add their own decode fine.
"""

from __future__ import annotations

from typing import Any

import msgspec

from .responses import ErrorDetail

__all__ = [
    "ChatCompletionChunk",
    "ChatStreamErrorObject",
    "ChoiceDelta",
    "ChoiceLogprobs",
    "ChunkChoice",
    "CompletionUsage",
    "FunctionDelta",
    "ToolCallDelta",
]

_OPTS: dict[str, Any] = {"frozen": True, "kw_only": True, "omit_defaults": True, "gc": False}


class FunctionDelta(msgspec.Struct, **_OPTS):
    """``function`` fragment of a tool-call delta (also the legacy ``function_call``)."""

    name: str | None = None
    arguments: str | None = None


class ToolCallDelta(msgspec.Struct, **_OPTS):
    """One ``delta.tool_calls[]`` fragment; only the first of a call usually has id/name."""

    index: int
    id: str | None = None
    type: str | None = None
    function: FunctionDelta | None = None


class ChoiceDelta(msgspec.Struct, **_OPTS):
    """``choices[].delta``: text, refusal and tool-call fragments may share one chunk."""

    role: str | None = None
    content: str | None = None
    refusal: str | None = None
    tool_calls: list[ToolCallDelta] | None = None
    function_call: FunctionDelta | None = None
    audio: Any = None


class ChoiceLogprobs(msgspec.Struct, **_OPTS):
    """``choices[].logprobs``: token logprob entries for content and refusal (kept as sent)."""

    content: list[Any] | None = None
    refusal: list[Any] | None = None


class ChunkChoice(msgspec.Struct, **_OPTS):
    """One choice of a chunk; ``n > 1`` streams interleave choices by `index`."""

    index: int
    delta: ChoiceDelta
    logprobs: ChoiceLogprobs | None = None
    finish_reason: str | None = None


class CompletionUsage(msgspec.Struct, **_OPTS):
    """``usage`` of the final chunk (with ``stream_options.include_usage``)."""

    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    prompt_tokens_details: dict[str, Any] | None = None
    completion_tokens_details: dict[str, Any] | None = None


class ChatCompletionChunk(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """One ``chat.completion.chunk``. ``choices`` is empty on the usage chunk (and on some
    compatible servers' preamble chunks, which is why emptiness alone never means usage).

    Unlike request objects this one encodes every field (``null`` included), as the API
    sends it: ``object`` must always be present, and omitting defaults would drop it from a
    chunk built in Python."""

    id: str
    choices: list[ChunkChoice]
    object: str = "chat.completion.chunk"
    created: int | None = None
    model: str | None = None
    system_fingerprint: str | None = None
    service_tier: str | None = None
    obfuscation: str | None = None
    usage: CompletionUsage | None = None
    moderation: Any = None


class ChatStreamErrorObject(msgspec.Struct, **_OPTS):
    """A ``data:`` payload of the form ``{"error": {...}}``: a mid-stream failure."""

    error: ErrorDetail

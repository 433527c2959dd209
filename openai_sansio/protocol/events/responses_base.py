"""Objects shared by the Responses events: the response, its output items and content parts,
usage, error details, and the `ResponsesEvent` base every server event derives from.

Nested objects are typed where the machines or the caller need them and kept as plain JSON
values (`Any`) where the shape is open and only passed through (tools, annotations, actions,
tool outputs). `OutputItem` and `ContentPart` are *open* records keyed by ``type``: a new item
type decodes, never fails. Optionals default to ``None`` and are omitted when encoding.
"""

from __future__ import annotations

from typing import Any

import msgspec

from .common import WireEvent

__all__ = [
    "ContentPart",
    "ErrorDetail",
    "ErrorEvent",
    "OutputItem",
    "Response",
    "ResponseUsage",
    "ResponsesEvent",
    "SummaryPart",
]


class ContentPart(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True, gc=False):
    """One part of a message's ``content`` (``output_text``, ``refusal``, ``reasoning_text``,
    ``summary_text``, or a type added later: unknown fields of new part types are dropped)."""

    type: str
    text: str | None = None
    refusal: str | None = None
    annotations: list[Any] | None = None
    logprobs: list[Any] | None = None


class SummaryPart(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True, gc=False):
    """One reasoning summary part (``summary_text``)."""

    type: str
    text: str


class OutputItem(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True, gc=False):
    """One item of ``response.output``: an open record keyed by ``type``.

    ``message`` (role, content, phase), ``function_call`` (call_id, name, arguments),
    ``reasoning`` (summary, content, encrypted_content), ``custom_tool_call`` (input),
    built-in tool calls (``web_search_call``, ``file_search_call``, ``code_interpreter_call``,
    ``image_generation_call``, ``mcp_*``, ``shell_call``, ``computer_call``, ...). Fields whose
    shape is open (actions, results, outputs) stay plain JSON values.
    """

    type: str
    id: str | None = None
    status: str | None = None
    # message
    role: str | None = None
    content: list[ContentPart] | None = None
    phase: str | None = None
    # function_call / custom_tool_call / mcp_call
    call_id: str | None = None
    name: str | None = None
    arguments: Any = None
    """A JSON string for ``function_call`` / ``mcp_call``; any JSON value for
    ``tool_search_call``."""
    input: str | None = None
    namespace: str | None = None
    caller: Any = None
    async_: bool | None = msgspec.field(default=None, name="async")
    # reasoning / compaction
    summary: list[SummaryPart] | None = None
    encrypted_content: str | None = None
    # built-in tools (open shapes)
    action: Any = None
    actions: Any = None
    queries: list[str] | None = None
    results: Any = None
    code: str | None = None
    container_id: str | None = None
    outputs: Any = None
    result: Any = None
    output: Any = None
    error: Any = None
    server_label: str | None = None
    approval_request_id: str | None = None
    approve: bool | None = None
    reason: str | None = None
    tools: Any = None
    pending_safety_checks: Any = None
    acknowledged_safety_checks: Any = None
    background: str | None = None
    output_format: str | None = None
    quality: str | None = None
    revised_prompt: str | None = None
    size: str | None = None
    environment: Any = None
    execution: Any = None
    operation: Any = None
    max_output_length: int | None = None
    created_by: Any = None
    fingerprint: str | None = None


class ResponseUsage(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True, gc=False):
    """``response.usage``; the details objects are kept as sent (open sets of counters)."""

    input_tokens: int
    output_tokens: int
    total_tokens: int
    input_tokens_details: dict[str, Any] | None = None
    output_tokens_details: dict[str, Any] | None = None


class ErrorDetail(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True, gc=False):
    """The ``error`` object of a failed response or a WebSocket ``error`` frame."""

    message: str | None = None
    code: str | None = None
    type: str | None = None
    param: str | None = None
    headers: Any = None
    """Response headers a WebSocket ``error`` frame carries (rate limits, ...)."""


class Response(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True, gc=False):
    """The ``response`` object carried by lifecycle events (created ... completed/failed).

    ``output`` is ``None`` only when the server left it out (published ``response.queued``
    examples do); `items` gives a list either way. Configuration echoes (tools, text,
    reasoning, tool_choice, prompt, ...) stay plain JSON values; ``created_at`` is `Any`
    because published examples disagree on its type.
    """

    id: str
    output: list[OutputItem] | None = None
    object: str | None = None
    status: str | None = None
    created_at: Any = None
    completed_at: Any = None
    updated_at: Any = None
    error: ErrorDetail | None = None
    incomplete_details: Any = None
    input: Any = None
    instructions: Any = None
    metadata: Any = None
    model: str | None = None
    parallel_tool_calls: bool | None = None
    temperature: float | None = None
    top_p: float | None = None
    tool_choice: Any = None
    tools: Any = None
    background: bool | None = None
    conversation: Any = None
    max_output_tokens: int | None = None
    max_tool_calls: int | None = None
    previous_response_id: str | None = None
    prompt: Any = None
    prompt_cache_key: str | None = None
    prompt_cache_retention: str | None = None
    reasoning: Any = None
    safety_identifier: str | None = None
    service_tier: str | None = None
    store: bool | None = None
    text: Any = None
    top_logprobs: int | None = None
    truncation: str | None = None
    usage: ResponseUsage | None = None
    user: str | None = None
    access_programs: Any = None
    image: Any = None
    input_transformations: Any = None
    moderation: Any = None
    prompt_cache_diagnostics: Any = None
    prompt_cache_options: Any = None
    tool_usage: Any = None

    @property
    def items(self) -> list[OutputItem]:
        """``output``, or an empty list when the server sent none."""
        return self.output if self.output is not None else []


class ResponsesEvent(WireEvent, frozen=True, kw_only=True):
    """Base of Responses server events: every one may carry a WebSocket ``stream_id`` lane."""

    stream_id: str | None = None


class ErrorEvent(ResponsesEvent, tag="error", frozen=True):
    """Wire event ``error``: over SSE with top-level ``code``/``message``/``param``; over the
    WebSocket with a nested ``error`` object and an HTTP-like ``status``. `detail()` reads both.
    """

    code: str | None = None
    message: str | None = None
    param: str | None = None
    error: ErrorDetail | None = None
    status: int | None = None
    sequence_number: int | None = None

    def detail(self) -> ErrorDetail:
        """The error's code/message/type/param, whichever shape the server used."""
        nested = self.error
        if nested is None:
            return ErrorDetail(message=self.message, code=self.code, param=self.param)
        return ErrorDetail(
            message=nested.message if nested.message is not None else self.message,
            code=nested.code if nested.code is not None else self.code,
            type=nested.type,
            param=nested.param if nested.param is not None else self.param,
        )

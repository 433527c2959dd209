"""Responses API wire events: every member of the SDK's ``ResponseStreamEvent`` union, the
WebSocket-only ``error`` / ``response.steer.*`` server events, and the two client events.

Each class is named after its wire tag (``response.output_text.delta`` ->
`ResponseOutputTextDelta`; the tag ``error`` -> `ErrorEvent`) and carries the tag in its class
statement. Fields the SDK marks required are required here: a known type with a broken body is
a `RemoteProtocolError`. Optionals default to ``None`` and are omitted when encoding. Every
server event may carry ``stream_id`` (WebSocket lanes); delta events may carry ``obfuscation``.

Nested objects are typed where the machines or the caller need them (`Response`,
`OutputItem`, `ContentPart`, `ResponseUsage`) and kept as plain JSON values (`Any`) where the
shape is open and only passed through (tools, annotations, actions, tool outputs). `OutputItem`
and `ContentPart` are *open* records keyed by ``type``: a new item type decodes, never fails.
"""

from __future__ import annotations

from typing import Any, Final

import msgspec

from .common import WireEvent

__all__ = [
    "RESPONSES_SERVER_EVENT_TYPES",
    "ContentPart",
    "ErrorDetail",
    "OutputItem",
    "Response",
    "ResponseCreate",
    "ResponseSteer",
    "ResponseUsage",
    "ResponsesClientEvent",
    "ResponsesEvent",
    "ResponsesServerEvent",
    "SummaryPart",
    "ResponseAudioDelta",
    "ResponseAudioDone",
    "ResponseAudioTranscriptDelta",
    "ResponseAudioTranscriptDone",
    "ResponseCodeInterpreterCallCodeDelta",
    "ResponseCodeInterpreterCallCodeDone",
    "ResponseCodeInterpreterCallCompleted",
    "ResponseCodeInterpreterCallInProgress",
    "ResponseCodeInterpreterCallInterpreting",
    "ResponseCompactionCompacting",
    "ResponseCompleted",
    "ResponseContentPartAdded",
    "ResponseContentPartDone",
    "ResponseCreated",
    "ResponseCustomToolCallInputDelta",
    "ResponseCustomToolCallInputDone",
    "ResponseFailed",
    "ResponseFileSearchCallCompleted",
    "ResponseFileSearchCallInProgress",
    "ResponseFileSearchCallSearching",
    "ResponseFunctionCallArgumentsDelta",
    "ResponseFunctionCallArgumentsDone",
    "ResponseImageGenerationCallCompleted",
    "ResponseImageGenerationCallGenerating",
    "ResponseImageGenerationCallInProgress",
    "ResponseImageGenerationCallPartialImage",
    "ResponseInProgress",
    "ResponseIncomplete",
    "ResponseMcpCallArgumentsDelta",
    "ResponseMcpCallArgumentsDone",
    "ResponseMcpCallCompleted",
    "ResponseMcpCallFailed",
    "ResponseMcpCallInProgress",
    "ResponseMcpListToolsCompleted",
    "ResponseMcpListToolsFailed",
    "ResponseMcpListToolsInProgress",
    "ResponseOutputItemAdded",
    "ResponseOutputItemDone",
    "ResponseOutputTextAnnotationAdded",
    "ResponseOutputTextDelta",
    "ResponseOutputTextDone",
    "ResponseQueued",
    "ResponseReasoningSummaryPartAdded",
    "ResponseReasoningSummaryPartDone",
    "ResponseReasoningSummaryTextDelta",
    "ResponseReasoningSummaryTextDone",
    "ResponseReasoningTextDelta",
    "ResponseReasoningTextDone",
    "ResponseRefusalDelta",
    "ResponseRefusalDone",
    "ResponseShellCallCommandAdded",
    "ResponseShellCallCommandDelta",
    "ResponseShellCallCommandDone",
    "ResponseShellCallOutputContentDelta",
    "ResponseShellCallOutputContentDone",
    "ResponseSteerAccepted",
    "ResponseSteerFailed",
    "ResponseSteerPending",
    "ResponseWebSearchCallCompleted",
    "ResponseWebSearchCallInProgress",
    "ResponseWebSearchCallSearching",
    "ErrorEvent",
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
    arguments: str | None = None
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


class Response(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True, gc=False):
    """The ``response`` object carried by lifecycle events (created ... completed/failed).

    ``output`` is ``None`` only when the server left it out (published ``response.queued``
    examples do); `items` gives a list either way. Configuration echoes (tools, text, reasoning, tool_choice, prompt, ...) stay plain JSON
    values; ``created_at`` is `Any` because published examples disagree on its type.
    """

    id: str
    output: list[OutputItem] | None = None
    object: str | None = None
    status: str | None = None
    created_at: Any = None
    completed_at: Any = None
    error: ErrorDetail | None = None
    incomplete_details: Any = None
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


class ErrorEvent(ResponsesEvent, tag="error"):
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


class ResponseAudioDelta(ResponsesEvent, tag="response.audio.delta"):
    """Wire event ``response.audio.delta``."""

    delta: str
    sequence_number: int | None = None
    obfuscation: str | None = None


class ResponseAudioDone(ResponsesEvent, tag="response.audio.done"):
    """Wire event ``response.audio.done``."""

    sequence_number: int | None = None


class ResponseAudioTranscriptDelta(ResponsesEvent, tag="response.audio.transcript.delta"):
    """Wire event ``response.audio.transcript.delta``."""

    delta: str
    sequence_number: int | None = None
    obfuscation: str | None = None


class ResponseAudioTranscriptDone(ResponsesEvent, tag="response.audio.transcript.done"):
    """Wire event ``response.audio.transcript.done``."""

    sequence_number: int | None = None


class ResponseCodeInterpreterCallCodeDelta(
    ResponsesEvent, tag="response.code_interpreter_call_code.delta"
):
    """Wire event ``response.code_interpreter_call_code.delta``."""

    delta: str
    item_id: str
    output_index: int
    sequence_number: int | None = None
    obfuscation: str | None = None


class ResponseCodeInterpreterCallCodeDone(
    ResponsesEvent, tag="response.code_interpreter_call_code.done"
):
    """Wire event ``response.code_interpreter_call_code.done``."""

    code: str
    item_id: str
    output_index: int
    sequence_number: int | None = None


class ResponseCodeInterpreterCallCompleted(
    ResponsesEvent, tag="response.code_interpreter_call.completed"
):
    """Wire event ``response.code_interpreter_call.completed``."""

    item_id: str
    output_index: int
    sequence_number: int | None = None


class ResponseCodeInterpreterCallInProgress(
    ResponsesEvent, tag="response.code_interpreter_call.in_progress"
):
    """Wire event ``response.code_interpreter_call.in_progress``."""

    item_id: str
    output_index: int
    sequence_number: int | None = None


class ResponseCodeInterpreterCallInterpreting(
    ResponsesEvent, tag="response.code_interpreter_call.interpreting"
):
    """Wire event ``response.code_interpreter_call.interpreting``."""

    item_id: str
    output_index: int
    sequence_number: int | None = None


class ResponseCompactionCompacting(ResponsesEvent, tag="response.compaction.compacting"):
    """Wire event ``response.compaction.compacting``."""

    item_id: str
    output_index: int
    sequence_number: int | None = None


class ResponseCompleted(ResponsesEvent, tag="response.completed"):
    """Wire event ``response.completed``."""

    response: Response
    sequence_number: int | None = None


class ResponseContentPartAdded(ResponsesEvent, tag="response.content_part.added"):
    """Wire event ``response.content_part.added``."""

    content_index: int
    item_id: str
    output_index: int
    part: ContentPart
    sequence_number: int | None = None


class ResponseContentPartDone(ResponsesEvent, tag="response.content_part.done"):
    """Wire event ``response.content_part.done``."""

    content_index: int
    item_id: str
    output_index: int
    part: ContentPart
    sequence_number: int | None = None


class ResponseCreated(ResponsesEvent, tag="response.created"):
    """Wire event ``response.created``."""

    response: Response
    sequence_number: int | None = None


class ResponseFileSearchCallCompleted(ResponsesEvent, tag="response.file_search_call.completed"):
    """Wire event ``response.file_search_call.completed``."""

    item_id: str
    output_index: int
    sequence_number: int | None = None


class ResponseFileSearchCallInProgress(ResponsesEvent, tag="response.file_search_call.in_progress"):
    """Wire event ``response.file_search_call.in_progress``."""

    item_id: str
    output_index: int
    sequence_number: int | None = None


class ResponseFileSearchCallSearching(ResponsesEvent, tag="response.file_search_call.searching"):
    """Wire event ``response.file_search_call.searching``."""

    item_id: str
    output_index: int
    sequence_number: int | None = None


class ResponseFunctionCallArgumentsDelta(
    ResponsesEvent, tag="response.function_call_arguments.delta"
):
    """Wire event ``response.function_call_arguments.delta``."""

    delta: str
    item_id: str
    output_index: int
    sequence_number: int | None = None
    obfuscation: str | None = None


class ResponseFunctionCallArgumentsDone(
    ResponsesEvent, tag="response.function_call_arguments.done"
):
    """Wire event ``response.function_call_arguments.done``."""

    arguments: str
    item_id: str
    output_index: int
    sequence_number: int | None = None
    name: Any = None


class ResponseShellCallCommandAdded(ResponsesEvent, tag="response.shell_call_command.added"):
    """Wire event ``response.shell_call_command.added``."""

    command: str
    command_index: int
    output_index: int
    sequence_number: int | None = None


class ResponseShellCallCommandDelta(ResponsesEvent, tag="response.shell_call_command.delta"):
    """Wire event ``response.shell_call_command.delta``."""

    command_index: int
    delta: str
    output_index: int
    sequence_number: int | None = None
    obfuscation: str | None = None


class ResponseShellCallCommandDone(ResponsesEvent, tag="response.shell_call_command.done"):
    """Wire event ``response.shell_call_command.done``."""

    command: str
    command_index: int
    output_index: int
    sequence_number: int | None = None


class ResponseShellCallOutputContentDelta(
    ResponsesEvent, tag="response.shell_call_output_content.delta"
):
    """Wire event ``response.shell_call_output_content.delta``."""

    command_index: int
    delta: str
    item_id: str
    output_index: int
    sequence_number: int | None = None
    obfuscation: str | None = None


class ResponseShellCallOutputContentDone(
    ResponsesEvent, tag="response.shell_call_output_content.done"
):
    """Wire event ``response.shell_call_output_content.done``."""

    command_index: int
    item_id: str
    output_index: int
    output: Any = None
    sequence_number: int | None = None


class ResponseInProgress(ResponsesEvent, tag="response.in_progress"):
    """Wire event ``response.in_progress``."""

    response: Response
    sequence_number: int | None = None


class ResponseFailed(ResponsesEvent, tag="response.failed"):
    """Wire event ``response.failed``."""

    response: Response
    sequence_number: int | None = None


class ResponseIncomplete(ResponsesEvent, tag="response.incomplete"):
    """Wire event ``response.incomplete``."""

    response: Response
    sequence_number: int | None = None


class ResponseOutputItemAdded(ResponsesEvent, tag="response.output_item.added"):
    """Wire event ``response.output_item.added``."""

    item: OutputItem
    output_index: int
    sequence_number: int | None = None


class ResponseOutputItemDone(ResponsesEvent, tag="response.output_item.done"):
    """Wire event ``response.output_item.done``."""

    item: OutputItem
    output_index: int
    sequence_number: int | None = None


class ResponseReasoningSummaryPartAdded(
    ResponsesEvent, tag="response.reasoning_summary_part.added"
):
    """Wire event ``response.reasoning_summary_part.added``."""

    item_id: str
    output_index: int
    part: ContentPart
    summary_index: int
    sequence_number: int | None = None


class ResponseReasoningSummaryPartDone(ResponsesEvent, tag="response.reasoning_summary_part.done"):
    """Wire event ``response.reasoning_summary_part.done``."""

    item_id: str
    output_index: int
    part: ContentPart
    summary_index: int
    sequence_number: int | None = None
    status: str | None = None


class ResponseReasoningSummaryTextDelta(
    ResponsesEvent, tag="response.reasoning_summary_text.delta"
):
    """Wire event ``response.reasoning_summary_text.delta``."""

    delta: str
    item_id: str
    output_index: int
    summary_index: int
    sequence_number: int | None = None
    obfuscation: str | None = None


class ResponseReasoningSummaryTextDone(ResponsesEvent, tag="response.reasoning_summary_text.done"):
    """Wire event ``response.reasoning_summary_text.done``."""

    item_id: str
    output_index: int
    summary_index: int
    text: str
    sequence_number: int | None = None


class ResponseReasoningTextDelta(ResponsesEvent, tag="response.reasoning_text.delta"):
    """Wire event ``response.reasoning_text.delta``."""

    content_index: int
    delta: str
    item_id: str
    output_index: int
    sequence_number: int | None = None
    obfuscation: str | None = None


class ResponseReasoningTextDone(ResponsesEvent, tag="response.reasoning_text.done"):
    """Wire event ``response.reasoning_text.done``."""

    content_index: int
    item_id: str
    output_index: int
    text: str
    sequence_number: int | None = None


class ResponseRefusalDelta(ResponsesEvent, tag="response.refusal.delta"):
    """Wire event ``response.refusal.delta``."""

    content_index: int
    delta: str
    item_id: str
    output_index: int
    sequence_number: int | None = None
    obfuscation: str | None = None


class ResponseRefusalDone(ResponsesEvent, tag="response.refusal.done"):
    """Wire event ``response.refusal.done``."""

    content_index: int
    item_id: str
    output_index: int
    refusal: str
    sequence_number: int | None = None


class ResponseOutputTextDelta(ResponsesEvent, tag="response.output_text.delta"):
    """Wire event ``response.output_text.delta``."""

    content_index: int
    delta: str
    item_id: str
    output_index: int
    logprobs: list[Any] | None = None
    sequence_number: int | None = None
    obfuscation: str | None = None


class ResponseOutputTextDone(ResponsesEvent, tag="response.output_text.done"):
    """Wire event ``response.output_text.done``."""

    content_index: int
    item_id: str
    output_index: int
    text: str
    logprobs: list[Any] | None = None
    sequence_number: int | None = None


class ResponseWebSearchCallCompleted(ResponsesEvent, tag="response.web_search_call.completed"):
    """Wire event ``response.web_search_call.completed``."""

    item_id: str
    output_index: int
    sequence_number: int | None = None


class ResponseWebSearchCallInProgress(ResponsesEvent, tag="response.web_search_call.in_progress"):
    """Wire event ``response.web_search_call.in_progress``."""

    item_id: str
    output_index: int
    sequence_number: int | None = None


class ResponseWebSearchCallSearching(ResponsesEvent, tag="response.web_search_call.searching"):
    """Wire event ``response.web_search_call.searching``."""

    item_id: str
    output_index: int
    sequence_number: int | None = None


class ResponseImageGenerationCallCompleted(
    ResponsesEvent, tag="response.image_generation_call.completed"
):
    """Wire event ``response.image_generation_call.completed``."""

    item_id: str
    output_index: int
    sequence_number: int | None = None


class ResponseImageGenerationCallGenerating(
    ResponsesEvent, tag="response.image_generation_call.generating"
):
    """Wire event ``response.image_generation_call.generating``."""

    item_id: str
    output_index: int
    sequence_number: int | None = None


class ResponseImageGenerationCallInProgress(
    ResponsesEvent, tag="response.image_generation_call.in_progress"
):
    """Wire event ``response.image_generation_call.in_progress``."""

    item_id: str
    output_index: int
    sequence_number: int | None = None


class ResponseImageGenerationCallPartialImage(
    ResponsesEvent, tag="response.image_generation_call.partial_image"
):
    """Wire event ``response.image_generation_call.partial_image``."""

    item_id: str
    output_index: int
    partial_image_b64: str
    partial_image_index: int
    sequence_number: int | None = None
    background: str | None = None
    output_format: str | None = None
    quality: str | None = None
    size: str | None = None


class ResponseMcpCallArgumentsDelta(ResponsesEvent, tag="response.mcp_call_arguments.delta"):
    """Wire event ``response.mcp_call_arguments.delta``."""

    delta: str
    item_id: str
    output_index: int
    sequence_number: int | None = None
    obfuscation: str | None = None


class ResponseMcpCallArgumentsDone(ResponsesEvent, tag="response.mcp_call_arguments.done"):
    """Wire event ``response.mcp_call_arguments.done``."""

    arguments: str
    item_id: str
    output_index: int
    sequence_number: int | None = None


class ResponseMcpCallCompleted(ResponsesEvent, tag="response.mcp_call.completed"):
    """Wire event ``response.mcp_call.completed``."""

    item_id: str
    output_index: int
    sequence_number: int | None = None


class ResponseMcpCallFailed(ResponsesEvent, tag="response.mcp_call.failed"):
    """Wire event ``response.mcp_call.failed``."""

    item_id: str
    output_index: int
    sequence_number: int | None = None


class ResponseMcpCallInProgress(ResponsesEvent, tag="response.mcp_call.in_progress"):
    """Wire event ``response.mcp_call.in_progress``."""

    item_id: str
    output_index: int
    sequence_number: int | None = None


class ResponseMcpListToolsCompleted(ResponsesEvent, tag="response.mcp_list_tools.completed"):
    """Wire event ``response.mcp_list_tools.completed``."""

    item_id: str
    output_index: int
    sequence_number: int | None = None


class ResponseMcpListToolsFailed(ResponsesEvent, tag="response.mcp_list_tools.failed"):
    """Wire event ``response.mcp_list_tools.failed``."""

    item_id: str
    output_index: int
    sequence_number: int | None = None


class ResponseMcpListToolsInProgress(ResponsesEvent, tag="response.mcp_list_tools.in_progress"):
    """Wire event ``response.mcp_list_tools.in_progress``."""

    item_id: str
    output_index: int
    sequence_number: int | None = None


class ResponseOutputTextAnnotationAdded(
    ResponsesEvent, tag="response.output_text.annotation.added"
):
    """Wire event ``response.output_text.annotation.added``."""

    annotation: Any
    annotation_index: int
    content_index: int
    item_id: str
    output_index: int
    sequence_number: int | None = None


class ResponseQueued(ResponsesEvent, tag="response.queued"):
    """Wire event ``response.queued``."""

    response: Response
    sequence_number: int | None = None


class ResponseCustomToolCallInputDelta(ResponsesEvent, tag="response.custom_tool_call_input.delta"):
    """Wire event ``response.custom_tool_call_input.delta``."""

    delta: str
    item_id: str
    output_index: int
    sequence_number: int | None = None
    obfuscation: str | None = None


class ResponseCustomToolCallInputDone(ResponsesEvent, tag="response.custom_tool_call_input.done"):
    """Wire event ``response.custom_tool_call_input.done``."""

    input: str
    item_id: str
    output_index: int
    sequence_number: int | None = None


class ResponseSteerAccepted(ResponsesEvent, tag="response.steer.accepted"):
    """Wire event ``response.steer.accepted``."""

    sequence_number: int | None = None
    steer: Any = None


class ResponseSteerPending(ResponsesEvent, tag="response.steer.pending"):
    """Wire event ``response.steer.pending``."""

    reason: str | None = None
    required_input: Any = None
    sequence_number: int | None = None
    steer: Any = None


class ResponseSteerFailed(ResponsesEvent, tag="response.steer.failed"):
    """Wire event ``response.steer.failed``."""

    error: Any = None
    sequence_number: int | None = None
    steer: Any = None


ResponsesServerEvent = (
    ResponseAudioDelta
    | ResponseAudioDone
    | ResponseAudioTranscriptDelta
    | ResponseAudioTranscriptDone
    | ResponseCodeInterpreterCallCodeDelta
    | ResponseCodeInterpreterCallCodeDone
    | ResponseCodeInterpreterCallCompleted
    | ResponseCodeInterpreterCallInProgress
    | ResponseCodeInterpreterCallInterpreting
    | ResponseCompactionCompacting
    | ResponseCompleted
    | ResponseContentPartAdded
    | ResponseContentPartDone
    | ResponseCreated
    | ResponseFileSearchCallCompleted
    | ResponseFileSearchCallInProgress
    | ResponseFileSearchCallSearching
    | ResponseFunctionCallArgumentsDelta
    | ResponseFunctionCallArgumentsDone
    | ResponseShellCallCommandAdded
    | ResponseShellCallCommandDelta
    | ResponseShellCallCommandDone
    | ResponseShellCallOutputContentDelta
    | ResponseShellCallOutputContentDone
    | ResponseInProgress
    | ResponseFailed
    | ResponseIncomplete
    | ResponseOutputItemAdded
    | ResponseOutputItemDone
    | ResponseReasoningSummaryPartAdded
    | ResponseReasoningSummaryPartDone
    | ResponseReasoningSummaryTextDelta
    | ResponseReasoningSummaryTextDone
    | ResponseReasoningTextDelta
    | ResponseReasoningTextDone
    | ResponseRefusalDelta
    | ResponseRefusalDone
    | ResponseOutputTextDelta
    | ResponseOutputTextDone
    | ResponseWebSearchCallCompleted
    | ResponseWebSearchCallInProgress
    | ResponseWebSearchCallSearching
    | ResponseImageGenerationCallCompleted
    | ResponseImageGenerationCallGenerating
    | ResponseImageGenerationCallInProgress
    | ResponseImageGenerationCallPartialImage
    | ResponseMcpCallArgumentsDelta
    | ResponseMcpCallArgumentsDone
    | ResponseMcpCallCompleted
    | ResponseMcpCallFailed
    | ResponseMcpCallInProgress
    | ResponseMcpListToolsCompleted
    | ResponseMcpListToolsFailed
    | ResponseMcpListToolsInProgress
    | ResponseOutputTextAnnotationAdded
    | ResponseQueued
    | ResponseCustomToolCallInputDelta
    | ResponseCustomToolCallInputDone
    | ErrorEvent
    | ResponseSteerAccepted
    | ResponseSteerPending
    | ResponseSteerFailed
)
"""Every Responses server event this library types (HTTP/SSE and WebSocket)."""

RESPONSES_SERVER_EVENT_TYPES: Final[frozenset[str]] = frozenset(
    {
        "response.audio.delta",
        "response.audio.done",
        "response.audio.transcript.delta",
        "response.audio.transcript.done",
        "response.code_interpreter_call_code.delta",
        "response.code_interpreter_call_code.done",
        "response.code_interpreter_call.completed",
        "response.code_interpreter_call.in_progress",
        "response.code_interpreter_call.interpreting",
        "response.compaction.compacting",
        "response.completed",
        "response.content_part.added",
        "response.content_part.done",
        "response.created",
        "response.file_search_call.completed",
        "response.file_search_call.in_progress",
        "response.file_search_call.searching",
        "response.function_call_arguments.delta",
        "response.function_call_arguments.done",
        "response.shell_call_command.added",
        "response.shell_call_command.delta",
        "response.shell_call_command.done",
        "response.shell_call_output_content.delta",
        "response.shell_call_output_content.done",
        "response.in_progress",
        "response.failed",
        "response.incomplete",
        "response.output_item.added",
        "response.output_item.done",
        "response.reasoning_summary_part.added",
        "response.reasoning_summary_part.done",
        "response.reasoning_summary_text.delta",
        "response.reasoning_summary_text.done",
        "response.reasoning_text.delta",
        "response.reasoning_text.done",
        "response.refusal.delta",
        "response.refusal.done",
        "response.output_text.delta",
        "response.output_text.done",
        "response.web_search_call.completed",
        "response.web_search_call.in_progress",
        "response.web_search_call.searching",
        "response.image_generation_call.completed",
        "response.image_generation_call.generating",
        "response.image_generation_call.in_progress",
        "response.image_generation_call.partial_image",
        "response.mcp_call_arguments.delta",
        "response.mcp_call_arguments.done",
        "response.mcp_call.completed",
        "response.mcp_call.failed",
        "response.mcp_call.in_progress",
        "response.mcp_list_tools.completed",
        "response.mcp_list_tools.failed",
        "response.mcp_list_tools.in_progress",
        "response.output_text.annotation.added",
        "response.queued",
        "response.custom_tool_call_input.delta",
        "response.custom_tool_call_input.done",
        "error",
        "response.steer.accepted",
        "response.steer.pending",
        "response.steer.failed",
    }
)
"""The wire tags of `ResponsesServerEvent`: a tag outside it becomes an `UnknownEvent`."""


class ResponseCreate(WireEvent, tag="response.create"):
    """Client event ``response.create`` (WebSocket mode): the create parameters, minus
    ``stream``/``background`` (the socket always streams), plus ``generate`` and ``stream_id``.

    Open-shaped parameters (input items, tools, text, reasoning, ...) are plain JSON values.
    """

    model: str | None = None
    input: Any = None
    instructions: str | None = None
    previous_response_id: str | None = None
    store: bool | None = None
    generate: bool | None = None
    stream_id: str | None = None
    tools: Any = None
    tool_choice: Any = None
    parallel_tool_calls: bool | None = None
    temperature: float | None = None
    top_p: float | None = None
    max_output_tokens: int | None = None
    max_tool_calls: int | None = None
    metadata: Any = None
    reasoning: Any = None
    text: Any = None
    include: list[str] | None = None
    truncation: str | None = None
    service_tier: str | None = None
    prompt: Any = None
    prompt_cache_key: str | None = None
    prompt_cache_retention: str | None = None
    safety_identifier: str | None = None
    top_logprobs: int | None = None
    user: str | None = None
    conversation: Any = None
    context_management: Any = None
    stream_options: Any = None
    background: bool | None = None
    stream: bool | None = None


class ResponseSteer(WireEvent, tag="response.steer"):
    """Client event ``response.steer``: add input to the in-flight response of a chain."""

    input: Any
    previous_response_id: str | None = None


ResponsesClientEvent = ResponseCreate | ResponseSteer
"""The Responses WebSocket client events."""

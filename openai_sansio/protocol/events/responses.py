"""Responses API wire events: every member of the SDK's ``ResponseStreamEvent`` union, the
WebSocket-only ``error`` / ``response.steer.*`` server events, and the two client events.

Each class is named after its wire tag (``response.output_text.delta`` ->
`ResponseOutputTextDelta`; the tag ``error`` -> `ErrorEvent`) and carries the tag in its class
statement. Fields the SDK marks required are required here: a known type with a broken body is
a `RemoteProtocolError`. Optionals default to ``None`` and are omitted when encoding. Every
server event may carry ``stream_id`` (WebSocket lanes); delta events may carry ``obfuscation``.

This module holds the lifecycle, message, reasoning and function-call events, the unions and
the client events; the shared objects live in `responses_base` and the built-in tool events in
`responses_tools` (all re-exported here).
"""

from __future__ import annotations

from typing import Any, Final

from .common import WireEvent
from .responses_base import (
    ContentPart,
    ErrorDetail,
    ErrorEvent,
    OutputItem,
    Response,
    ResponsesEvent,
    ResponseUsage,
    SummaryPart,
)
from .responses_tools import (
    ResponseAudioDelta,
    ResponseAudioDone,
    ResponseAudioTranscriptDelta,
    ResponseAudioTranscriptDone,
    ResponseCodeInterpreterCallCodeDelta,
    ResponseCodeInterpreterCallCodeDone,
    ResponseCodeInterpreterCallCompleted,
    ResponseCodeInterpreterCallInProgress,
    ResponseCodeInterpreterCallInterpreting,
    ResponseCompactionCompacting,
    ResponseCustomToolCallInputDelta,
    ResponseCustomToolCallInputDone,
    ResponseFileSearchCallCompleted,
    ResponseFileSearchCallInProgress,
    ResponseFileSearchCallSearching,
    ResponseImageGenerationCallCompleted,
    ResponseImageGenerationCallGenerating,
    ResponseImageGenerationCallInProgress,
    ResponseImageGenerationCallPartialImage,
    ResponseMcpCallArgumentsDelta,
    ResponseMcpCallArgumentsDone,
    ResponseMcpCallCompleted,
    ResponseMcpCallFailed,
    ResponseMcpCallInProgress,
    ResponseMcpListToolsCompleted,
    ResponseMcpListToolsFailed,
    ResponseMcpListToolsInProgress,
    ResponseShellCallCommandAdded,
    ResponseShellCallCommandDelta,
    ResponseShellCallCommandDone,
    ResponseShellCallOutputContentDelta,
    ResponseShellCallOutputContentDone,
    ResponseWebSearchCallCompleted,
    ResponseWebSearchCallInProgress,
    ResponseWebSearchCallSearching,
)

__all__ = [
    "RESPONSES_SERVER_EVENT_TYPES",
    "ContentPart",
    "ErrorDetail",
    "ErrorEvent",
    "OutputItem",
    "Response",
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
    "ResponseCreate",
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
    "ResponseSteer",
    "ResponseSteerAccepted",
    "ResponseSteerFailed",
    "ResponseSteerPending",
    "ResponseUsage",
    "ResponseWebSearchCallCompleted",
    "ResponseWebSearchCallInProgress",
    "ResponseWebSearchCallSearching",
    "ResponsesClientEvent",
    "ResponsesEvent",
    "ResponsesServerEvent",
    "SummaryPart",
]


class ResponseCompleted(ResponsesEvent, tag="response.completed", frozen=True):
    """Wire event ``response.completed``."""

    response: Response
    sequence_number: int | None = None


class ResponseContentPartAdded(ResponsesEvent, tag="response.content_part.added", frozen=True):
    """Wire event ``response.content_part.added``."""

    content_index: int
    item_id: str
    output_index: int
    part: ContentPart
    sequence_number: int | None = None


class ResponseContentPartDone(ResponsesEvent, tag="response.content_part.done", frozen=True):
    """Wire event ``response.content_part.done``."""

    content_index: int
    item_id: str
    output_index: int
    part: ContentPart
    sequence_number: int | None = None


class ResponseCreated(ResponsesEvent, tag="response.created", frozen=True):
    """Wire event ``response.created``."""

    response: Response
    sequence_number: int | None = None


class ResponseFunctionCallArgumentsDelta(
    ResponsesEvent, tag="response.function_call_arguments.delta", frozen=True
):
    """Wire event ``response.function_call_arguments.delta``."""

    delta: str
    item_id: str
    output_index: int
    sequence_number: int | None = None
    obfuscation: str | None = None


class ResponseFunctionCallArgumentsDone(
    ResponsesEvent, tag="response.function_call_arguments.done", frozen=True
):
    """Wire event ``response.function_call_arguments.done``."""

    arguments: str
    item_id: str
    output_index: int
    sequence_number: int | None = None
    name: Any = None


class ResponseInProgress(ResponsesEvent, tag="response.in_progress", frozen=True):
    """Wire event ``response.in_progress``."""

    response: Response
    sequence_number: int | None = None


class ResponseFailed(ResponsesEvent, tag="response.failed", frozen=True):
    """Wire event ``response.failed``."""

    response: Response
    sequence_number: int | None = None


class ResponseIncomplete(ResponsesEvent, tag="response.incomplete", frozen=True):
    """Wire event ``response.incomplete``."""

    response: Response
    sequence_number: int | None = None


class ResponseOutputItemAdded(ResponsesEvent, tag="response.output_item.added", frozen=True):
    """Wire event ``response.output_item.added``."""

    item: OutputItem
    output_index: int
    sequence_number: int | None = None


class ResponseOutputItemDone(ResponsesEvent, tag="response.output_item.done", frozen=True):
    """Wire event ``response.output_item.done``."""

    item: OutputItem
    output_index: int
    sequence_number: int | None = None


class ResponseReasoningSummaryPartAdded(
    ResponsesEvent, tag="response.reasoning_summary_part.added", frozen=True
):
    """Wire event ``response.reasoning_summary_part.added``."""

    item_id: str
    output_index: int
    part: ContentPart
    summary_index: int
    sequence_number: int | None = None


class ResponseReasoningSummaryPartDone(
    ResponsesEvent, tag="response.reasoning_summary_part.done", frozen=True
):
    """Wire event ``response.reasoning_summary_part.done``."""

    item_id: str
    output_index: int
    part: ContentPart
    summary_index: int
    sequence_number: int | None = None
    status: str | None = None


class ResponseReasoningSummaryTextDelta(
    ResponsesEvent, tag="response.reasoning_summary_text.delta", frozen=True
):
    """Wire event ``response.reasoning_summary_text.delta``."""

    delta: str
    item_id: str
    output_index: int
    summary_index: int
    sequence_number: int | None = None
    obfuscation: str | None = None


class ResponseReasoningSummaryTextDone(
    ResponsesEvent, tag="response.reasoning_summary_text.done", frozen=True
):
    """Wire event ``response.reasoning_summary_text.done``."""

    item_id: str
    output_index: int
    summary_index: int
    text: str
    sequence_number: int | None = None


class ResponseReasoningTextDelta(ResponsesEvent, tag="response.reasoning_text.delta", frozen=True):
    """Wire event ``response.reasoning_text.delta``."""

    content_index: int
    delta: str
    item_id: str
    output_index: int
    sequence_number: int | None = None
    obfuscation: str | None = None


class ResponseReasoningTextDone(ResponsesEvent, tag="response.reasoning_text.done", frozen=True):
    """Wire event ``response.reasoning_text.done``."""

    content_index: int
    item_id: str
    output_index: int
    text: str
    sequence_number: int | None = None


class ResponseRefusalDelta(ResponsesEvent, tag="response.refusal.delta", frozen=True):
    """Wire event ``response.refusal.delta``."""

    content_index: int
    delta: str
    item_id: str
    output_index: int
    sequence_number: int | None = None
    obfuscation: str | None = None


class ResponseRefusalDone(ResponsesEvent, tag="response.refusal.done", frozen=True):
    """Wire event ``response.refusal.done``."""

    content_index: int
    item_id: str
    output_index: int
    refusal: str
    sequence_number: int | None = None


class ResponseOutputTextDelta(ResponsesEvent, tag="response.output_text.delta", frozen=True):
    """Wire event ``response.output_text.delta``."""

    content_index: int
    delta: str
    item_id: str
    output_index: int
    logprobs: list[Any] | None = None
    sequence_number: int | None = None
    obfuscation: str | None = None


class ResponseOutputTextDone(ResponsesEvent, tag="response.output_text.done", frozen=True):
    """Wire event ``response.output_text.done``."""

    content_index: int
    item_id: str
    output_index: int
    text: str
    logprobs: list[Any] | None = None
    sequence_number: int | None = None


class ResponseOutputTextAnnotationAdded(
    ResponsesEvent, tag="response.output_text.annotation.added", frozen=True
):
    """Wire event ``response.output_text.annotation.added``."""

    annotation: Any
    annotation_index: int
    content_index: int
    item_id: str
    output_index: int
    sequence_number: int | None = None


class ResponseQueued(ResponsesEvent, tag="response.queued", frozen=True):
    """Wire event ``response.queued``."""

    response: Response
    sequence_number: int | None = None


class ResponseSteerAccepted(ResponsesEvent, tag="response.steer.accepted", frozen=True):
    """Wire event ``response.steer.accepted``."""

    sequence_number: int | None = None
    steer: Any = None


class ResponseSteerPending(ResponsesEvent, tag="response.steer.pending", frozen=True):
    """Wire event ``response.steer.pending``."""

    reason: str | None = None
    required_input: Any = None
    sequence_number: int | None = None
    steer: Any = None


class ResponseSteerFailed(ResponsesEvent, tag="response.steer.failed", frozen=True):
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


class ResponseCreate(WireEvent, tag="response.create", frozen=True):
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
    moderation: Any = None
    prompt_cache_options: Any = None
    background: bool | None = None
    stream: bool | None = None


class ResponseSteer(WireEvent, tag="response.steer", frozen=True):
    """Client event ``response.steer``: add input to the in-flight response of a chain."""

    input: Any
    previous_response_id: str | None = None


ResponsesClientEvent = ResponseCreate | ResponseSteer
"""The Responses WebSocket client events."""

"""Responses stream events of built-in and custom tools, and of audio output.

Split from `responses` to keep modules small; every class here is re-exported there and is
part of `ResponsesServerEvent`. These events are passed through by `ResponseStream` as they
arrive (the machine keeps no state for them); new tools' events the library does not know yet
arrive as `UnknownEvent`.
"""

from __future__ import annotations

from typing import Any

from .responses_base import ResponsesEvent

__all__ = [
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
    "ResponseCustomToolCallInputDelta",
    "ResponseCustomToolCallInputDone",
    "ResponseFileSearchCallCompleted",
    "ResponseFileSearchCallInProgress",
    "ResponseFileSearchCallSearching",
    "ResponseImageGenerationCallCompleted",
    "ResponseImageGenerationCallGenerating",
    "ResponseImageGenerationCallInProgress",
    "ResponseImageGenerationCallPartialImage",
    "ResponseMcpCallArgumentsDelta",
    "ResponseMcpCallArgumentsDone",
    "ResponseMcpCallCompleted",
    "ResponseMcpCallFailed",
    "ResponseMcpCallInProgress",
    "ResponseMcpListToolsCompleted",
    "ResponseMcpListToolsFailed",
    "ResponseMcpListToolsInProgress",
    "ResponseShellCallCommandAdded",
    "ResponseShellCallCommandDelta",
    "ResponseShellCallCommandDone",
    "ResponseShellCallOutputContentDelta",
    "ResponseShellCallOutputContentDone",
    "ResponseWebSearchCallCompleted",
    "ResponseWebSearchCallInProgress",
    "ResponseWebSearchCallSearching",
]


class ResponseAudioDelta(ResponsesEvent, tag="response.audio.delta", frozen=True):
    """Wire event ``response.audio.delta``."""

    delta: str
    sequence_number: int | None = None
    obfuscation: str | None = None


class ResponseAudioDone(ResponsesEvent, tag="response.audio.done", frozen=True):
    """Wire event ``response.audio.done``."""

    sequence_number: int | None = None


class ResponseAudioTranscriptDelta(
    ResponsesEvent, tag="response.audio.transcript.delta", frozen=True
):
    """Wire event ``response.audio.transcript.delta``."""

    delta: str
    sequence_number: int | None = None
    obfuscation: str | None = None


class ResponseAudioTranscriptDone(
    ResponsesEvent, tag="response.audio.transcript.done", frozen=True
):
    """Wire event ``response.audio.transcript.done``."""

    sequence_number: int | None = None


class ResponseCodeInterpreterCallCodeDelta(
    ResponsesEvent, tag="response.code_interpreter_call_code.delta", frozen=True
):
    """Wire event ``response.code_interpreter_call_code.delta``."""

    delta: str
    item_id: str
    output_index: int
    sequence_number: int | None = None
    obfuscation: str | None = None


class ResponseCodeInterpreterCallCodeDone(
    ResponsesEvent, tag="response.code_interpreter_call_code.done", frozen=True
):
    """Wire event ``response.code_interpreter_call_code.done``."""

    code: str
    item_id: str
    output_index: int
    sequence_number: int | None = None


class ResponseCodeInterpreterCallCompleted(
    ResponsesEvent, tag="response.code_interpreter_call.completed", frozen=True
):
    """Wire event ``response.code_interpreter_call.completed``."""

    item_id: str
    output_index: int
    sequence_number: int | None = None


class ResponseCodeInterpreterCallInProgress(
    ResponsesEvent, tag="response.code_interpreter_call.in_progress", frozen=True
):
    """Wire event ``response.code_interpreter_call.in_progress``."""

    item_id: str
    output_index: int
    sequence_number: int | None = None


class ResponseCodeInterpreterCallInterpreting(
    ResponsesEvent, tag="response.code_interpreter_call.interpreting", frozen=True
):
    """Wire event ``response.code_interpreter_call.interpreting``."""

    item_id: str
    output_index: int
    sequence_number: int | None = None


class ResponseCompactionCompacting(
    ResponsesEvent, tag="response.compaction.compacting", frozen=True
):
    """Wire event ``response.compaction.compacting``."""

    item_id: str
    output_index: int
    sequence_number: int | None = None


class ResponseFileSearchCallCompleted(
    ResponsesEvent, tag="response.file_search_call.completed", frozen=True
):
    """Wire event ``response.file_search_call.completed``."""

    item_id: str
    output_index: int
    sequence_number: int | None = None


class ResponseFileSearchCallInProgress(
    ResponsesEvent, tag="response.file_search_call.in_progress", frozen=True
):
    """Wire event ``response.file_search_call.in_progress``."""

    item_id: str
    output_index: int
    sequence_number: int | None = None


class ResponseFileSearchCallSearching(
    ResponsesEvent, tag="response.file_search_call.searching", frozen=True
):
    """Wire event ``response.file_search_call.searching``."""

    item_id: str
    output_index: int
    sequence_number: int | None = None


class ResponseShellCallCommandAdded(
    ResponsesEvent, tag="response.shell_call_command.added", frozen=True
):
    """Wire event ``response.shell_call_command.added``."""

    command: str
    command_index: int
    output_index: int
    sequence_number: int | None = None


class ResponseShellCallCommandDelta(
    ResponsesEvent, tag="response.shell_call_command.delta", frozen=True
):
    """Wire event ``response.shell_call_command.delta``."""

    command_index: int
    delta: str
    output_index: int
    sequence_number: int | None = None
    obfuscation: str | None = None


class ResponseShellCallCommandDone(
    ResponsesEvent, tag="response.shell_call_command.done", frozen=True
):
    """Wire event ``response.shell_call_command.done``."""

    command: str
    command_index: int
    output_index: int
    sequence_number: int | None = None


class ResponseShellCallOutputContentDelta(
    ResponsesEvent, tag="response.shell_call_output_content.delta", frozen=True
):
    """Wire event ``response.shell_call_output_content.delta``."""

    command_index: int
    delta: Any  # an object {"stdout": ..., "stderr": ...} (SDK `Delta`), not a string
    item_id: str
    output_index: int
    sequence_number: int | None = None
    obfuscation: str | None = None


class ResponseShellCallOutputContentDone(
    ResponsesEvent, tag="response.shell_call_output_content.done", frozen=True
):
    """Wire event ``response.shell_call_output_content.done``."""

    command_index: int
    item_id: str
    output_index: int
    output: Any = None
    sequence_number: int | None = None


class ResponseWebSearchCallCompleted(
    ResponsesEvent, tag="response.web_search_call.completed", frozen=True
):
    """Wire event ``response.web_search_call.completed``."""

    item_id: str
    output_index: int
    sequence_number: int | None = None


class ResponseWebSearchCallInProgress(
    ResponsesEvent, tag="response.web_search_call.in_progress", frozen=True
):
    """Wire event ``response.web_search_call.in_progress``."""

    item_id: str
    output_index: int
    sequence_number: int | None = None


class ResponseWebSearchCallSearching(
    ResponsesEvent, tag="response.web_search_call.searching", frozen=True
):
    """Wire event ``response.web_search_call.searching``."""

    item_id: str
    output_index: int
    sequence_number: int | None = None


class ResponseImageGenerationCallCompleted(
    ResponsesEvent, tag="response.image_generation_call.completed", frozen=True
):
    """Wire event ``response.image_generation_call.completed``."""

    item_id: str
    output_index: int
    sequence_number: int | None = None


class ResponseImageGenerationCallGenerating(
    ResponsesEvent, tag="response.image_generation_call.generating", frozen=True
):
    """Wire event ``response.image_generation_call.generating``."""

    item_id: str
    output_index: int
    sequence_number: int | None = None


class ResponseImageGenerationCallInProgress(
    ResponsesEvent, tag="response.image_generation_call.in_progress", frozen=True
):
    """Wire event ``response.image_generation_call.in_progress``."""

    item_id: str
    output_index: int
    sequence_number: int | None = None


class ResponseImageGenerationCallPartialImage(
    ResponsesEvent, tag="response.image_generation_call.partial_image", frozen=True
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


class ResponseMcpCallArgumentsDelta(
    ResponsesEvent, tag="response.mcp_call_arguments.delta", frozen=True
):
    """Wire event ``response.mcp_call_arguments.delta``."""

    delta: str
    item_id: str
    output_index: int
    sequence_number: int | None = None
    obfuscation: str | None = None


class ResponseMcpCallArgumentsDone(
    ResponsesEvent, tag="response.mcp_call_arguments.done", frozen=True
):
    """Wire event ``response.mcp_call_arguments.done``."""

    arguments: str
    item_id: str
    output_index: int
    sequence_number: int | None = None


class ResponseMcpCallCompleted(ResponsesEvent, tag="response.mcp_call.completed", frozen=True):
    """Wire event ``response.mcp_call.completed``."""

    item_id: str
    output_index: int
    sequence_number: int | None = None


class ResponseMcpCallFailed(ResponsesEvent, tag="response.mcp_call.failed", frozen=True):
    """Wire event ``response.mcp_call.failed``."""

    item_id: str
    output_index: int
    sequence_number: int | None = None


class ResponseMcpCallInProgress(ResponsesEvent, tag="response.mcp_call.in_progress", frozen=True):
    """Wire event ``response.mcp_call.in_progress``."""

    item_id: str
    output_index: int
    sequence_number: int | None = None


class ResponseMcpListToolsCompleted(
    ResponsesEvent, tag="response.mcp_list_tools.completed", frozen=True
):
    """Wire event ``response.mcp_list_tools.completed``."""

    item_id: str
    output_index: int
    sequence_number: int | None = None


class ResponseMcpListToolsFailed(ResponsesEvent, tag="response.mcp_list_tools.failed", frozen=True):
    """Wire event ``response.mcp_list_tools.failed``."""

    item_id: str
    output_index: int
    sequence_number: int | None = None


class ResponseMcpListToolsInProgress(
    ResponsesEvent, tag="response.mcp_list_tools.in_progress", frozen=True
):
    """Wire event ``response.mcp_list_tools.in_progress``."""

    item_id: str
    output_index: int
    sequence_number: int | None = None


class ResponseCustomToolCallInputDelta(
    ResponsesEvent, tag="response.custom_tool_call_input.delta", frozen=True
):
    """Wire event ``response.custom_tool_call_input.delta``."""

    delta: str
    item_id: str
    output_index: int
    sequence_number: int | None = None
    obfuscation: str | None = None


class ResponseCustomToolCallInputDone(
    ResponsesEvent, tag="response.custom_tool_call_input.done", frozen=True
):
    """Wire event ``response.custom_tool_call_input.done``."""

    input: str
    item_id: str
    output_index: int
    sequence_number: int | None = None

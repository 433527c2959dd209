"""``response.create`` of the Realtime emulator: validation and the response's settings (pure).

What: `parse_options()` validates the ``response`` object of a ``response.create`` (known keys
only, ``conversation`` ``"auto"``/``"none"``) and `run_settings()` merges it with the session
into the `realtime_response.RunSettings` of one response: modalities, instructions, tools and
tool choice, output format and voice, ``max_output_tokens``, ``metadata`` (at most 16 string
values; ``metadata.emulator_fault`` carries per-response fault knobs), and the explicit
``input`` context (``item_reference`` ids must exist in the conversation).
Why: option handling is long and independent of the engine's scheduling.
Next: `realtime_engine.RealtimeEngine` calls both for every ``response.create`` and with no
options for automatic (VAD) responses.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .errors import default_error
from .faults import (
    CONNECTION_KNOBS,
    FAULT_METADATA_KEY,
    EmulatorConfig,
    apply_overrides,
    parse_overrides,
)
from .realtime_items import Conversation, StoredItem, item_not_found, parse_client_item
from .realtime_response import RunSettings
from .realtime_session import (
    SessionView,
    check_max_tokens,
    check_modalities,
    check_tool_choice,
    check_tools,
    invalid_value,
    merge_voice,
    parse_format,
    unknown_parameter,
)
from .validate import field

__all__ = ["parse_options", "run_settings"]

_RESPONSE_KEYS = frozenset(
    {
        "output_modalities",
        "instructions",
        "tools",
        "tool_choice",
        "audio",
        "max_output_tokens",
        "metadata",
        "conversation",
        "input",
        "prompt",
        "reasoning",
        "parallel_tool_calls",
    }
)


def parse_options(options: Any) -> tuple[dict[str, Any], bool]:
    """The validated ``response`` object (``{}`` when absent) and whether it writes to the
    default conversation (``conversation`` ``"auto"``, the default) or is out of band."""
    if options is None:
        return {}, True
    field({"response": options}, "response", "object")
    for key in options:
        if key not in _RESPONSE_KEYS:
            raise unknown_parameter(f"response.{key}")
    conversation = options.get("conversation", "auto")
    if conversation not in ("auto", "none"):
        raise invalid_value(
            "response.conversation",
            f"Invalid value: '{conversation}'. Supported values are: 'auto' and 'none'.",
        )
    return options, conversation == "auto"


def _check_metadata(metadata: Any) -> None:
    field({"m": metadata}, "m", "object", param="response.metadata")
    if len(metadata) > 16:
        raise invalid_value("response.metadata", "metadata may have at most 16 keys.")
    for key, value in metadata.items():
        if len(key) > 64 or not isinstance(value, str) or len(value) > 512:
            raise invalid_value(
                f"response.metadata.{key}",
                "metadata keys must be at most 64 characters and values strings of at most "
                "512 characters.",
            )


def _config(metadata: dict[str, Any] | None, config: EmulatorConfig) -> EmulatorConfig:
    """The connection config plus the knobs of ``metadata.emulator_fault``."""
    fault = None if metadata is None else metadata.get(FAULT_METADATA_KEY)
    if fault is None:
        return config
    param = f"response.metadata.{FAULT_METADATA_KEY}"
    overrides = parse_overrides(fault, label=param, param=param)
    for knob in sorted(CONNECTION_KNOBS & set(overrides)):
        raise invalid_value(param, f"'{knob}' applies to a whole connection.")
    return apply_overrides(config, overrides, label=param, param=param)


def _context(
    items: Any, conversation: Conversation, new_id: Callable[[], str], view: SessionView
) -> list[StoredItem] | None:
    if items is None:
        return None
    field({"input": items}, "input", "array", param="response.input")
    context: list[StoredItem] = []
    for index, item in enumerate(items):
        where = f"response.input[{index}]"
        if isinstance(item, dict) and item.get("type") == "item_reference":
            ref = field(item, "id", "string", param=f"{where}.id", required=True)
            stored = conversation.get(ref)
            if stored is None:
                raise item_not_found("reference", ref, f"{where}.id")
            context.append(stored)
        else:
            context.append(parse_client_item(item, where, new_id, view.input_format))
    return context


def run_settings(
    options: dict[str, Any],
    *,
    session: dict[str, Any],
    config: EmulatorConfig,
    conversation: Conversation,
    new_id: Callable[[str], str],
    conversation_id: str | None,
) -> RunSettings:
    """The settings of one response: `options` (from `parse_options`) over the session.

    Raises `ApiError` for invalid options and for the ``ws_error_status`` / ``http_status``
    fault knobs (connection or ``metadata.emulator_fault``).
    """
    view = SessionView.of(session)
    metadata = options.get("metadata")
    if metadata is not None:
        _check_metadata(metadata)
    config = _config(metadata, config)
    status = config.ws_error_status or config.http_status
    if status is not None:
        raise default_error(status, config.error_code)
    output_format, voice = view.output_format, view.voice
    audio = options.get("audio")
    if audio is not None:
        field({"a": audio}, "a", "object", param="response.audio")
        out = field(audio, "output", "object", param="response.audio.output") or {}
        if "format" in out:
            output_format = parse_format(out["format"], "response.audio.output.format")
        if "voice" in out:
            voice = merge_voice(out["voice"], "response.audio.output.voice")
    modalities = list(session["output_modalities"])
    if "output_modalities" in options:
        modalities = check_modalities(options["output_modalities"], "response.output_modalities")
    tools = list(session.get("tools") or [])
    if "tools" in options:
        tools = check_tools(options["tools"], "response.tools")
    choice = session.get("tool_choice", "auto")
    if "tool_choice" in options:
        choice = check_tool_choice(options["tool_choice"], "response.tool_choice")
    max_tokens = session.get("max_output_tokens", "inf")
    if "max_output_tokens" in options:
        max_tokens = check_max_tokens(options["max_output_tokens"], "response.max_output_tokens")
    instructions = field(options, "instructions", "string", param="response.instructions")
    parallel = options.get("parallel_tool_calls", session.get("parallel_tool_calls"))
    return RunSettings(
        response_id=new_id("resp"),
        conversation_id=conversation_id,
        modalities=modalities,
        instructions=str(session.get("instructions") or "")
        if instructions is None
        else instructions,
        tools=tools,
        tool_choice=choice,
        parallel=parallel is not False,
        max_output_tokens=max_tokens,
        metadata=metadata,
        output_format=output_format,
        voice=voice,
        speed=view.speed,
        context=_context(options.get("input"), conversation, lambda: new_id("item"), view),
        fault="failed" if config.fail_response else "incomplete" if config.incomplete else None,
        error_code=config.error_code,
    )

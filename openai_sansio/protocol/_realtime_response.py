"""The ``response`` object of a GA Realtime ``response.create`` (`response_options`).

Private: `realtime_config` re-exports what is public.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from ._realtime_fields import (
    Modality,
    RealtimeTool,
    check_max_tokens,
    check_metadata,
    check_prompt,
    check_temperature,
    check_tool_choice,
    check_voice,
    fold_alias,
    freeze_tools,
    merge_extra,
    new_event,
    parse_modality,
    tool_choice_json,
    tool_json,
    voice_json,
)
from ._realtime_types import (
    AudioFormat,
    CustomVoice,
    _fail,
    audio_format_object,
    frozen_json,
    json_copy,
    normalize_audio_format,
)
from ._request_params import DroppedParam, RequestBody, _check_bool, _check_str

__all__ = ["response_create_event", "response_options"]


def _input_items(value: object) -> list[dict[str, Any]]:
    if isinstance(value, str | bytes | bytearray) or not isinstance(value, Sequence):
        raise _fail("input must be a sequence of item mappings ([] = no context)")
    items: list[dict[str, Any]] = []
    for item in value:
        if not isinstance(item, Mapping) or not isinstance(item.get("type"), str):
            raise _fail(f"each input item must be a mapping with a str 'type', got {item!r}")
        items.append(json_copy(item, "input item"))
    return items


def response_options(
    *,
    output_modalities: Modality | Sequence[Modality] | None = None,
    instructions: str | None = None,
    tools: Sequence[RealtimeTool] | None = None,
    tool_choice: str | None = None,
    voice: str | CustomVoice | None = None,
    output_format: AudioFormat | None = None,
    max_output_tokens: int | Literal["inf"] | None = None,
    metadata: Mapping[str, str] | None = None,
    conversation: Literal["auto", "none"] | None = None,
    input: Sequence[Mapping[str, Any]] | None = None,
    prompt: Mapping[str, Any] | None = None,
    reasoning_effort: str | None = None,
    parallel_tool_calls: bool | None = None,
    extra: Mapping[str, Any] | None = None,
    modalities: Sequence[str] | None = None,
    temperature: float | None = None,
) -> RequestBody:
    """The ``response`` object of ``response.create``: overrides for this response only.

    Everything is optional (an empty object = "respond with the session settings"); unset
    options are omitted, never sent as ``null``. `conversation="none"` makes an out-of-band
    response (not written to the conversation; it may run alongside the default one).
    `input` replaces the context for this response: conversation items and
    `item_reference` entries; ``[]`` means no context at all. `metadata` (at most 16 keys,
    keys 64 and values 512 characters) is echoed in ``response.created``, the way to
    correlate a response with the request (the server does not echo ``event_id``).
    `modalities` and `temperature` behave as in `RealtimeConfig`.

    Next: `response_create_event(result.body, event_id=...)`.
    """
    dropped: list[DroppedParam] = []
    modality = fold_alias(
        parse_modality(output_modalities, "output_modalities"),
        parse_modality(modalities, "modalities", alias=True),
        ("output_modalities", "modalities"),
    )
    _check_str("instructions", instructions, empty_ok=True)
    frozen_tools = freeze_tools(tools, "tools")
    check_tool_choice(tool_choice, frozen_tools)
    check_voice(voice, "voice")
    fmt = None if output_format is None else normalize_audio_format(output_format, "output_format")
    if max_output_tokens is not None:
        check_max_tokens(max_output_tokens, "max_output_tokens")
    meta = check_metadata(metadata)
    if conversation is not None and conversation not in ("auto", "none"):
        raise _fail(f"conversation must be 'auto' or 'none', got {conversation!r}")
    frozen_prompt = check_prompt(prompt, "prompt")
    _check_str("reasoning_effort", reasoning_effort)
    _check_bool("parallel_tool_calls", parallel_tool_calls)
    check_temperature(temperature)
    frozen_extra = frozen_json(extra, "extra", keep_off=True)

    r: dict[str, Any] = {}
    if modality is not None:
        r["output_modalities"] = [modality]
    if instructions is not None:
        r["instructions"] = instructions
    if frozen_tools is not None:
        r["tools"] = [tool_json(t, dropped) for t in frozen_tools]
    if tool_choice is not None:
        r["tool_choice"] = tool_choice_json(tool_choice)
    out: dict[str, Any] = {}
    if fmt is not None:
        out["format"] = audio_format_object(fmt)
    if voice is not None:
        out["voice"] = voice_json(voice)
    if out:
        r["audio"] = {"output": out}
    if max_output_tokens is not None:
        r["max_output_tokens"] = max_output_tokens
    if meta is not None:
        r["metadata"] = meta
    if conversation is not None:
        r["conversation"] = conversation
    if input is not None:
        r["input"] = _input_items(input)
    if frozen_prompt is not None:
        r["prompt"] = json_copy(frozen_prompt, "prompt")
    if reasoning_effort is not None:
        r["reasoning"] = {"effort": reasoning_effort}
    if parallel_tool_calls is not None:
        r["parallel_tool_calls"] = parallel_tool_calls
    if temperature is not None:
        dropped.append(
            DroppedParam("temperature", "the GA Realtime API has no temperature (beta only)")
        )
    if frozen_extra:
        merge_extra(r, frozen_extra)
    return RequestBody(r, tuple(dropped))


def response_create_event(
    response: Mapping[str, Any] | RequestBody | None = None, *, event_id: str | None = None
) -> dict[str, Any]:
    """``{"type":"response.create","response":{...}}`` (no ``response`` key when `None`).

    `response` is `response_options(...)` (its body is used) or an equivalent mapping.
    """
    event = new_event("response.create", event_id)
    if isinstance(response, RequestBody):
        response = response.body
    if response is not None:
        if not isinstance(response, Mapping):
            raise _fail("response must be a mapping (see response_options)")
        event["response"] = json_copy(response, "response")
    return event

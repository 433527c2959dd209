"""Validation and JSON shapes shared by the GA Realtime builders (session and response).

Private: `realtime_config` re-exports what is public.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any, Final, Literal, TypeAlias

from ._realtime_types import (
    CustomVoice,
    Off,
    SemanticVAD,
    ServerVAD,
    _fail,
    frozen_json,
    json_copy,
)
from ._request_params import (
    METADATA_MAX_KEY_CHARS,
    METADATA_MAX_KEYS,
    METADATA_MAX_VALUE_CHARS,
    TOOL_CHOICE_MODES,
    DroppedParam,
    ToolSpec,
    _check_int,
    _check_name,
    _check_range,
    _check_str,
)

Modality: TypeAlias = Literal["audio", "text"]
TurnDetection: TypeAlias = ServerVAD | SemanticVAD | Off
RealtimeTool: TypeAlias = ToolSpec | Mapping[str, Any]
"""A function tool (`ToolSpec`, see `function_tool`) or a raw tool object sent verbatim
(e.g. ``{"type":"mcp","server_label":...,"server_url":...}``)."""

MAX_OUTPUT_TOKENS_LIMIT: Final = 4096
"""The largest integer ``max_output_tokens``; ``"inf"`` means the model's maximum."""

_MODALITIES: Final = frozenset({"audio", "text"})
_EMPTY_SCHEMA: Final[Mapping[str, Any]] = MappingProxyType({"type": "object", "properties": {}})


def parse_modality(value: object, name: str, *, alias: bool = False) -> str | None:
    """``"audio"``/``"text"`` from a str or a one-modality sequence.

    GA allows only one output modality (``["audio"]`` always includes a transcript). The
    plugin/beta option `modalities` listed both; with `alias` both collapse to ``"audio"``.
    """
    if value is None:
        return None
    if isinstance(value, str):
        items: tuple[object, ...] = (value,)
    elif isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        items = tuple(value)
    else:
        raise _fail(f"{name} must be 'audio' or 'text', got {value!r}")
    if not items or not all(isinstance(v, str) and v in _MODALITIES for v in items):
        raise _fail(f"{name} must be 'audio' or 'text', got {value!r}")
    kinds = set(items)
    if len(kinds) == 2 and not alias:
        raise _fail(
            f"{name}: the GA Realtime API takes one output modality, 'audio' (which always "
            "includes a text transcript) or 'text', not both",
            "conflicting_options",
        )
    return "audio" if "audio" in kinds else "text"


def check_voice(value: object, name: str) -> None:
    if value is not None and not isinstance(value, CustomVoice):
        _check_str(name, value)


def check_max_tokens(value: object, name: str) -> None:
    if value != "inf":
        _check_int(name, value, 1, MAX_OUTPUT_TOKENS_LIMIT)


def fold_alias(canonical: object, alias: object, names: tuple[str, str]) -> object:
    if alias is None:
        return canonical
    if canonical is not None:
        raise _fail(
            f"{names[1]} is the plugin/beta name of {names[0]}: set one, not both",
            "conflicting_options",
        )
    return alias


def freeze_tools(value: object, name: str) -> tuple[RealtimeTool, ...] | None:
    """The tools as a tuple (``()`` = clear them); raw mappings are copied read-only."""
    if value is None:
        return None
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        raise _fail(f"{name} must be a sequence of ToolSpec or tool mappings")
    tools: list[RealtimeTool] = []
    names: set[str] = set()
    for tool in value:
        if isinstance(tool, ToolSpec):
            fname: object = tool.name
            if tool.parameters is not None:  # ToolSpec copies only the top level
                params = frozen_json(tool.parameters, f"tool {tool.name!r} parameters")
                tool = dataclasses.replace(tool, parameters=params)
        elif isinstance(tool, Mapping):
            frozen: Mapping[str, Any] = MappingProxyType(json_copy(tool, f"{name} entry"))
            kind = frozen.get("type")
            if not isinstance(kind, str) or not kind:
                raise _fail(f"a raw tool in {name} needs a str 'type', got {tool!r}")
            fname = (
                _check_name(frozen.get("name"), "function tool name")
                if kind == "function"
                else None
            )
            tool = frozen
        else:
            raise _fail(f"{name} must hold ToolSpec values or tool mappings, got {tool!r}")
        if isinstance(fname, str):
            if fname in names:
                raise _fail(f"duplicate tool name {fname!r} in {name}")
            names.add(fname)
        tools.append(tool)
    return tuple(tools)


def function_names(tools: Sequence[RealtimeTool]) -> list[str]:
    names: list[str] = []
    for tool in tools:
        if isinstance(tool, ToolSpec):
            names.append(tool.name)
        elif tool.get("type") == "function":
            names.append(str(tool.get("name")))
    return names


def check_tool_choice(choice: object, tools: Sequence[RealtimeTool] | None) -> None:
    """A mode, or the name of a function; checked against `tools` when they are given.

    With `tools` unset the session keeps the tools it has, so any valid name is accepted.
    """
    if choice is None:
        return
    if not isinstance(choice, str) or not choice:
        raise _fail(f"tool_choice must be a non-empty str, got {choice!r}")
    if choice == "required" and tools == ():
        raise _fail("tool_choice='required' with tools=() (no tools) can never be satisfied")
    if choice in TOOL_CHOICE_MODES:
        return
    _check_name(choice, "tool_choice function name")
    if tools is not None:
        names = function_names(tools)
        if choice not in names:
            known = ", ".join(repr(n) for n in names) or "none defined"
            raise _fail(
                f"tool_choice {choice!r} is neither 'auto', 'required', 'none' nor the name "
                f"of one of the function tools ({known})",
                "unknown_tool_choice",
            )


def check_metadata(meta: object) -> dict[str, str] | None:
    if meta is None:
        return None
    if not isinstance(meta, Mapping):
        raise _fail("metadata must be a mapping of str to str")
    if len(meta) > METADATA_MAX_KEYS:
        raise _fail(f"metadata has {len(meta)} keys; the API allows {METADATA_MAX_KEYS}")
    out: dict[str, str] = {}
    for key, value in meta.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise _fail("metadata keys and values must be str")
        if len(key) > METADATA_MAX_KEY_CHARS:
            raise _fail(
                f"metadata key {key[:16]!r}... is {len(key)} characters; "
                f"the API allows {METADATA_MAX_KEY_CHARS}"
            )
        if len(value) > METADATA_MAX_VALUE_CHARS:
            raise _fail(
                f"metadata value for {key!r} is {len(value)} characters; "
                f"the API allows {METADATA_MAX_VALUE_CHARS}"
            )
        out[key] = value
    return out


def check_prompt(value: object, name: str) -> Mapping[str, Any] | None:
    prompt = frozen_json(value, name)
    if prompt is not None:
        pid = prompt.get("id")
        if not isinstance(pid, str) or not pid:
            raise _fail(f"{name} needs a non-empty str 'id' (pmpt_...), got {value!r}")
    return prompt


def check_temperature(value: object) -> None:
    _check_range("temperature", value, 0.0, 2.0)


# -- JSON shapes shared by the builders


def tool_json(tool: RealtimeTool, dropped: list[DroppedParam]) -> dict[str, Any]:
    if not isinstance(tool, ToolSpec):
        out: dict[str, Any] = json_copy(tool, "tool")
        return out
    entry: dict[str, Any] = {"type": "function", "name": tool.name}
    if tool.description is not None:
        entry["description"] = tool.description
    params = tool.parameters if tool.parameters is not None else _EMPTY_SCHEMA
    entry["parameters"] = json_copy(params, f"tool {tool.name!r} parameters")
    if tool.strict is not None:
        dropped.append(
            DroppedParam(f"tools[{tool.name}].strict", "Realtime function tools have no strict")
        )
    return entry


def tool_choice_json(choice: str) -> str | dict[str, Any]:
    return choice if choice in TOOL_CHOICE_MODES else {"type": "function", "name": choice}


def voice_json(voice: str | CustomVoice) -> str | dict[str, Any]:
    return {"id": voice.id} if isinstance(voice, CustomVoice) else voice


def merge_extra(into: dict[str, Any], extra: Mapping[str, Any]) -> None:
    """Merge `extra` into a built object: mappings merge key by key (also into a new
    object), ``None`` removes a key, `OFF` sends ``null``, anything else replaces."""
    for key, value in extra.items():
        if value is None:
            into.pop(key, None)
        elif isinstance(value, Mapping):
            current = into.get(key)
            if not isinstance(current, dict):
                current = into[key] = {}
            merge_extra(current, value)
        else:
            into[key] = json_copy(value, "extra")


def new_event(kind: str, event_id: str | None) -> dict[str, Any]:
    _check_str("event_id", event_id)
    event: dict[str, Any] = {"type": kind}
    if event_id is not None:
        event["event_id"] = event_id
    return event

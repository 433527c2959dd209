"""Realtime (GA) session configuration of the emulator: defaults, validation, update merge (pure).

What: `default_session()` builds the full GA ``session`` object a new connection announces in
``session.created`` (server VAD, ``audio/pcm`` 24 kHz both ways, voice ``marin``);
`merge_update()` validates a ``session.update`` payload and applies it with the API's update
semantics (only the fields present change; ``null`` clears ``turn_detection``,
``transcription`` and ``noise_reduction``; a partial ``turn_detection`` of the current type
keeps its other settings); `parse_format()`, `check_tools()` and `check_tool_choice()` are
shared with ``response.create``. `SessionView` reads the effective settings the engine needs.
Every refusal is an `ApiError` carrying the real API's ``code``/``param``/message wording.
Why: the GA shape is strict (``session.type`` required, beta keys unknown), and clients must be
tested against exactly that; keeping it here keeps the engine about events and state.
Next: `realtime_engine.RealtimeEngine` calls these for ``session.update`` and ``response.create``.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from ..audio import PCM24K, PCMA, PCMU, AudioFormat
from .errors import ApiError
from .validate import describe, field, missing

__all__ = [
    "DEFAULT_INSTRUCTIONS",
    "DEFAULT_VOICE",
    "FORMATS",
    "SessionView",
    "check_keys",
    "check_session_type",
    "check_tool_choice",
    "check_tools",
    "default_session",
    "format_object",
    "invalid_value",
    "merge_input",
    "merge_update",
    "parse_format",
    "public_session",
    "unknown_parameter",
]

DEFAULT_VOICE = "marin"
DEFAULT_INSTRUCTIONS = (
    "You are a helpful, witty, and friendly AI. Act like a human, but remember that you aren't "
    "a human and that you can't do human things in the real world."
)
_SERVER_VAD = {
    "type": "server_vad",
    "threshold": 0.5,
    "prefix_padding_ms": 300,
    "silence_duration_ms": 200,
    "idle_timeout_ms": None,
    "create_response": True,
    "interrupt_response": True,
}
_SEMANTIC_VAD = {
    "type": "semantic_vad",
    "eagerness": "auto",
    "create_response": True,
    "interrupt_response": True,
}
_SESSION_KEYS = frozenset(
    {
        "type",
        "model",
        "output_modalities",
        "instructions",
        "audio",
        "tools",
        "tool_choice",
        "parallel_tool_calls",
        "reasoning",
        "max_output_tokens",
        "truncation",
        "tracing",
        "prompt",
        "include",
    }
)
_INPUT_KEYS = frozenset({"format", "transcription", "noise_reduction", "turn_detection"})
_OUTPUT_KEYS = frozenset({"format", "voice", "speed"})
_VAD_KEYS = {
    "server_vad": frozenset(_SERVER_VAD),
    "semantic_vad": frozenset(_SEMANTIC_VAD),
}
FORMATS = {"audio/pcm": PCM24K, "audio/pcmu": PCMU, "audio/pcma": PCMA}
"""The audio formats a session accepts, by ``format.type``."""
_EAGERNESS = ("low", "medium", "high", "auto")
_NOISE = ("near_field", "far_field")
SEMANTIC_SILENCE_MS = {"low": 800, "medium": 500, "auto": 500, "high": 200}
"""Silence that ends a turn under ``semantic_vad``, by ``eagerness`` (the emulator's choice)."""


def invalid_value(param: str, message: str) -> ApiError:
    """An ``invalid_value`` error on `param`."""
    return ApiError(400, message, param=param, code="invalid_value")


def unknown_parameter(param: str) -> ApiError:
    """The API's error for a field it does not know."""
    return ApiError(400, f"Unknown parameter: '{param}'.", param=param, code="unknown_parameter")


def check_keys(obj: dict[str, Any], allowed: frozenset[str], prefix: str) -> None:
    """`unknown_parameter` for the first key of `obj` not in `allowed` (params `prefix.key`)."""
    for key in obj:
        if key not in allowed:
            raise unknown_parameter(f"{prefix}.{key}")


def default_session(session_id: str, model: str, expires_at: int) -> dict[str, Any]:
    """The full session object of ``session.created`` (server defaults)."""
    return {
        "type": "realtime",
        "object": "realtime.session",
        "id": session_id,
        "model": model,
        "output_modalities": ["audio"],
        "instructions": DEFAULT_INSTRUCTIONS,
        "tools": [],
        "tool_choice": "auto",
        "max_output_tokens": "inf",
        "tracing": None,
        "truncation": "auto",
        "prompt": None,
        "expires_at": expires_at,
        "audio": {
            "input": {
                "format": format_object(PCM24K),
                "transcription": None,
                "noise_reduction": None,
                "turn_detection": dict(_SERVER_VAD),
            },
            "output": {"format": format_object(PCM24K), "voice": DEFAULT_VOICE, "speed": 1.0},
        },
        "include": None,
    }


def public_session(session: dict[str, Any]) -> dict[str, Any]:
    """A copy of the session for ``session.created``/``.updated``: MCP tools' ``authorization``
    is never echoed."""
    out = copy.deepcopy(session)
    for tool in out.get("tools") or []:
        if isinstance(tool, dict):
            tool.pop("authorization", None)
    return out


def format_object(fmt: AudioFormat) -> dict[str, Any]:
    """The wire object of an audio format (``rate`` only for ``audio/pcm``)."""
    if fmt.mime == "audio/pcm":
        return {"type": "audio/pcm", "rate": 24000}
    return {"type": fmt.mime}


def parse_format(value: Any, param: str) -> AudioFormat:
    """A GA format object -> `AudioFormat`; beta strings and other rates are refused."""
    if not isinstance(value, dict):
        raise ApiError(
            400,
            f"Invalid type for '{param}': expected an object, but got {describe(value)} instead.",
            param=param,
            code="invalid_type",
        )
    kind = field(value, "type", "string", param=f"{param}.type", required=True)
    fmt = FORMATS.get(kind)
    if fmt is None:
        raise invalid_value(
            f"{param}.type",
            f"Invalid value: '{kind}'. Supported values are: 'audio/pcm', 'audio/pcmu', and "
            "'audio/pcma'.",
        )
    check_keys(value, frozenset({"type", "rate"}) if fmt is PCM24K else frozenset({"type"}), param)
    rate = field(value, "rate", "integer", param=f"{param}.rate")
    if rate is not None and rate != 24000:
        raise invalid_value(f"{param}.rate", f"Invalid value: {rate}. Supported values are: 24000.")
    return fmt


def _modalities(value: Any, param: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ApiError(
            400,
            f"Invalid type for '{param}': expected an array of strings, but got "
            f"{describe(value)} instead.",
            param=param,
            code="invalid_type",
        )
    if value not in (["audio"], ["text"]):
        raise invalid_value(
            param, "Invalid modalities: output_modalities must be either ['audio'] or ['text']."
        )
    return list(value)


def _max_tokens(value: Any, param: str) -> int | str:
    if value == "inf":
        return "inf"
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 4096:
        raise invalid_value(
            param, f"Invalid '{param}': expected an integer between 1 and 4096 or 'inf'."
        )
    return value


def check_tools(value: Any, param: str) -> list[dict[str, Any]]:
    """Validate a ``tools`` array (function and MCP tools; null clears); returns it."""
    if value is None:
        return []
    field({param: value}, param, "array")
    for index, tool in enumerate(value):
        where = f"{param}[{index}]"
        if not isinstance(tool, dict):
            raise ApiError(
                400,
                f"Invalid type for '{where}': expected an object, but got {describe(tool)} "
                "instead.",
                param=where,
                code="invalid_type",
            )
        kind = tool.get("type", "function")
        if kind == "function":
            field(tool, "name", "string", param=f"{where}.name", required=True)
            field(tool, "description", "string", param=f"{where}.description")
            field(tool, "parameters", "object", param=f"{where}.parameters")
        elif kind == "mcp":
            field(tool, "server_label", "string", param=f"{where}.server_label", required=True)
        else:
            raise invalid_value(
                f"{where}.type",
                f"Invalid value: '{kind}'. Supported values are: 'function' and 'mcp'.",
            )
    return list(value)


def check_tool_choice(value: Any, param: str) -> Any:
    """Validate ``tool_choice``: auto | none | required | {type function, name} | {type mcp}."""
    if value in ("auto", "none", "required"):
        return value
    if isinstance(value, dict) and value.get("type") == "function":
        field(value, "name", "string", param=f"{param}.name", required=True)
        return value
    if isinstance(value, dict) and value.get("type") == "mcp":
        field(value, "server_label", "string", param=f"{param}.server_label", required=True)
        return value
    raise invalid_value(
        param,
        "Invalid tool_choice: expected 'auto', 'none', 'required', or an object with type "
        "'function' or 'mcp'.",
    )


def _turn_detection(value: Any, current: Any, param: str) -> dict[str, Any] | None:
    if value is None:
        return None
    field({"t": value}, "t", "object", param=param)
    kind = field(value, "type", "string", param=f"{param}.type", required=True)
    if kind not in _VAD_KEYS:
        raise invalid_value(
            f"{param}.type",
            f"Invalid value: '{kind}'. Supported values are: 'server_vad' and 'semantic_vad'.",
        )
    check_keys(value, _VAD_KEYS[kind], param)
    base = current if isinstance(current, dict) and current.get("type") == kind else None
    merged = dict(base or (_SERVER_VAD if kind == "server_vad" else _SEMANTIC_VAD))
    merged.update(value)
    if kind == "server_vad":
        threshold = field(merged, "threshold", "number", param=f"{param}.threshold")
        if threshold is not None and not 0.0 <= threshold <= 1.0:
            raise invalid_value(f"{param}.threshold", "threshold must be between 0 and 1.")
        for key in ("prefix_padding_ms", "silence_duration_ms", "idle_timeout_ms"):
            number = field(merged, key, "integer", param=f"{param}.{key}")
            if number is not None and number < 0:
                raise invalid_value(f"{param}.{key}", f"{key} must not be negative.")
    elif merged.get("eagerness") not in _EAGERNESS:
        raise invalid_value(
            f"{param}.eagerness",
            f"Invalid value: '{merged.get('eagerness')}'. Supported values are: 'low', "
            "'medium', 'high', and 'auto'.",
        )
    for key in ("create_response", "interrupt_response"):
        field(merged, key, "boolean", param=f"{param}.{key}")
    return merged


def merge_input(value: Any, current: dict[str, Any], param: str) -> None:
    """Validate an ``audio.input`` update `value` and apply it to `current` in place (the
    voice and the transcription sessions share this shape)."""
    if value is None:
        return
    field({"i": value}, "i", "object", param=param)
    check_keys(value, _INPUT_KEYS, param)
    if "format" in value:
        current["format"] = format_object(parse_format(value["format"], f"{param}.format"))
    if "transcription" in value:
        transcription = value["transcription"]
        if transcription is not None:
            field({"t": transcription}, "t", "object", param=f"{param}.transcription")
            field(transcription, "model", "string", param=f"{param}.transcription.model")
        current["transcription"] = transcription
    if "noise_reduction" in value:
        noise = value["noise_reduction"]
        if noise is not None:
            field({"n": noise}, "n", "object", param=f"{param}.noise_reduction")
            if noise.get("type", "near_field") not in _NOISE:
                raise invalid_value(
                    f"{param}.noise_reduction.type",
                    f"Invalid value: '{noise.get('type')}'. Supported values are: 'near_field' "
                    "and 'far_field'.",
                )
        current["noise_reduction"] = noise
    if "turn_detection" in value:
        current["turn_detection"] = _turn_detection(
            value["turn_detection"], current.get("turn_detection"), f"{param}.turn_detection"
        )


def merge_voice(value: Any, param: str) -> Any:
    """Validate a voice: a name or ``{"id": "voice_..."}``."""
    if isinstance(value, str) and value:
        return value
    if isinstance(value, dict) and isinstance(value.get("id"), str) and set(value) == {"id"}:
        return value
    raise invalid_value(param, "Invalid voice: expected a voice name or an object {'id': ...}.")


def _merge_output(value: Any, current: dict[str, Any], param: str, voice_locked: bool) -> None:
    if value is None:
        return
    field({"o": value}, "o", "object", param=param)
    check_keys(value, _OUTPUT_KEYS, param)
    if "format" in value:
        current["format"] = format_object(parse_format(value["format"], f"{param}.format"))
    if "voice" in value:
        voice = merge_voice(value["voice"], f"{param}.voice")
        if voice_locked and voice != current.get("voice"):
            raise ApiError(
                400,
                "Cannot update a conversation's voice if assistant audio is present.",
                param=f"{param}.voice",
                code="cannot_update_voice",
            )
        current["voice"] = voice
    if "speed" in value:
        speed = field(value, "speed", "number", param=f"{param}.speed")
        if speed is not None and not 0.25 <= speed <= 1.5:
            raise invalid_value(f"{param}.speed", "speed must be between 0.25 and 1.5.")
        current["speed"] = 1.0 if speed is None else speed


def check_session_type(update: Any, kind: str) -> dict[str, Any]:
    """A ``session.update``'s ``session`` payload: present, an object, of session type
    `kind` (``realtime`` or ``transcription``), else the `ApiError` the API answers."""
    if update is None:
        raise missing("session")
    field({"session": update}, "session", "object")
    given = update.get("type")
    if given is None:
        raise missing("session.type")
    if given != kind:
        raise invalid_value(
            "session.type",
            f"Invalid value: '{given}'. A {kind} session cannot be updated to session type "
            f"'{given}'; supported values are: '{kind}'.",
        )
    return dict(update)


def merge_update(session: dict[str, Any], update: Any, *, voice_locked: bool) -> dict[str, Any]:
    """The session after a ``session.update`` payload (a new object; `session` untouched).

    `voice_locked`: assistant audio was already produced (the voice may not change).
    Raises `ApiError` for anything the GA API refuses (nothing is applied then).
    """
    update = check_session_type(update, "realtime")
    check_keys(update, _SESSION_KEYS, "session")
    new = copy.deepcopy(session)
    if "model" in update and update["model"] != session["model"]:
        raise invalid_value("session.model", "The model of a session cannot be changed.")
    if "output_modalities" in update:
        new["output_modalities"] = _modalities(
            update["output_modalities"], "session.output_modalities"
        )
    if "instructions" in update:
        new["instructions"] = field(update, "instructions", "string", param="session.instructions")
    if "tools" in update:
        new["tools"] = check_tools(update["tools"], "session.tools")
    if "tool_choice" in update:
        new["tool_choice"] = check_tool_choice(update["tool_choice"], "session.tool_choice")
    if "parallel_tool_calls" in update:
        new["parallel_tool_calls"] = field(
            update, "parallel_tool_calls", "boolean", param="session.parallel_tool_calls"
        )
    if "max_output_tokens" in update:
        new["max_output_tokens"] = _max_tokens(
            update["max_output_tokens"], "session.max_output_tokens"
        )
    for key in ("reasoning", "truncation", "prompt", "include"):
        if key in update:
            new[key] = update[key]
    if "tracing" in update:
        if session.get("tracing") is not None and update["tracing"] != session["tracing"]:
            raise invalid_value("session.tracing", "Tracing cannot be modified once enabled.")
        new["tracing"] = update["tracing"]
    if update.get("audio") is not None:
        audio = update["audio"]
        field({"a": audio}, "a", "object", param="session.audio")
        check_keys(audio, frozenset({"input", "output"}), "session.audio")
        if "input" in audio:
            merge_input(audio["input"], new["audio"]["input"], "session.audio.input")
        if "output" in audio:
            _merge_output(
                audio["output"], new["audio"]["output"], "session.audio.output", voice_locked
            )
    return new


def check_max_tokens(value: Any, param: str) -> int | str:
    """Validate ``max_output_tokens`` (1..4096 or ``"inf"``)."""
    return _max_tokens(value, param)


def check_modalities(value: Any, param: str) -> list[str]:
    """Validate ``output_modalities`` (``["audio"]`` or ``["text"]``)."""
    return _modalities(value, param)


@dataclass(frozen=True)
class SessionView:
    """The effective settings of a session object, typed for the engine."""

    input_format: AudioFormat
    output_format: AudioFormat
    turn_detection: dict[str, Any] | None
    transcription: dict[str, Any] | None
    voice: Any
    speed: float

    @classmethod
    def of(cls, session: dict[str, Any]) -> SessionView:
        audio_in = session["audio"]["input"]
        audio_out = session["audio"]["output"]
        return cls(
            input_format=FORMATS[audio_in["format"]["type"]],
            output_format=FORMATS[audio_out["format"]["type"]],
            turn_detection=audio_in.get("turn_detection"),
            transcription=audio_in.get("transcription"),
            voice=audio_out.get("voice", DEFAULT_VOICE),
            speed=float(audio_out.get("speed") or 1.0),
        )

    @property
    def silence_ms(self) -> int:
        """Silence that ends a turn (server_vad ``silence_duration_ms``, semantic by eagerness)."""
        td = self.turn_detection or {}
        if td.get("type") == "semantic_vad":
            return SEMANTIC_SILENCE_MS[str(td.get("eagerness", "auto"))]
        return int(td.get("silence_duration_ms") or 0)

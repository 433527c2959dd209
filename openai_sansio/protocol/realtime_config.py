"""GA Realtime: session configuration, ``session.update``, ``response.create`` options, URLs.

Pure builders for the client side of the GA Realtime API (``wss://.../v1/realtime``; never
the retired beta shape, never an ``OpenAI-Beta`` header):

- `RealtimeConfig` describes a session (model, voice, modalities, audio formats, turn
  detection, transcription, noise reduction, tools, ...), validated when constructed. Every
  field defaults to ``None`` = "not set": it is omitted from ``session.update`` and the
  server keeps its value. `OFF` is the other "empty" value: it is sent as an explicit
  ``null``, which switches a feature off (``turn_detection=OFF`` = manual turns /
  push-to-talk; ``noise_reduction``, ``transcription``, ``tracing`` likewise).
- `session_update` builds the whole ``session.update`` event; `session_update_diff` only
  the fields that changed between two configs (the update semantics: a field that is
  absent is left alone; clear ``instructions`` with ``""``, ``tools`` with ``()``, the
  nullable objects with `OFF`).
- `response_options` builds the ``response`` object of ``response.create`` (per-response
  overrides, out-of-band responses with ``conversation="none"`` and explicit ``input``).
- `realtime_url` / `realtime_headers` say where and how to open the socket;
  `user_text_item`, `image_input_item`, `function_call_output_item` build conversation
  items; `RealtimeUsage` / `flatten_realtime_usage` read ``response.done`` usage.

Builders return `RequestBody` (``body``, ``dropped_params``): what was set but cannot be
sent (``temperature`` does not exist in GA; realtime tools have no ``strict``) is reported,
never silently lost. Nothing here checks session *state* (``voice`` cannot change after the
first audio output; only one response at a time): that is the session machine's job.

Typical use::

    config = RealtimeConfig(model="gpt-realtime", voice="marin", instructions="Be brief.",
                            turn_detection=SemanticVAD(eagerness="high"),
                            transcription=InputTranscription(model="gpt-4o-transcribe"))
    url = realtime_url(client_config, model=config.model)    # wss://api.openai.com/v1/...
    headers = realtime_headers(client_config)                # no OpenAI-Beta, ever
    first = session_update(config)                           # send first.body as JSON
    later = session_update_diff(config, replace(config, instructions=""))
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final, Literal

from ._realtime_connect import realtime_headers, realtime_url
from ._realtime_fields import (
    MAX_OUTPUT_TOKENS_LIMIT,
    Modality,
    RealtimeTool,
    TurnDetection,
    check_max_tokens,
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
from ._realtime_items import (
    RealtimeUsage,
    assistant_text_item,
    conversation_item_create,
    flatten_realtime_usage,
    function_call_output_item,
    image_input_item,
    item_reference,
    system_text_item,
    user_text_item,
)
from ._realtime_response import response_create_event, response_options
from ._realtime_types import (
    OFF,
    PCM_SAMPLE_RATE,
    AudioFormat,
    CustomVoice,
    Eagerness,
    InputTranscription,
    NoiseReduction,
    Off,
    RetentionRatio,
    SemanticVAD,
    ServerVAD,
    Tracing,
    TranscriptionDelay,
    _fail,
    audio_format_object,
    check_str_seq,
    frozen_json,
    json_copy,
    normalize_audio_format,
)
from ._request_params import (
    DroppedParam,
    RequestBody,
    ToolSpec,
    _check_bool,
    _check_range,
    _check_str,
)

__all__ = [
    "MAX_OUTPUT_TOKENS_LIMIT",
    "OFF",
    "PCM_SAMPLE_RATE",
    "AudioFormat",
    "CustomVoice",
    "DroppedParam",
    "Eagerness",
    "InputTranscription",
    "Modality",
    "NoiseReduction",
    "Off",
    "RealtimeConfig",
    "RealtimeTool",
    "RealtimeUsage",
    "RequestBody",
    "RetentionRatio",
    "SemanticVAD",
    "ServerVAD",
    "ToolSpec",
    "Tracing",
    "TranscriptionDelay",
    "TurnDetection",
    "assistant_text_item",
    "audio_format_object",
    "conversation_item_create",
    "flatten_realtime_usage",
    "function_call_output_item",
    "image_input_item",
    "item_reference",
    "normalize_audio_format",
    "realtime_headers",
    "realtime_url",
    "response_create_event",
    "response_options",
    "session_update",
    "session_update_diff",
    "system_text_item",
    "user_text_item",
]

# -- RealtimeConfig ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class RealtimeConfig:
    """A GA Realtime session configuration; every field ``None`` = "leave the server's".

    - `model`: e.g. ``gpt-realtime`` (an open set); also goes in the URL (`realtime_url`).
      It cannot change mid-session.
    - `voice`: ``alloy ash ballad coral echo sage shimmer verse marin cedar`` (any str is
      passed on) or a `CustomVoice`. It cannot change after the first audio output.
    - `output_modalities`: ``"audio"`` (speech plus its transcript, the default) or
      ``"text"``; a one-element list is accepted too. Not both: GA rejects that.
    - `input_format` / `output_format`: ``"pcm"`` (24 kHz s16le mono only), ``"pcmu"``,
      ``"pcma"`` (G.711, 8 kHz). Input and output are independent.
    - `turn_detection`: `ServerVAD`, `SemanticVAD`, or `OFF` for manual turns (sent as
      ``null``: commit the buffer and send ``response.create`` yourself).
    - `transcription`: `InputTranscription` (user-audio transcripts) or `OFF`.
    - `noise_reduction`: `NoiseReduction`, ``"near_field"`` / ``"far_field"``, or `OFF`.
    - `tools`: `ToolSpec` (``function_tool(...)``) or raw tool mappings (MCP); ``()``
      clears them. `tool_choice`: ``"auto"``, ``"none"``, ``"required"`` or a function name.
      `parallel_tool_calls`: reasoning realtime models only.
    - `instructions` (``""`` clears), `max_output_tokens` (1-4096 or ``"inf"``), `speed`
      (0.25-1.5, changed only between turns), `truncation` (``"auto"``, ``"disabled"`` or
      `RetentionRatio`), `tracing` (``"auto"``, `Tracing` or `OFF`; fixed once enabled),
      `reasoning_effort` (``minimal``..``xhigh``, reasoning models), `include` (e.g.
      ``"item.input_audio_transcription.logprobs"``), `prompt` (``{"id": "pmpt_...",
      "version": ..., "variables": {...}}``).
    - `extra`: merged last into the ``session`` object for fields this class does not know
      yet; nested objects merge key by key; a ``None`` value removes a key, `OFF` sends
      ``null``. It cannot change ``type``.

    Plugin/beta names, folded into the GA field at construction (setting both is an error):
    `modalities` (``["text","audio"]`` = ``"audio"``, as the plugin treated it) and
    `input_audio_transcription`. `temperature` does not exist in GA: it is accepted so old
    configs still construct, then reported in `RequestBody.dropped_params` and never sent.
    """

    model: str | None = None
    voice: str | CustomVoice | None = None
    output_modalities: Modality | Sequence[Modality] | None = None
    input_format: AudioFormat | None = None
    output_format: AudioFormat | None = None
    turn_detection: TurnDetection | None = None
    transcription: InputTranscription | Off | None = None
    noise_reduction: NoiseReduction | Literal["near_field", "far_field"] | Off | None = None
    tools: Sequence[RealtimeTool] | None = None
    tool_choice: str | None = None
    instructions: str | None = None
    max_output_tokens: int | Literal["inf"] | None = None
    speed: float | None = None
    truncation: Literal["auto", "disabled"] | RetentionRatio | None = None
    tracing: Literal["auto"] | Tracing | Off | None = None
    reasoning_effort: str | None = None
    parallel_tool_calls: bool | None = None
    include: Sequence[str] | None = None
    prompt: Mapping[str, Any] | None = None
    extra: Mapping[str, Any] | None = None
    modalities: Sequence[str] | None = None
    input_audio_transcription: InputTranscription | Off | None = None
    temperature: float | None = None

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        _check_str("model", self.model)
        check_voice(self.voice, "voice")
        modality = parse_modality(self.output_modalities, "output_modalities")
        legacy = parse_modality(self.modalities, "modalities", alias=True)
        set_(
            self,
            "output_modalities",
            fold_alias(modality, legacy, ("output_modalities", "modalities")),
        )
        set_(self, "modalities", None)
        for name in ("input_format", "output_format"):
            value = getattr(self, name)
            if value is not None:
                set_(self, name, normalize_audio_format(value, name))
        if self.turn_detection is not None and not isinstance(
            self.turn_detection, ServerVAD | SemanticVAD | Off
        ):
            raise _fail(
                "turn_detection must be ServerVAD(...), SemanticVAD(...) or OFF (manual turns), "
                f"got {self.turn_detection!r}"
            )
        names = ("transcription", "input_audio_transcription")
        transcription = fold_alias(self.transcription, self.input_audio_transcription, names)
        if transcription is not None and not isinstance(transcription, InputTranscription | Off):
            raise _fail(
                f"transcription must be InputTranscription(...) or OFF, got {transcription!r}"
            )
        set_(self, "transcription", transcription)
        set_(self, "input_audio_transcription", None)
        noise = self.noise_reduction
        if isinstance(noise, str):
            noise = NoiseReduction(type=noise)
            set_(self, "noise_reduction", noise)
        if noise is not None and not isinstance(noise, NoiseReduction | Off):
            raise _fail(f"noise_reduction must be NoiseReduction(...) or OFF, got {noise!r}")
        tools = freeze_tools(self.tools, "tools")
        set_(self, "tools", tools)
        check_tool_choice(self.tool_choice, tools)
        _check_str("instructions", self.instructions, empty_ok=True)
        check_max_tokens(self.max_output_tokens, "max_output_tokens")
        _check_range("speed", self.speed, 0.25, 1.5)
        trunc = self.truncation
        if trunc not in (None, "auto", "disabled") and not isinstance(trunc, RetentionRatio):
            raise _fail(
                f"truncation must be 'auto', 'disabled' or RetentionRatio(...), got {trunc!r}"
            )
        tracing = self.tracing
        if tracing not in (None, "auto") and not isinstance(tracing, Tracing | Off):
            raise _fail(f"tracing must be 'auto', Tracing(...) or OFF, got {tracing!r}")
        _check_str("reasoning_effort", self.reasoning_effort)
        _check_bool("parallel_tool_calls", self.parallel_tool_calls)
        set_(self, "include", check_str_seq("include", self.include))
        set_(self, "prompt", check_prompt(self.prompt, "prompt"))
        check_temperature(self.temperature)
        extra = frozen_json(self.extra, "extra", keep_off=True)
        if extra is not None and "type" in extra:
            raise _fail("extra cannot set the session 'type' (always 'realtime' here)")
        set_(self, "extra", extra)

    @property
    def is_text_only(self) -> bool:
        """Whether responses are text only (``output_modalities="text"``); unset = audio."""
        return self.output_modalities == "text"


# -- building the session object --------------------------------------------------------------


def _nullable(value: Any) -> Any:
    """JSON for a field that may be `OFF` (-> ``None``, an explicit null) or an object."""
    return None if value is OFF else value.to_json()


def _session_object(config: RealtimeConfig, dropped: list[DroppedParam]) -> dict[str, Any]:
    """The GA ``session`` object in protocol order; `OFF` fields become explicit nulls."""
    s: dict[str, Any] = {"type": "realtime"}
    if config.model is not None:
        s["model"] = config.model
    if config.output_modalities is not None:
        s["output_modalities"] = [config.output_modalities]
    if config.instructions is not None:
        s["instructions"] = config.instructions
    audio_in: dict[str, Any] = {}
    if config.input_format is not None:
        audio_in["format"] = audio_format_object(config.input_format)
    for name in ("noise_reduction", "transcription", "turn_detection"):
        value = getattr(config, name)
        if value is not None:
            audio_in[name] = _nullable(value)
    audio_out: dict[str, Any] = {}
    if config.output_format is not None:
        audio_out["format"] = audio_format_object(config.output_format)
    if config.voice is not None:
        audio_out["voice"] = voice_json(config.voice)
    if config.speed is not None:
        audio_out["speed"] = config.speed
    audio = {k: v for k, v in (("input", audio_in), ("output", audio_out)) if v}
    if audio:
        s["audio"] = audio
    if config.tools is not None:
        s["tools"] = [tool_json(t, dropped) for t in config.tools]
    if config.tool_choice is not None:
        s["tool_choice"] = tool_choice_json(config.tool_choice)
    if config.parallel_tool_calls is not None:
        s["parallel_tool_calls"] = config.parallel_tool_calls
    if config.reasoning_effort is not None:
        s["reasoning"] = {"effort": config.reasoning_effort}
    if config.max_output_tokens is not None:
        s["max_output_tokens"] = config.max_output_tokens
    if config.truncation is not None:
        trunc = config.truncation
        s["truncation"] = trunc.to_json() if isinstance(trunc, RetentionRatio) else trunc
    if config.tracing is not None:
        tracing = config.tracing
        s["tracing"] = tracing if isinstance(tracing, str) else _nullable(tracing)
    if config.prompt is not None:
        s["prompt"] = json_copy(config.prompt, "prompt")
    if config.include is not None:
        s["include"] = list(config.include)
    if config.temperature is not None:
        dropped.append(
            DroppedParam("temperature", "the GA Realtime API has no temperature (beta only)")
        )
    if config.extra:
        merge_extra(s, config.extra)
    return s


def session_update(config: RealtimeConfig, *, event_id: str | None = None) -> RequestBody:
    """The full GA ``session.update`` event for `config` (body) and what was not sent.

    Unset fields are omitted (the server keeps its value); `OFF` fields are sent as
    ``null`` (switched off). ``session.type`` is always ``"realtime"``. The server answers
    ``session.updated`` with the whole effective configuration, without your `event_id`
    (which only comes back in an ``error``).

    Next: send ``encode_json(result.body)`` as a text frame; warn about `dropped_params`.
    """
    if not isinstance(config, RealtimeConfig):
        raise _fail(f"session_update needs a RealtimeConfig, got {type(config).__name__}")
    dropped: list[DroppedParam] = []
    event = new_event("session.update", event_id)
    event["session"] = _session_object(config, dropped)
    return RequestBody(event, tuple(dropped))


# Objects diffed key by key; every other value is compared and re-sent whole.
_CONTAINERS: Final = frozenset({("audio",), ("audio", "input"), ("audio", "output")})
_FIELD_OF: Final[Mapping[tuple[str, ...], str]] = MappingProxyType(
    {
        ("output_modalities",): "output_modalities",
        ("audio", "input", "format"): "input_format",
        ("audio", "input", "noise_reduction"): "noise_reduction",
        ("audio", "input", "transcription"): "transcription",
        ("audio", "input", "turn_detection"): "turn_detection",
        ("audio", "output", "format"): "output_format",
        ("audio", "output", "voice"): "voice",
        ("audio", "output", "speed"): "speed",
        ("reasoning",): "reasoning_effort",
    }
)
_MISSING: Final = object()
_CLEAR_HINT: Final[Mapping[str, str]] = MappingProxyType(
    {
        "instructions": "instructions=''",
        "tools": "tools=()",
        "turn_detection": "turn_detection=OFF",
        "noise_reduction": "noise_reduction=OFF",
        "transcription": "transcription=OFF",
    }
)


def _diff(
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    path: tuple[str, ...],
    kept: list[DroppedParam],
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in (*new, *(k for k in old if k not in new)):
        here = (*path, key)
        before = old.get(key, _MISSING)
        after = new.get(key, _MISSING)
        if here in _CONTAINERS:
            sub = _diff(_as_dict(before), _as_dict(after), here, kept)
            if sub:
                out[key] = sub
        elif after is _MISSING:
            name = _FIELD_OF.get(here, ".".join(here))
            hint = _CLEAR_HINT.get(name)
            how = f" (to clear it set {hint})" if hint else ""
            kept.append(
                DroppedParam(name, f"unset in the new config: the session keeps its value{how}")
            )
        elif before != after or type(before) is not type(after):
            out[key] = after
    return out


def _as_dict(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def session_update_diff(
    old: RealtimeConfig, new: RealtimeConfig, *, event_id: str | None = None
) -> RequestBody:
    """A ``session.update`` carrying only what differs from `old` to `new`.

    Update semantics: a field absent from the update is left unchanged, so a field set in
    `old` but ``None`` in `new` cannot be "unset": it is reported in `dropped_params` with
    how to clear it (``instructions=''``, ``tools=()``, `OFF` for turn detection, noise
    reduction, transcription, tracing). Changed objects (a VAD setting, a format, the tool
    list) are re-sent whole; ``audio`` is diffed key by key. When nothing changed,
    ``body["session"] == {"type": "realtime"}``: there is nothing worth sending.

    Raises `LocalProtocolError` for a `model` change (not updatable mid-session; open a new
    session) and for a `tracing` change after it was enabled. `voice` cannot change after
    the session's first audio output; only the session machine knows that, so it checks.
    """
    for what, value in (("old", old), ("new", new)):
        if not isinstance(value, RealtimeConfig):
            raise _fail(f"session_update_diff {what} must be a RealtimeConfig")
    if old.model is not None and new.model is not None and old.model != new.model:
        raise _fail(
            f"model cannot change mid-session ({old.model!r} -> {new.model!r}); open a new session",
            "model_immutable",
        )
    enabled = old.tracing is not None and old.tracing is not OFF
    if enabled and new.tracing is not None and new.tracing != old.tracing:
        raise _fail("tracing cannot be changed once enabled for a session", "tracing_immutable")
    scratch: list[DroppedParam] = []
    before = _session_object(old, scratch)
    dropped: list[DroppedParam] = []
    after = _session_object(new, dropped)
    event = new_event("session.update", event_id)
    session = {"type": "realtime", **_diff(before, after, (), dropped)}
    event["session"] = session
    return RequestBody(event, tuple(dropped))

"""What to ask the model for: generation parameters, tools, input items, and the JSON bodies.

This half of the request builders knows the two create-parameter schemas (Responses and Chat
Completions) and nothing about URLs, headers or credentials (those live in `requests`).

- `GenerationParams` is one frozen description of a generation that serves both APIs. It is
  validated when constructed (ranges, metadata limits, ``tool_choice`` naming a real tool), so
  a bad argument fails before anything is built or sent.
- `responses_body` / `chat_body` turn it into the exact JSON object each API expects, plus the
  `DroppedParam` records of what could not be sent (a reasoning model rejects ``temperature``;
  the Responses API has no ``seed``). Nothing is dropped silently: callers can log or warn.
- Conversation items (``user_message``, ``chat_user``, ...) live in `_request_items`.

Next: pass a `GenerationParams` to `requests.build_responses_request` or
`requests.build_chat_request`; the WebSocket machine uses `responses_body(..., websocket=True)`
directly for its ``response.create`` message.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final, Literal, NamedTuple, TypeAlias

import msgspec

from ._errors import LocalProtocolError

__all__ = [
    "METADATA_MAX_KEYS",
    "METADATA_MAX_KEY_CHARS",
    "METADATA_MAX_VALUE_CHARS",
    "TOOL_CHOICE_MODES",
    "DroppedParam",
    "GenerationParams",
    "ReasoningEffort",
    "RequestBody",
    "ToolSpec",
    "Verbosity",
    "chat_body",
    "encode_json",
    "function_tool",
    "is_reasoning_model",
    "responses_body",
]

ReasoningEffort: TypeAlias = Literal["none", "minimal", "low", "medium", "high", "xhigh"] | str
"""Reasoning effort; an open set (new levels appear with new models), so any string passes."""

Verbosity: TypeAlias = Literal["low", "medium", "high"] | str
"""Output verbosity of GPT-5-family models; open like `ReasoningEffort`."""

TOOL_CHOICE_MODES: Final = frozenset({"auto", "required", "none"})
"""The ``tool_choice`` strings that are modes; any other string must name a tool."""

METADATA_MAX_KEYS: Final = 16
"""OpenAI's limit on ``metadata`` entries (both APIs reject more with a 400)."""
METADATA_MAX_KEY_CHARS: Final = 64
"""OpenAI's limit on one ``metadata`` key."""
METADATA_MAX_VALUE_CHARS: Final = 512
"""OpenAI's limit on one ``metadata`` value."""

_NAME_RE: Final = re.compile(r"[A-Za-z0-9_-]{1,64}")
"""Function and schema names: a-z, A-Z, 0-9, ``_`` and ``-``, at most 64 (the API's rule)."""

_REASONING_PREFIXES: Final = ("o1", "o3", "o4", "gpt-5")

_EMPTY_OBJECT_SCHEMA: Final[Mapping[str, Any]] = MappingProxyType(
    {"type": "object", "properties": {}, "additionalProperties": False, "required": []}
)
"""The parameters of a function without arguments; valid in strict and non-strict mode."""


def _enc_hook(obj: Any) -> Any:
    # Callers hand us Mappings/Sequences that are not dict/list (MappingProxyType, custom
    # mappings); JSON only knows objects and arrays, so convert instead of failing.
    if isinstance(obj, Mapping):
        return dict(obj)
    if isinstance(obj, Sequence) and not isinstance(obj, str | bytes | bytearray):
        return list(obj)
    raise TypeError(f"{type(obj).__name__} is not JSON-serialisable")


_ENCODER: Final = msgspec.json.Encoder(enc_hook=_enc_hook)


def encode_json(value: Any) -> bytes:
    """Encode a request body with msgspec, keeping dict insertion order (deterministic).

    Why a wrapper: caller-supplied JSON (schemas, input items, ``extra_body``) may hold values
    JSON cannot represent; that is the caller's error, so it becomes a `LocalProtocolError`.
    """
    try:
        return _ENCODER.encode(value)
    except (TypeError, ValueError, OverflowError, msgspec.EncodeError) as exc:
        raise LocalProtocolError(
            f"request body is not JSON-serialisable: {exc}", error_hint="invalid_json_body"
        ) from None


def is_reasoning_model(model: str) -> bool:
    """Whether `model` belongs to a reasoning family: o1, o3, o4 or gpt-5 (case-insensitive).

    A provider prefix such as ``"azure/"`` or ``"openai/"`` (anything up to the last ``/``) is
    ignored. This is a name heuristic, kept deliberately simple; for a model it misjudges (an
    Azure deployment alias, a new family) set ``GenerationParams.reasoning_model`` explicitly.
    """
    name = model.rsplit("/", 1)[-1].strip().lower()
    return name.startswith(_REASONING_PREFIXES)


def _fail(message: str, hint: str = "invalid_param") -> LocalProtocolError:
    return LocalProtocolError(message, error_hint=hint)


def _check_name(value: object, what: str) -> str:
    if not isinstance(value, str) or _NAME_RE.fullmatch(value) is None:
        raise _fail(
            f"{what} must be 1-64 characters of a-z, A-Z, 0-9, '_' or '-', got {value!r}",
            "invalid_name",
        )
    return value


def _check_range(name: str, value: object, low: float, high: float) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _fail(f"{name} must be a number, got {type(value).__name__}")
    if not (math.isfinite(value) and low <= value <= high):
        raise _fail(f"{name} must be between {low:g} and {high:g}, got {value!r}")


def _check_int(name: str, value: object, low: int, high: int | None = None) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(f"{name} must be an int, got {type(value).__name__}")
    if value < low or (high is not None and value > high):
        bound = f">= {low}" if high is None else f"between {low} and {high}"
        raise _fail(f"{name} must be {bound}, got {value}")


def _check_str(name: str, value: object, *, empty_ok: bool = False) -> None:
    if value is None:
        return
    if not isinstance(value, str) or (not empty_ok and not value):
        raise _fail(f"{name} must be a non-empty str, got {value!r}")


def _check_bool(name: str, value: object) -> None:
    if value is not None and not isinstance(value, bool):
        raise _fail(f"{name} must be a bool, got {type(value).__name__}")


def _frozen_mapping(name: str, value: object) -> Mapping[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        raise _fail(f"{name} must be a mapping with str keys")
    return MappingProxyType(dict(value))


def _str_tuple(name: str, value: object) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise _fail(f"{name} must be a sequence of str (not a single str)")
    items = tuple(value)
    if not all(isinstance(v, str) and v for v in items):
        raise _fail(f"{name} must contain non-empty str values only")
    return items


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolSpec:
    """One function the model may call, in an API-neutral form.

    `parameters` is the JSON Schema of the arguments (``None`` = no arguments). `strict` is
    ``None`` to leave the API's default, which differs: the Responses API normalises an
    unmarked schema into strict mode, Chat Completions stays non-strict. Set it explicitly to
    get the same behaviour on both. Build one with `function_tool`; put it in
    `GenerationParams.tools`.
    """

    name: str
    description: str | None = None
    parameters: Mapping[str, Any] | None = None
    strict: bool | None = None

    def __post_init__(self) -> None:
        _check_name(self.name, "tool name")
        _check_str("tool description", self.description, empty_ok=True)
        _check_bool("tool strict", self.strict)
        object.__setattr__(self, "parameters", _frozen_mapping("tool parameters", self.parameters))

    def _schema(self) -> dict[str, Any]:
        return dict(self.parameters if self.parameters is not None else _EMPTY_OBJECT_SCHEMA)

    def to_responses(self) -> dict[str, Any]:
        """The Responses API's flat function tool: ``{"type":"function","name",...}``.

        ``parameters`` is required there, so a tool without arguments gets an empty object
        schema; ``strict`` is omitted when ``None`` (the server default applies).
        """
        tool: dict[str, Any] = {"type": "function", "name": self.name}
        if self.description is not None:
            tool["description"] = self.description
        tool["parameters"] = self._schema()
        if self.strict is not None:
            tool["strict"] = self.strict
        return tool

    def to_chat(self) -> dict[str, Any]:
        """The Chat Completions nested tool: ``{"type":"function","function":{...}}``.

        Chat treats a missing ``parameters`` as "no arguments", so it is omitted when ``None``.
        """
        fn: dict[str, Any] = {"name": self.name}
        if self.description is not None:
            fn["description"] = self.description
        if self.parameters is not None:
            fn["parameters"] = dict(self.parameters)
        if self.strict is not None:
            fn["strict"] = self.strict
        return {"type": "function", "function": fn}


def function_tool(
    name: str,
    parameters: Mapping[str, Any] | None = None,
    *,
    description: str | None = None,
    strict: bool | None = None,
) -> ToolSpec:
    """Describe a function tool (see `ToolSpec`); put the result in `GenerationParams.tools`."""
    return ToolSpec(name=name, description=description, parameters=parameters, strict=strict)


class DroppedParam(NamedTuple):
    """A parameter that was set but not sent, and why (for the caller to log or warn about)."""

    name: str
    reason: str


class RequestBody(NamedTuple):
    """A built JSON body (a fresh dict the caller may extend) and what was left out of it."""

    body: dict[str, Any]
    dropped_params: tuple[DroppedParam, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class GenerationParams:
    """How to generate, for either API; validated on construction (`LocalProtocolError`).

    Unset (``None``) fields are never sent, so the server default applies. Where the APIs
    differ the builders map one name to each: `max_output_tokens` becomes
    ``max_output_tokens`` (Responses) or ``max_completion_tokens`` (Chat); `json_schema`
    becomes ``text.format`` or ``response_format``; `reasoning_effort` becomes
    ``reasoning.effort`` or ``reasoning_effort``; `verbosity` becomes ``text.verbosity`` or a
    top-level ``verbosity``.

    Reasoning models (`reasoning_model`, or `is_reasoning_model` on `model` when that is
    ``None``) reject ``temperature``, ``top_p`` and the penalties; the builders leave them out
    and report each one in ``dropped_params``. Conversely `reasoning_effort` and `verbosity`
    are only sent to reasoning models. Parameters one API lacks (``seed`` and the penalties
    on Responses; ``instructions`` and ``include`` on Chat) are reported the same way.

    `tool_choice` is ``"auto"``, ``"required"``, ``"none"`` or the name of one of `tools`.
    `extra_body` is merged last at the top level and may override anything; a ``None`` value
    there removes the key (the API rejects explicit nulls).

    Next: `requests.build_responses_request` or `requests.build_chat_request`.
    """

    model: str
    temperature: float | None = None
    top_p: float | None = None
    frequency_penalty: float | None = None
    presence_penalty: float | None = None
    seed: int | None = None
    max_output_tokens: int | None = None
    tools: Sequence[ToolSpec] = ()
    tool_choice: str | None = None
    parallel_tool_calls: bool | None = None
    reasoning_effort: ReasoningEffort | None = None
    verbosity: Verbosity | None = None
    json_schema: Mapping[str, Any] | None = None
    json_schema_name: str | None = None
    json_schema_strict: bool | None = None
    store: bool | None = None
    metadata: Mapping[str, str] | None = None
    instructions: str | None = None
    user: str | None = None
    safety_identifier: str | None = None
    prompt_cache_key: str | None = None
    service_tier: str | None = None
    include: Sequence[str] = ()
    include_usage: bool = True
    include_obfuscation: bool | None = None
    extra_body: Mapping[str, Any] | None = None
    reasoning_model: bool | None = None

    def __post_init__(self) -> None:
        _check_str("model", self.model)
        _check_range("temperature", self.temperature, 0.0, 2.0)
        _check_range("top_p", self.top_p, 0.0, 1.0)
        _check_range("frequency_penalty", self.frequency_penalty, -2.0, 2.0)
        _check_range("presence_penalty", self.presence_penalty, -2.0, 2.0)
        _check_int("seed", self.seed, -(2**63), 2**63 - 1)
        _check_int("max_output_tokens", self.max_output_tokens, 1)
        for name in ("parallel_tool_calls", "json_schema_strict", "store", "reasoning_model"):
            _check_bool(name, getattr(self, name))
        _check_bool("include_obfuscation", self.include_obfuscation)
        if not isinstance(self.include_usage, bool):
            raise _fail("include_usage must be a bool")
        for name in (
            "reasoning_effort",
            "verbosity",
            "user",
            "safety_identifier",
            "prompt_cache_key",
            "service_tier",
        ):
            _check_str(name, getattr(self, name))
        _check_str("instructions", self.instructions, empty_ok=True)
        self._freeze_tools()
        self._freeze_schema()
        self._freeze_metadata()
        object.__setattr__(self, "include", _str_tuple("include", self.include))
        object.__setattr__(self, "extra_body", _frozen_mapping("extra_body", self.extra_body))

    def _freeze_tools(self) -> None:
        if isinstance(self.tools, str | bytes) or not isinstance(self.tools, Sequence):
            raise _fail("tools must be a sequence of ToolSpec")
        tools = tuple(self.tools)
        names: list[str] = []
        for tool in tools:
            if not isinstance(tool, ToolSpec):
                raise _fail(f"tools must hold ToolSpec values (see function_tool), got {tool!r}")
            if tool.name in names:
                raise _fail(f"duplicate tool name {tool.name!r}")
            names.append(tool.name)
        object.__setattr__(self, "tools", tools)
        choice = self.tool_choice
        if choice is None:
            return
        if not isinstance(choice, str) or not choice:
            raise _fail(f"tool_choice must be a non-empty str, got {choice!r}")
        if choice == "required" and not tools:
            raise _fail("tool_choice='required' needs at least one tool in tools")
        if choice not in TOOL_CHOICE_MODES and choice not in names:
            known = ", ".join(repr(n) for n in names) or "none defined"
            raise _fail(
                f"tool_choice {choice!r} is neither 'auto', 'required', 'none' nor the name "
                f"of one of the tools ({known})",
                "unknown_tool_choice",
            )

    def _freeze_schema(self) -> None:
        schema = _frozen_mapping("json_schema", self.json_schema)
        object.__setattr__(self, "json_schema", schema)
        if self.json_schema_name is not None:
            _check_name(self.json_schema_name, "json_schema_name")
            if schema is None:
                raise _fail("json_schema_name is set but json_schema is not")
        if self.json_schema_strict is not None and schema is None:
            raise _fail("json_schema_strict is set but json_schema is not")

    def _freeze_metadata(self) -> None:
        meta = self.metadata
        if meta is None:
            return
        if not isinstance(meta, Mapping):
            raise _fail("metadata must be a mapping of str to str")
        if len(meta) > METADATA_MAX_KEYS:
            raise _fail(f"metadata has {len(meta)} keys; the API allows {METADATA_MAX_KEYS}")
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
        object.__setattr__(self, "metadata", MappingProxyType(dict(meta)))

    @property
    def is_reasoning(self) -> bool:
        """`reasoning_model` if set, else `is_reasoning_model(model)`."""
        if self.reasoning_model is not None:
            return self.reasoning_model
        return is_reasoning_model(self.model)


_SAMPLING: Final = ("temperature", "top_p", "frequency_penalty", "presence_penalty")


class _Builder:
    """Collects body fields in wire order, skipping ``None`` and recording drops."""

    __slots__ = ("body", "dropped")

    def __init__(self) -> None:
        self.body: dict[str, Any] = {}
        self.dropped: list[DroppedParam] = []

    def put(self, key: str, value: Any) -> None:
        if value is not None:
            self.body[key] = value

    def drop(self, name: str, value: Any, reason: str) -> None:
        if value is not None and value != ():
            self.dropped.append(DroppedParam(name, reason))

    def finish(self, extra: Mapping[str, Any] | None) -> RequestBody:
        if extra:
            for key, value in extra.items():
                if value is None:
                    self.body.pop(key, None)
                else:
                    self.body[key] = value
        return RequestBody(self.body, tuple(self.dropped))


def _common_sampling(b: _Builder, p: GenerationParams, *, penalties: bool, api: str) -> None:
    """temperature/top_p (and for Chat the penalties), or their drop records."""
    for name in _SAMPLING:
        value = getattr(p, name)
        is_penalty = name.endswith("_penalty")
        if p.is_reasoning:
            b.drop(name, value, f"reasoning model {p.model!r} rejects {name}")
        elif is_penalty and not penalties:
            b.drop(name, value, f"the {api} API has no {name}")
        else:
            b.put(name, value)


def _gate_reasoning(b: _Builder, p: GenerationParams) -> bool:
    """Whether reasoning_effort/verbosity may be sent; records the drops when not."""
    if p.is_reasoning:
        return True
    why = f"model {p.model!r} is not a reasoning model (set reasoning_model=True to force)"
    b.drop("reasoning_effort", p.reasoning_effort, why)
    b.drop("verbosity", p.verbosity, why)
    return False


def _tool_fields(b: _Builder, p: GenerationParams, api: Literal["responses", "chat"]) -> None:
    if not p.tools:
        b.drop("tool_choice", p.tool_choice, "no tools are defined")
        b.drop("parallel_tool_calls", p.parallel_tool_calls, "no tools are defined")
        return
    if api == "responses":
        b.put("tools", [t.to_responses() for t in p.tools])
    else:
        b.put("tools", [t.to_chat() for t in p.tools])
    choice = p.tool_choice
    if choice is not None and choice not in TOOL_CHOICE_MODES:
        if api == "responses":
            b.put("tool_choice", {"type": "function", "name": choice})
        else:
            b.put("tool_choice", {"type": "function", "function": {"name": choice}})
    else:
        b.put("tool_choice", choice)
    b.put("parallel_tool_calls", p.parallel_tool_calls)


def _schema_format(p: GenerationParams) -> dict[str, Any] | None:
    if p.json_schema is None:
        return None
    fmt: dict[str, Any] = {"name": p.json_schema_name or "response"}
    fmt["schema"] = dict(p.json_schema)
    if p.json_schema_strict is not None:
        fmt["strict"] = p.json_schema_strict
    return fmt


def _identity_fields(b: _Builder, p: GenerationParams) -> None:
    b.put("store", p.store)
    b.put("metadata", dict(p.metadata) if p.metadata is not None else None)


def _tail_fields(b: _Builder, p: GenerationParams) -> None:
    b.put("user", p.user)
    b.put("safety_identifier", p.safety_identifier)
    b.put("prompt_cache_key", p.prompt_cache_key)
    b.put("service_tier", p.service_tier)


def _input_items(value: object) -> str | list[dict[str, Any]]:
    if isinstance(value, str):
        return value
    if isinstance(value, bytes | bytearray) or not isinstance(value, Sequence):
        raise _fail("input must be a str or a sequence of input item mappings")
    items: list[dict[str, Any]] = []
    for item in value:
        if not isinstance(item, Mapping):
            raise _fail(f"each input item must be a mapping, got {type(item).__name__}")
        items.append(dict(item))
    return items


def responses_body(
    params: GenerationParams,
    input: str | Sequence[Mapping[str, Any]],
    *,
    previous_response_id: str | None = None,
    stream: bool = True,
    websocket: bool = False,
    model: str | None = None,
) -> RequestBody:
    """The ``POST /responses`` JSON body for `params` and `input` (never an explicit null).

    `stream` adds ``"stream": true`` (and ``stream_options`` when `include_obfuscation` is
    set). `websocket=True` builds the body of a WebSocket ``response.create`` instead: no
    ``stream`` key (the socket always streams), ``stream_options`` kept. `model` overrides
    the wire model name (an Azure v1 deployment) without changing the reasoning decision.

    Next: `requests.build_responses_request` wraps this with URL and headers; the WebSocket
    machine adds ``"type": "response.create"`` and sends it.
    """
    _check_str("previous_response_id", previous_response_id)
    b = _Builder()
    b.put("model", model or params.model)
    b.put("input", _input_items(input))
    b.put("instructions", params.instructions)
    b.put("previous_response_id", previous_response_id)
    streaming = stream or websocket
    if stream and not websocket:
        b.put("stream", True)
    if params.include_obfuscation is not None:
        if streaming:
            b.put("stream_options", {"include_obfuscation": params.include_obfuscation})
        else:
            b.drop("include_obfuscation", True, "stream_options is only valid when streaming")
    _tool_fields(b, params, "responses")
    _common_sampling(b, params, penalties=False, api="Responses")
    b.drop("seed", params.seed, "the Responses API has no seed")
    b.put("max_output_tokens", params.max_output_tokens)
    allowed = _gate_reasoning(b, params)
    if allowed and params.reasoning_effort is not None:
        b.put("reasoning", {"effort": params.reasoning_effort})
    text: dict[str, Any] = {}
    fmt = _schema_format(params)
    if fmt is not None:
        text["format"] = {"type": "json_schema", **fmt}
    if allowed and params.verbosity is not None:
        text["verbosity"] = params.verbosity
    b.put("text", text or None)
    _identity_fields(b, params)
    b.put("include", list(params.include) or None)
    _tail_fields(b, params)
    return b.finish(params.extra_body)


def chat_body(
    params: GenerationParams,
    messages: Sequence[Mapping[str, Any]],
    *,
    stream: bool = True,
    n: int | None = None,
    logprobs: bool | None = None,
    top_logprobs: int | None = None,
    model: str | None = None,
) -> RequestBody:
    """The ``POST /chat/completions`` JSON body for `params` and `messages` (no nulls).

    ``stream_options`` (``include_usage``, and ``include_obfuscation`` when set) is sent
    only when streaming: the API rejects it otherwise. Reasoning models also reject
    ``logprobs``; those are dropped and reported like the sampling parameters.

    Next: `requests.build_chat_request` wraps this with URL and headers.
    """
    if isinstance(messages, str | bytes) or not isinstance(messages, Sequence) or not messages:
        raise _fail("messages must be a non-empty sequence of message mappings")
    msgs: list[dict[str, Any]] = []
    for msg in messages:
        if not isinstance(msg, Mapping):
            raise _fail(f"each message must be a mapping, got {type(msg).__name__}")
        msgs.append(dict(msg))
    _check_int("n", n, 1, 128)
    _check_bool("logprobs", logprobs)
    _check_int("top_logprobs", top_logprobs, 0, 20)
    if top_logprobs is not None and logprobs is not True:
        raise _fail("top_logprobs requires logprobs=True")
    b = _Builder()
    b.put("model", model or params.model)
    b.put("messages", msgs)
    if stream:
        b.put("stream", True)
        options: dict[str, Any] = {"include_usage": params.include_usage}
        if params.include_obfuscation is not None:
            options["include_obfuscation"] = params.include_obfuscation
        b.put("stream_options", options)
    else:
        b.drop("include_obfuscation", params.include_obfuscation, "only valid when streaming")
    b.put("n", n)
    _tool_fields(b, params, "chat")
    _common_sampling(b, params, penalties=True, api="Chat Completions")
    b.put("seed", params.seed)
    b.put("max_completion_tokens", params.max_output_tokens)
    if _gate_reasoning(b, params):
        b.put("reasoning_effort", params.reasoning_effort)
        b.put("verbosity", params.verbosity)
    fmt = _schema_format(params)
    if fmt is not None:
        b.put("response_format", {"type": "json_schema", "json_schema": fmt})
    if params.is_reasoning:
        b.drop("logprobs", logprobs, f"reasoning model {params.model!r} rejects logprobs")
        b.drop("top_logprobs", top_logprobs, f"reasoning model {params.model!r} rejects logprobs")
    else:
        b.put("logprobs", logprobs)
        b.put("top_logprobs", top_logprobs)
    _identity_fields(b, params)
    b.drop("instructions", params.instructions, "Chat has no instructions; use chat_system()")
    b.drop("include", params.include, "the Chat Completions API has no include")
    _tail_fields(b, params)
    return b.finish(params.extra_body)

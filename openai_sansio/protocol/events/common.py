"""Building blocks shared by every API's events.

- `WireEvent`: base of every event that travels on the wire as ``{"type": ..., ...}``. Frozen,
  tagged on ``type``, unset optionals omitted when encoding (the API rejects explicit nulls).
- `UnknownEvent`: what an event of a ``type`` this library does not know becomes. It keeps the
  exact bytes so nothing is lost and a re-encode is byte-identical.
- `NEED_DATA`: what ``next_event()`` returns when the machine needs more input (after h11).
- `APIError`: an API-level failure that is valid protocol, as an event with a classification.
- `ToolCall`, `ArgumentsProblem`, `TokenUsage`: the assembled results the machines hand out.
"""

from __future__ import annotations

import enum
from typing import Any, ClassVar, Final, Literal

import msgspec

__all__ = [
    "NEED_DATA",
    "APIError",
    "ArgumentsProblem",
    "ErrorClass",
    "NeedData",
    "TokenUsage",
    "ToolCall",
    "UnknownEvent",
    "WireEvent",
    "classify_error",
    "parse_arguments",
]


class WireEvent(
    msgspec.Struct, frozen=True, kw_only=True, tag_field="type", omit_defaults=True, gc=False
):
    """Base of every tagged wire event; subclasses set ``tag=`` to the wire ``type`` string.

    `gc=False` is safe because events never form reference cycles, and saves ~10% per decode.
    """

    @property
    def type(self) -> str:
        """The wire tag (``"response.output_text.delta"``, ...)."""
        tag = self.__struct_config__.tag
        assert isinstance(tag, str)
        return tag


class UnknownEvent(msgspec.Struct, frozen=True, gc=False):
    """An event whose ``type`` this library does not know (yet). Never fails a stream.

    `raw` is the exact JSON text received; `encode_event` returns it unchanged, and `data()`
    parses it into plain Python objects when the caller wants to look inside.
    """

    type: str
    raw: bytes

    def data(self) -> Any:
        """The event decoded into plain ``dict``/``list`` objects."""
        return msgspec.json.decode(self.raw)


class NeedData(enum.Enum):
    """Sentinel type of `NEED_DATA` (an enum so `mypy` can narrow on identity)."""

    NEED_DATA = "NEED_DATA"

    def __repr__(self) -> str:
        return "NEED_DATA"


NEED_DATA: Final = NeedData.NEED_DATA
"""Returned by ``next_event()`` when the machine has no complete event; feed more input."""


ErrorClass = Literal["benign", "retryable", "fatal"]
"""How a caller should react to an API error.

- ``benign``: expected in normal operation (a cancel that raced the end of a response); log it.
- ``retryable``: the same request may succeed later (rate limit, overload, 5xx, timeout).
- ``fatal``: retrying the same request cannot help (auth, quota, billing, invalid request).
"""

_BENIGN_CODES: Final = frozenset(
    {"response_cancel_not_active", "input_audio_buffer_commit_empty", "cancelled"}
)
_FATAL_CODES: Final = frozenset(
    {
        "invalid_api_key",
        "insufficient_quota",
        "billing_hard_limit_reached",
        "billing_not_active",
        "account_deactivated",
        "invalid_organization",
        "invalid_project",
        "unsupported_country_region_territory",
        "beta_api_shape_disabled",
        "model_not_found",
        "invalid_request_error",
        "invalid_prompt",
        "content_policy_violation",
        "context_length_exceeded",
        "unsupported_model",
        "unsupported_parameter",
        "unsupported_value",
        "invalid_value",
        "missing_required_parameter",
        "invalid_type",
    }
)
_RETRYABLE_CODES: Final = frozenset(
    {
        "server_error",
        "rate_limit_exceeded",
        "overloaded",
        "server_overloaded",
        "timeout",
        "internal_error",
        "service_unavailable",
        "slow_down",
    }
)
_FATAL_TYPES: Final = frozenset(
    {"authentication_error", "permission_error", "insufficient_quota", "invalid_request_error"}
)


def classify_error(
    code: str | None, status: int | None = None, error_type: str | None = None
) -> ErrorClass:
    """Classify an API error from its ``code``, HTTP ``status`` and ``type``, in that order.

    Unknown codes fall back on the status (5xx, 408, 409 and 429 retryable; other 4xx fatal),
    then on the type; with nothing to go on, an error is ``retryable`` (the safe default for
    a stream that failed mid-way for a reason the server did not name).
    """
    if code is not None:
        if code in _BENIGN_CODES:
            return "benign"
        if code in _FATAL_CODES:
            return "fatal"
        if code in _RETRYABLE_CODES:
            return "retryable"
    if status is not None:
        if status >= 500 or status in (408, 409, 429):
            return "retryable"
        if status >= 400:
            return "fatal"
    if error_type is not None and error_type in _FATAL_TYPES:
        return "fatal"
    return "retryable"


class APIError(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """An API-level failure that is valid protocol, as an event (never a bare string).

    `source` says where it came from: ``"http"`` (a 4xx/5xx status before any stream),
    ``"stream"`` (a mid-stream ``error`` event or Chat error object), ``"response"`` (the
    ``error`` of a ``response.failed`` response). `event_id` is the client event the server
    says caused it (WebSocket APIs); `request_id` is the ``x-request-id`` response header;
    `retry_after` is in seconds.
    """

    message: str
    code: str | None = None
    type: str | None = None
    param: str | None = None
    status: int | None = None
    event_id: str | None = None
    request_id: str | None = None
    retry_after: float | None = None
    source: Literal["http", "stream", "response", "transport"] = "stream"
    classification: ErrorClass = "retryable"

    @classmethod
    def build(
        cls,
        message: str,
        *,
        code: str | None = None,
        type: str | None = None,
        param: str | None = None,
        status: int | None = None,
        event_id: str | None = None,
        request_id: str | None = None,
        retry_after: float | None = None,
        source: Literal["http", "stream", "response", "transport"] = "stream",
    ) -> APIError:
        """Make an `APIError` whose `classification` is derived by `classify_error`."""
        return cls(
            message=message,
            code=code,
            type=type,
            param=param,
            status=status,
            event_id=event_id,
            request_id=request_id,
            retry_after=retry_after,
            source=source,
            classification=classify_error(code, status, type),
        )


class ArgumentsProblem(msgspec.Struct, frozen=True, gc=False):
    """Why a tool call's ``arguments`` could not be used: never silently replaced by ``{}``.

    `kind` is ``"invalid_json"`` (not JSON at all, or truncated) or ``"not_an_object"`` (valid
    JSON, but function arguments must be an object). `position` is the byte offset msgspec
    reported, when it did.
    """

    kind: Literal["invalid_json", "not_an_object"]
    message: str
    position: int | None = None


_ANY_DECODER: Final = msgspec.json.Decoder()


def parse_arguments(arguments: str) -> tuple[Any, ArgumentsProblem | None]:
    """Parse a function call's ``arguments`` string into ``(value, problem)``.

    An empty or all-whitespace string (some servers send it for a function without
    parameters) parses as ``{}``: the one normalisation made, and it is documented. Anything
    else that is not a JSON object gives ``(None, ArgumentsProblem(...))``.
    """
    if not arguments.strip():
        return {}, None
    try:
        value = _ANY_DECODER.decode(arguments)
    # UnicodeError: a lone surrogate cannot be UTF-8; RecursionError: nested ~1000 levels deep
    except (msgspec.DecodeError, UnicodeError, RecursionError) as exc:
        text = str(exc)
        position: int | None = None
        marker = "(byte "
        at = text.rfind(marker)
        if at != -1:
            digits = text[at + len(marker) :].rstrip(")")
            position = int(digits) if digits.isdigit() else None
        return None, ArgumentsProblem("invalid_json", text, position)
    if not isinstance(value, dict):
        return None, ArgumentsProblem(
            "not_an_object", f"arguments must be a JSON object, got {type(value).__name__}"
        )
    return value, None


class ToolCall(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """One function call the model made, surfaced exactly once, when it is complete.

    `arguments` is the exact string the server sent (the ``.done`` payload when there was one,
    which wins over concatenated deltas). `parsed` is the decoded object when `problem` is
    ``None``; otherwise `parsed` is ``None`` and `problem` says what is wrong. `index` is the
    ``output_index`` (Responses) or the ``tool_calls[].index`` (Chat); `choice` is the Chat
    choice index (0 for Responses).
    """

    call_id: str
    name: str
    arguments: str
    parsed: Any = None
    problem: ArgumentsProblem | None = None
    item_id: str | None = None
    index: int = 0
    choice: int = 0

    @property
    def ok(self) -> bool:
        """True when `parsed` holds the arguments object."""
        return self.problem is None

    @classmethod
    def assemble(
        cls,
        *,
        call_id: str,
        name: str,
        arguments: str,
        item_id: str | None = None,
        index: int = 0,
        choice: int = 0,
    ) -> ToolCall:
        """Build a `ToolCall`, parsing `arguments` with `parse_arguments`."""
        parsed, problem = parse_arguments(arguments)
        return cls(
            call_id=call_id,
            name=name,
            arguments=arguments,
            parsed=parsed,
            problem=problem,
            item_id=item_id,
            index=index,
            choice=choice,
        )


class TokenUsage(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """Token usage flattened across APIs (Responses ``input_tokens`` = Chat ``prompt_tokens``).

    `raw` keeps the usage object exactly as the server sent it, for fields not flattened here.
    """

    input_tokens: int = 0
    output_tokens: int = 0
    total_tokens: int = 0
    cached_tokens: int = 0
    reasoning_tokens: int = 0
    input_audio_tokens: int = 0
    output_audio_tokens: int = 0
    raw: Any = None

    FIELDS: ClassVar[tuple[str, ...]] = (
        "input_tokens",
        "output_tokens",
        "total_tokens",
        "cached_tokens",
        "reasoning_tokens",
        "input_audio_tokens",
        "output_audio_tokens",
    )

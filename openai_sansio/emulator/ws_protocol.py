"""Responses WebSocket mode frames: client-frame parsing and server-frame rendering (pure).

What: `decode_frame()` turns one text frame into a JSON object with a known ``type``;
`lane_of()` validates ``stream_id``; `parse_create()` turns a ``response.create`` frame into the
same `ResponsesRequest` the HTTP endpoint uses (WebSocket-only fields removed, ``background``
refused, ``generate`` and the per-turn ``metadata.emulator_fault`` knobs extracted);
`parse_steer()` validates ``response.steer``. The renderers build every server frame that is not
a scripted response event: ``error`` frames (request errors with ``status``, stream errors with
``sequence_number``) and the ``response.steer.accepted|pending|failed`` events.
Why: keeping the wire shapes in one pure module makes them unit-testable and keeps the engine
(`ws_engine`) about scheduling and state only.
Next: `ws_engine.WsEngine` calls these for every frame it receives or sends.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Any

import msgspec

from . import responses_script
from .errors import ApiError, default_error
from .faults import CONNECTION_KNOBS, FAULT_METADATA_KEY, parse_overrides, ratelimit_headers
from .responses_script import ResponsesRequest
from .rules import Item, Message
from .validate import describe, missing, wrong_type
from .validate import field as get

__all__ = [
    "MAX_ACTIVE_RESPONSES",
    "MAX_NAMED_LANES",
    "Create",
    "Steer",
    "connection_limit_error",
    "decode_frame",
    "error_frame",
    "lane_of",
    "not_found_error",
    "parse_create",
    "parse_steer",
    "status_error",
    "steer_accepted",
    "steer_failed",
    "steer_pending",
    "stream_error_frame",
    "stream_limit_error",
]

MAX_NAMED_LANES = 32
"""Distinct named ``stream_id`` values per connection (the default lane is not counted)."""

MAX_ACTIVE_RESPONSES = 16
"""Responses streaming at once per connection; further lanes wait (queued, not refused)."""

_STREAM_ID = re.compile(r"[A-Za-z0-9_.-]{1,256}")
_CLIENT_TYPES = ("response.create", "response.steer")
_WS_ONLY = frozenset({"type", "stream_id", "generate", "stream", "background"})
_STEER_FIELDS = frozenset({"type", "previous_response_id", "input"})
_STEER_ITEM_FIELDS = frozenset({"type", "role", "content"})
_FAULT_PARAM = f"metadata.{FAULT_METADATA_KEY}"


@dataclass(frozen=True)
class Create:
    """A validated ``response.create``: the request, ``generate``, and per-turn fault knobs."""

    req: ResponsesRequest
    generate: bool
    overrides: dict[str, Any]


@dataclass(frozen=True)
class Steer:
    """A ``response.steer``: target, input as echoed back, parsed items, and `problem`.

    `problem` is None for valid input, else the ``invalid_input`` message to report.
    """

    previous_response_id: str
    input: Any
    items: tuple[Item, ...]
    problem: str | None


def decode_frame(text: str) -> dict[str, Any]:
    """One client text frame as a JSON object whose ``type`` is a client event type."""
    try:
        body: Any = msgspec.json.decode(text)
    except msgspec.DecodeError:
        raise ApiError(
            400, "Invalid JSON in WebSocket message: send one JSON object per text frame."
        ) from None
    if not isinstance(body, dict):
        raise ApiError(400, f"Invalid message: expected an object, but got {describe(body)}.")
    kind = get(body, "type", "string", required=True)
    if kind not in _CLIENT_TYPES:
        raise ApiError(
            400,
            f"Invalid value: '{kind}'. Supported values are: 'response.create' and "
            "'response.steer'.",
            param="type",
            code="invalid_value",
        )
    return body


def lane_of(body: dict[str, Any]) -> str | None:
    """The request's ``stream_id`` (None = default lane); `ApiError` ``invalid_stream_id``."""
    if "stream_id" not in body or body["stream_id"] is None:
        return None
    value = body["stream_id"]
    if isinstance(value, str) and _STREAM_ID.fullmatch(value):
        return value
    raise ApiError(
        400,
        "Invalid 'stream_id': expected 1-256 characters of ASCII letters, digits, '_', '-' "
        f"or '.', but got {describe(value) if not isinstance(value, str) else repr(value)}.",
        param="stream_id",
        code="invalid_stream_id",
    )


def parse_create(body: dict[str, Any]) -> Create:
    """Validate a ``response.create`` frame; raises `ApiError` 400 with the API's wording."""
    if get(body, "background", "boolean"):
        raise ApiError(
            400,
            "Background responses are not supported over WebSocket mode; omit 'background'.",
            param="background",
            code="invalid_value",
        )
    get(body, "stream", "boolean")  # implicit over WebSocket: tolerated, type-checked only
    generate = get(body, "generate", "boolean")
    overrides = _turn_faults(body)
    http_body = {k: v for k, v in body.items() if k not in _WS_ONLY}
    http_body["stream"] = True
    req = responses_script.parse_request(http_body)
    options = body.get("stream_options") or {}
    # Obfuscation padding only when asked for (include_obfuscation: true), unlike HTTP SSE.
    req = dataclasses.replace(req, obfuscate=options.get("include_obfuscation") is True)
    return Create(req, generate is not False, overrides)


def _turn_faults(body: dict[str, Any]) -> dict[str, Any]:
    metadata = get(body, "metadata", "object") or {}
    text = metadata.get(FAULT_METADATA_KEY)
    if text is None:
        return {}
    if not isinstance(text, str):
        raise wrong_type(_FAULT_PARAM, "a string", text)
    overrides = parse_overrides(text, label=_FAULT_PARAM, param=_FAULT_PARAM)
    scoped = sorted(k for k in overrides if k in CONNECTION_KNOBS)
    if scoped:
        raise ApiError(
            400,
            f"{', '.join(scoped)} applies to a whole connection: set it in the "
            "x-emulator-fault header of the upgrade request.",
            param=_FAULT_PARAM,
        )
    return overrides


def parse_steer(body: dict[str, Any]) -> Steer:
    """Validate a ``response.steer`` frame.

    A missing or mistyped ``previous_response_id`` / ``input`` raises `ApiError` (an ``error``
    frame: the steer cannot be identified); anything else wrong (extra fields such as
    ``stream_id``, items that are not user messages) is reported in `Steer.problem`.
    """
    target = get(body, "previous_response_id", "string", required=True)
    raw = body.get("input")
    if raw is None:
        raise missing("input")
    if not isinstance(raw, str | list) or (
        isinstance(raw, list) and not all(isinstance(i, dict) for i in raw)
    ):
        raise wrong_type("input", "a string or an array of objects", raw)
    echoed = raw if isinstance(raw, str) else [_as_message(i) for i in raw]
    extra = sorted(k for k in body if k not in _STEER_FIELDS)
    if extra:
        problem = (
            f"response.steer accepts only 'type', 'previous_response_id' and 'input'; "
            f"remove {', '.join(repr(k) for k in extra)}."
        )
        return Steer(target, echoed, (), problem)
    if isinstance(raw, list) and not raw:
        return Steer(target, echoed, (), "Steering input must be a non-empty array.")
    for index, item in enumerate(raw if isinstance(raw, list) else []):
        kind = item.get("type", "message")
        if kind != "message" or item.get("role") != "user" or set(item) - _STEER_ITEM_FIELDS:
            problem = (
                f"Invalid 'input[{index}]': steering accepts only user messages with "
                "'type', 'role' and 'content'."
            )
            return Steer(target, echoed, (), problem)
    try:
        items = responses_script.parse_input(raw)
    except ApiError as error:
        return Steer(target, echoed, (), error.message)
    if not all(isinstance(i, Message) for i in items):
        return Steer(target, echoed, (), "Steering input must consist of user messages.")
    return Steer(target, echoed, items, None)


def _as_message(item: dict[str, Any]) -> dict[str, Any]:
    return item if "type" in item else {"type": "message", **item}


# --- server frames ------------------------------------------------------------------------


def _lane(frame: dict[str, Any], stream_id: str | None) -> dict[str, Any]:
    if stream_id is not None:
        frame["stream_id"] = stream_id
    return frame


def _error_object(error: ApiError) -> dict[str, Any]:
    body: dict[str, Any] = {"type": error.type, "code": error.code, "message": error.message}
    if error.param is not None:
        body["param"] = error.param
    if error.headers:
        body["headers"] = dict(error.headers)
    return body


def error_frame(error: ApiError, stream_id: str | None) -> dict[str, Any]:
    """A request-level ``error`` frame: ``status`` and ``error{...}``, no sequence number."""
    frame = {"type": "error", "status": error.status, "error": _error_object(error)}
    return _lane(frame, stream_id)


def stream_error_frame(event: dict[str, Any], stream_id: str | None) -> dict[str, Any]:
    """The WebSocket form of a scripted mid-stream ``error`` event (keeps its number)."""
    error = default_error(500, event.get("code"))
    error.message = str(event.get("message", error.message))
    error.param = event.get("param")
    frame = {
        "type": "error",
        "error": _error_object(error),
        "sequence_number": event["sequence_number"],
    }
    return _lane(frame, stream_id)


def status_error(status: int, code: str | None) -> ApiError:
    """The error a ``ws_error_status`` knob answers (429 carries rate-limit headers)."""
    error = default_error(status, code)
    if status == 429:
        error.headers = ratelimit_headers(exhausted=True)
    return error


def not_found_error(response_id: str) -> ApiError:
    """``previous_response_not_found``, worded like the real service."""
    return ApiError(
        400,
        f"Previous response with id '{response_id}' not found.",
        param="previous_response_id",
        code="previous_response_not_found",
    )


def stream_limit_error() -> ApiError:
    """The 33rd distinct named lane of a connection."""
    return ApiError(
        400,
        f"Responses websocket stream limit reached ({MAX_NAMED_LANES} stream IDs per "
        "connection). Create a new websocket connection to use more streams.",
        param="stream_id",
        code="websocket_stream_limit_reached",
    )


def connection_limit_error(max_age_s: float) -> ApiError:
    """The error answering a create on a connection older than ``ws_max_age_s``."""
    if max_age_s >= 60 and max_age_s % 60 == 0:
        span = f"{int(max_age_s // 60)} minutes"
    else:
        span = f"{max_age_s:g} seconds"
    return ApiError(
        400,
        f"Responses websocket connection limit reached ({span}). Create a new websocket "
        "connection to continue.",
        code="websocket_connection_limit_reached",
    )


def steer_accepted(steer_id: str, target: str, stream_id: str | None) -> dict[str, Any]:
    """``response.steer.accepted`` (the caller stamps ``sequence_number``)."""
    frame = {
        "type": "response.steer.accepted",
        "sequence_number": 0,
        "steer": {"id": steer_id, "previous_response_id": target},
    }
    return _lane(frame, stream_id)


def steer_pending(
    steer_id: str, target: str, calls: list[dict[str, Any]], stream_id: str | None
) -> dict[str, Any]:
    """``response.steer.pending`` after a tool-call turn: one output stub per call."""
    frame = {
        "type": "response.steer.pending",
        "sequence_number": 0,
        "reason": "waiting_for_required_input",
        "required_input": [
            {"type": "function_call_output", "call_id": c["call_id"], "name": c["name"]}
            for c in calls
        ],
        "steer": {"id": steer_id, "previous_response_id": target},
    }
    return _lane(frame, stream_id)


def steer_failed(
    code: str,
    message: str,
    steer: Steer,
    stream_id: str | None,
    steer_id: str | None = None,
) -> dict[str, Any]:
    """``response.steer.failed`` returning the uncommitted input (``steer.id`` once allocated)."""
    echo: dict[str, Any] = {
        "input": steer.input,
        "previous_response_id": steer.previous_response_id,
    }
    if steer_id is not None:
        echo["id"] = steer_id
    frame = {
        "type": "response.steer.failed",
        "sequence_number": 0,
        "error": {"code": code, "message": message, "type": "invalid_request_error"},
        "steer": echo,
    }
    return _lane(frame, stream_id)

"""Small readings of Realtime wire objects the session machine decides on. Pure.

- `output_format_of(session)`: the output audio rate and sample width (``audio/pcm`` is 24 kHz
  16-bit; ``audio/pcmu`` / ``audio/pcma`` 8 kHz, one byte per sample) and the input's bytes
  per second, from the effective session the server reported.
- `vad_of(session)`: whether server / semantic VAD is on and cancels a response by itself
  when the user starts speaking (``interrupt_response``, on unless set false).
- `classify_realtime_error(error)`: Realtime's own reading of error codes: most errors leave
  the session usable, so only auth, quota, billing and the retired beta shape are fatal.
"""

from __future__ import annotations

import itertools
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any, Final, NamedTuple

import msgspec

from .events.common import APIError

__all__ = [
    "REMEMBERED",
    "Bounded",
    "SessionFormat",
    "Vad",
    "classify_realtime_error",
    "counter_ids",
    "done_key",
    "merge",
    "output_format_of",
    "plain",
    "vad_of",
]

_RATES: Final = {"audio/pcm": 24000, "audio/pcmu": 8000, "audio/pcma": 8000}
_WIDTHS: Final = {"audio/pcm": 2, "audio/pcmu": 1, "audio/pcma": 1}
_FATAL: Final = frozenset(
    {
        "invalid_api_key",
        "insufficient_quota",
        "billing_hard_limit_reached",
        "billing_not_active",
        "account_deactivated",
        "invalid_organization",
        "invalid_project",
        "beta_api_shape_disabled",
        "unsupported_country_region_territory",
    }
)
_FATAL_TYPES: Final = frozenset({"authentication_error", "permission_error"})
_BENIGN: Final = frozenset({"response_cancel_not_active"})


class SessionFormat(NamedTuple):
    """Output rate and sample width, and the input's bytes per second."""

    rate: int = 24000
    bytes_per_sample: int = 2
    input_bytes_per_second: int = 48000


class Vad(NamedTuple):
    enabled: bool = True
    interrupt_response: bool = True
    create_response: bool = True


def _dig(value: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def _format(value: Any) -> tuple[int, int]:
    kind = value.get("type") if isinstance(value, Mapping) else None
    if not isinstance(kind, str) or kind not in _RATES:
        return 24000, 2
    rate = value.get("rate") if kind == "audio/pcm" else None
    if not (isinstance(rate, int) and 8000 <= rate <= 192000):  # a server's nonsense: ignored
        rate = _RATES[kind]
    return rate, _WIDTHS[kind]


def output_format_of(session: Mapping[str, Any]) -> SessionFormat:
    """The audio formats of an effective session (defaults: pcm 24 kHz both ways)."""
    out_rate, out_width = _format(_dig(session, "audio", "output", "format"))
    in_rate, in_width = _format(_dig(session, "audio", "input", "format"))
    return SessionFormat(out_rate, out_width, in_rate * in_width)


def vad_of(session: Mapping[str, Any]) -> Vad:
    """Turn detection as the server runs it. An unknown session (before ``session.created``)
    is taken as the server default: server VAD on, responses created and interrupted."""
    audio_input = _dig(session, "audio", "input")
    if not isinstance(audio_input, Mapping) or "turn_detection" not in audio_input:
        return Vad()
    detection = audio_input.get("turn_detection")
    if not isinstance(detection, Mapping):
        return Vad(False, False, False)
    return Vad(
        True,
        detection.get("interrupt_response") is not False,
        detection.get("create_response") is not False,
    )


def classify_realtime_error(error: APIError, *, vad: bool) -> APIError:
    """`error` with the Realtime classification: benign (a cancel that raced the end of a
    response; an empty commit while server VAD commits by itself), fatal (auth, quota,
    billing, beta shape), else ``retryable`` (the session stays usable)."""
    code = error.code
    if code in _BENIGN or (code == "input_audio_buffer_commit_empty" and vad):
        kind = "benign"
    elif code in _FATAL or error.type in _FATAL_TYPES:
        kind = "fatal"
    else:
        kind = "retryable"
    return msgspec.structs.replace(error, classification=kind)


REMEMBERED: Final = 256
"""How many ids the session remembers (cancelled responses, finalised dones, calls)."""


def counter_ids(prefix: str) -> Callable[[], str]:
    numbers = itertools.count(1)
    return lambda: f"{prefix}{next(numbers)}"


class Bounded(OrderedDict[str, Any]):
    """An insertion-ordered dict that forgets its oldest entries beyond `limit`."""

    def __init__(self, limit: int = REMEMBERED) -> None:
        super().__init__()
        self.limit = limit

    def remember(self, key: str, value: Any = None) -> None:
        self[key] = value
        if len(self) > self.limit:
            self.popitem(last=False)


def plain(value: Any) -> Any:
    return (
        value
        if isinstance(value, dict | list | str | int | float | bool) or value is None
        else msgspec.to_builtins(value)
    )


def merge(into: dict[str, Any], changes: Mapping[str, Any]) -> None:
    """Deep-merge a ``session.update``'s fields into the session kept for new sockets (an
    update of ``audio.input.turn_detection`` keeps ``audio.output``)."""
    for key, value in changes.items():
        current = into.get(key)
        if isinstance(value, Mapping) and isinstance(current, dict):
            merge(current, value)
        else:
            into[key] = dict(value) if isinstance(value, Mapping) else value


def outcome_of(status_details: Any) -> tuple[str | None, APIError | None]:
    """``response.status_details`` (a `RealtimeStatusDetails`) as (reason, error): why a
    response ended early and the error that failed it, if any."""
    if status_details is None:
        return None, None
    reason = getattr(status_details, "reason", None)
    detail = getattr(status_details, "error", None)
    error = None
    if detail is not None:
        error = APIError.build(
            str(detail.message or "the response failed"),
            code=detail.code,
            type=detail.type,
            source="response",
        )
    return (reason if isinstance(reason, str) else None), error


def done_key(kind: str, event: Any) -> str:
    """Identity of a ``*.done``: (type, response, item, content index)."""
    response_id = getattr(event, "response_id", None)
    if response_id is None:  # response.done names its response inside
        response = getattr(event, "response", None)
        response_id = getattr(response, "id", "") if response is not None else ""
    content_index = getattr(event, "content_index", "")
    return f"{kind}|{response_id}|{_item_id(event)}|{content_index}"


def _item_id(event: Any) -> str:
    item_id = getattr(event, "item_id", None)
    if item_id is None:
        item = getattr(event, "item", None)
        item_id = getattr(item, "id", None) if item is not None else None
    return item_id or ""

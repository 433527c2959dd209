"""Pieces both transcription paths share: confidence from logprobs and flattened usage.

HTTP transcription (`transcription_http`) and realtime transcription sessions report the
same two things about a finished transcript, in the same wire shapes:

- ``logprobs``: a list of ``{"token", "logprob", "bytes"}``. `confidence_from_logprobs` turns
  it into one number, the geometric mean of the token probabilities (``exp`` of the mean
  log-probability), or ``None`` when the API sent no logprobs: absent is not "certain to
  be wrong" (the plugin this library replaces reported 0.0 there).
- ``usage``: ``{"type": "tokens", input_tokens, output_tokens, total_tokens,
  input_token_details{text_tokens, audio_tokens}}`` or ``{"type": "duration", "seconds"}``
  (duration-billed models). `transcription_usage` flattens either into a
  `TranscriptionUsage`.

Both are pure functions; callers pass the decoded JSON (dicts) or typed structs.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import msgspec

__all__ = ["TranscriptionUsage", "confidence_from_logprobs", "transcription_usage"]


class TranscriptionUsage(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """Usage of one transcript: tokens (``kind == "tokens"``) or audio seconds
    (``kind == "duration"``). Token counts are 0 for duration usage and `seconds` is
    ``None`` for token usage; `raw` keeps the wire object as received."""

    kind: Literal["tokens", "duration"] | str
    input_tokens: int = 0
    output_tokens: int = 0
    total_tokens: int = 0
    audio_tokens: int = 0
    text_tokens: int = 0
    seconds: float | None = None
    raw: Any = None


def _logprob_of(entry: Any) -> float | None:
    if isinstance(entry, Mapping):
        value = entry.get("logprob")
    elif isinstance(entry, (int, float)) and not isinstance(entry, bool):
        value = entry
    else:
        value = getattr(entry, "logprob", None)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    value = float(value)
    if math.isnan(value):
        return None
    return value


def confidence_from_logprobs(logprobs: Sequence[Any] | None) -> float | None:
    """Geometric mean of the token probabilities, in [0, 1]; ``None`` without logprobs.

    Entries may be wire dicts (``{"logprob": -0.1, ...}``), structs with a ``logprob``
    attribute, or bare numbers. Entries without a usable number are skipped; if none is left
    the result is ``None``. Positive log-probabilities (rounding noise) count as 0 (p = 1)."""
    if not logprobs:
        return None
    total = 0.0
    count = 0
    for entry in logprobs:
        value = _logprob_of(entry)
        if value is None:
            continue
        total += min(value, 0.0)
        count += 1
    if count == 0:
        return None
    mean = total / count
    if mean == -math.inf:
        return 0.0
    return math.exp(mean)


def _int(obj: Mapping[str, Any], key: str) -> int:
    value = obj.get(key)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return 0


def transcription_usage(usage: Any) -> TranscriptionUsage | None:
    """Flatten a transcription ``usage`` object (dict or struct with ``to_dict``-able
    fields); ``None`` for absent/null usage. Unknown ``type`` values keep their name in
    `kind` with whatever token counts they carry (forward compatibility)."""
    if usage is None:
        return None
    if not isinstance(usage, Mapping):
        if isinstance(usage, msgspec.Struct):
            usage = msgspec.to_builtins(usage)
        if not isinstance(usage, Mapping):
            return None
    kind = usage.get("type")
    if not isinstance(kind, str):
        kind = "duration" if "seconds" in usage else "tokens"
    if kind == "duration":
        seconds = usage.get("seconds")
        value = (
            float(seconds)
            if isinstance(seconds, (int, float)) and not isinstance(seconds, bool)
            else None
        )
        return TranscriptionUsage(kind="duration", seconds=value, raw=dict(usage))
    details = usage.get("input_token_details")
    if not isinstance(details, Mapping):
        details = {}
    return TranscriptionUsage(
        kind=kind,
        input_tokens=_int(usage, "input_tokens"),
        output_tokens=_int(usage, "output_tokens"),
        total_tokens=_int(usage, "total_tokens"),
        audio_tokens=_int(details, "audio_tokens"),
        text_tokens=_int(details, "text_tokens"),
        raw=dict(usage),
    )

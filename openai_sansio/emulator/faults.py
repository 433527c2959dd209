"""Emulator configuration and fault knobs.

What: `EmulatorConfig` (the seed and every fault knob), `with_fault_header()` which applies a
per-request ``x-emulator-fault: <json>`` header on top of it, and the rate-limit headers.
Why: clients must be tested against the failures the real API produces (dropped connections,
429s, mid-stream `error` events, `response.failed`, `response.incomplete`, slow streams,
forgotten chains) without a network, deterministically, one request at a time if needed.
Next: build an `EmulatorConfig`, pass it to `openai_sansio.emulator.running(...)`; to fault a
single request, send the header, e.g. ``x-emulator-fault: {"drop_after_events": 3}``; on the
Responses WebSocket the header of the upgrade request faults the whole connection and
``metadata.emulator_fault`` (`FAULT_METADATA_KEY`) of one ``response.create`` faults one turn.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

from .errors import ApiError

__all__ = [
    "CONNECTION_KNOBS",
    "FAULT_HEADER",
    "FAULT_KNOBS",
    "FAULT_METADATA_KEY",
    "EmulatorConfig",
    "apply_overrides",
    "parse_overrides",
    "ratelimit_headers",
    "validated",
    "with_fault_header",
]

FAULT_HEADER = "x-emulator-fault"
"""Request header carrying a JSON object of fault knobs for that one request."""

FAULT_METADATA_KEY = "emulator_fault"
"""``metadata`` key of a WebSocket ``response.create`` carrying that turn's knobs (JSON text)."""

FAULT_KNOBS = (
    "drop_after_events",
    "http_status",
    "error_code",
    "inject_error_after",
    "fail_response",
    "incomplete",
    "delay_s",
    "forget_chains",
    "omit_done",
    "ws_max_age_s",
    "ws_close_code",
    "ws_error_status",
    "realtime_max_age_s",
    "realtime_rtf",
    "realtime_vad_race",
    "transcription_out_of_order",
    "fail_transcription",
    "speech_latency_s",
    "speech_rtf",
)
"""The config fields a request may override through `FAULT_HEADER` (everything but `seed`)."""

CONNECTION_KNOBS = frozenset({"ws_max_age_s", "realtime_max_age_s", "realtime_vad_race"})
"""Knobs that describe a whole WebSocket connection: refused in ``metadata.emulator_fault``."""

_LOCAL_ONLY_CLOSE_CODES = frozenset({1005, 1006, 1015})
"""Close codes that must never be sent on the wire (RFC 6455 section 7.4.1)."""


class EmulatorConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Seed and fault knobs of one emulator (immutable; copy with `msgspec.structs.replace`).

    Fields:
      seed: decides every id, obfuscation string and timestamp (with the request content).
      drop_after_events: close the TCP connection after N streamed events (mid-body, without
        the terminating zero-length chunk, no terminal event, no ``[DONE]``). For a
        non-streamed request any value closes the connection before a response is sent.
      http_status / error_code: answer this status (>= 400) with OpenAI's error body; 429 also
        sets ``retry-after: 1`` and ``x-ratelimit-*`` headers. `error_code` overrides the
        body's ``code`` here and in the `inject_error_after` / `fail_response` knobs.
      inject_error_after: Responses: emit an ``error`` event after N events and end the
        stream; Chat: emit ``data: {"error": {...}}`` after N chunks, no ``[DONE]``.
        Non-streamed requests get HTTP 500 with an error body.
      fail_response: Responses only: the output stops half way and the stream ends with
        ``response.failed`` carrying ``response.error`` (code `error_code` or server_error);
        a non-streamed request gets that failed ``response`` object (HTTP 200).
      incomplete: the output stops half way; Responses ends with ``response.incomplete``
        (``incomplete_details.reason = "max_output_tokens"``), Chat with finish_reason length
        (non-streamed: the same final object).
      delay_s: seconds slept (``anyio.sleep``) between streamed events, or once before a
        non-streamed body.
      forget_chains: every ``previous_response_id`` is unknown (400
        ``previous_response_not_found``), as after a server-side eviction.
      omit_done: Chat: no ``data: [DONE]`` at the end.
      ws_max_age_s: Responses WebSocket connection lifetime in seconds (real service: 60
        minutes; None = unlimited). Once a connection is older, the next ``response.create`` is
        answered with the ``websocket_connection_limit_reached`` error frame and the server
        closes the socket (close code 1000).
      ws_close_code: how `drop_after_events` ends a WebSocket: None = abrupt TCP close without
        a close frame (the client sees 1006); a code (e.g. 1011) = a close frame with it.
      ws_error_status: WebSocket: answer each ``response.create`` with an ``error`` frame of
        this HTTP-equivalent ``status`` (code `error_code` or the status's usual code) instead
        of a response; the socket stays open. (`http_status` on the upgrade refuses the
        handshake itself; inside ``metadata.emulator_fault`` it acts like this knob.)
        On ``/v1/realtime`` each ``response.create`` gets an ``error`` event with that
        status's code instead.
      realtime_max_age_s: Realtime session lifetime in seconds (real service: 60 minutes;
        None = unlimited). When it is reached the server sends the ``session_expired`` error
        ("Your session hit the maximum duration of 60 minutes.") and closes with code 1001.
      realtime_rtf: Realtime pacing: wall-clock seconds per second of generated audio (0 =
        as fast as the socket allows; 1.0 = real time). Text and function-call deltas are
        paced as 50 ms of audio per character.
      realtime_vad_race: Realtime: after each response that called functions, simulate a
        user utterance (VAD events, committed audio item) and start an automatic response,
        held right after ``response.created`` until the client's next ``response.create``
        (which gets ``conversation_already_has_active_response``) or for at most 2 s.
      transcription_out_of_order: realtime transcription sessions: every odd committed
        item's transcript waits for the next item's (at most 1 s), so completions arrive out
        of conversation order.
      fail_transcription: realtime transcription sessions: the Nth committed item of each
        connection gets ``conversation.item.input_audio_transcription.failed``.
      speech_latency_s / speech_rtf: ``/audio/speech`` pacing: seconds from the response head
        to the first audio, and wall-clock seconds per second of audio (0 = no wait); see
        `emulator.speech` for how they shape the chunks.
    On ``/v1/realtime``, ``drop_after_events`` counts every server event of the connection,
    ``inject_error_after`` sends one ``error`` event (code `error_code` or
    ``server_error``) after N events and keeps the session open, and ``fail_response`` /
    ``incomplete`` end every response half way with ``response.done`` status ``failed`` /
    ``incomplete``; ``delay_s`` adds that many seconds per event of a response.
    """

    seed: int = 0
    drop_after_events: Annotated[int, msgspec.Meta(ge=0)] | None = None
    http_status: Annotated[int, msgspec.Meta(ge=400, le=599)] | None = None
    error_code: str | None = None
    inject_error_after: Annotated[int, msgspec.Meta(ge=0)] | None = None
    fail_response: bool = False
    incomplete: bool = False
    delay_s: Annotated[float, msgspec.Meta(ge=0.0, le=600.0)] = 0.0
    forget_chains: bool = False
    omit_done: bool = False
    ws_max_age_s: Annotated[float, msgspec.Meta(gt=0.0)] | None = 3600.0
    ws_close_code: Annotated[int, msgspec.Meta(ge=1000, le=4999)] | None = None
    ws_error_status: Annotated[int, msgspec.Meta(ge=400, le=599)] | None = None
    realtime_max_age_s: Annotated[float, msgspec.Meta(gt=0.0)] | None = 3600.0
    realtime_rtf: Annotated[float, msgspec.Meta(ge=0.0, le=100.0)] = 0.0
    realtime_vad_race: bool = False
    transcription_out_of_order: bool = False
    fail_transcription: Annotated[int, msgspec.Meta(ge=1)] | None = None
    speech_latency_s: Annotated[float, msgspec.Meta(ge=0.0, le=60.0)] = 0.0
    speech_rtf: Annotated[float, msgspec.Meta(ge=0.0, le=100.0)] = 0.0


def _convert(raw: Any) -> EmulatorConfig:
    """msgspec conversion plus the checks a type annotation cannot express."""
    config = msgspec.convert(raw, EmulatorConfig)
    if config.ws_close_code in _LOCAL_ONLY_CLOSE_CODES:
        raise msgspec.ValidationError(
            f"ws_close_code {config.ws_close_code} is reserved and never sent on the wire"
        )
    return config


def validated(config: EmulatorConfig) -> EmulatorConfig:
    """Re-check a config's field types and ranges (Struct constructors do not validate).

    Raises `ValueError` with msgspec's explanation; the `Emulator` calls this once at start.
    """
    try:
        return _convert(msgspec.to_builtins(config))
    except msgspec.ValidationError as exc:
        raise ValueError(f"invalid EmulatorConfig: {exc}") from None


def with_fault_header(config: EmulatorConfig, header_value: str | None) -> EmulatorConfig:
    """Return `config` with the knobs of one ``x-emulator-fault`` header applied.

    The header is a JSON object whose keys are names from `FAULT_KNOBS`. A malformed header,
    an unknown knob or a wrong type raises `ApiError` 400 (param ``x-emulator-fault``) so a
    typo in a test fails loudly instead of silently not faulting.
    """
    if header_value is None:
        return config
    overrides = parse_overrides(header_value)
    return apply_overrides(config, overrides)


def parse_overrides(
    text: str, *, label: str = f"{FAULT_HEADER} header", param: str = FAULT_HEADER
) -> dict[str, Any]:
    """Decode a JSON object of fault knobs (`label`/`param` name its source in errors).

    Raises `ApiError` 400 for malformed JSON, a non-object or an unknown knob name; the
    values are checked by `apply_overrides`.
    """
    try:
        overrides: Any = msgspec.json.decode(text)
    except msgspec.DecodeError:
        raise ApiError(400, f"The {label} must be a JSON object.", param=param) from None
    if not isinstance(overrides, dict):
        raise ApiError(400, f"The {label} must be a JSON object.", param=param)
    unknown = sorted(str(k) for k in overrides if k not in FAULT_KNOBS)
    if unknown:
        raise ApiError(
            400,
            f"Unknown fault knob(s) in {param}: {', '.join(unknown)}. "
            f"Known: {', '.join(FAULT_KNOBS)}.",
            param=param,
        )
    return overrides


def apply_overrides(
    config: EmulatorConfig,
    overrides: dict[str, Any],
    *,
    label: str = f"{FAULT_HEADER} header",
    param: str = FAULT_HEADER,
) -> EmulatorConfig:
    """`config` with `overrides` (from `parse_overrides`) applied; `ApiError` 400 if invalid."""
    if not overrides:
        return config
    merged = msgspec.to_builtins(config)
    merged.update(overrides)
    try:
        return _convert(merged)
    except msgspec.ValidationError as exc:
        raise ApiError(400, f"Invalid {label}: {exc}", param=param) from None


def ratelimit_headers(*, exhausted: bool) -> tuple[tuple[str, str], ...]:
    """The ``x-ratelimit-*`` headers; `exhausted` (a 429) also adds ``retry-after: 1``."""
    headers: list[tuple[str, str]] = []
    if exhausted:
        headers.append(("retry-after", "1"))
    headers += [
        ("x-ratelimit-limit-requests", "10000"),
        ("x-ratelimit-limit-tokens", "2000000"),
        ("x-ratelimit-remaining-requests", "0" if exhausted else "9999"),
        ("x-ratelimit-remaining-tokens", "0" if exhausted else "1999000"),
        ("x-ratelimit-reset-requests", "1s" if exhausted else "6ms"),
        ("x-ratelimit-reset-tokens", "1s" if exhausted else "30ms"),
    ]
    return tuple(headers)

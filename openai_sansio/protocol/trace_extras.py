"""Per-API facts of a trace for ``replay --json`` (the ``extras`` key), read from the wire.

What a reader of a recorded session asks first, beyond the turns: how much audio went each
way, where barge-ins cut the assistant off, and what was said.

- ``audio_seconds_sent``: the audio of the ``input_audio_buffer.append`` messages sent
  (Realtime voice and transcription sessions), at the session's input format;
- ``audio_seconds_received``: assistant audio received (``response.output_audio.delta``) or
  synthesized speech received (a ``pcm`` body, or ``speech.audio.delta`` events);
- ``truncations``: each ``conversation.item.truncate`` sent, with its record number;
- ``transcripts``: what was said, in order: user speech and assistant audio transcripts
  (Realtime), completed transcriptions (transcription sessions), final texts (HTTP
  transcription).

Audio durations assume the formats the messages name (PCM16 at its rate, 24 kHz unless a
``session.update`` says otherwise; G.711 at 8 kHz, one byte a sample). Pure.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from typing import Any, Final

import msgspec

from ._errors import RemoteProtocolError
from ._sse import SSEDecoder
from .trace_common import sniffed_head

__all__ = ["replay_extras"]

_PCM24K_BYTES_PER_SECOND: Final = 48_000


def _b64_size(value: Any) -> int:
    if not isinstance(value, str):
        return 0
    return len(value) * 3 // 4 - value.count("=", -2)


def _bytes_per_second(fmt: Any) -> int | None:
    if not isinstance(fmt, Mapping):
        return None
    kind = fmt.get("type")
    if kind in ("audio/pcmu", "audio/pcma"):
        return 8000
    rate = fmt.get("rate")
    if kind == "audio/pcm":
        return 2 * rate if isinstance(rate, int) and rate > 0 else _PCM24K_BYTES_PER_SECOND
    return None


class _Extras:
    def __init__(self) -> None:
        self.sent_seconds = 0.0  # each append at the input format in force when it was sent
        self.received = 0.0  # seconds, likewise at the output format
        self.input_rate = _PCM24K_BYTES_PER_SECOND
        self.output_rate = _PCM24K_BYTES_PER_SECOND
        self.truncations: list[dict[str, Any]] = []
        self.transcripts: list[dict[str, Any]] = []

    def send(self, number: int, msg: Any) -> None:
        if not isinstance(msg, Mapping):
            return
        kind = msg.get("type")
        if kind == "input_audio_buffer.append":
            self.sent_seconds += _b64_size(msg.get("audio")) / self.input_rate
        elif kind == "conversation.item.truncate":
            self.truncations.append(
                {
                    "record": number,
                    "item_id": msg.get("item_id"),
                    "content_index": msg.get("content_index", 0),
                    "audio_end_ms": msg.get("audio_end_ms"),
                }
            )
        elif kind == "session.update":
            session = msg.get("session")
            audio = session.get("audio") if isinstance(session, Mapping) else None
            if isinstance(audio, Mapping):
                for side, attr in (("input", "input_rate"), ("output", "output_rate")):
                    part = audio.get(side)
                    rate = (
                        _bytes_per_second(part.get("format")) if isinstance(part, Mapping) else None
                    )
                    if rate is not None:
                        setattr(self, attr, rate)

    def recv(self, msg: Any) -> None:
        if not isinstance(msg, Mapping):
            return
        kind = msg.get("type")
        if kind == "response.output_audio.delta":
            self.received += _b64_size(msg.get("delta")) / self.output_rate
        elif kind == "speech.audio.delta":
            self.received += _b64_size(msg.get("audio", msg.get("delta"))) / self.output_rate
        elif kind == "conversation.item.input_audio_transcription.completed":
            self.transcripts.append(
                {"item_id": msg.get("item_id"), "role": "user", "text": msg.get("transcript")}
            )
        elif kind == "response.output_audio_transcript.done":
            self.transcripts.append(
                {"item_id": msg.get("item_id"), "role": "assistant", "text": msg.get("transcript")}
            )


def replay_extras(
    api: str, records: Sequence[Mapping[str, Any]], turns: Sequence[Any] = ()
) -> dict[str, Any]:
    """The ``extras`` of `api`'s trace `records` (`turns`: the replay's, for HTTP texts)."""
    extras = _Extras()
    body_kind: str | None = None
    sse: SSEDecoder | None = None
    for number, record in enumerate(records, 1):
        op = record.get("op")
        if op == "send":
            extras.send(number, record.get("msg"))
        elif op == "recv":
            extras.recv(record.get("msg"))
        elif op == "response" and api == "speech":
            headers = record.get("headers")
            kind = headers.get("content-type", "") if isinstance(headers, Mapping) else ""
            body_kind = "sse" if "event-stream" in str(kind) else "audio"
            sse = SSEDecoder() if body_kind == "sse" else None
        elif op == "recv_bytes" and api == "speech":
            try:
                chunk = base64.b64decode(str(record.get("b64", "")), validate=True)
            except (binascii.Error, ValueError):
                continue
            if body_kind is None:  # hand-written: no response head recorded
                kind = dict(sniffed_head(chunk)[1])["content-type"]
                body_kind = "sse" if "event-stream" in kind else "audio"
                sse = SSEDecoder() if body_kind == "sse" else None
            if body_kind == "audio":
                extras.received += len(chunk) / _PCM24K_BYTES_PER_SECOND
            elif sse is not None:
                try:
                    events = sse.feed(chunk)
                except RemoteProtocolError:
                    sse = None
                    continue
                for event in events:
                    try:
                        extras.recv(msgspec.json.decode(event.data))
                    except msgspec.DecodeError:
                        continue
    out: dict[str, Any] = {}
    if api in ("realtime", "transcription"):
        out["audio_seconds_sent"] = round(extras.sent_seconds, 3)
    if api in ("realtime", "speech"):
        out["audio_seconds_received"] = round(extras.received, 3)
    if api == "realtime":
        out["truncations"] = extras.truncations
    if api in ("realtime", "transcription"):
        out["transcripts"] = extras.transcripts
    if api == "transcription-http":
        out["transcripts"] = [{"text": getattr(t, "text", None)} for t in turns]
    return out

"""What happened when, read from a trace: the model behind ``replay TRACE --timeline``.

`timeline_from_trace(header, records)` reads a recorded session (any of the trace APIs) and
returns a `Timeline`: spans and marks on named lanes, on the trace's clock (seconds since the
recording started). It reads what was on the wire, not what a machine would do now, so the
picture shows the recorded session even when a replay diverges.

Lanes (only those with something on them are kept, in this order):

- ``connection``: each socket or HTTP exchange, from its request to its close / end of body;
  a reconnect shows as a second span (and a mark where the old one closed);
- ``user``: user speech (``speech_started`` -> ``speech_stopped``), labelled with its
  transcript when one arrived; user text sent by the client;
- ``responses``: each response from ``response.created`` (or the request) to its end, coloured
  by status, labelled with its text (for an HTTP transcription: the transcript);
- ``audio``: each assistant audio item, from its first delta to its last, with the
  received duration; a barge-in's cut (``conversation.item.truncate``) is drawn inside the
  span at the fraction heard, with "heard X of Y ms"; a speech (TTS) body's audio, raw or as
  ``speech.audio.delta`` events;
- ``tools``: each function call from the moment its arguments were complete to the moment its
  output was sent, labelled with its name and latency (no end: never answered);
- ``errors``: error events, failed responses and abnormal closes, as marks.

Pure: no I/O, no clock. Next: `timeline_svg.render_svg(timeline)`.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import msgspec

from .protocol._errors import RemoteProtocolError
from .protocol._sse import SSEDecoder

__all__ = ["LANES", "Mark", "Span", "Timeline", "timeline_from_trace"]

LANES: Final = ("connection", "user", "responses", "audio", "tools", "errors")
_LABEL_CHARS: Final = 60
_PCM_BYTES_PER_SECOND: Final = 48_000  # 24 kHz PCM16 mono (Realtime and speech pcm)
_JSON_BODY_LIMIT: Final = 1 << 20
_json: Final = msgspec.json.Decoder()


@dataclass(frozen=True)
class Span:
    """Something that lasted: `start` .. `end` seconds on `lane` (`end` None: never ended).
    `kind` names its colour; `cut` (0..1) marks a fraction inside it, labelled `cut_label`."""

    lane: str
    start: float
    end: float | None
    label: str
    kind: str
    detail: str = ""
    cut: float | None = None
    cut_label: str = ""


@dataclass(frozen=True)
class Mark:
    """A moment on `lane` (an error, a close, a barge-in)."""

    lane: str
    t: float
    label: str
    kind: str
    detail: str = ""


@dataclass
class Timeline:
    """Spans and marks of one trace; `end` is the last recorded time."""

    api: str
    started: str
    spans: list[Span] = field(default_factory=list)
    marks: list[Mark] = field(default_factory=list)
    end: float = 0.0

    @property
    def lanes(self) -> list[str]:
        used = {s.lane for s in self.spans} | {m.lane for m in self.marks}
        return [lane for lane in LANES if lane in used]


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _LABEL_CHARS else text[: _LABEL_CHARS - 1] + "…"


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


class _Builder:
    """Walks the records once; each message type updates what is open."""

    def __init__(self, api: str, started: str) -> None:
        self.timeline = Timeline(api=api, started=started)
        self.socket_start: float | None = None
        self.socket_label = ""
        self.speech_start: float | None = None
        self.speech_item: str | None = None
        self.user_spans: dict[str, int] = {}  # item id -> index of its user span
        self.transcripts: dict[str, str] = {}  # item id -> transcript (user speech)
        self.responses: dict[str, tuple[float, list[str]]] = {}  # id -> (start, text parts)
        self.audio: dict[str, list[float]] = {}  # item -> [first t, last t, bytes]
        self.cuts: dict[str, tuple[int, float]] = {}  # item -> (audio_end_ms, bytes by then)
        self.calls: dict[str, tuple[float, str]] = {}  # call id -> (t, name)
        self.http_start: float | None = None
        self.http_label = ""
        self.sse: SSEDecoder | None = None
        self.http_text: list[str] = []
        self.http_kind = "sse"  # by the response's Content-Type: sse | audio | json
        self.http_type = ""
        self.http_body = bytearray()  # a JSON body, read at its end (bounded)
        self.http_audio: list[float] = []  # [first t, last t, bytes] of an audio body

    # -------------------------------------------------------------- records

    def record(self, record: Mapping[str, Any]) -> None:
        t = record.get("t")
        if not isinstance(t, int | float):
            return
        t = float(t)
        self.timeline.end = max(self.timeline.end, t)
        op = record.get("op")
        if op == "request":
            self.request(t, record)
        elif op == "response":
            self.response_head(t, record)
        elif op == "send":
            self.sent(t, record.get("msg"))
        elif op == "recv":
            self.received(t, record.get("msg"))
        elif op == "recv_bytes":
            self.body(t, record.get("b64"))
        elif op == "eof":
            self.end_exchange(t, "eof")
        elif op == "closed":
            self.closed(t, record.get("code"))
        elif op == "app" and record.get("call") == "interrupt":
            returns = record.get("returns")
            item = _str(returns.get("item_id")) if isinstance(returns, Mapping) else None
            self.timeline.marks.append(
                Mark("user", t, "barge-in", "bargein", f"interrupt: item {item or '-'}")
            )

    def request(self, t: float, record: Mapping[str, Any]) -> None:
        url = str(record.get("url") or "")
        path = url.split("?", 1)[0].rsplit("/", 2)[-2:]
        label = f"{record.get('method') or ''} /{'/'.join(path)}".strip()
        if url.startswith(("ws://", "wss://")):
            self.open_socket(t, label)
        else:
            self.http_start, self.http_label = t, label
            self.sse = SSEDecoder()
            self.http_text = []
            self.http_kind, self.http_type = "sse", ""
            self.http_body.clear()
            self.http_audio = []

    def open_socket(self, t: float, label: str) -> None:
        if self.socket_start is not None:  # a socket replaced without a recorded close
            self.closed(t, None)
        self.socket_start, self.socket_label = t, label

    def response_head(self, t: float, record: Mapping[str, Any]) -> None:
        status = record.get("status")
        if isinstance(status, int) and status >= 400:
            self.timeline.marks.append(Mark("errors", t, f"HTTP {status}", "error"))
            self.http_kind = "json"
            return
        headers = record.get("headers")
        kind = headers.get("content-type") if isinstance(headers, Mapping) else None
        kind = kind.split(";", 1)[0].strip().lower() if isinstance(kind, str) else ""
        self.http_type = kind
        if kind.startswith(("audio/", "application/octet-stream")):
            self.http_kind = "audio"
        elif kind == "application/json" or kind.startswith("text/plain"):
            self.http_kind = "json"

    def closed(self, t: float, code: Any) -> None:
        start = self.socket_start if self.socket_start is not None else 0.0
        label = self.socket_label or "socket"
        detail = f"closed with {code}" if code is not None else "replaced"
        self.timeline.spans.append(Span("connection", start, t, label, "socket", detail))
        self.socket_start = None
        if code not in (None, 1000):
            self.timeline.marks.append(Mark("errors", t, f"closed {code}", "error", detail))
        for response_id, (begin, parts) in list(self.responses.items()):
            self.end_response(t, response_id, "interrupted", "".join(parts) or "", begin)

    def end_exchange(self, t: float, why: str) -> None:
        if self.http_start is None:
            return
        if self.http_kind == "json" and self.http_body:
            self.json_body(t)
        text = "".join(self.http_text)
        self.timeline.spans.append(
            Span("connection", self.http_start, t, self.http_label, "http", why)
        )
        if self.http_audio:
            first, last, size = self.http_audio
            pcm = self.http_type in (
                "audio/pcm",
                "application/octet-stream",
                "text/event-stream",
                "",
            )
            label = (
                f"{1000 * size / _PCM_BYTES_PER_SECOND:.0f} ms of speech"
                if pcm
                else (f"{size:.0f} bytes of {self.http_type}")
            )
            self.timeline.spans.append(Span("audio", first, max(first, last), label, "audio"))
        if text:
            self.timeline.spans.append(
                Span("responses", self.http_start, t, _short(text), "completed", text)
            )
        self.http_start = None

    def body(self, t: float, b64: Any) -> None:
        if not isinstance(b64, str):
            return
        try:
            chunk = base64.b64decode(b64, validate=True)
        except (binascii.Error, ValueError):
            return
        if self.http_kind == "audio":
            self.add_audio(t, len(chunk))
            return
        if self.http_kind == "json":
            if len(self.http_body) + len(chunk) <= _JSON_BODY_LIMIT:
                self.http_body += chunk
            return
        if self.sse is None:
            return
        try:
            events = self.sse.feed(chunk)
        except RemoteProtocolError:  # a broken stream draws what came before it
            self.sse = None
            return
        for event in events:
            if event.data == b"[DONE]":
                continue
            try:
                message = _json.decode(event.data)
            except msgspec.DecodeError:
                continue
            self.http_message(t, message)

    def add_audio(self, t: float, size: int) -> None:
        if not self.http_audio:
            self.http_audio = [t, t, 0.0]
        self.http_audio[1] = t
        self.http_audio[2] += size

    def json_body(self, t: float) -> None:
        """A plain (not streamed) body: an error's message, or a transcription's text."""
        try:
            message = _json.decode(bytes(self.http_body))
        except msgspec.DecodeError:
            if self.http_type.startswith("text/plain"):
                self.http_text.append(bytes(self.http_body).decode("utf-8", "replace"))
            return
        if isinstance(message, dict) and isinstance(message.get("error"), dict):
            error = message["error"]
            for mark in reversed(self.timeline.marks):  # detail the "HTTP status" mark
                if mark.label.startswith("HTTP "):
                    code = error.get("code") or error.get("type") or ""
                    index = self.timeline.marks.index(mark)
                    self.timeline.marks[index] = Mark(
                        mark.lane,
                        mark.t,
                        f"{mark.label} {code}".strip(),
                        mark.kind,
                        str(error.get("message") or ""),
                    )
                    break
        elif isinstance(message, dict) and isinstance(message.get("text"), str):
            self.http_text.append(message["text"])

    def speech_delta(self, t: float, msg: Mapping[str, Any]) -> None:
        audio = msg.get("audio", msg.get("delta"))
        if isinstance(audio, str):
            self.add_audio(t, len(audio) * 3 // 4 - audio.count("=", -2))

    def transcript_done(self, t: float, msg: Mapping[str, Any]) -> None:
        text = msg.get("text")
        if isinstance(text, str):  # authoritative over the deltas
            self.http_text = [text]

    def http_message(self, t: float, message: Any) -> None:
        if not isinstance(message, dict):
            return
        if message.get("object") == "chat.completion.chunk":
            for choice in message.get("choices") or []:
                delta = choice.get("delta") if isinstance(choice, dict) else None
                content = delta.get("content") if isinstance(delta, dict) else None
                if isinstance(content, str):
                    self.http_text.append(content)
                for call in (delta or {}).get("tool_calls") or []:
                    function = call.get("function") if isinstance(call, dict) else None
                    name = function.get("name") if isinstance(function, dict) else None
                    if isinstance(name, str):
                        self.timeline.marks.append(Mark("tools", t, name, "tool"))
            return
        self.received(t, message)

    # -------------------------------------------------------------- messages

    def sent(self, t: float, msg: Any) -> None:
        if not isinstance(msg, dict):
            return
        kind = msg.get("type")
        if kind == "conversation.item.create":
            item = msg.get("item")
            if isinstance(item, dict):
                self.item_sent(t, item)
        elif kind == "response.create":  # Responses WebSocket: tool outputs go as input
            items = msg.get("input")
            for item in items if isinstance(items, list) else ():
                if isinstance(item, dict):
                    self.item_sent(t, item)
        elif kind == "conversation.item.truncate":
            item_id, end_ms = _str(msg.get("item_id")), msg.get("audio_end_ms")
            if item_id is not None and isinstance(end_ms, int):
                seen = self.audio.get(item_id)  # the audio received when the user barged in
                self.cuts[item_id] = (end_ms, seen[2] if seen else 0.0)

    def item_sent(self, t: float, item: Mapping[str, Any]) -> None:
        if item.get("type") == "function_call_output":
            call_id = _str(item.get("call_id"))
            if call_id in self.calls:
                began, name = self.calls.pop(call_id)
                ms = round(1000 * (t - began))
                self.timeline.spans.append(
                    Span("tools", began, t, f"{name} {ms} ms", "tool", f"call {call_id}")
                )
        elif item.get("role") == "user":
            texts = [
                str(part["text"])
                for part in item.get("content") or []
                if isinstance(part, dict) and isinstance(part.get("text"), str)
            ]
            if texts:
                text = " ".join(texts)
                self.timeline.marks.append(Mark("user", t, _short(text), "usertext", text))

    def received(self, t: float, msg: Any) -> None:
        if not isinstance(msg, dict):
            return
        kind = msg.get("type")
        handler = _RECEIVED.get(kind) if isinstance(kind, str) else None
        if handler is not None:
            handler(self, t, msg)

    def speech_started(self, t: float, msg: Mapping[str, Any]) -> None:
        self.speech_start, self.speech_item = t, _str(msg.get("item_id"))

    def speech_stopped(self, t: float, msg: Mapping[str, Any]) -> None:
        start = self.speech_start if self.speech_start is not None else t
        item_id = _str(msg.get("item_id")) or self.speech_item
        label = self.transcripts.get(item_id or "", "speech")
        self.timeline.spans.append(Span("user", start, t, _short(label), "speech", label))
        if item_id is not None:
            self.user_spans[item_id] = len(self.timeline.spans) - 1
        self.speech_start = None

    def transcribed(self, t: float, msg: Mapping[str, Any]) -> None:
        item_id, text = _str(msg.get("item_id")), _str(msg.get("transcript"))
        if item_id is None or text is None:
            return
        self.transcripts[item_id] = text
        index = self.user_spans.get(item_id)
        if index is not None:  # the transcript came after the speech ended: relabel
            span = self.timeline.spans[index]
            self.timeline.spans[index] = Span(
                span.lane, span.start, span.end, _short(text), span.kind, text
            )

    def response_created(self, t: float, msg: Mapping[str, Any]) -> None:
        response = msg.get("response")
        response_id = _str(response.get("id")) if isinstance(response, dict) else None
        if response_id is not None:
            self.responses.setdefault(response_id, (t, []))

    def text_delta(self, t: float, msg: Mapping[str, Any]) -> None:
        response_id, delta = _str(msg.get("response_id")), _str(msg.get("delta"))
        if delta is None:
            return
        if response_id is None:  # Responses over SSE: one response per exchange
            self.http_text.append(delta)
            return
        self.responses.setdefault(response_id, (t, []))[1].append(delta)

    def audio_delta(self, t: float, msg: Mapping[str, Any]) -> None:
        item_id, delta = _str(msg.get("item_id")), _str(msg.get("delta"))
        if item_id is None or delta is None:
            return
        size = len(delta) * 3 // 4 - delta.count("=", -2)
        seen = self.audio.setdefault(item_id, [t, t, 0.0])
        seen[1], seen[2] = t, seen[2] + size

    def call_done(self, t: float, msg: Mapping[str, Any]) -> None:
        item = msg.get("item") if msg.get("type") == "response.output_item.done" else msg
        if not isinstance(item, dict):
            return
        if msg.get("type") == "response.output_item.done" and item.get("type") != "function_call":
            return
        call_id, name = _str(item.get("call_id")), _str(item.get("name"))
        if call_id is not None and call_id not in self.calls:
            self.calls[call_id] = (t, name or "call")

    def response_done(self, t: float, msg: Mapping[str, Any]) -> None:
        response = msg.get("response")
        if not isinstance(response, dict):
            return
        response_id = _str(response.get("id")) or ""
        status = _str(response.get("status")) or "completed"
        begin, parts = self.responses.get(response_id, (t, []))
        text = "".join(parts)
        if not text:  # Responses deltas name no response: the exchange's (or socket's) text
            text, self.http_text = "".join(self.http_text), []
        if response_id not in self.responses and self.http_start is not None:
            begin = self.http_start
        self.end_response(t, response_id, status, text, begin)
        if status == "failed":
            details = response.get("status_details") or response.get("error") or {}
            error = details.get("error", details) if isinstance(details, dict) else {}
            code = error.get("code") if isinstance(error, dict) else None
            self.timeline.marks.append(Mark("errors", t, str(code or "failed"), "error"))

    def end_response(
        self, t: float, response_id: str, status: str, text: str, begin: float
    ) -> None:
        self.responses.pop(response_id, None)
        label = f"{status}: {_short(text)}" if text else status
        detail = f"{response_id} {status}\n{text}".strip()
        self.timeline.spans.append(Span("responses", begin, t, label, status, detail))

    def error(self, t: float, msg: Mapping[str, Any]) -> None:
        error = msg.get("error")
        detail = error if isinstance(error, dict) else {}
        code = detail.get("code") or detail.get("type") or "error"
        message = str(detail.get("message") or "")
        self.timeline.marks.append(Mark("errors", t, str(code), "error", message))

    # -------------------------------------------------------------- the end

    def finish(self) -> Timeline:
        timeline = self.timeline
        end = timeline.end
        if self.http_start is not None:
            self.end_exchange(end, "open")
        if self.socket_start is not None:
            timeline.spans.append(
                Span("connection", self.socket_start, end, self.socket_label, "socket", "open")
            )
        for response_id, (begin, parts) in list(self.responses.items()):
            text = "".join(parts)
            timeline.spans.append(
                Span("responses", begin, None, _short(text) or "open", "open", response_id)
            )
        for item_id, (first, last, size) in self.audio.items():
            received_ms = 1000.0 * size / _PCM_BYTES_PER_SECOND
            cut = self.cuts.get(item_id)
            label = f"{received_ms:.0f} ms of audio"
            fraction, cut_label = None, ""
            if cut is not None and received_ms > 0:
                # the bar is all the audio that arrived (the tail after the barge-in too);
                # the label says how much of what had arrived by then was heard
                fraction = min(1.0, cut[0] / received_ms)
                by_then = 1000.0 * cut[1] / _PCM_BYTES_PER_SECOND
                cut_label = f"heard {cut[0]} of {by_then:.0f} ms"
            timeline.spans.append(
                Span("audio", first, max(last, first), label, "audio", item_id, fraction, cut_label)
            )
        for call_id, (began, name) in self.calls.items():
            timeline.spans.append(
                Span("tools", began, None, f"{name} (no output)", "tool", call_id)
            )
        timeline.spans.sort(key=lambda s: (LANES.index(s.lane), s.start))
        timeline.marks.sort(key=lambda m: (LANES.index(m.lane), m.t))
        return timeline


_RECEIVED: Final = {
    "input_audio_buffer.speech_started": _Builder.speech_started,
    "input_audio_buffer.speech_stopped": _Builder.speech_stopped,
    "conversation.item.input_audio_transcription.completed": _Builder.transcribed,
    "response.created": _Builder.response_created,
    "response.output_text.delta": _Builder.text_delta,
    "response.output_audio_transcript.delta": _Builder.text_delta,
    "response.output_audio.delta": _Builder.audio_delta,
    "response.function_call_arguments.done": _Builder.call_done,
    "response.output_item.done": _Builder.call_done,
    "response.done": _Builder.response_done,
    "response.completed": _Builder.response_done,
    "response.incomplete": _Builder.response_done,
    "response.failed": _Builder.response_done,
    "error": _Builder.error,
    "speech.audio.delta": _Builder.speech_delta,
    "transcript.text.delta": _Builder.text_delta,
    "transcript.text.done": _Builder.transcript_done,
}


def timeline_from_trace(
    header: Mapping[str, Any] | None, records: Iterable[Mapping[str, Any]]
) -> Timeline:
    """The `Timeline` of a trace (`load_trace`'s header and records)."""
    api = _str(header.get("api")) if header else None
    started = _str(header.get("started")) if header else None
    builder = _Builder(api or "unknown", started or "")
    for record in records:
        builder.record(record)
    return builder.finish()

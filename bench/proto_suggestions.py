"""Prototypes behind the performance suggestions for package code (evidence, not product).

Nothing here changes package code: each prototype is a subclass or a wrapper defined in this
file, checked to give exactly the package's results, and timed against the package's current
code in the same interleaved rounds.

A. ``ResponseStream`` per-event overhead. On Python 3.11 reading an enum member through its
   class (``StreamState.DONE``, ``_Input.ITEM``) costs ~80 ns, and ``Enum.__hash__`` is a
   Python function, so each ``_TRANSITIONS[(state, input)]`` lookup calls it twice. The
   prototype keeps the table as the single source of truth but (1) binds the members to module
   constants, (2) skips the lookup for the (IN_PROGRESS, ITEM) self-loop, (3) inlines the
   delta budget and the queue append on the text-delta path; (A2) it calls the Responses codec
   function bound once instead of ``decode_server_event(payload, api="responses")`` (a keyword
   call, a dict lookup and a try block per event).
B. Unknown-type pass-through. Today the union decode raises ``ValidationError`` (~1 µs) before
   the second decode. The prototype peeks the tag when the JSON starts with ``{"type":"`` and
   goes straight to the ``type``-only decode for a tag outside the known set (any doubt falls
   back to the current path, so results are identical). Its cost on the hot path (known
   types) is measured too.
C. Chunked transfer decoding. h11 emits one ``Data`` event per HTTP chunk (one per SSE event).
   The prototype is a minimal incremental chunked-body decoder that returns the payload of all
   complete chunks of one socket read as one ``bytes``, so the machine is fed once per read.
   Used after h11 has parsed the response head. Compared with h11 alone and inside our
   in-memory sans-I/O stack.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import Table, X, check, compare, fmt_rate, fmt_time, header
from _loopback_server import raw_response
from _payloads import chunk_body, responses_sse_body, responses_stream_events, single_events

from openai_sansio.protocol import _codec
from openai_sansio.protocol._errors import RemoteProtocolError
from openai_sansio.protocol.events.common import UnknownEvent
from openai_sansio.protocol.events.responses import (
    RESPONSES_SERVER_EVENT_TYPES,
    ResponseOutputTextDelta,
)
from openai_sansio.protocol.responses import _TRANSITIONS, ResponseStream, StreamState, _Input
from openai_sansio.transports._h11_glue import BODY_END, H11Exchange, ResponseHead

# ----------------------------------------------------------------------------- A. machine

_IN_PROGRESS = StreamState.IN_PROGRESS
_DONE = StreamState.DONE
_ITEM = _Input.ITEM


class ProtoResponseStream(ResponseStream):
    """ResponseStream with the hot path of suggestion A (same transitions, same output)."""

    def receive_data(self, data: bytes) -> None:
        # A2: the codec function is bound once instead of decode_server_event(api=...) per event
        if self._eof:
            super().receive_data(data)  # raises the package's LocalProtocolError
        self._check_usable()
        decode = _current
        process = self._process
        try:
            for sse in self._sse.feed(data):
                payload = sse.data
                if payload[:6] == b"[DONE]":
                    continue
                process(decode(payload))
        except RemoteProtocolError:
            self.state = StreamState.BROKEN
            raise

    def _process(self, event: Any) -> None:
        if self._starting_after is not None:
            seq = getattr(event, "sequence_number", None)
            if seq is not None and seq <= self._starting_after:
                return
        if self.state is _DONE:
            self.trailing_events += 1
            return
        handler = self._handlers.get(type(event))
        if handler is None:
            self._advance(_ITEM)
            self._queue.push(event)
            return
        handler(event)

    def _advance(self, what: _Input) -> None:
        state = self.state
        if state is _IN_PROGRESS and what is _ITEM:
            return  # the table's self-loop (IN_PROGRESS, ITEM) -> IN_PROGRESS
        self.state = _TRANSITIONS[(state, what)]

    def _on_text_delta(self, event: ResponseOutputTextDelta) -> None:
        if self.state is not _IN_PROGRESS:
            self._advance(_ITEM)
        delta = event.delta
        self._chars += len(delta)
        if self._chars > self.max_text_chars:
            self._budget("")  # raises with the package's message
        key = (event.output_index, event.content_index)
        parts = self._text.get(key)
        if parts is None:
            parts = self._text[key] = []
        parts.append(delta)
        self._queue._queue.append(event)


def run_machine(cls: type[ResponseStream], chunks: list[bytes]) -> list[Any]:
    stream = cls()
    out: list[Any] = []
    for chunk in chunks:
        stream.receive_data(chunk)
        out += stream.events()
    stream.receive_eof()
    out += stream.events()
    return out


# ----------------------------------------------------------------------------- B. unknown

_current = _codec._SERVER["responses"]
_KNOWN = RESPONSES_SERVER_EVENT_TYPES
_KNOWN_BYTES = frozenset(t.encode() for t in _KNOWN)
_PREFIX = b'{"type":"'
_type_only = _codec._type_only


def peek_decode(data: bytes) -> Any:
    """Suggestion B: unknown tags skip the failing union decode (else the current path)."""
    if data[:9] == _PREFIX:
        end = data.find(b'"', 9)
        if end > 0 and data[9:end] not in _KNOWN_BYTES:
            try:
                tag = _type_only.decode(data).type
            except Exception:
                return _current(data)  # let the current path raise its exact error
            if tag not in _KNOWN:
                return UnknownEvent(tag, data)
    return _current(data)


# --------------------------------------------------------------------- C. chunked decoder


class ChunkedBody:
    """Minimal incremental decoder of a ``Transfer-Encoding: chunked`` body (prototype).

    `feed(data)` returns the payload bytes of everything complete so far (one object per
    call); `done` turns True after the last chunk and the trailer section. Chunk extensions are
    ignored; malformed sizes raise ``ValueError``.
    """

    __slots__ = ("_buf", "_left", "done")

    def __init__(self) -> None:
        self._buf = b""
        self._left = -1  # bytes of chunk data (+2 for its CRLF) still expected; -1 = size line
        self.done = False

    def feed(self, data: bytes) -> bytes:
        buf = self._buf + data if self._buf else data
        out: list[bytes] = []
        pos = 0
        n = len(buf)
        left = self._left
        while not self.done:
            if left < 0:
                eol = buf.find(b"\r\n", pos)
                if eol < 0:
                    break
                size = int(buf[pos:eol].split(b";", 1)[0], 16)
                if size == 0:  # last chunk; the prototype accepts no trailer fields
                    if n < eol + 4:
                        break
                    if buf[eol + 2 : eol + 4] != b"\r\n":
                        raise ValueError("trailers are not supported by the prototype")
                    self.done = True
                    pos = eol + 4
                    break
                pos = eol + 2
                left = size + 2
            avail = n - pos
            if avail <= 0:
                break
            if avail >= left:  # the rest of this chunk (and its CRLF) is here
                if left > 2:
                    out.append(buf[pos : pos + left - 2])
                if buf[pos + left - 2 : pos + left] != b"\r\n"[max(0, 2 - left) :]:
                    raise ValueError("chunk not followed by CRLF")
                pos += left
                left = -1
            else:  # part of this chunk
                if left - 2 > 0:
                    out.append(buf[pos : pos + min(avail, left - 2)])
                pos = n
                left -= avail
        self._left = left
        self._buf = buf[pos:] if pos < n and not self.done else b""
        return out[0] if len(out) == 1 else b"".join(out)


class ProtoExchange(H11Exchange):
    """Suggestion C over real sockets: h11 parses the head (and decides keep-alive), then a
    chunked body goes through `ChunkedBody`, one joined ``bytes`` per socket read; at the end
    h11 is fed the terminating ``0\\r\\n\\r\\n`` so its state machine reaches DONE and the
    connection is reused as today. Non-chunked bodies fall back to h11 (prototype only:
    1xx responses and trailers are not handled)."""

    def __init__(self, connection: Any = None) -> None:
        super().__init__(connection)
        self._head_buf = b""
        self._body: ChunkedBody | None = None

    def receive(self, data: bytes) -> list[Any]:
        out: list[Any] = []
        if self._body is None:
            if not data:
                return super().receive(data)
            buf = self._head_buf + data
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                self._head_buf = buf
                return out
            self._head_buf = b""
            out = super().receive(buf[: end + 4])
            rest = buf[end + 4 :]
            head = self.head
            if head is None or head.header("transfer-encoding") != "chunked":
                return out + (super().receive(rest) if rest else [])
            self._body = ChunkedBody()
            data = rest
            if not data:
                return out
        if not data:
            return out + super().receive(b"")  # EOF mid-body: h11 raises as today
        payload = self._body.feed(data)
        if payload:
            out.append(payload)
        if self._body.done:
            out += super().receive(b"0\r\n\r\n")  # -> BODY_END, h11 reaches DONE
        return out


def _exchange() -> H11Exchange:
    exchange = H11Exchange()
    exchange.request_bytes("POST", "/v1/responses", [("host", "127.0.0.1")], b"{}")
    return exchange


def h11_stack(reads: list[bytes]) -> list[Any]:
    """Today's in-memory path: H11Exchange parts, one receive_data per part."""
    exchange = _exchange()
    machine = ResponseStream()
    out: list[Any] = []
    for r in reads:
        for part in exchange.receive(r):
            if part is BODY_END:
                machine.receive_eof()
            elif type(part) is bytes and part:
                machine.receive_data(part)
            out += machine.events()
    return out


def proto_stack(reads: list[bytes], cls: type[ResponseStream] = ResponseStream) -> list[Any]:
    """h11 for the head only, then the prototype chunked decoder; one receive_data per read."""
    exchange = _exchange()
    machine = cls()
    out: list[Any] = []
    body: ChunkedBody | None = None
    for r in reads:
        if body is None:
            # head via h11; hand the bytes after the head to the chunked decoder
            end = r.find(b"\r\n\r\n")
            parts = exchange.receive(r[: end + 4])
            check(isinstance(parts[0], ResponseHead), "head")
            body = ChunkedBody()
            r = r[end + 4 :]
        data = body.feed(r)
        if data:
            machine.receive_data(data)
        if body.done:
            machine.receive_eof()
        out += machine.events()
    return out


def h11_only(reads: list[bytes]) -> int:
    import h11

    conn = h11.Connection(h11.CLIENT)
    conn.send(h11.Request(method="POST", target="/", headers=[("host", "x")]))
    conn.send(h11.EndOfMessage())
    total = 0
    for r in reads:
        conn.receive_data(r)
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA or type(event) is h11.EndOfMessage:
                break
            if type(event) is h11.Data:
                total += len(event.data)
    return total


def proto_only(reads: list[bytes]) -> int:
    head_end = reads[0].find(b"\r\n\r\n") + 4
    body = ChunkedBody()
    total = len(body.feed(reads[0][head_end:]))
    for r in reads[1:]:
        total += len(body.feed(r))
    return total


def main() -> None:
    header("Prototypes for package-code suggestions")

    # --- A
    events = responses_stream_events(2000)
    chunks = chunk_body(responses_sse_body(events))
    a = run_machine(ResponseStream, chunks)
    b = run_machine(ProtoResponseStream, chunks)
    check(a == b, "A: prototype machine output differs")
    res = compare(
        {
            "ResponseStream (package)": lambda: run_machine(ResponseStream, chunks),
            "ProtoResponseStream (suggestion A)": lambda: run_machine(ProtoResponseStream, chunks),
            "codec only (SSEDecoder + decode_server_event)": lambda: _codec_only(chunks),
        }
    )
    n = len(events)
    t = Table(
        "A. SSE body -> events (2,008 events, 1-4 KB chunks)",
        "per event",
        "events/s",
        "package ÷ this",
    )
    for name in res.names:
        tt = res.median(name) / n
        t.add(name, fmt_time(tt), fmt_rate(1 / tt), res.cell("ResponseStream (package)", name))
    print("Check A: identical event lists.")
    print()
    t.print()
    codec = "codec only (SSEDecoder + decode_server_event)"
    print(
        f"Same-round ratios to the codec alone: package ResponseStream "
        f"{res.ratio('ResponseStream (package)', codec):.2f}{X}, prototype "
        f"{res.ratio('ProtoResponseStream (suggestion A)', codec):.2f}{X} (the prototype also "
        "saves the decode_server_event call layer, A2)."
    )
    print()

    # --- B
    payloads = single_events()
    unknown = payloads["resp unknown type (pass-through)"][1].encode()
    delta = payloads["resp text delta"][1].encode()
    check(peek_decode(unknown) == _current(unknown), "B: unknown differs")
    check(peek_decode(delta) == _current(delta), "B: delta differs")
    import json

    text = payloads["resp unknown type (pass-through)"][1]
    chat = payloads["chat chunk"][1].encode()
    dse = _codec.decode_server_event
    chat_decoder = _codec._chunk_decoder
    res_b = compare(
        {
            "text delta: decode_server_event (package API)": lambda: dse(delta, api="responses"),
            "text delta: pre-bound codec function (suggestion A2)": lambda: _current(delta),
            "text delta: pre-bound + tag peek (suggestion B)": lambda: peek_decode(delta),
            "chat chunk: decode_server_event (package API)": lambda: dse(chat, api="chat"),
            "chat chunk: its msgspec Decoder alone (floor)": lambda: chat_decoder.decode(chat),
            "unknown: decode_server_event (package API)": lambda: dse(unknown, api="responses"),
            "unknown: pre-bound + tag peek (suggestion B)": lambda: peek_decode(unknown),
            "unknown: json.loads (str)": lambda: json.loads(text),
        }
    )
    t = Table("B. decode one event", "per event", "package API ÷ this", "json.loads ÷ this")
    for name in res_b.names:
        kind = name.split(":")[0]
        t.add(
            name,
            fmt_time(res_b.median(name)),
            res_b.cell(f"{kind}: decode_server_event (package API)", name),
            res_b.cell("unknown: json.loads (str)", name) if kind == "unknown" else "",
        )
    print("Check B: identical results for the unknown and a known event.")
    print()
    t.print()

    # --- C
    raw = raw_response(4000)
    reads = [raw[i : i + 65536] for i in range(0, len(raw), 65536)]
    ref = h11_stack(reads)
    got = proto_stack(reads)
    got2 = proto_stack(reads, ProtoResponseStream)
    small = chunk_body(raw)
    check(proto_stack(small) == ref == got == got2, "C: prototype stack output differs")
    check(h11_only(reads) == proto_only(reads) == proto_only(small) == h11_only(small), "C")
    n = sum(1 for e in ref if type(e).__name__ != "ResponseEnd")
    res_c = compare(
        {
            "h11 body only": lambda: h11_only(reads),
            "prototype chunked decoder only": lambda: proto_only(reads),
            "stack today: H11Exchange + ResponseStream": lambda: h11_stack(reads),
            "h11 head + prototype decoder + ResponseStream": lambda: proto_stack(reads),
            "h11 head + prototype decoder + ProtoResponseStream": lambda: proto_stack(
                reads, ProtoResponseStream
            ),
        }
    )
    base = "stack today: H11Exchange + ResponseStream"
    t = Table(
        "C. raw HTTP response in 64 KiB reads (4,008 events)",
        "per event",
        "events/s",
        "today ÷ this",
    )
    for name in res_c.names:
        tt = res_c.median(name) / n
        t.add(name, fmt_time(tt), fmt_rate(1 / tt), res_c.cell(base, name))
    print(
        "Check C: identical events from every stack (64 KiB and 1-4 KB reads); the prototype "
        "decoder returns the same body bytes as h11."
    )
    print()
    t.print()
    print(f"(ratios are time(today's stack) ÷ time(row); > 1{X} means the row is faster)")
    print()

    # --- D: suggestion C over real sockets (our Client, pre-built loopback server)
    import anyio
    from http_stack import Clients, start_prebuilt

    import openai_sansio.transports.http as http_module

    async def measure_d(url: str) -> Any:
        package = Clients(url, "Hi")
        proto = Clients(url, "Hi")

        async def run_proto(keep: bool = False) -> Any:
            http_module.H11Exchange = ProtoExchange  # type: ignore[misc]
            try:
                return await proto.run_ours(keep)
            finally:
                http_module.H11Exchange = H11Exchange  # type: ignore[misc]

        try:
            a = await package.run_ours(keep=True)
            b = await run_proto(keep=True)
            b2 = await run_proto(keep=True)  # second request: the pooled connection is reused
            check(a == b == b2, "D: prototype exchange changes the events")
            check(proto.ours.transport.connections_opened == 1, "D: connection not reused")
            from _common import compare_async

            return len(a) - 1, await compare_async(
                {
                    "ours Client (package)": package.run_ours,
                    "ours Client + prototype chunked path": run_proto,
                    "openai AsyncOpenAI": package.run_sdk,
                }
            )
        finally:
            await package.aclose()
            await proto.aclose()

    proc, url = start_prebuilt()
    try:
        n, res_d = anyio.run(measure_d, url)
    finally:
        proc.terminate()
        proc.wait()
    t = Table(
        "D. loopback, pre-built server (4,008 events)",
        "per event",
        "events/s",
        "client CPU / event",
        "SDK ÷ this",
    )
    for name in res_d.names:
        tt = res_d.median(name) / n
        t.add(
            name,
            fmt_time(tt),
            fmt_rate(1 / tt),
            fmt_time(res_d.median_cpu(name) / n),
            res_d.cell("openai AsyncOpenAI", name),
        )
    print(
        "Check D: same events with and without the prototype, and the pooled connection is "
        "reused after a prototype-parsed body."
    )
    print()
    t.print()


def _codec_only(chunks: list[bytes]) -> list[Any]:
    from openai_sansio.protocol._sse import SSEDecoder

    decoder = SSEDecoder()
    out: list[Any] = []
    for chunk in chunks:
        for sse in decoder.feed(chunk):
            out.append(_codec.decode_server_event(sse.data, api="responses"))
    return out


if __name__ == "__main__":
    main()

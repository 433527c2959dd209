"""WebSocket frames: receive (bytes -> messages) and send (message -> masked frame bytes).

Receive. An opened client connection is fed ~2 MB of unmasked server TEXT frames in 64 KiB
reads, no permessage-deflate; one unit = the whole stream (the connection is at a frame
boundary afterwards, so it is reused and no handshake is timed). Payloads: 200 B
``response.output_text.delta`` events (`_payloads.responses_stream_events`, with
``obfuscation``) and 64 KiB ``response.output_text.delta`` events with a long delta.

- ours: ``WebSocketClient.receive_data(chunk, now)`` -> ``TextMessage`` (UTF-8 validated),
  then the typed decode ``server_decoder("responses")(event.data)`` (msgspec Structs);
  a second row is the framing alone.
- websockets ``ClientProtocol`` (sans-I/O, C-accelerated): ``receive_data(chunk)``, then
  ``json.loads(frame.data)`` for each of ``events_received()`` (dicts, untyped); a second
  row is its framing alone plus ``frame.data.decode()`` as its Assembler would.
- wsproto ``WSConnection(CLIENT)`` framing alone (what a plain wsproto glue would cost).

Send. One masked TEXT message per call, from a ``str`` (UTF-8 encoding included) unless said
otherwise, until the frame bytes exist: ours ``send_text`` + ``data_to_send()`` (mask keys
from ``os.urandom(4)``, as the transport passes); websockets ``send_text(s.encode())`` +
``data_to_send()``; wsproto ``WSConnection.send(Message(s))``. Mask-only rows compare the
maskers on 64 KiB: ours (`_mask.mask`, numpy), ``websockets.speedups.apply_mask`` (C),
wsproto's ``XorMaskerSimple`` (pure Python).

Goals: receive per message no slower than websockets + ``json.loads`` (while we also build
typed events); a 64 KiB send within 2x of websockets.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import os
import struct
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import Table, X, check, compare, fmt_rate, fmt_time, goal_line, header
from _payloads import dumps, responses_stream_events
from websockets.client import ClientProtocol
from websockets.protocol import State
from websockets.speedups import apply_mask
from websockets.uri import parse_uri
from wsproto import ConnectionType, WSConnection
from wsproto import events as wse
from wsproto.frame_protocol import XorMaskerSimple

from openai_sansio.protocol._codec import server_decoder
from openai_sansio.transports import _mask
from openai_sansio.transports._ws_glue import TextMessage, WebSocketClient
from openai_sansio.transports._ws_handshake import HandshakeAccepted, accept_token

STREAM_BYTES = 2_000_000
READ = 65536
decode_responses = server_decoder("responses")


def server_frame(payload: bytes) -> bytes:
    n = len(payload)
    if n < 126:
        return bytes((0x81, n)) + payload
    if n < 65536:
        return bytes((0x81, 126)) + struct.pack("!H", n) + payload
    return bytes((0x81, 127)) + struct.pack("!Q", n) + payload


def small_events() -> list[bytes]:
    deltas = [e for e in responses_stream_events(12_000) if e["type"].endswith(".delta")]
    out: list[bytes] = []
    size = 0
    for event in deltas:
        data = dumps(event).encode()
        out.append(data)
        size += len(data)
        if size >= STREAM_BYTES:
            break
    return out


def big_events() -> list[bytes]:
    words = ("stream event parser socket buffer latency " * 2000).strip()
    template = {
        "type": "response.output_text.delta",
        "sequence_number": 0,
        "item_id": "msg_" + "ab" * 24,
        "output_index": 0,
        "content_index": 0,
        "delta": "",
        "logprobs": [],
    }
    room = 65536 - len(dumps(template).encode())
    out = []
    for i in range(STREAM_BYTES // 65536 + 1):
        event = {**template, "sequence_number": i, "delta": words[:room]}
        out.append(dumps(event).encode())
    return out


def ours_client() -> WebSocketClient:
    client = WebSocketClient(
        host="bench", key=os.urandom(16), mask_key=functools.partial(os.urandom, 4)
    )
    request = client.handshake_request()
    key = request.split(b"Sec-WebSocket-Key: ")[1].split(b"\r\n")[0].decode()
    answer = client.receive_handshake(
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        + f"Sec-WebSocket-Accept: {accept_token(key)}\r\n\r\n".encode()
    )
    assert isinstance(answer, HandshakeAccepted)
    client.start(0.0)
    return client


def websockets_client() -> ClientProtocol:
    proto = ClientProtocol(parse_uri("ws://bench/"), max_size=None)
    request = proto.connect()
    proto.send_request(request)
    key = request.headers["Sec-WebSocket-Key"]
    guid = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
    accept = base64.b64encode(hashlib.sha1(key.encode() + guid).digest()).decode()
    proto.receive_data(
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        + f"Sec-WebSocket-Accept: {accept}\r\n\r\n".encode()
    )
    proto.data_to_send()
    list(proto.events_received())
    assert proto.state is State.OPEN
    return proto


def wsproto_client() -> WSConnection:
    conn = WSConnection(ConnectionType.CLIENT)
    request = conn.send(wse.Request(host="bench", target="/"))
    key = request.split(b"Sec-WebSocket-Key: ")[1].split(b"\r\n")[0].decode()
    conn.receive_data(
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        + f"Sec-WebSocket-Accept: {accept_token(key)}\r\n\r\n".encode()
    )
    assert isinstance(next(conn.events()), wse.AcceptConnection)
    return conn


def receive_methods(chunks: list[bytes]) -> dict[str, Callable[[], Any]]:
    ours = ours_client()
    ours_plain = ours_client()
    ws_json = websockets_client()
    ws_plain = websockets_client()
    wsp = wsproto_client()

    def ours_typed() -> list[Any]:
        receive = ours.receive_data
        out = []
        for chunk in chunks:
            for event in receive(chunk, 0.0):
                out.append(decode_responses(event.data))  # type: ignore[union-attr]
        return out

    def ours_framing() -> list[Any]:
        receive = ours_plain.receive_data
        out: list[Any] = []
        for chunk in chunks:
            out += receive(chunk, 0.0)
        return out

    def websockets_json() -> list[Any]:
        out = []
        for chunk in chunks:
            ws_json.receive_data(chunk)
            for frame in ws_json.events_received():
                out.append(json.loads(frame.data))  # type: ignore[union-attr]
        return out

    def websockets_framing() -> list[Any]:
        out = []
        for chunk in chunks:
            ws_plain.receive_data(chunk)
            for frame in ws_plain.events_received():
                out.append(frame.data.decode())  # type: ignore[union-attr]
        return out

    def wsproto_framing() -> list[Any]:
        out: list[Any] = []
        parts: list[str] = []
        for chunk in chunks:
            wsp.receive_data(chunk)
            for event in wsp.events():
                parts.append(event.data)  # type: ignore[attr-defined]
                if event.message_finished:  # type: ignore[attr-defined]
                    out.append(parts[0] if len(parts) == 1 else "".join(parts))
                    parts = []
        return out

    return {
        "ours WebSocketClient + typed decode": ours_typed,
        "ours WebSocketClient (framing only)": ours_framing,
        "websockets ClientProtocol + json.loads": websockets_json,
        "websockets ClientProtocol (framing + .decode())": websockets_framing,
        "wsproto WSConnection (framing only)": wsproto_framing,
    }


def bench_receive(label: str, payloads: list[bytes]) -> tuple[Table, float]:
    wire = b"".join(server_frame(p) for p in payloads)
    chunks = [wire[i : i + READ] for i in range(0, len(wire), READ)]
    methods = receive_methods(chunks)
    n = len(payloads)
    outputs = {name: fn() for name, fn in methods.items()}
    ours = outputs["ours WebSocketClient (framing only)"]
    check(ours == [TextMessage(p) for p in payloads], f"{label}: ours lost or changed messages")
    for name, out in outputs.items():
        check(len(out) == n, f"{label}: {name} produced {len(out)} messages, want {n}")
    check(
        outputs["websockets ClientProtocol + json.loads"][-1] == json.loads(payloads[-1]),
        f"{label}: websockets decoded a different last message",
    )
    typed = outputs["ours WebSocketClient + typed decode"]
    check(type(typed[-1]).__name__ == "ResponseOutputTextDelta", f"{label}: typed decode")
    result = compare(methods)
    base = "websockets ClientProtocol + json.loads"
    table = Table(
        "payload",
        "method",
        "MB/s",
        "msgs/s",
        "per message",
        "time ÷ websockets+json",
        align="llrrrr",
    )
    for name in methods:
        t = result.median(name)
        table.add(
            label,
            name,
            f"{len(wire) / t / 1e6:,.0f}",
            fmt_rate(n / t),
            fmt_time(t / n),
            result.cell(name, base),
        )
    return table, result.ratio(base, "ours WebSocketClient + typed decode")


def bench_send() -> tuple[Table, float]:
    big = json.dumps({"type": "input_audio_buffer.append", "audio": "A" * 65480})[:65536]
    big_bytes = big.encode()
    small = small_events()[0].decode()
    ours = ours_client()
    ws = websockets_client()
    wsp = wsproto_client()
    key = os.urandom(4)

    def ours_send(text: str | bytes) -> Callable[[], list[bytes]]:
        def run() -> list[bytes]:
            ours.send_text(text)
            return ours.data_to_send()

        return run

    def ws_send(text: str) -> Callable[[], list[bytes]]:
        def run() -> list[bytes]:
            ws.send_text(text.encode())
            return ws.data_to_send()

        return run

    def wsproto_send(text: str) -> Callable[[], bytes]:
        return lambda: wsp.send(wse.Message(data=text))

    methods: dict[str, Callable[[], Any]] = {
        "64 KiB|ours send_text(str) + data_to_send()": ours_send(big),
        "64 KiB|ours send_text(bytes) + data_to_send()": ours_send(big_bytes),
        "64 KiB|websockets send_text(s.encode()) + data_to_send()": ws_send(big),
        "64 KiB|wsproto send(Message(str))": wsproto_send(big),
        "200 B|ours send_text(str) + data_to_send()": ours_send(small),
        "200 B|websockets send_text(s.encode()) + data_to_send()": ws_send(small),
        "200 B|wsproto send(Message(str))": wsproto_send(small),
        "64 KiB|mask only: ours _mask.mask (numpy)": lambda: _mask.mask(big_bytes, key),
        "64 KiB|mask only: websockets.speedups.apply_mask (C)": lambda: apply_mask(big_bytes, key),
        "64 KiB|mask only: wsproto XorMaskerSimple": lambda: XorMaskerSimple(key).process(
            bytearray(big_bytes)
        ),
    }
    server = WSConnection(ConnectionType.SERVER)
    server.initiate_upgrade_connection(
        [
            (b"host", b"bench"),
            (b"upgrade", b"websocket"),
            (b"connection", b"Upgrade"),
            (b"sec-websocket-key", b"AAAAAAAAAAAAAAAAAAAAAA=="),
            (b"sec-websocket-version", b"13"),
        ],
        "/",
    )
    next(server.events())
    server.send(wse.AcceptConnection())
    for frame in ours_send(big)():
        server.receive_data(frame)
    got = "".join(e.data for e in server.events() if isinstance(e, wse.TextMessage))
    check(got == big, "a wsproto server does not read our 64 KiB frame back")
    check(_mask.mask(big_bytes, key) == apply_mask(big_bytes, key), "maskers disagree")
    result = compare(methods)
    table = Table("payload", "method", "MB/s", "per frame", "time ÷ websockets send", align="llrrr")
    for name in methods:
        size, label = name.split("|")
        base = f"{size}|websockets send_text(s.encode()) + data_to_send()"
        t = result.median(name)
        nbytes = len(big_bytes) if size == "64 KiB" else len(small)
        table.add(size, label, f"{nbytes / t / 1e6:,.0f}", fmt_time(t), result.cell(name, base))
    speed = result.ratio(
        "64 KiB|websockets send_text(s.encode()) + data_to_send()",
        "64 KiB|ours send_text(str) + data_to_send()",
    )
    return table, speed


def main() -> dict[str, bool]:
    header(
        "WebSocket frames: receive and send",
        "Receive: ~2 MB of server TEXT frames fed in 64 KiB reads to an opened client "
        "connection. Send: one masked TEXT frame per call, bytes ready to write.",
    )
    small = small_events()
    big = big_events()
    print(
        f"Input: {len(small):,} frames of ~{sum(map(len, small)) // len(small)} B "
        f"({sum(map(len, small)):,} B) and {len(big)} frames of {len(big[0]):,} B."
    )
    print()
    table_small, ratio_small = bench_receive("200 B", small)
    table_big, ratio_big = bench_receive("64 KiB", big)
    table_small.rows += table_big.rows
    print("Receive (per message):")
    print()
    table_small.print()
    table_send, send_speed = bench_send()
    print("Send (per frame):")
    print()
    table_send.print()
    goals = {
        "receive 200 B": goal_line(
            "receive 200 B, ours + typed decode vs websockets + json.loads (speed, ≥ 1 = "
            "no slower)",
            ratio_small,
            1.0,
        ),
        "receive 64 KiB": goal_line(
            "receive 64 KiB, ours + typed decode vs websockets + json.loads (speed, ≥ 1 = "
            "no slower)",
            ratio_big,
            1.0,
        ),
        "send 64 KiB": goal_line(
            f"send 64 KiB vs websockets (speed, ≥ 0.5 = within 2{X})", send_speed, 0.5
        ),
    }
    print()
    return goals


if __name__ == "__main__":
    main()

"""The WebSocket client glue and the masker, without sockets.

The peer is wsproto's *server* side (an independent implementation): it answers our
handshake, decodes every frame we produce and produces the frames we parse. Malformed frames
are written by hand from RFC 6455 section 5.2.
"""

from __future__ import annotations

import ast
import itertools
import struct
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from wsproto import ConnectionType, WSConnection
from wsproto import events as wse
from wsproto.connection import Connection

from openai_sansio.protocol._errors import LocalProtocolError, RemoteProtocolError
from openai_sansio.transports import _mask
from openai_sansio.transports._ws_glue import (
    BinaryMessage,
    Closed,
    HandshakeAccepted,
    HandshakeRejected,
    TextMessage,
    WebSocketClient,
    WSEvent,
    WSState,
    backoff_delays,
)
from openai_sansio.transports._ws_handshake import MAX_REJECT_BODY, accept_token

KEY = bytes(range(16))
TRANSPORTS = Path(__file__).resolve().parents[1] / "openai_sansio" / "transports"


def counter_keys() -> Callable[[], bytes]:
    counter = itertools.count(1)
    return lambda: struct.pack("!I", next(counter))


def new_client(**options: object) -> WebSocketClient:
    return WebSocketClient(
        host="api.example.test",
        target="/v1/responses",
        headers=[("authorization", "Bearer sk-test"), ("openai-project", "proj_1")],
        key=KEY,
        mask_key=counter_keys(),
        **options,  # type: ignore[arg-type]
    )


def open_pair(**options: object) -> tuple[WebSocketClient, WSConnection]:
    client = new_client(**options)
    server = WSConnection(ConnectionType.SERVER)
    server.receive_data(client.handshake_request())
    request = next(server.events())
    assert isinstance(request, wse.Request)
    answer = client.receive_handshake(server.send(wse.AcceptConnection()))
    assert isinstance(answer, HandshakeAccepted)
    assert client.start(0.0) == []
    return client, server


def to_server(client: WebSocketClient, server: WSConnection) -> list[wse.Event]:
    for chunk in client.data_to_send():
        server.receive_data(chunk)
    return list(server.events())


def frame(first: int, payload: bytes, *, mask: bytes | None = None, length: str = "min") -> bytes:
    """A raw frame; `length` forces the 7-bit, 16-bit or 64-bit length form."""
    n = len(payload)
    bit = 0x80 if mask else 0
    if length == "16" or (length == "min" and 125 < n < 65536):
        head = bytes((first, bit | 126)) + struct.pack("!H", n)
    elif length == "64" or (length == "min" and n >= 65536):
        head = bytes((first, bit | 127)) + struct.pack("!Q", n)
    else:
        head = bytes((first, bit | n))
    if mask:
        return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return head + payload


def feed(client: WebSocketClient, data: bytes, step: int | None = None) -> list[WSEvent]:
    out: list[WSEvent] = []
    step = step or len(data) or 1
    for i in range(0, len(data), step):
        out += client.receive_data(data[i : i + step], 1.0)
    return out


# ---------------------------------------------------------------------------- handshake


def test_handshake_request_bytes_are_exact() -> None:
    client = new_client(subprotocols=["realtime"])
    assert client.handshake_request() == (
        b"GET /v1/responses HTTP/1.1\r\nHost: api.example.test\r\nUpgrade: websocket\r\n"
        b"Connection: Upgrade\r\nSec-WebSocket-Key: AAECAwQFBgcICQoLDA0ODw==\r\n"
        b"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: realtime\r\n"
        b"authorization: Bearer sk-test\r\nopenai-project: proj_1\r\n\r\n"
    )
    with pytest.raises(LocalProtocolError):
        client.handshake_request()


def test_handshake_accepted_by_wsproto_and_frames_after_101_are_kept() -> None:
    client = new_client()
    server = WSConnection(ConnectionType.SERVER)
    server.receive_data(client.handshake_request())
    request = next(server.events())
    assert isinstance(request, wse.Request)
    assert (b"authorization", b"Bearer sk-test") in request.extra_headers
    wire = server.send(wse.AcceptConnection()) + server.send(wse.TextMessage(data="first"))
    answer = client.receive_handshake(wire)
    assert isinstance(answer, HandshakeAccepted)
    assert client.state is WSState.OPEN
    assert client.start(0.0) == [TextMessage(b"first")]


@pytest.mark.parametrize("step", [1, 5, 4096])
def test_handshake_any_split(step: int) -> None:
    client = new_client()
    client.handshake_request()
    key = "AAECAwQFBgcICQoLDA0ODw=="
    wire = (
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: WebSocket\r\nConnection: keep-alive, "
        f"Upgrade\r\nSec-WebSocket-Accept: {accept_token(key)}\r\n\r\n"
    ).encode() + frame(0x81, b"hi")
    answer = None
    i = 0
    while answer is None:
        answer = client.receive_handshake(wire[i : i + step])
        i += step
    assert isinstance(answer, HandshakeAccepted)
    events = client.start(0.0)
    if wire[i:]:
        events += client.receive_data(wire[i:], 0.0)
    assert events == [TextMessage(b"hi")]


ACCEPT = accept_token("AAECAwQFBgcICQoLDA0ODw==")


@pytest.mark.parametrize(
    "head",
    [
        f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: x{ACCEPT}",
        f"Upgrade: h2c\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {ACCEPT}",
        f"Upgrade: websocket\r\nConnection: close\r\nSec-WebSocket-Accept: {ACCEPT}",
        f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {ACCEPT}\r\n"
        "Sec-WebSocket-Extensions: permessage-deflate",
        f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {ACCEPT}\r\n"
        "Sec-WebSocket-Protocol: chat",
    ],
    ids=["accept", "upgrade", "connection", "extension", "subprotocol"],
)
def test_handshake_101_that_proves_nothing_is_refused(head: str) -> None:
    client = new_client()
    client.handshake_request()
    with pytest.raises(RemoteProtocolError) as info:
        client.receive_handshake(f"HTTP/1.1 101 Switching Protocols\r\n{head}\r\n\r\n".encode())
    assert info.value.error_hint == "ws_handshake"
    assert client.state is WSState.CLOSED


def test_handshake_rejected_with_status_headers_and_json_body() -> None:
    client = new_client()
    client.handshake_request()
    body = b'{"error":{"message":"Incorrect API key provided","type":"invalid_request_error",'
    body += b'"code":"invalid_api_key","param":null}}'
    wire = (
        b"HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\nx-request-id: req_9\r\n"
        + f"content-length: {len(body)}\r\n\r\n".encode()
        + body
    )
    assert client.receive_handshake(wire[:50]) is None
    answer = client.receive_handshake(wire[50:])
    assert answer == HandshakeRejected(
        401,
        "Unauthorized",
        [
            ("content-type", "application/json"),
            ("x-request-id", "req_9"),
            ("content-length", str(len(body))),
        ],
        body,
    )
    assert client.state is WSState.REJECTED
    with pytest.raises(LocalProtocolError):
        client.receive_data(b"x", 0.0)


def test_handshake_rejection_body_until_eof_chunked_and_bounded() -> None:
    client = new_client()
    client.handshake_request()
    assert client.receive_handshake(b"HTTP/1.1 429 Too Many\r\nretry-after: 3\r\n\r\nslow") is None
    answer = client.receive_handshake(b"")
    assert isinstance(answer, HandshakeRejected)
    assert (answer.status, answer.body, answer.truncated) == (429, b"slow", False)

    client = new_client()
    client.handshake_request()
    wire = b"HTTP/1.1 403 Forbidden\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
    answer = client.receive_handshake(wire)
    assert isinstance(answer, HandshakeRejected)
    assert answer.body == b"abc"

    client = new_client()
    client.handshake_request()
    big = b"x" * (MAX_REJECT_BODY + 10)
    wire = b"HTTP/1.1 502 Bad Gateway\r\n" + f"content-length: {len(big)}\r\n\r\n".encode() + big
    answer = client.receive_handshake(wire)
    assert isinstance(answer, HandshakeRejected)
    assert answer.truncated and len(answer.body) == MAX_REJECT_BODY

    client = new_client()
    client.handshake_request()
    assert client.receive_handshake(b"HTTP/1.1 500 Oops\r\ncontent-length: 10\r\n\r\nab") is None
    answer = client.receive_handshake(b"")
    assert isinstance(answer, HandshakeRejected)
    assert (answer.body, answer.truncated) == (b"ab", True)


def test_handshake_eof_or_garbage_is_remote_protocol_error() -> None:
    client = new_client()
    client.handshake_request()
    with pytest.raises(RemoteProtocolError, match="closed the connection"):
        client.receive_handshake(b"")
    client = new_client()
    client.handshake_request()
    with pytest.raises(RemoteProtocolError):
        client.receive_handshake(b"SSH-2.0-OpenSSH\r\n\r\n")


def test_reserved_headers_and_bad_key_are_local_errors() -> None:
    with pytest.raises(LocalProtocolError, match="Host"):
        WebSocketClient(host="h", headers=[("Host", "x")], key=KEY, mask_key=counter_keys())
    with pytest.raises(LocalProtocolError):
        WebSocketClient(host="h", key=b"short", mask_key=counter_keys())


# ---------------------------------------------------------------------------- inbound


TEXTS = ["", "a", "é" * 70, "x" * 125, "y" * 126, "z" * 65535, "w" * 65536, "v" * 300_000]


@pytest.mark.parametrize("step", [3, 1000, 16384, 65536, 1 << 30])
def test_text_messages_of_every_length_form_any_split(step: int) -> None:
    client, server = open_pair()
    wire = b"".join(server.send(wse.TextMessage(data=t)) for t in TEXTS)
    assert feed(client, wire, step) == [TextMessage(t.encode()) for t in TEXTS]


def test_text_messages_one_byte_at_a_time() -> None:
    client, server = open_pair()
    wire = b"".join(server.send(wse.TextMessage(data=t)) for t in TEXTS[:5])
    assert feed(client, wire, 1) == [TextMessage(t.encode()) for t in TEXTS[:5]]


def test_fragmented_message_with_ping_in_between_is_reassembled_and_ponged() -> None:
    client, server = open_pair()
    wire = server.send(wse.Message(data="hel", message_finished=False))
    wire += server.send(wse.Ping(payload=b"are you there"))
    wire += server.send(wse.Message(data="lo ", message_finished=False))
    wire += server.send(wse.Message(data="wörld"))
    wire += server.send(wse.TextMessage(data="next"))
    wire += server.send(wse.Message(data=b"\x00\x01", message_finished=False))
    wire += server.send(wse.Message(data=b"\x02"))
    for step in (1, 2, 7, len(wire)):
        client, server = open_pair()
        assert feed(client, wire, step) == [
            TextMessage("hello wörld".encode()),
            TextMessage(b"next"),
            BinaryMessage(b"\x00\x01\x02"),
        ]
        assert to_server(client, server) == [wse.Pong(payload=b"are you there")]


def test_fragment_split_inside_a_multibyte_character() -> None:
    client, _ = open_pair()
    text = "ü€😀".encode()
    wire = frame(0x01, text[:3]) + frame(0x00, text[3:5]) + frame(0x80, text[5:])
    assert feed(client, wire, 1) == [TextMessage(text)]


def test_message_over_the_bound_closes_1009_with_a_typed_error() -> None:
    client, server = open_pair(max_message_size=100)
    assert feed(client, frame(0x81, b"a" * 100)) == [TextMessage(b"a" * 100)]
    events = feed(client, frame(0x81, b"b" * 101))
    assert len(events) == 1
    closed = events[0]
    assert isinstance(closed, Closed)
    assert (closed.code, closed.by) == (1009, "client")
    assert isinstance(closed.error, RemoteProtocolError)
    assert closed.error.error_hint == "ws_message_too_big"
    assert to_server(client, server) == [wse.CloseConnection(code=1009, reason=closed.reason)]
    assert client.state is WSState.CLOSED
    assert client.receive_data(frame(0x81, b"late"), 2.0) == []


def test_bound_counts_all_fragments_and_is_checked_before_the_payload_arrives() -> None:
    client, _ = open_pair(max_message_size=10)
    events = feed(client, frame(0x01, b"123456") + frame(0x80, b"12345"))
    assert isinstance(events[-1], Closed) and events[-1].code == 1009
    client, _ = open_pair(max_message_size=1000)
    # only the header of a 1 GiB frame: refused at once, nothing buffered
    header = bytes((0x81, 127)) + struct.pack("!Q", 1 << 30)
    events = client.receive_data(header, 1.0)
    assert isinstance(events[0], Closed) and events[0].code == 1009


@pytest.mark.parametrize(
    ("wire", "code"),
    [
        (frame(0x81, b"\xff\xfe"), 1007),
        (frame(0x01, b"ok") + frame(0x80, b"\xc3"), 1007),
        (frame(0x81, b"masked", mask=b"abcd"), 1002),
        (frame(0xC1, b"rsv1"), 1002),
        (frame(0x83, b"opcode 3"), 1002),
        (frame(0x81, b"short", length="16"), 1002),
        (frame(0x81, b"x" * 200, length="64"), 1002),
        (frame(0x09, b"fragmented ping"), 1002),
        (frame(0x89, b"p" * 126), 1002),
        (frame(0x80, b"continuation without start"), 1002),
        (frame(0x01, b"start") + frame(0x81, b"new message"), 1002),
        (frame(0x88, b"\x03\xe8\xff"), 1007),
        (frame(0x88, b"\x03\xed"), 1002),  # 1005 may not be sent
        (frame(0x88, b"\x03"), 1002),
    ],
    ids=lambda v: v.hex()[:12] if isinstance(v, bytes) else str(v),
)
def test_protocol_violations_fail_the_connection(wire: bytes, code: int) -> None:
    client, server = open_pair()
    events = feed(client, frame(0x81, b"before") + wire + frame(0x81, b"after"))
    assert events[0] == TextMessage(b"before")
    closed = events[-1]
    assert isinstance(closed, Closed)
    assert (closed.code, closed.by) == (code, "client")
    assert isinstance(closed.error, RemoteProtocolError)
    sent = to_server(client, server)
    assert isinstance(sent[0], wse.CloseConnection) and sent[0].code == code


def test_server_close_is_echoed_and_reported() -> None:
    client, server = open_pair()
    wire = server.send(wse.TextMessage(data="last")) + server.send(
        wse.CloseConnection(code=1011, reason="server error")
    )
    events = feed(client, wire)
    assert events == [TextMessage(b"last"), Closed(code=1011, reason="server error", by="server")]
    assert events[-1].retryable  # type: ignore[union-attr]
    assert to_server(client, server) == [wse.CloseConnection(code=1011, reason="server error")]
    client, _ = open_pair()
    assert feed(client, frame(0x88, b"")) == [Closed(code=1005, by="server")]
    assert client.data_to_send() == [bytes((0x88, 0x80)) + struct.pack("!I", 1)]


def test_client_close_handshake_drops_late_messages() -> None:
    client, server = open_pair()
    client.close(1000, "bye")
    assert client.state is WSState.CLOSING
    assert to_server(client, server) == [wse.CloseConnection(code=1000, reason="bye")]
    with pytest.raises(LocalProtocolError):
        client.send_text("too late")
    wire = frame(0x81, b"in flight") + server.send(wse.CloseConnection(code=1000, reason="bye"))
    assert feed(client, wire) == [Closed(code=1000, reason="bye", by="client")]
    client.close()  # idempotent
    assert client.data_to_send() == []
    with pytest.raises(LocalProtocolError):
        open_pair()[0].close(1005)


def test_eof_is_1006_and_a_cut_frame_is_an_error() -> None:
    client, _ = open_pair()
    [closed] = client.receive_data(b"", 1.0)
    assert closed == Closed(code=1006, reason=closed.reason, by="server")  # type: ignore[union-attr]
    assert closed.retryable  # type: ignore[union-attr]
    client, _ = open_pair()
    client.receive_data(frame(0x81, b"x" * 300)[:100], 1.0)
    [closed] = client.receive_data(b"", 1.0)
    assert isinstance(closed, Closed) and closed.code == 1006
    assert closed.error is not None and closed.error.error_hint == "ws_truncated"


def _server_events(draw: st.DrawFn) -> tuple[list[wse.Event], list[WSEvent]]:
    sent: list[wse.Event] = []
    expected: list[WSEvent] = []
    for _ in range(draw(st.integers(0, 12))):
        kind = draw(st.sampled_from(["text", "big", "frag", "binary", "ping", "pong"]))
        if kind == "text":
            text = draw(st.text(max_size=40))
            sent.append(wse.TextMessage(data=text))
            expected.append(TextMessage(text.encode()))
        elif kind == "big":
            text = draw(st.sampled_from(["é", "a", "{}"])) * draw(st.integers(120, 70_000))
            sent.append(wse.TextMessage(data=text))
            expected.append(TextMessage(text.encode()))
        elif kind == "frag":
            parts = draw(st.lists(st.text(max_size=10), min_size=1, max_size=4))
            sent += [wse.Message(data=p, message_finished=False) for p in parts[:-1]]
            sent.append(wse.Message(data=parts[-1]))
            expected.append(TextMessage("".join(parts).encode()))
        elif kind == "binary":
            data = draw(st.binary(max_size=30))
            sent.append(wse.BytesMessage(data=data))
            expected.append(BinaryMessage(data))
        elif kind == "ping":
            sent.append(wse.Ping(payload=draw(st.binary(max_size=20))))
        else:
            sent.append(wse.Pong(payload=b"unsolicited"))
    return sent, expected


@given(st.data())
def test_any_server_traffic_any_split_matches_what_was_sent(data: st.DataObject) -> None:
    client, server = open_pair()
    sent, expected = _server_events(data.draw)
    wire = b"".join(server.send(event) for event in sent)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(wire)), max_size=8)))
    events: list[WSEvent] = []
    for a, b in itertools.pairwise([0, *cuts, len(wire)]):
        if b > a:
            events += client.receive_data(wire[a:b], 1.0)
    assert events == expected
    pings = [e for e in sent if isinstance(e, wse.Ping)]
    assert to_server(client, server) == [p.response() for p in pings]
    # and a pure wsproto client reads the same messages
    reference = Connection(ConnectionType.CLIENT)
    reference.receive_data(wire)
    messages: list[WSEvent] = []
    parts: list[str | bytes] = []
    for event in reference.events():
        if isinstance(event, wse.TextMessage | wse.BytesMessage):
            parts.append(event.data)
            if event.message_finished:
                if isinstance(event, wse.TextMessage):
                    messages.append(TextMessage("".join(map(str, parts)).encode()))
                else:
                    messages.append(BinaryMessage(b"".join(bytes(p) for p in parts)))  # type: ignore[arg-type]
                parts = []
    assert messages == expected


_frames = st.lists(
    st.tuples(
        st.sampled_from([0x81, 0x01, 0x80, 0x00, 0x82, 0x02, 0x88, 0x89, 0x8A, 0xC1, 0x83, 0x09])
        | st.integers(0, 255),
        st.booleans(),
        st.binary(max_size=300),
        st.sampled_from(["min", "min", "min", "16", "64"]),
    ),
    max_size=10,
)


@given(_frames, st.lists(st.integers(0, 4000), max_size=6), st.booleans())
def test_arbitrary_frames_never_raise(
    frames: list[tuple[int, bool, bytes, str]], cuts: list[int], eof: bool
) -> None:
    """Whatever the server sends, only events come out; `Closed` is final."""
    client, _ = open_pair(max_message_size=200)
    wire = b"".join(
        frame(first, payload, mask=b"abcd" if masked else None, length=form)
        for first, masked, payload, form in frames
    )
    events: list[WSEvent] = []
    for a, b in itertools.pairwise([0, *sorted(c for c in cuts if c < len(wire)), len(wire)]):
        if b > a:
            events += client.receive_data(wire[a:b], 1.0)
    if eof:
        events += client.receive_data(b"", 2.0)
    closes = [i for i, e in enumerate(events) if isinstance(e, Closed)]
    assert closes in ([], [len(events) - 1])
    for event in events:
        if isinstance(event, TextMessage):
            event.data.decode("utf-8")  # always valid UTF-8
            assert len(event.data) <= 200
    if closes or eof:
        assert client.state is WSState.CLOSED
    client.data_to_send()


# ---------------------------------------------------------------------------- outbound


def test_outbound_frames_are_decoded_by_a_wsproto_server() -> None:
    client, server = open_pair()
    texts = ["", "hi", "ü" * 63, "x" * 126, "y" * 65535, "z" * 65536, '{"a":"' + "b" * 300_000]
    for text in texts:
        client.send_text(text)
    client.send_text(b'{"type":"response.create"}')
    events = to_server(client, server)
    assert [e.data for e in events if isinstance(e, wse.TextMessage)] == [
        *texts,
        '{"type":"response.create"}',
    ]


def test_outbound_bytes_are_deterministic_with_injected_keys() -> None:
    client, _ = open_pair()
    client.send_text("Hello")
    client.send_text(b"Hello")
    assert client.data_to_send() == [
        b"\x81\x85\x00\x00\x00\x01Helmo",  # key 00 00 00 01: byte 3 ^ 1
        b"\x81\x85\x00\x00\x00\x02Helno",
    ]


def test_outbound_errors_are_local() -> None:
    client, _ = open_pair(max_message_size=10)
    with pytest.raises(LocalProtocolError, match="limit"):
        client.send_text("x" * 11)
    with pytest.raises(LocalProtocolError):
        client.send_text("\ud800")
    bad = WebSocketClient(host="h", key=KEY, mask_key=lambda: b"123")
    with pytest.raises(LocalProtocolError):
        bad.send_text("x")  # not open yet


# ---------------------------------------------------------------------------- keep-alive


def test_keepalive_ping_pong_and_ping_timeout() -> None:
    client, server = open_pair(ping_interval=10.0, ping_timeout=5.0)
    assert client.next_deadline() == 10.0
    assert client.handle_timeout(9.0) == []
    assert client.data_to_send() == []
    assert client.handle_timeout(10.0) == []
    [ping] = to_server(client, server)
    assert isinstance(ping, wse.Ping)
    assert client.next_deadline() == 15.0  # the pong is due
    client.receive_data(server.send(ping.response()), 12.0)
    assert client.next_deadline() == 20.0  # next ping, on the 10 s cadence
    client.handle_timeout(20.0)
    assert isinstance(to_server(client, server)[0], wse.Ping)
    client.receive_data(server.send(wse.Pong(payload=b"wrong")), 21.0)
    [closed] = client.handle_timeout(25.0)
    assert closed == Closed(code=1011, reason="keepalive ping timeout", by="client")
    assert closed.error is None  # type: ignore[union-attr]
    assert to_server(client, server)[0] == wse.CloseConnection(1011, "keepalive ping timeout")
    assert client.next_deadline() is None


def test_idle_timeout_counts_any_received_byte_and_stalls_are_excused() -> None:
    client, server = open_pair(idle_timeout=30.0)
    assert client.next_deadline() == 30.0
    client.receive_data(server.send(wse.TextMessage(data="x")), 20.0)
    assert client.next_deadline() == 50.0
    client.reader_resumed(45.0)  # the application did not read from 20 to 45
    assert client.next_deadline() == 75.0
    [closed] = client.handle_timeout(75.0)
    assert isinstance(closed, Closed) and closed.code == 1011 and "idle" in closed.reason


def test_no_keepalive_means_no_deadline() -> None:
    client, _ = open_pair()
    assert client.next_deadline() is None
    assert client.handle_timeout(1e9) == []


# ---------------------------------------------------------------------------- masker


def naive_mask(payload: bytes, key: bytes) -> bytes:
    return bytes(b ^ key[i % 4] for i, b in enumerate(payload))


@given(st.binary(max_size=3000), st.binary(min_size=4, max_size=4), st.binary(max_size=14))
def test_mask_matches_naive_masker(payload: bytes, key: bytes, prefix: bytes) -> None:
    assert _mask.mask(payload, key, prefix) == prefix + naive_mask(payload, key)
    assert _mask.mask(_mask.mask(payload, key), key) == payload


@pytest.mark.parametrize("n", [511, 512, 513, 1023, 65536, 65539, 1 << 20])
def test_mask_sizes_around_the_thresholds(n: int) -> None:
    payload = bytes(i * 7 % 251 for i in range(n))
    for key in (b"\x00\x00\x00\x00", b"\xff\xfe\xfd\xfc", b"\x01\x80\x7f\x10"):
        assert _mask.mask(payload, key) == naive_mask(payload, key)
    view = memoryview(b"?" + payload)[1:]  # unaligned input
    assert _mask.mask(view, b"abcd") == naive_mask(payload, b"abcd")  # type: ignore[arg-type]


# ---------------------------------------------------------------------------- misc


def test_backoff_delays_are_capped_exponential_with_injected_jitter() -> None:
    assert backoff_delays(0.5, 4.0, 6, lambda: 1.0) == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    assert backoff_delays(0.5, 4.0, 3, lambda: 0.0) == [0.25, 0.5, 1.0]
    assert backoff_delays(1.0, 1.0, 0, lambda: 0.5) == []
    with pytest.raises(LocalProtocolError):
        backoff_delays(1.0, 2.0, 1, lambda: 1.5)
    with pytest.raises(LocalProtocolError):
        backoff_delays(0.0, 2.0, 1, lambda: 0.5)


@pytest.mark.parametrize("name", ["_ws_glue.py", "_ws_handshake.py", "_ws_events.py", "_mask.py"])
def test_glue_modules_are_pure(name: str) -> None:
    banned = {"asyncio", "anyio", "trio", "socket", "ssl", "time", "random", "secrets", "os"}
    tree = ast.parse((TRANSPORTS / name).read_text())
    imported = [
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    ] + [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module]
    assert not [m for m in imported if m.split(".")[0] in banned]

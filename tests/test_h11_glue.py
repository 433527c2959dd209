"""The h11 client glue, without sockets: request bytes out, head/body/end in, reuse."""

from __future__ import annotations

import pytest

from openai_sansio.protocol._errors import RemoteProtocolError
from openai_sansio.transports._h11_glue import BODY_END, H11Exchange, ResponseHead

HEADERS = [("host", "127.0.0.1:9"), ("content-type", "application/json")]


def chunked(*pieces: bytes) -> bytes:
    out = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nx-request-id: req_1\r\n"
    out += b"transfer-encoding: chunked\r\n\r\n"
    for piece in pieces:
        out += f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
    return out + b"0\r\n\r\n"


def test_request_bytes_carry_method_target_headers_and_length() -> None:
    exchange = H11Exchange()
    raw = exchange.request_bytes("POST", "/v1/responses", HEADERS, b'{"a":1}')
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"POST /v1/responses HTTP/1.1\r\n")
    assert b"content-length: 7" in head
    assert body == b'{"a":1}'


@pytest.mark.parametrize("step", [1, 3, 7, 1000])
def test_chunked_response_any_split(step: int) -> None:
    exchange = H11Exchange()
    exchange.request_bytes("POST", "/x", HEADERS, b"{}")
    wire = chunked(b"data: 1\n\n", b"data: 2\n\n")
    parts: list[object] = []
    for i in range(0, len(wire), step):
        parts.extend(exchange.receive(wire[i : i + step]))
    head = parts[0]
    assert isinstance(head, ResponseHead)
    assert head.status == 200
    assert head.header("x-request-id") == "req_1"
    assert b"".join(p for p in parts if isinstance(p, bytes)) == b"data: 1\n\ndata: 2\n\n"
    assert parts[-1] is BODY_END
    assert exchange.reusable
    assert exchange.finish() is True


def test_connection_reused_for_a_second_cycle() -> None:
    first = H11Exchange()
    first.request_bytes("POST", "/x", HEADERS, b"{}")
    first.receive(chunked(b"a"))
    assert first.finish()
    second = H11Exchange(first.connection)
    raw = second.request_bytes("POST", "/y", HEADERS, b"{}")
    assert raw.startswith(b"POST /y HTTP/1.1")


def test_eof_mid_body_is_a_remote_protocol_error() -> None:
    exchange = H11Exchange()
    exchange.request_bytes("POST", "/x", HEADERS, b"{}")
    wire = chunked(b"data: 1\n\n")
    exchange.receive(wire[:-10])
    with pytest.raises(RemoteProtocolError):
        exchange.receive(b"")
    assert not exchange.reusable


def test_connection_close_response_is_not_reusable() -> None:
    exchange = H11Exchange()
    exchange.request_bytes("POST", "/x", HEADERS, b"{}")
    parts = exchange.receive(b"HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 2\r\n\r\nok")
    assert parts[-1] is BODY_END
    assert not exchange.finish()


def test_garbage_is_a_remote_protocol_error() -> None:
    exchange = H11Exchange()
    exchange.request_bytes("POST", "/x", HEADERS, b"{}")
    with pytest.raises(RemoteProtocolError):
        exchange.receive(b"NOT HTTP AT ALL\r\n\r\n")

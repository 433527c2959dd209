"""The chunked-body decoder the h11 glue uses between the head and the last chunk.

Differential against h11 itself: any body, any chunking, any read split gives the same
payload bytes and the same end, and a connection is reusable afterwards.
"""

from __future__ import annotations

import h11
import pytest
from hypothesis import given
from hypothesis import strategies as st

from openai_sansio.protocol._errors import RemoteProtocolError
from openai_sansio.transports._chunked import MAX_SIZE_LINE, ChunkedBody
from openai_sansio.transports._h11_glue import BODY_END, H11Exchange, ResponseHead

HEAD = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\ncontent-type: text/event-stream\r\n\r\n"


def encode(chunks: list[bytes], *, ext: bool = False, trailers: bytes = b"") -> bytes:
    out = b""
    for chunk in chunks:
        size = f"{len(chunk):x}".encode()
        out += size + (b";name=value" if ext else b"") + b"\r\n" + chunk + b"\r\n"
    return out + b"0\r\n" + trailers + b"\r\n"


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    pieces, start = [], 0
    for point in [*points, len(data)]:
        pieces.append(data[start:point])
        start = point
    return [p for p in pieces if p]


def run_glue(reads: list[bytes]) -> tuple[bytes, bool, H11Exchange]:
    exchange = H11Exchange()
    exchange.request_bytes("POST", "/v1/responses", [("host", "x")], b"{}")
    body = b""
    ended = False
    for read in reads:
        for part in exchange.receive(read):
            if isinstance(part, bytes):
                body += part
            elif part is BODY_END:
                ended = True
            else:
                assert isinstance(part, ResponseHead)
    return body, ended, exchange


def run_h11(wire: bytes) -> bytes:
    conn = h11.Connection(h11.CLIENT)
    conn.send(
        h11.Request(method="POST", target="/", headers=[("host", "x"), ("content-length", "0")])
    )
    conn.send(h11.EndOfMessage())
    conn.receive_data(wire)
    body = b""
    while True:
        event = conn.next_event()
        if isinstance(event, h11.Data):
            body += event.data
        elif isinstance(event, h11.EndOfMessage):
            return body
        elif event is h11.NEED_DATA:
            raise AssertionError("h11 wanted more data")


@given(
    chunks=st.lists(st.binary(min_size=1, max_size=300), max_size=12),
    cuts=st.lists(st.integers(min_value=0, max_value=10_000), max_size=20),
    ext=st.booleans(),
    trailers=st.sampled_from([b"", b"x-trailer: 1\r\n"]),
)
def test_same_payload_as_h11_at_any_split(
    chunks: list[bytes], cuts: list[int], ext: bool, trailers: bytes
) -> None:
    wire = HEAD + encode(chunks, ext=ext, trailers=trailers)
    body, ended, exchange = run_glue(split(wire, cuts))
    assert body == run_h11(wire) == b"".join(chunks)
    assert ended and exchange.finish()


def test_byte_by_byte_and_one_bytes_per_read() -> None:
    chunks = [b"data: %d\n\n" % i for i in range(50)]
    wire = HEAD + encode(chunks)
    body, ended, _ = run_glue([wire[i : i + 1] for i in range(len(wire))])
    assert body == b"".join(chunks) and ended
    exchange = H11Exchange()
    exchange.request_bytes("POST", "/", [("host", "x")], b"")
    parts = exchange.receive(wire)
    assert [type(p).__name__ for p in parts] == ["ResponseHead", "bytes", "_BodyEnd"]


def test_informational_response_before_the_head() -> None:
    wire = b"HTTP/1.1 100 Continue\r\n\r\n" + HEAD + encode([b"abc"])
    body, ended, _ = run_glue(split(wire, [3, 30, 31, 90]))
    assert body == b"abc" and ended


@pytest.mark.parametrize(
    "bad",
    [
        b"zz\r\nabc\r\n",  # not hex
        b"-3\r\nabc\r\n",  # sign
        b"3\r\nabcXY",  # no CRLF after the data
        b"3\r\nabc\rX",  # half a CRLF
        b"1" * 17 + b"\r\n",  # too many digits
        b"\r\n",  # empty size
    ],
)
def test_malformed_chunks_are_remote_errors(bad: bytes) -> None:
    with pytest.raises(RemoteProtocolError):
        run_glue([HEAD + bad])


def test_size_line_is_bounded() -> None:
    decoder = ChunkedBody()
    with pytest.raises(RemoteProtocolError):
        decoder.feed(b"5;" + b"x" * MAX_SIZE_LINE)


def test_eof_inside_a_chunk_is_a_remote_error() -> None:
    exchange = H11Exchange()
    exchange.request_bytes("POST", "/", [("host", "x")], b"")
    exchange.receive(HEAD + b"5\r\nab")
    with pytest.raises(RemoteProtocolError):
        exchange.receive(b"")
    assert not exchange.reusable


def test_content_length_bodies_still_go_through_h11() -> None:
    wire = b"HTTP/1.1 429 Too Many Requests\r\ncontent-length: 4\r\n\r\nbody"
    body, ended, exchange = run_glue(split(wire, [10, 50]))
    assert body == b"body" and ended and exchange.finish()

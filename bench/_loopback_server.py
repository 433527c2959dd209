"""A tiny loopback HTTP/1.1 server that answers every request with one pre-built SSE stream.

Used by ``http_stack.py`` for *both* clients, in a separate process so that its (small) cost
is not charged to the client being measured. The response is built once, before listening:
``200``, ``content-type: text/event-stream``, ``transfer-encoding: chunked``, and the
Responses stream of ``_payloads.responses_stream_events(deltas)`` with **one HTTP chunk per
SSE event** (as the API flushes each event), serialised by h11 itself. Every request (read
with h11, keep-alive honoured) gets the whole response in one ``send``.

Run: ``python bench/_loopback_server.py --deltas 4000``; prints ``PORT <n>`` once listening.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import anyio
import anyio.abc
import h11
from _payloads import dumps, responses_stream_events, sse_frame

HEADERS = [
    ("content-type", "text/event-stream; charset=utf-8"),
    ("transfer-encoding", "chunked"),
    ("cache-control", "no-cache"),
    ("x-request-id", "req_0123456789abcdef0123456789abcdef"),
    ("openai-processing-ms", "42"),
]


def frames(deltas: int) -> list[bytes]:
    return [sse_frame(e["type"], dumps(e)) for e in responses_stream_events(deltas)]


def raw_response(deltas: int) -> bytes:
    """The exact bytes the server writes: head + chunked body, one chunk per event."""
    conn = h11.Connection(h11.SERVER)
    conn.receive_data(b"POST /v1/responses HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\n\r\n")
    conn.next_event()
    conn.next_event()
    out = [conn.send(h11.Response(status_code=200, headers=HEADERS)) or b""]
    out += [conn.send(h11.Data(data=f)) or b"" for f in frames(deltas)]
    out.append(conn.send(h11.EndOfMessage()) or b"")
    return b"".join(out)


def body_part(raw: bytes) -> bytes:
    """The response bytes after the head (what the client reads as the chunked body)."""
    return raw[raw.index(b"\r\n\r\n") + 4 :]


async def serve(port: int, deltas: int) -> None:
    payload = raw_response(deltas)

    async def handle(stream: anyio.abc.SocketStream) -> None:
        conn = h11.Connection(h11.SERVER)
        async with stream:
            while True:
                event = conn.next_event()
                if event is h11.NEED_DATA:
                    try:
                        data = await stream.receive(65536)
                    except (anyio.EndOfStream, anyio.BrokenResourceError):
                        return
                    conn.receive_data(data)
                    continue
                if isinstance(event, h11.ConnectionClosed) or event is h11.PAUSED:
                    return
                if isinstance(event, h11.EndOfMessage):
                    # h11 only tracks the response state; the bytes sent are the pre-built ones
                    conn.send(h11.Response(status_code=200, headers=HEADERS))
                    conn.send(h11.Data(data=b"-"))
                    conn.send(h11.EndOfMessage())
                    try:
                        await stream.send(payload)
                    except (anyio.BrokenResourceError, anyio.ClosedResourceError):
                        return
                    if conn.our_state is h11.MUST_CLOSE:
                        return
                    conn.start_next_cycle()

    listener = await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=port)
    print(f"PORT {listener.extra(anyio.abc.SocketAttribute.local_port)}", flush=True)
    await listener.serve(handle)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--deltas", type=int, default=4000)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    anyio.run(serve, args.port, args.deltas)


if __name__ == "__main__":
    main()

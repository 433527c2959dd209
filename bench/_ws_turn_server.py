"""A loopback WebSocket server that answers every text message with one pre-built Responses turn.

Used by ``ws_conversation.py`` for *both* clients, in a separate process so that its cost is not
charged to the client being measured. It is the ``websockets`` asyncio server (no
permessage-deflate); the turn is built once, before listening: `turn_events` (a
``response.created`` ... ``response.completed`` stream from ``_payloads``, without the SSE-only
``obfuscation`` padding, as the WebSocket mode sends it unless asked) serialised as unmasked
server TEXT frames. Each received message gets the whole turn in one ``transport.write``, so
the server costs almost nothing and the client is the bottleneck.

Run: ``python bench/_ws_turn_server.py --deltas 500``; prints ``PORT <n>`` once listening.
"""

from __future__ import annotations

import argparse
import asyncio
import struct
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _payloads import dumps, responses_stream_events
from websockets.asyncio.server import ServerConnection, serve


def turn_events(deltas: int) -> list[dict[str, Any]]:
    """One text turn with `deltas` output_text deltas (no ``obfuscation`` field)."""
    events = responses_stream_events(deltas, seed=5)
    for event in events:
        event.pop("obfuscation", None)
    return events


def server_frame(payload: bytes) -> bytes:
    """An unmasked, unfragmented TEXT frame."""
    n = len(payload)
    if n < 126:
        return bytes((0x81, n)) + payload
    if n < 65536:
        return bytes((0x81, 126)) + struct.pack("!H", n) + payload
    return bytes((0x81, 127)) + struct.pack("!Q", n) + payload


def turn_wire(deltas: int) -> bytes:
    """The exact bytes written for each received message."""
    return b"".join(server_frame(dumps(e).encode()) for e in turn_events(deltas))


async def main(port: int, deltas: int) -> None:
    wire = turn_wire(deltas)

    async def handle(ws: ServerConnection) -> None:
        async for _ in ws:
            ws.transport.write(wire)

    async with serve(handle, "127.0.0.1", port, compression=None, max_size=None) as server:
        bound = next(iter(server.sockets)).getsockname()[1]
        print(f"PORT {bound}", flush=True)
        await server.serve_forever()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--deltas", type=int, default=500)
    args = parser.parse_args()
    asyncio.run(main(args.port, args.deltas))

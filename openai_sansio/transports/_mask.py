"""Fast client-side WebSocket masking (RFC 6455 section 5.3) with numpy.

Every frame a client sends is XOR-ed with a 4-byte key. wsproto does this in pure Python
(`XorMaskerSimple`): ~78 µs of the ~89 µs a 64 KiB send costs (bench/ws_frames.py). Here the
payload is viewed as native ``uint64`` words and XOR-ed with the key repeated twice, in one
numpy call (~4-5 µs for 64 KiB); short payloads, where numpy's per-call overhead dominates,
use one big-integer XOR instead. numpy is already a runtime dependency (audio), so this costs
no new dependency; ``websockets.speedups.apply_mask`` (C) would save ~2 more µs per 64 KiB
but would add the whole ``websockets`` package to the runtime dependencies for it.

`mask` returns ``prefix + masked payload`` as one ``bytes`` object, so the frame header and
the payload are copied once, into the object that is written to the socket. Masking is its
own inverse: ``mask(mask(p, k), k) == p``. Called by `_ws_glue.WebSocketClient` for every
outgoing frame; nothing else needs it.
"""

from __future__ import annotations

import sys
from typing import Final

import numpy as np

__all__ = ["SMALL_PAYLOAD", "mask"]

SMALL_PAYLOAD: Final = 512
"""Below this many bytes one Python big-integer XOR beats numpy's fixed per-call cost
(~1.5 µs); measured crossover between 512 B and 1 KiB."""

_NATIVE: Final = sys.byteorder


def _xor_int(data: bytes | memoryview, key: bytes) -> bytes:
    """XOR `data` with `key` repeated from its first byte, via one big-integer XOR."""
    n = len(data)
    stream = key * ((n >> 2) + 1)
    value = int.from_bytes(data, "big") ^ int.from_bytes(stream[:n], "big")
    return value.to_bytes(n, "big")


def mask(payload: bytes, key: bytes, prefix: bytes = b"") -> bytes:
    """``prefix`` followed by `payload` XOR-ed with the 4-byte `key` (RFC 6455 5.3).

    `payload` may be any contiguous bytes-like object; `key` must be exactly 4 bytes (the
    caller, `_ws_glue`, guarantees it).
    """
    n = len(payload)
    if n < SMALL_PAYLOAD:
        if not n:
            return prefix
        return prefix + _xor_int(payload, key)
    words = n >> 3
    whole = words << 3
    # Byte i of the payload is XOR-ed with key[i % 4]; a native uint64 view of the payload
    # starts at byte 0, so the matching word is the key twice, read in native byte order.
    key64 = int.from_bytes(key + key, _NATIVE)
    masked = np.bitwise_xor(np.frombuffer(payload, dtype=np.uint64, count=words), key64)
    if whole == n:
        return b"".join((prefix, masked.data))
    # the tail starts at a multiple of 8, so it is masked from key[0] again
    tail = _xor_int(memoryview(payload)[whole:], key)
    return b"".join((prefix, masked.data, tail))

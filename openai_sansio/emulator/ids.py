"""Deterministic identifiers, timestamps and obfuscation padding for the emulator.

What: `IdSource` derives every id of one scripted turn (``resp_<hex>``, ``msg_<hex>``,
``fc_<hex>``, ``call_<alnum>``, ``chatcmpl-<alnum>``, obfuscation strings) from a SHA-256 of the
seed, the turn number and the request body; `request_id()` makes ``req_<hex>`` header values.
Why: same seed + same requests must give byte-identical bodies, so nothing here reads the
clock or an entropy source.
Next: the router creates one `IdSource` per scripted request and hands it to the script.
"""

from __future__ import annotations

import hashlib

__all__ = ["EPOCH", "IdSource", "processing_ms", "request_id"]

EPOCH = 1_767_225_600
"""Fixed ``created``/``created_at`` origin (2026-01-01T00:00:00Z); turn N is created at EPOCH+N."""

_ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _digest(*parts: str | bytes) -> bytes:
    h = hashlib.sha256()
    for part in parts:
        raw = part.encode() if isinstance(part, str) else part
        h.update(len(raw).to_bytes(4, "big"))
        h.update(raw)
    return h.digest()


def _stretch(*parts: str | bytes, size: int) -> bytes:
    """At least `size` pseudo-random bytes derived from `parts` (SHA-256 in counter mode)."""
    out = b""
    block = 0
    while len(out) < size:
        out += _digest(*parts, str(block))
        block += 1
    return out[:size]


def _alnum(raw: bytes) -> str:
    return "".join(_ALNUM[b % len(_ALNUM)] for b in raw)


class IdSource:
    """Ids for one scripted turn: a pure function of (seed, turn, request body, label)."""

    def __init__(self, seed: int, turn: int, body: bytes) -> None:
        self._seed = str(seed)
        self._turn = str(turn)
        self._body = hashlib.sha256(body).digest()
        self.created = EPOCH + turn
        """The turn's ``created``/``created_at`` timestamp (fixed epoch + turn counter)."""

    def hex(self, label: str, length: int) -> str:
        """`length` lowercase hex characters for `label`."""
        return _stretch(self._seed, self._turn, self._body, label, size=length).hex()[:length]

    def alnum(self, label: str, length: int) -> str:
        """`length` characters of ``[0-9A-Za-z]`` for `label`."""
        return _alnum(_stretch(self._seed, self._turn, self._body, label, size=length))

    def response_id(self) -> str:
        return "resp_" + self.hex("resp", 48)

    def message_id(self, index: int) -> str:
        return "msg_" + self.hex(f"msg:{index}", 48)

    def function_call_id(self, index: int) -> str:
        return "fc_" + self.hex(f"fc:{index}", 48)

    def call_id(self, label: str) -> str:
        return "call_" + self.alnum(f"call:{label}", 24)

    def chat_id(self) -> str:
        return "chatcmpl-" + self.alnum("chatcmpl", 29)

    def fingerprint(self) -> str:
        return "fp_" + _digest(self._seed, "fingerprint").hex()[:10]

    def obfuscation(self, label: str, delta: str) -> str:
        """Padding so ``len(delta) + len(obfuscation)`` is a multiple of 16 (never empty)."""
        length = 16 - (len(delta) % 16)
        return self.alnum(f"obf:{label}", length)


def request_id(seed: int, counter: int) -> str:
    """The ``x-request-id`` of the `counter`-th request an emulator received."""
    return "req_" + _digest(str(seed), "request", str(counter)).hex()[:32]


def processing_ms(seed: int, counter: int) -> str:
    """A deterministic ``openai-processing-ms`` header value (5..204)."""
    return str(5 + _digest(str(seed), "ms", str(counter))[0] % 200)

"""Find credentials in trace lines: what `conftest.py` runs on every record the suite writes.

A line leaks when it holds an API-key-shaped token (``sk-...``, ``ek_...``), a bearer token or
a subprotocol key that is not ``<redacted>``, or a credential field (``"api-key"``,
``"authorization"``, ``"client_secret"``, ...) with any value but ``"<redacted>"``.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["leaks"]

_PATTERNS: Final = (
    re.compile(rb"(?<![A-Za-z0-9])sk-[A-Za-z0-9_\-]{2,}"),
    re.compile(rb"(?<![A-Za-z0-9])ek_[A-Za-z0-9]{8,}"),
    re.compile(rb"[Bb]earer (?!<redacted>)\S"),
    re.compile(rb"openai-insecure-api-key\.(?!<redacted>)"),
    re.compile(
        rb'"(?:api[-_]?key|authorization|client_secret|ephemeral_key|access_token|'
        rb'refresh_token|password|proxy-authorization|cookie|x-api-key|openai-api-key)"'
        rb':(?!"<redacted>")',
        re.IGNORECASE,
    ),
    re.compile(
        rb"[?&](?:api[-_]?key|key|token|access_token|client_secret|sig)=(?!%3Credacted%3E|<redacted>)",
        re.IGNORECASE,
    ),
)


def leaks(line: bytes) -> list[str]:
    """The credential-like fragments in one trace line (empty when it is clean)."""
    found: list[str] = []
    for pattern in _PATTERNS:
        for match in pattern.finditer(line):
            start = max(0, match.start() - 20)
            found.append(line[start : match.end() + 20].decode("utf-8", "replace"))
    return found

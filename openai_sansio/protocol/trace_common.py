"""What every replay shares: divergences with their evidence, and progress over the records.

- `Divergences`: the list of divergence texts a replay reports (``"record N: ..."``), which
  also keeps, for each one added with `add`, the message the trace recorded and the one the
  machine produced, so a reader can be shown a diff rather than two long JSON lines.
- `ticking(records, progress)`: ``enumerate(records, 1)`` that reports the record number to a
  progress callback (the CLI draws a bar for long traces); at most every `TICK` records.
- `error_summary(error)`: the ``errors`` entry of a replay summary for one `APIError`.

Pure.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, Final

import msgspec

from .events.common import APIError

__all__ = [
    "ABSENT",
    "TICK",
    "Divergence",
    "Divergences",
    "Progress",
    "details_of",
    "error_summary",
    "sniffed_head",
    "ticking",
]

TICK: Final = 256
"""Records between two progress reports."""
ABSENT: Final[Any] = msgspec.UNSET
"""`Divergence.expected` / `.produced` when that side has no message."""

Progress = Callable[[int], None]
"""Called with the number of records replayed so far."""


class Divergence(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """One divergence: the record it was found at, its text, and the two messages (recorded
    and produced) when there are two to compare."""

    record: int
    text: str
    expected: Any = msgspec.UNSET
    produced: Any = msgspec.UNSET


class Divergences(list[str]):
    """Divergence texts (a plain ``list[str]`` to its readers) plus their `details`."""

    def __init__(self) -> None:
        super().__init__()
        self.details: list[Divergence] = []

    def copy(self) -> Divergences:
        twin = Divergences()
        twin.extend(self)
        twin.details = list(self.details)
        return twin

    def add(
        self, number: int, text: str, *, expected: Any = ABSENT, produced: Any = ABSENT
    ) -> None:
        """Report a divergence at record `number` (0: at the end of the trace)."""
        line = f"record {number}: {text}" if number else text
        self.append(line)
        self.details.append(
            Divergence(record=number, text=line, expected=expected, produced=produced)
        )


def details_of(divergences: Iterable[str]) -> list[Divergence]:
    """The `Divergence` records of a replay's divergences (plain texts get text only)."""
    if isinstance(divergences, Divergences):
        with_details = {d.text for d in divergences.details}
        rest = [Divergence(record=0, text=t) for t in divergences if t not in with_details]
        return [*divergences.details, *rest]
    return [Divergence(record=_record_of(t), text=t) for t in divergences]


def _record_of(text: str) -> int:
    head = text.split(":", 1)[0]
    number = head.removeprefix("record ").strip()
    return int(number) if number.isdigit() else 0


def sniffed_head(body: bytes) -> tuple[int, list[tuple[str, str]]]:
    """The response head a hand-written trace left out (only ``recv_bytes`` records): 200,
    with the content type the body's first bytes show (SSE, JSON, else raw bytes)."""
    start = body.lstrip()[:6]
    if start.startswith((b"data:", b"event:", b"id:", b":")):
        kind = "text/event-stream"
    elif start.startswith((b"{", b"[")):
        kind = "application/json"
    else:
        kind = "application/octet-stream"
    return 200, [("content-type", kind)]


def error_summary(error: APIError, **extra: Any) -> dict[str, Any]:
    """A replay summary's ``errors`` entry: code, message, classification, HTTP status
    (``None`` in band), then `extra` (such as the ``response_id`` it belongs to)."""
    return {
        "code": error.code,
        "message": error.message,
        "classification": error.classification,
        "status": error.status,
        **extra,
    }


def ticking(
    records: Iterable[Mapping[str, Any]], progress: Progress | None
) -> Iterator[tuple[int, Mapping[str, Any]]]:
    """``enumerate(records, 1)``, reporting to `progress` every `TICK` records and at the end."""
    if progress is None:
        yield from enumerate(records, 1)
        return
    number = 0
    for number, record in enumerate(records, 1):
        if number % TICK == 0:
            progress(number)
        yield number, record
    progress(number)

"""Pieces the stream machines share: the event queue with its pull API, and usage flattening.

Every machine hands events out the same way (after h11): `next_event()` returns the next event
or `NEED_DATA`; `events()` drains until `NEED_DATA` or the machine's terminal event.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from typing import Any, Final

from .events.common import NEED_DATA, NeedData, TokenUsage

__all__ = ["DEFAULT_MAX_ITEMS", "DEFAULT_MAX_TEXT_CHARS", "EventQueue", "flatten_usage"]

DEFAULT_MAX_ITEMS: Final = 4096
"""Cap on live output items / choices / tool calls per stream. Real responses carry a handful;
4096 leaves room for very parallel tool use while bounding what a broken peer can make us keep."""

DEFAULT_MAX_TEXT_CHARS: Final = 64 * 1024 * 1024
"""Cap on text buffered from deltas of one stream (64 Mi characters): far above any model's
output limit, low enough that a runaway stream cannot exhaust memory."""


class EventQueue:
    """FIFO of outbound events with the shared pull API; `terminal` types end `drain()`.

    `push` is the deque's own ``append`` (bound once): the machines push on every event, and
    a Python-level wrapper would cost a call per event for nothing."""

    __slots__ = ("_queue", "_terminal", "push")

    def __init__(self, terminal: tuple[type[Any], ...]) -> None:
        self._queue: deque[Any] = deque()
        self._terminal = frozenset(terminal)
        self.push = self._queue.append

    def pop(self) -> Any | NeedData:
        return self._queue.popleft() if self._queue else NEED_DATA

    def drain(self) -> Iterator[Any]:
        queue = self._queue
        terminal = self._terminal
        while queue:
            event = queue.popleft()
            yield event
            if type(event) in terminal:
                return

    def __len__(self) -> int:
        return len(self._queue)

    def __reduce__(self) -> tuple[Any, ...]:
        """Copies and pickles rebuild the queue, so `push` is bound to the copy's own deque
        (a copied bound ``append`` would keep pushing into the original)."""
        return (_rebuild_queue, (tuple(self._terminal), list(self._queue)))


def _rebuild_queue(terminal: tuple[type[Any], ...], events: list[Any]) -> EventQueue:
    queue = EventQueue(terminal)
    queue._queue.extend(events)
    return queue


def _detail(details: Any, key: str) -> int:
    if isinstance(details, dict):
        value = details.get(key)
        if isinstance(value, int):
            return value
    return 0


def flatten_usage(
    *,
    input_tokens: int,
    output_tokens: int,
    total_tokens: int,
    input_details: Any,
    output_details: Any,
    raw: Any,
) -> TokenUsage:
    """One `TokenUsage` from either API's usage object (details dicts may be absent)."""
    return TokenUsage(
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        total_tokens=total_tokens,
        cached_tokens=_detail(input_details, "cached_tokens"),
        reasoning_tokens=_detail(output_details, "reasoning_tokens"),
        input_audio_tokens=_detail(input_details, "audio_tokens"),
        output_audio_tokens=_detail(output_details, "audio_tokens"),
        raw=raw,
    )

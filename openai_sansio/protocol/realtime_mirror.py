"""`ConversationMirror`: the client's copy of a Realtime conversation. Pure.

The server owns the conversation; the client needs a faithful copy for three decisions:
- **what the user heard**: per (item, content index) the assistant audio actually received, in
  samples, so a truncation never names a position the client never had;
- **where items sit**: the order given by ``previous_item_id`` (transcription and item events
  arrive in any order across turns), not arrival order;
- **what to restore** on a new session (rollover, recovery): text items, user audio as its
  transcript, assistant audio as its transcript (cut to what was heard when truncated),
  function calls and their outputs.

Fed by the machine from ``conversation.item.added``/``.done``/``.created``/``.retrieved``,
``.truncated``, ``.deleted``, transcription completions and output deltas. Bounded: at most
`max_items` items are kept (oldest forgotten first, as a long session's context would be).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

__all__ = ["ConversationMirror", "MirrorItem"]

MAX_ITEMS: Final = 512


class MirrorItem:
    """One conversation item as the client knows it."""

    __slots__ = (
        "arguments",
        "audio_done",
        "audio_ms",
        "audio_samples",
        "call_id",
        "id",
        "name",
        "output",
        "previous_item_id",
        "role",
        "stale",
        "status",
        "text",
        "transcript",
        "truncated_ms",
        "type",
    )

    def __init__(self, item_id: str, type_: str, role: str | None) -> None:
        self.id = item_id
        self.type = type_
        self.role = role
        self.status: str | None = None
        self.previous_item_id: str | None = None
        self.text = ""  # input_text / output_text
        self.transcript = ""  # input audio transcription / output audio transcript
        self.audio_samples: dict[int, int] = {}  # content index -> samples received
        self.audio_ms: dict[int, float] = {}  # the same as a duration, at each delta's rate
        self.audio_done: set[int] = set()  # content indexes whose audio ended
        self.truncated_ms: int | None = None
        self.stale: set[int] = set()  # content indexes whose later deltas were dropped
        self.call_id: str | None = None
        self.name: str | None = None
        self.arguments: str | None = None
        self.output: str | None = None

    def __repr__(self) -> str:
        return f"<MirrorItem {self.id} {self.type}/{self.role} {self.status}>"


class ConversationMirror:
    """Items by id, ordered by ``previous_item_id``. See the module docstring."""

    def __init__(self, *, max_items: int = MAX_ITEMS) -> None:
        self.max_items = max_items
        self._items: dict[str, MirrorItem] = {}
        self._order: list[str] = []

    def __len__(self) -> int:
        return len(self._order)

    def __contains__(self, item_id: object) -> bool:
        return item_id in self._items

    def get(self, item_id: str) -> MirrorItem | None:
        return self._items.get(item_id)

    def items(self) -> list[MirrorItem]:
        """The items in conversation order."""
        return [self._items[i] for i in self._order]

    def clear(self) -> None:
        self._items.clear()
        self._order.clear()

    def reset(self, items: list[dict[str, Any]]) -> None:
        """Become the conversation `items` (wire item objects, in order): what a new session
        was given by `restore_items`, so the mirror matches the server again."""
        self.clear()
        previous: str | None = None
        for item in items:
            self.upsert(item, previous)
            previous = item["id"]

    # ------------------------------------------------------------------ updates

    def upsert(
        self, item: Mapping[str, Any], previous_item_id: str | None, *, placed: bool = True
    ) -> MirrorItem | None:
        """Add or refresh an item from a wire item object. With `placed` (a
        ``conversation.item.*`` event, which says where the item sits) it goes after
        `previous_item_id`, ``None`` meaning first (nothing precedes it); without (an output
        item, whose conversation position comes later) a new item goes last."""
        item_id = item.get("id")
        if not isinstance(item_id, str):
            return None
        known = self._items.get(item_id)
        if known is None:
            known = MirrorItem(item_id, str(item.get("type") or "message"), _str(item.get("role")))
            self._items[item_id] = known
            if placed:
                self._place(item_id, previous_item_id)
            else:
                self._order.append(item_id)
            self._bound()
        elif placed and previous_item_id != known.previous_item_id:
            self._order.remove(item_id)
            self._place(item_id, previous_item_id)
        if placed:
            known.previous_item_id = previous_item_id
        status = item.get("status")
        if isinstance(status, str):
            known.status = status
        for name in ("call_id", "name", "arguments", "output"):
            value = item.get(name)
            if isinstance(value, str):
                setattr(known, name, value)
        content = item.get("content")
        if isinstance(content, list):
            texts: list[str] = []
            transcripts: list[str] = []
            for part in content:
                if not isinstance(part, Mapping):
                    continue
                if isinstance(part.get("text"), str):
                    texts.append(part["text"])
                if isinstance(part.get("transcript"), str):
                    transcripts.append(part["transcript"])
            if texts:
                known.text = "".join(texts)
            if transcripts and "".join(transcripts) and not known.stale:
                # (once deltas were dropped, the transcript received is the one to cut)
                known.transcript = "".join(transcripts)
        return known

    def _place(self, item_id: str, previous_item_id: str | None) -> None:
        if previous_item_id is None or previous_item_id == "root":
            self._order.insert(0, item_id)  # nothing precedes it
            return
        try:
            at = self._order.index(previous_item_id)
        except ValueError:
            self._order.append(item_id)
            return
        self._order.insert(at + 1, item_id)

    def _bound(self) -> None:
        while len(self._order) > self.max_items:
            del self._items[self._order.pop(0)]

    def delete(self, item_id: str) -> None:
        if self._items.pop(item_id, None) is not None:
            self._order.remove(item_id)

    def add_audio(self, item_id: str, content_index: int, samples: int, rate: int) -> None:
        """`samples` more samples of audio at `rate` Hz for (item, content)."""
        item = self._items.get(item_id)
        if item is None:  # audio before conversation.item.added: track it anyway
            item = MirrorItem(item_id, "message", "assistant")
            self._items[item_id] = item
            self._order.append(item_id)
            self._bound()
        item.audio_samples[content_index] = item.audio_samples.get(content_index, 0) + samples
        ms = 1000.0 * samples / rate
        item.audio_ms[content_index] = item.audio_ms.get(content_index, 0.0) + ms

    def mark_stale(self, item_id: str, content_index: int) -> None:
        """Deltas for (item, content) were dropped (their response was cancelled): the
        server's copy holds more than the client received."""
        item = self._items.get(item_id)
        if item is not None:
            item.stale.add(content_index)

    def call_arguments(self, item_id: str, call_id: Any, name: Any, arguments: Any) -> None:
        """A function call's arguments are complete (before its item is done)."""
        item = self._items.get(item_id)
        if item is None:
            return
        item.type = "function_call"
        for field, value in (("call_id", call_id), ("name", name), ("arguments", arguments)):
            if isinstance(value, str):
                setattr(item, field, value)

    def audio_finished(self, item_id: str, content_index: int) -> None:
        """The server sent all of that content's audio (``response.output_audio.done``)."""
        item = self._items.get(item_id)
        if item is not None:
            item.audio_done.add(content_index)

    def add_transcript(self, item_id: str, delta: str) -> None:
        item = self._items.get(item_id)
        if item is not None:
            item.transcript += delta

    def set_transcript(self, item_id: str, transcript: str) -> None:
        item = self._items.get(item_id)
        if item is not None:
            item.transcript = transcript

    def add_text(self, item_id: str, delta: str) -> None:
        item = self._items.get(item_id)
        if item is not None:
            item.text += delta

    def truncated(self, item_id: str, audio_end_ms: int) -> None:
        item = self._items.get(item_id)
        if item is not None:
            item.truncated_ms = audio_end_ms

    def cut_at(
        self, item_id: str, content_index: int, played_ms: float, *, streaming: bool
    ) -> tuple[int, int, str | None]:
        """Where a barge-in cuts (item, content): ``(heard_ms, received_ms, command)``.

        Heard is what was played clamped to the audio received, in whole ms. The command is
        ``"delete"`` when nothing was heard, ``"truncate"`` when the server's copy holds more
        than was heard (less than received was heard, deltas were dropped as stale, or the
        response is still `streaming` that content), else ``None``."""
        item = self._items.get(item_id)
        received = item.audio_ms.get(content_index, 0.0) if item is not None else 0.0
        received_ms = int(received)  # whole ms, never past what was received
        heard_ms = int(max(0.0, min(played_ms, received)))
        if heard_ms == 0:
            return heard_ms, received_ms, "delete"
        more_on_server = item is not None and (
            content_index in item.stale or (streaming and content_index not in item.audio_done)
        )
        if heard_ms < received_ms or more_on_server:
            return heard_ms, received_ms, "truncate"
        return heard_ms, received_ms, None

    # ------------------------------------------------------------------ restore

    def restore_items(self, output_rate: int) -> list[dict[str, Any]]:
        """The conversation as ``conversation.item.create`` items for a new session, in order.

        Assistant audio cannot be created by a client: it goes back as ``output_text`` with
        its transcript, cut in proportion to what was heard when the item was truncated (the
        server cut its own copy the same way, by time). User audio goes back as
        ``input_text`` with its transcription (an untranscribed utterance is skipped)."""
        out: list[dict[str, Any]] = []
        for item in self.items():
            built = _restored(item, output_rate)
            if built is not None:
                out.append(built)
        return out


def _restored(item: MirrorItem, output_rate: int) -> dict[str, Any] | None:
    if item.type == "function_call":
        if item.call_id is None or item.name is None:
            return None
        return {
            "type": "function_call",
            "id": item.id,
            "call_id": item.call_id,
            "name": item.name,
            "arguments": item.arguments or "",
        }
    if item.type == "function_call_output":
        if item.call_id is None:
            return None
        return {
            "type": "function_call_output",
            "id": item.id,
            "call_id": item.call_id,
            "output": item.output or "",
        }
    if item.type != "message" or item.role not in ("user", "assistant", "system"):
        return None
    if item.role == "assistant":
        text = item.text or _heard(item, output_rate)
        if not text:
            return None
        return {
            "type": "message",
            "id": item.id,
            "role": "assistant",
            "content": [{"type": "output_text", "text": text}],
        }
    text = item.text or item.transcript
    if not text:
        return None
    return {
        "type": "message",
        "id": item.id,
        "role": item.role,
        "content": [{"type": "input_text", "text": text}],
    }


def _heard(item: MirrorItem, output_rate: int) -> str:
    """The transcript of an assistant audio item, cut to the heard fraction when truncated."""
    transcript = item.transcript
    if item.truncated_ms is None or not transcript:
        return transcript
    total_ms = item.audio_ms.get(0, 0.0)
    if total_ms <= 0:
        return ""
    fraction = min(1.0, item.truncated_ms / total_ms)
    words = transcript.split()
    return " ".join(words[: round(len(words) * fraction)])


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None

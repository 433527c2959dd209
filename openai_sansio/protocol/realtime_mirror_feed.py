"""`MirrorFeed`: what the Realtime server's content events change in `RealtimeSession`. Pure.

What: the handlers of the item, delta and done events (``conversation.item.*``,
``response.output_audio.*``, ``response.output_audio_transcript.delta``,
``response.output_text.delta``, ``response.function_call_arguments.done``,
``response.output_item.done``) keep the machine's records of the conversation: the
`ConversationMirror` (items placed by ``previous_item_id``, audio received per (item,
content) in samples, transcripts, text, call arguments), the item now playing (what
`interrupt` truncates), the text and transcript collected per response for
`ResponseFinished`, and the function calls, each surfaced once as a `ToolCall` and
registered with the tool follow-up unless it belongs to a cancelled or out-of-band response.

Why separate: `realtime.RealtimeSession` decides the session's lifecycle (responses,
interruptions, tool follow-ups, errors, rollover); this is bookkeeping of content, and it
grows with every new item or content type. It is a mixin, not a collaborator object, so the
audio delta path stays one call from `receive_message` (the `_HANDLERS` table in
`realtime` maps event types straight to these methods).

Next: `RealtimeSession.receive_message` has already pushed the wire event (and dropped stale
deltas and duplicated dones) before calling a handler here; the caller drains `events()` and
writes `data_to_send()` as after any message.
"""

from __future__ import annotations

from typing import Any, Final

from ._stream_common import EventQueue
from .events.common import ToolCall
from .realtime_followup import ToolFollowup
from .realtime_mirror import ConversationMirror
from .realtime_wire import Bounded, SessionFormat, plain

__all__ = ["MirrorFeed"]

_OPEN_RESPONSES: Final = 64
"""Responses whose text is collected at once (one that never ends is forgotten)."""


class MirrorFeed:
    """Mixin of `RealtimeSession`: the content handlers (the state is `RealtimeSession`'s,
    set up in its ``__init__``; declared here for the type checker)."""

    mirror: ConversationMirror
    _queue: EventQueue
    _format: SessionFormat
    _tools: ToolFollowup
    _cancelled: Bounded
    _oob: Bounded  # out-of-band response ids
    _unechoed: Bounded  # client item id -> (event id, item), sent and not echoed
    _surfaced: Bounded  # call ids
    _text: dict[str, list[str]]  # response id -> text deltas
    _transcript: dict[str, list[str]]  # response id -> transcript deltas
    _playing: tuple[str, int, str | None] | None  # item, content, response

    def _on_item(self, event: Any) -> None:
        item = plain(event.item)
        if not isinstance(item, dict):
            return  # an item event without an item: nothing to mirror
        placed = event.type != "conversation.item.retrieved"  # the others say where it sits
        self.mirror.upsert(item, getattr(event, "previous_item_id", None), placed=placed)
        item_id = item.get("id")
        if isinstance(item_id, str):
            self._tools.acked(item_id)  # the server holds that output now
            self._unechoed.pop(item_id, None)

    def _on_truncated(self, event: Any) -> None:
        if isinstance(event.item_id, str) and isinstance(event.audio_end_ms, int):
            self.mirror.truncated(event.item_id, event.audio_end_ms)

    def _on_deleted(self, event: Any) -> None:
        if isinstance(event.item_id, str):
            self.mirror.delete(event.item_id)

    def _on_transcription(self, event: Any) -> None:
        if isinstance(event.item_id, str):
            self.mirror.set_transcript(event.item_id, event.transcript or "")

    def _on_audio_delta(self, event: Any) -> None:
        if not isinstance(event.item_id, str) or event.response_id in self._oob:
            return  # audio of no item, or out of the conversation: nothing to truncate
        content = event.content_index if isinstance(event.content_index, int) else 0
        fmt = self._format  # counted at the rate in force when it arrived
        self.mirror.add_audio(
            event.item_id, content, len(event.delta) // fmt.bytes_per_sample, fmt.rate
        )
        self._playing = (event.item_id, content, event.response_id)

    def _on_audio_done(self, event: Any) -> None:
        if isinstance(event.item_id, str):
            self.mirror.audio_finished(event.item_id, event.content_index or 0)

    def _on_transcript_delta(self, event: Any) -> None:
        delta = event.delta if isinstance(event.delta, str) else ""
        if isinstance(event.item_id, str) and event.response_id not in self._oob:
            self.mirror.add_transcript(event.item_id, delta)
        self._collect(self._transcript, event.response_id, delta)

    def _on_text_delta(self, event: Any) -> None:
        delta = event.delta if isinstance(event.delta, str) else ""
        if isinstance(event.item_id, str) and event.response_id not in self._oob:
            self.mirror.add_text(event.item_id, delta)
        self._collect(self._text, event.response_id, delta)

    @staticmethod
    def _collect(into: dict[str, list[str]], response_id: Any, delta: str) -> None:
        """Per-response text for `ResponseFinished`; bounded (responses that never end)."""
        if not isinstance(response_id, str):
            return
        into.setdefault(response_id, []).append(delta)
        while len(into) > _OPEN_RESPONSES:
            del into[next(iter(into))]

    def _on_arguments_done(self, event: Any) -> None:
        if event.response_id not in self._oob and isinstance(event.item_id, str):
            self.mirror.call_arguments(event.item_id, event.call_id, event.name, event.arguments)
        self._surface(
            event.call_id,
            event.name,
            event.arguments,
            event.item_id,
            event.response_id,
            event.output_index,
        )

    def _on_output_item_done(self, event: Any) -> None:
        item = plain(event.item)
        if not isinstance(item, dict):
            return
        if event.response_id not in self._oob:  # out-of-band items are in no conversation
            self.mirror.upsert(item, None, placed=False)
        if item.get("type") == "function_call" and item.get("status") in (None, "completed"):
            self._surface(
                item.get("call_id"),
                item.get("name"),
                item.get("arguments"),
                item.get("id"),
                event.response_id,
                event.output_index,
            )

    def _surface(
        self, call_id: Any, name: Any, arguments: Any, item_id: Any, response_id: Any, index: Any
    ) -> None:
        if (
            not isinstance(call_id, str)
            or call_id in self._surfaced
            or response_id in self._cancelled
        ):
            return
        self._surfaced.remember(call_id)
        call = ToolCall.assemble(
            call_id=call_id,
            name=name if isinstance(name, str) else "",
            arguments=arguments if isinstance(arguments, str) else "",
            item_id=item_id if isinstance(item_id, str) else None,
            index=index if isinstance(index, int) else 0,
        )
        if isinstance(response_id, str) and response_id not in self._oob:
            self._tools.call(response_id, call_id)  # out-of-band calls are the caller's alone
        self._queue.push(call)

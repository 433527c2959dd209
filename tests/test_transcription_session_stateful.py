"""Stateful test of `TranscriptionSession`: any interleaving of appends, commits, VAD events,
deltas, completions and failures in any order, duplicates and dropped sockets.

Invariants, checked after every step: every item is reported (final or failed) at most once,
and the reports follow conversation order (commit order across sockets); no interim for an
item after its report. At the end a dropped socket settles everything: every committed item
was reported exactly once, in order.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from openai_sansio.protocol.realtime_wire import counter_ids
from openai_sansio.protocol.transcription import TranscriptionSession
from openai_sansio.protocol.transcription_events import (
    FinalTranscript,
    InterimTranscript,
    TranscriptFailed,
)

SESSION = {
    "type": "transcription",
    "audio": {"input": {"transcription": {"model": "gpt-4o-transcribe"}}},
}


class Transcription(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.m = TranscriptionSession(SESSION, ids=counter_ids("evt_"))
        self.m.connection_made(0.0)
        self.order: list[str] = []  # every committed item, conversation order
        self.last: str | None = None  # the newest item of this socket
        self.speaking: str | None = None
        self.serial = 0
        self.reported: list[str] = []
        self.ended: set[str] = set()
        self.now = 0.0

    def _feed(self, event: dict[str, Any]) -> None:
        self.now += 0.01
        self.m.receive_message(json.dumps(event), self.now)
        self._drain()

    def _drain(self) -> None:
        self.m.data_to_send()
        for event in self.m.events():
            if isinstance(event, InterimTranscript):
                assert event.item_id not in self.ended, "an interim after the item's report"
            elif isinstance(event, FinalTranscript | TranscriptFailed):
                if event.item_id is None:
                    continue  # audio that never became an item
                assert event.item_id not in self.ended, "an item reported twice"
                self.ended.add(event.item_id)
                if event.item_id not in self.order:  # an utterance the dropped socket took
                    assert isinstance(event, TranscriptFailed)
                    assert event.reason == "connection_lost"
                    continue
                self.reported.append(event.item_id)

    @rule(size=st.integers(1, 4000))
    def append(self, size: int) -> None:
        self.m.append_audio(bytes(2 * size))
        self._drain()

    @rule()
    def flush(self) -> None:
        self.m.flush()
        self._drain()

    @rule()
    def speech_started(self) -> None:
        self.serial += 1
        self.speaking = f"item_{self.serial}"
        self._feed({"type": "input_audio_buffer.speech_started", "item_id": self.speaking})

    @rule()
    def commit(self) -> None:
        if self.speaking is None:
            self.serial += 1
            item = f"item_{self.serial}"
        else:
            item, self.speaking = self.speaking, None
            self._feed({"type": "input_audio_buffer.speech_stopped", "item_id": item})
        self._feed(
            {"type": "input_audio_buffer.committed", "item_id": item, "previous_item_id": self.last}
        )
        self.order.append(item)
        self.last = item

    @precondition(lambda self: self.order)
    @rule(data=st.data(), text=st.sampled_from(["a", " b", "c d"]))
    def delta(self, data: st.DataObject, text: str) -> None:
        item = data.draw(st.sampled_from(self.order))
        self._feed(
            {
                "type": "conversation.item.input_audio_transcription.delta",
                "item_id": item,
                "delta": text,
                "logprobs": [{"token": text, "logprob": -0.1, "bytes": []}],
            }
        )

    @precondition(lambda self: self.order)
    @rule(data=st.data())
    def complete(self, data: st.DataObject) -> None:
        item = data.draw(st.sampled_from(self.order))
        self._feed(
            {
                "type": "conversation.item.input_audio_transcription.completed",
                "item_id": item,
                "content_index": 0,
                "transcript": f"text of {item}",
                "usage": {"type": "duration", "seconds": 1.0},
            }
        )

    @precondition(lambda self: self.order)
    @rule(data=st.data())
    def fail(self, data: st.DataObject) -> None:
        item = data.draw(st.sampled_from(self.order))
        self._feed(
            {
                "type": "conversation.item.input_audio_transcription.failed",
                "item_id": item,
                "error": {"type": "transcription_error", "code": "x", "message": "no"},
            }
        )

    @rule()
    def drop(self) -> None:
        self.m.connection_lost()
        self._drain()
        self.m.connection_made(self.now)
        self.last = None
        self.speaking = None
        self._drain()

    @invariant()
    def reports_follow_conversation_order(self) -> None:
        assert self.reported == self.order[: len(self.reported)]

    def teardown(self) -> None:
        self.m.connection_lost()
        self._drain()
        assert self.reported == self.order
        assert self.m.pending_items == []
        finals = self.m.usage.transcripts
        assert finals <= len(self.order)


TestTranscriptionStateful = Transcription.TestCase

"""The Realtime emulator's input audio buffer, its server VAD and input transcription (pure).

What: `InputBuffer` holds the audio appended since the last commit or clear, positioned in
session milliseconds (all audio ever appended), runs the `realtime_audio.TurnDetector` of the
session's ``turn_detection`` over every append, and cuts committed spans out of the buffer
(a VAD turn: from ``audio_start_ms`` to ``audio_end_ms``; a manual commit: everything, at
least 100 ms). `transcription_events()` renders the ``conversation.item.input_audio_
transcription.delta`` / ``.completed`` events of a committed user audio item (silence, as the
real API answers it: an empty transcript).
Why: buffer bookkeeping in session time is fiddly (format changes, clears, prefix padding) and
deserves its own small, testable object; the engine keeps the event orchestration.
Next: `realtime_engine.RealtimeEngine` owns one `InputBuffer` and turns its `Turn`s into
``input_audio_buffer.*`` events, items and automatic responses.
"""

from __future__ import annotations

from typing import Any

from .errors import ApiError
from .realtime_audio import MIN_COMMIT_MS, Turn, TurnDetector, decode_audio, heard_transcript
from .realtime_items import StoredItem
from .realtime_response import ev
from .realtime_session import SessionView
from .realtime_shared import LOGPROBS_INCLUDE, heard_speech, token_logprobs, transcription_usage
from .rules import split_words

__all__ = ["LOGPROBS_INCLUDE", "InputBuffer", "transcription_events"]


class InputBuffer:
    """Buffered input audio (bytes in the input format) and the VAD over it."""

    def __init__(self, view: SessionView) -> None:
        self._view = view
        self._audio = bytearray()
        self.start_ms = 0.0
        """Session time of the first buffered byte."""
        self.detector: TurnDetector | None = None
        self.speech_item: str | None = None
        """The user item announced by ``speech_started`` and not committed yet."""
        self.speech_start_ms = 0
        self.reset_detector()

    def duration_ms(self) -> float:
        fmt = self._view.input_format
        return len(self._audio) * 1000 / (fmt.rate * fmt.frame_bytes)

    @property
    def end_ms(self) -> float:
        """Session time of the end of everything appended so far."""
        return self.start_ms + self.duration_ms()

    def reconfigure(self, view: SessionView) -> None:
        """Apply a session update: a new input format drops the buffer; a new format or turn
        detection restarts the VAD (an utterance in progress is forgotten)."""
        old, self._view = self._view, view
        if view.input_format != old.input_format:
            self._view = old
            self.drop()
            self._view = view
        if (view.input_format, view.turn_detection) != (old.input_format, old.turn_detection):
            self.reset_detector()

    def drop(self) -> bytes:
        """Empty the buffer; the audio it held."""
        audio = bytes(self._audio)
        self.start_ms = self.end_ms
        self._audio.clear()
        if self.detector is not None:
            self.detector.floor_ms = self.start_ms
        return audio

    def reset_detector(self) -> None:
        """A fresh VAD at the end of the appended audio (none without turn detection)."""
        self.speech_item = None
        td = self._view.turn_detection
        if td is None:
            self.detector = None
            return
        threshold = td.get("threshold")
        prefix = td.get("prefix_padding_ms")
        self.detector = TurnDetector(
            self._view.input_format,
            self.end_ms,
            threshold=0.5 if threshold is None else float(threshold),
            prefix_padding_ms=300 if prefix is None else int(prefix),
            silence_ms=self._view.silence_ms,
        )
        self.detector.floor_ms = self.start_ms

    def append(self, b64: str) -> list[Turn]:
        """Buffer one ``append`` payload; the VAD turn boundaries it completes."""
        raw, samples = decode_audio(b64, self._view.input_format)
        self._audio += raw
        return [] if self.detector is None else self.detector.push(samples)

    def take_turn(self, end_ms: int) -> bytes:
        """The audio of the current VAD turn (speech start .. `end_ms`): audio before it is
        discarded, audio after it stays buffered."""
        fmt = self._view.input_format
        start = fmt.bytes_for_ms(max(0.0, self.speech_start_ms - self.start_ms))
        end = min(len(self._audio), fmt.bytes_for_ms(max(0.0, end_ms - self.start_ms)))
        audio = bytes(self._audio[start:end])
        self.start_ms += end * 1000 / (fmt.rate * fmt.frame_bytes)
        del self._audio[:end]
        if self.detector is not None:
            self.detector.floor_ms = self.start_ms
        return audio

    def commit_all(self) -> bytes:
        """Everything buffered (a manual commit); `ApiError` under `MIN_COMMIT_MS`."""
        duration = self.duration_ms()
        if duration < MIN_COMMIT_MS:
            raise ApiError(
                400,
                "Error committing input audio buffer: buffer too small. Expected at least "
                f"{MIN_COMMIT_MS}ms of audio, but buffer only has {duration:.2f}ms of audio.",
                code="input_audio_buffer_commit_empty",
            )
        audio = self.drop()
        self.reset_detector()
        return audio


def transcription_events(
    stored: StoredItem, config: dict[str, Any], include: Any, turn_detection: Any
) -> list[dict[str, Any]]:
    """The transcription events of a user audio item (``config``: the session's
    ``audio.input.transcription``; ``include`` may ask for logprobs). Audio with no speech
    in it (`heard_speech` at the level of `turn_detection`'s threshold, as the transcription
    sessions judge it) gets no delta and an empty transcript, still billed for its audio."""
    model = str(config.get("model") or "whisper-1")
    audio, fmt = stored.audio, stored.fmt
    speech = audio is not None and fmt is not None and heard_speech(audio, fmt, turn_detection)
    text = heard_transcript(stored.audio_ms) if speech else ""
    pieces = ([text] if model == "whisper-1" else split_words(text)) if text else []
    logprobs = LOGPROBS_INCLUDE in (include or [])
    base = {"item_id": stored.id, "content_index": 0}
    events: list[dict[str, Any]] = []
    for piece in pieces:
        delta = ev("conversation.item.input_audio_transcription.delta", **base, delta=piece)
        if logprobs:
            delta["logprobs"] = token_logprobs(piece, 0.0)
        events.append(delta)
    usage = transcription_usage(model, stored.audio_ms, str(config.get("prompt") or ""), text)
    done = ev(
        "conversation.item.input_audio_transcription.completed",
        **base,
        transcript=text,
        usage=usage,
    )
    if logprobs:
        done["logprobs"] = [lp for piece in pieces for lp in token_logprobs(piece, 0.0)]
    events.append(done)
    return events

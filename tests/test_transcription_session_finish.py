"""`TranscriptionSession.finish()`: the end of the caller's audio, golden wire tests.

``finish()`` sends an end marker (a ``session.update`` without changes: the server answers in
order, so its ``session.updated`` comes after everything the audio before it caused). Under
server VAD it commits only when the server says speech is in progress at that point (trailing
silence is not committed: no empty extra item); with client commits it commits what was
appended since the last commit. `finished` turns true once the marker is answered and every
committed item has its final or failure. A socket that dies before the answer never lets the
marker pass early: a marker that reached the dead socket is sent again on the next one, one
that never left goes out once, after the fresh session's configuration.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from test_transcription_session import SESSION, committed, completed, feed, machine, sent

from openai_sansio.protocol.realtime_config import OFF
from openai_sansio.protocol.transcription import TranscriptionSession
from openai_sansio.protocol.transcription_config import TranscriptionConfig, session_object
from openai_sansio.protocol.transcription_events import FinalTranscript, TranscriptFailed

MARKER = {"type": "session.update", "session": {"type": "transcription"}}
COMMIT = {"type": "input_audio_buffer.commit"}
UPDATED = {"type": "session.updated", "session": {"type": "transcription"}}
CLIENT_COMMITS = session_object(TranscriptionConfig(turn_detection=OFF))


def started(item: str, ms: int = 100) -> dict[str, Any]:
    return {"type": "input_audio_buffer.speech_started", "audio_start_ms": ms, "item_id": item}


def stopped(item: str, ms: int = 900) -> dict[str, Any]:
    return {"type": "input_audio_buffer.speech_stopped", "audio_end_ms": ms, "item_id": item}


def opened(session: dict[str, Any] | None = None) -> TranscriptionSession:
    """A machine whose configuration went out and was answered."""
    m = machine(session)
    sent(m)
    feed(m, UPDATED)
    return m


def kinds(frames: list[bytes]) -> list[dict[str, Any]]:
    """The frames without their event ids and audio (what the test compares)."""
    out = []
    for frame in frames:
        body = json.loads(frame)
        body.pop("event_id", None)
        body.pop("audio", None)
        out.append(body)
    return out


def test_vad_finish_after_the_last_turn_commits_nothing() -> None:
    m = opened()
    m.append_audio(bytes(4800))
    sent(m)
    feed(m, started("a"), stopped("a"), committed("a", None))
    m.append_audio(bytes(9600))  # trailing silence: the server heard no speech in it
    m.finish()
    assert kinds(sent(m)) == [{"type": "input_audio_buffer.append"}, MARKER]
    assert not m.finished
    feed(m, UPDATED)
    assert not m.finished  # "a" still waits for its transcript
    (final,) = feed(m, completed("a", "hello"))
    assert isinstance(final, FinalTranscript)
    assert m.finished
    assert sent(m) == []


def test_vad_finish_in_the_middle_of_speech_commits_it_after_the_marker() -> None:
    m = opened()
    m.append_audio(bytes(4800))
    m.finish()
    assert kinds(sent(m)) == [{"type": "input_audio_buffer.append"}, MARKER]
    feed(m, started("a"))
    feed(m, UPDATED)  # the server processed all audio: speech is still in progress
    assert kinds(sent(m)) == [COMMIT, MARKER]
    assert not m.finished
    feed(m, committed("a", None), UPDATED)
    assert not m.finished
    feed(m, completed("a", "cut short"))
    assert m.finished


def test_client_commits_finish_commits_only_new_audio() -> None:
    m = opened(CLIENT_COMMITS)
    m.append_audio(bytes(4800))
    m.flush()
    sent(m)
    m.finish()  # nothing appended since the flush: no empty commit
    assert kinds(sent(m)) == [MARKER]
    feed(m, committed("a", None), UPDATED, completed("a", "one"))
    assert m.finished

    m = opened(CLIENT_COMMITS)
    m.append_audio(bytes(4800))
    m.finish()
    m.finish()  # idempotent
    assert kinds(sent(m)) == [{"type": "input_audio_buffer.append"}, COMMIT, MARKER]
    feed(m, committed("a", None), UPDATED)
    assert not m.finished
    feed(m, completed("a", "one"))
    assert m.finished


def test_finish_waits_for_updates_sent_before_it() -> None:
    m = machine(CLIENT_COMMITS)
    sent(m)
    m.update(audio={"input": {"transcription": {"model": "whisper-1"}}})
    m.finish()
    sent(m)
    feed(m, UPDATED)  # the configuration's answer
    feed(m, UPDATED)  # the update's
    assert not m.finished
    feed(m, UPDATED)  # the marker's
    assert m.finished


def test_a_refused_marker_still_ends() -> None:
    m = opened(CLIENT_COMMITS)
    m.finish()
    (marker,) = (json.loads(f) for f in sent(m))
    error = {"type": "invalid_request_error", "code": "invalid_value", "message": "no",
             "param": None, "event_id": marker["event_id"]}  # fmt: skip
    feed(m, {"type": "error", "error": error})
    assert m.finished


@pytest.mark.parametrize("unsent", [0, 1, 2])
def test_socket_lost_after_finish_before_the_answer(unsent: int) -> None:
    """The drop leaves `unsent` of (append, commit, marker) unwritten: the audio that reached
    the dead socket is reported failed once, and the iteration ends only after the new
    session answered a marker sent after its configuration."""
    m = opened(CLIENT_COMMITS)
    m.append_audio(bytes(4800))
    m.finish()
    frames = sent(m)
    left = frames[len(frames) - unsent :] if unsent else []
    m.connection_lost(left)
    assert list(m.events()) == [TranscriptFailed(item_id=None, reason="connection_lost")]
    assert not m.finished
    m.connection_made(1.0)
    again = kinds(sent(m))
    assert again[0]["session"] == CLIENT_COMMITS
    # the commit of audio that died with the socket is not sent again (it would commit an
    # empty buffer); exactly one marker follows the configuration
    assert again[1:] == [MARKER]
    feed(m, UPDATED)
    assert not m.finished  # the configuration's answer is not the marker's
    feed(m, UPDATED)
    assert m.finished


def test_socket_lost_after_the_commit_fails_the_item_and_ends() -> None:
    m = opened(CLIENT_COMMITS)
    m.append_audio(bytes(4800))
    m.finish()
    sent(m)
    feed(m, committed("a", None))  # the marker was sent; its answer never comes
    m.connection_lost()
    assert list(m.events()) == [TranscriptFailed(item_id="a", reason="connection_lost")]
    m.connection_made(1.0)
    assert kinds(sent(m))[1:] == [MARKER]
    feed(m, UPDATED, UPDATED)
    assert m.finished


def test_unsent_audio_is_not_reported_lost() -> None:
    m = machine(CLIENT_COMMITS)
    sent(m)
    m.append_audio(bytes(4800))
    m.finish()
    frames = sent(m)
    m.connection_lost(frames)  # nothing reached the socket
    assert list(m.events()) == []
    m.connection_made(1.0)
    assert kinds(sent(m))[1:] == [{"type": "input_audio_buffer.append"}, COMMIT, MARKER]
    feed(m, UPDATED, committed("a", None), UPDATED)
    assert not m.finished
    feed(m, completed("a", "kept"))
    assert m.finished


def test_vad_drop_in_speech_after_finish() -> None:
    m = machine()
    sent(m)
    m.append_audio(bytes(4800))
    m.finish()
    sent(m)
    feed(m, started("a"))
    m.connection_lost()
    assert list(m.events()) == [TranscriptFailed(item_id="a", reason="connection_lost")]
    m.connection_made(1.0)
    assert kinds(sent(m))[1:] == [MARKER]
    feed(m, UPDATED, UPDATED)  # no speech in the fresh session: nothing to commit
    assert sent(m) == []
    assert m.finished


def test_session_default_is_server_vad() -> None:
    assert "turn_detection" not in SESSION["audio"]["input"]  # the server's default: VAD
    assert TranscriptionSession(SESSION).finished is False

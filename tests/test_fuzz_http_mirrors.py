"""Hypothesis mirrors of the HTTP-body fuzz targets ``fuzz/fuzz_speech_stream.py``
(`SpeechStream`), ``fuzz/fuzz_transcription_http.py`` (`TranscriptionResponse`) and
``fuzz/fuzz_multipart.py`` (the ``multipart/form-data`` parser and builder), what CI runs
where atheris is not installed (DESIGN.md 8).

The same `run` functions the fuzzers drive run here over hypothesis ``binary()``, over bodies
built from the events the APIs send (with split points), over every seed (the recorded traces
of ``tests/data`` and the official examples) as is and mutated. Invariants (see each target):
accept or raise `RemoteProtocolError` (`MultipartError` for the parser); whole and split input
give the same events; what the builder writes parses back. Failures a target found are in its
`KNOWN_BUGS`, each with a strict-xfail reproducer here; the last tests check that the targets'
assertions have teeth.
"""

from __future__ import annotations

import base64
import importlib
import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from _fuzz_load import MUTATIONS, SHARED, load_target, mutate
from hypothesis import given
from hypothesis import strategies as st

from openai_sansio.protocol.speech import SpeechStream
from openai_sansio.protocol.transcription_http import TranscriptionResponse

speech = load_target("fuzz_speech_stream")
stt = load_target("fuzz_transcription_http")
multipart = load_target("fuzz_multipart")
TARGETS = {"speech_stream": speech, "transcription_http": stt, "multipart": multipart}
SEEDS = {name: list(dict.fromkeys(t.seeds(SHARED))) for name, t in TARGETS.items()}
known_bug = importlib.import_module("fuzz._common").known_bug  # the targets put fuzz/ on the path


def run_tolerating_known(target: ModuleType, data: bytes) -> None:
    """The target on `data`; a known failure ends the input quietly, any other escapes."""
    try:
        target.run(data)
    except Exception as exc:
        if known_bug(exc, target.KNOWN_BUGS) is None:
            raise


def test_fuzz_modules_do_not_need_atheris() -> None:
    for target in TARGETS.values():
        assert callable(target.TestOneInput)
        assert "atheris" not in vars(target)


# --------------------------------------------------------------------------------------------
# Inputs: arbitrary bytes, API-shaped bodies, the seeds as is and mutated.


@pytest.mark.parametrize("name", sorted(TARGETS))
@given(data=st.binary(max_size=2048))
def test_target_on_arbitrary_bytes(name: str, data: bytes) -> None:
    run_tolerating_known(TARGETS[name], data)


def _framed(setting: int, cuts: list[int], body: bytes) -> bytes:
    control = b"".join(c.to_bytes(2, "little") for c in cuts)
    return bytes([setting, len(cuts)]) + control + body


_CUTS = st.lists(st.integers(0, 65535), max_size=15)


@given(
    setting=st.integers(0, 255),
    cuts=_CUTS,
    deltas=st.lists(
        st.one_of(
            st.binary(max_size=700).map(
                lambda b: {"type": "speech.audio.delta", "audio": base64.b64encode(b).decode()}
            ),
            st.binary(max_size=64).map(
                lambda b: {"type": "speech.audio.delta", "delta": base64.b64encode(b).decode()}
            ),
            st.just({"type": "speech.audio.delta"}),
            st.just({"type": "speech.audio.done", "usage": None}),
            st.just({"type": "error", "error": {"message": "x", "code": "c"}}),
            st.just({"type": "speech.audio.new"}),
        ),
        max_size=6,
    ),
    done=st.booleans(),
)
def test_speech_target_on_event_streams(
    setting: int, cuts: list[int], deltas: list[dict[str, Any]], done: bool
) -> None:
    body = b"".join(b"data: " + json.dumps(d).encode() + b"\n\n" for d in deltas)
    if done:
        body += b'data: {"type":"speech.audio.done"}\n\n'
    run_tolerating_known(speech, _framed(setting, cuts, body))


@given(setting=st.integers(0, 255), cuts=_CUTS, pcm=st.binary(max_size=5000))
def test_speech_target_on_pcm_bodies(setting: int, cuts: list[int], pcm: bytes) -> None:
    run_tolerating_known(speech, _framed(setting, cuts, pcm))


_TRANSCRIPT_EVENTS = st.one_of(
    st.fixed_dictionaries(
        {"type": st.just("transcript.text.delta"), "delta": st.text(max_size=8)},
        optional={
            "logprobs": st.lists(
                st.fixed_dictionaries(
                    {"token": st.text(max_size=3), "logprob": st.floats(-20, 0)},
                    optional={"bytes": st.lists(st.integers(0, 255), max_size=3)},
                ),
                max_size=2,
            )
        },
    ),
    st.fixed_dictionaries(
        {
            "type": st.just("transcript.text.segment"),
            "id": st.sampled_from(["seg_1", "seg_2"]),
            "start": st.floats(0, 10),
            "end": st.floats(0, 10),
            "text": st.text(max_size=8),
        },
        optional={"speaker": st.sampled_from(["A", "B"])},
    ),
    st.fixed_dictionaries(
        {"type": st.just("transcript.text.done"), "text": st.text(max_size=8)},
        optional={
            "usage": st.sampled_from(
                [
                    {"type": "duration", "seconds": 2},
                    {"type": "tokens", "input_tokens": 1, "output_tokens": 2, "total_tokens": 3},
                    {"type": "tokens"},
                ]
            ),
            "languages": st.lists(st.fixed_dictionaries({"code": st.just("en")}), max_size=2),
        },
    ),
    st.just({"type": "error", "error": {"message": "boom", "code": "x"}}),
    st.just({"type": "transcript.text.new"}),
)


@given(
    setting=st.integers(0, 255),
    cuts=_CUTS,
    events=st.lists(_TRANSCRIPT_EVENTS, max_size=6),
    done=st.booleans(),
)
def test_transcription_target_on_event_streams(
    setting: int, cuts: list[int], events: list[dict[str, Any]], done: bool
) -> None:
    body = b"".join(b"data: " + json.dumps(e).encode() + b"\n\n" for e in events)
    body += b"data: [DONE]\n\n" if done else b""
    run_tolerating_known(stt, _framed(setting, cuts, body))


_JSON_BODIES = st.fixed_dictionaries(
    {},
    optional={
        "text": st.one_of(st.text(max_size=8), st.none(), st.integers()),
        "language": st.sampled_from(["english", None]),
        "duration": st.one_of(st.floats(0, 100), st.text(max_size=2)),
        "segments": st.lists(
            st.fixed_dictionaries(
                {"start": st.floats(0, 9), "end": st.floats(0, 9), "text": st.text(max_size=4)},
                optional={"id": st.one_of(st.integers(0, 9), st.text(max_size=2))},
            ),
            max_size=2,
        ),
        "words": st.lists(st.fixed_dictionaries({"word": st.text(max_size=3)}), max_size=2),
    },
)


@given(setting=st.integers(0, 255), cuts=_CUTS, body=_JSON_BODIES)
def test_transcription_target_on_json_bodies(
    setting: int, cuts: list[int], body: dict[str, Any]
) -> None:
    run_tolerating_known(stt, _framed(setting, cuts, json.dumps(body).encode()))


_NAME = st.text(st.characters(codec="utf-8"), min_size=0, max_size=6)


@given(
    boundary=st.text("abc-_'()+,./:=?019", min_size=0, max_size=8),
    fields=st.lists(st.tuples(_NAME, st.text(max_size=8)), max_size=4),
    filename=_NAME,
    data=st.binary(max_size=64),
)
def test_multipart_target_encodes_and_parses_back(
    boundary: str, fields: list[tuple[str, str]], filename: str, data: bytes
) -> None:
    def field(text: str) -> bytes:
        raw = text.encode("utf-8", "surrogatepass")[:255]
        return bytes([len(raw)]) + raw

    raw_boundary = boundary.encode()
    encoded = bytes([multipart.ENCODE, len(raw_boundary)]) + raw_boundary
    encoded += bytes([len(fields)]) + b"".join(field(n) + field(v) for n, v in fields)
    encoded += field(filename) + len(data).to_bytes(2, "little") + data
    run_tolerating_known(multipart, encoded)


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_target_on_every_seed(name: str) -> None:
    assert len(SEEDS[name]) >= 12
    for seed in SEEDS[name]:
        TARGETS[name].run(seed)  # the seeds trip no known bug


def test_seeds_without_the_fixtures(tmp_path: Path) -> None:
    for target in TARGETS.values():
        for seed in target.seeds(tmp_path):
            target.run(seed)


@pytest.mark.parametrize("name", sorted(TARGETS))
@given(data=st.data(), ops=MUTATIONS)
def test_target_on_mutated_seeds(name: str, data: st.DataObject, ops: Any) -> None:
    seed = data.draw(st.sampled_from(SEEDS[name]))
    donor = data.draw(st.sampled_from(SEEDS[name]))
    run_tolerating_known(TARGETS[name], mutate(seed, ops, donor))


# --------------------------------------------------------------------------------------------
# What the targets found, fixed (regressions), and open findings (strict-xfail reproducers).

_DONE = b'data: {"type":"speech.audio.done"}\n\n'
_ERROR_BODY = b'{"error":{"message":"bad \xff voice","type":"invalid_request_error"}}'
# Fixed findings; each comment says what was wrong before its fix.
REGRESSIONS: dict[tuple[str, str], bytes] = {
    # http_errors.py:54 `api_error_from_http` catches only msgspec.DecodeError: a 400 whose
    # JSON error body holds a string that is not UTF-8 raises UnicodeDecodeError out of
    # `SpeechStream.receive_eof` (and of every other machine that reads an error body)
    ("speech_stream", "error-body-not-utf8"): speech.seed(_ERROR_BODY, 6),
    ("transcription_http", "error-body-not-utf8"): stt.seed(_ERROR_BODY, 5),
    # speech.py:467 `_stream_error`: the codec passes an in-band ``error`` event whose
    # skipped fields are not UTF-8 as an `UnknownEvent`; re-decoding its raw JSON raises
    # UnicodeDecodeError out of `SpeechStream.receive_data`
    ("speech_stream", "speech-error-event-not-utf8"): speech.seed(
        b'data: {"type":"error","\xc1":1,"error":{"message":"x"}}\n\n', 1
    ),
    # speech.py:395-399 `_on_data`: an SSE bound (here a 300-byte line, the bound 256) tripped
    # by bytes after ``speech.audio.done`` refuses the body when they arrive in the same chunk
    # as the done event and is ignored when they arrive in a later one
    ("speech_stream", "speech-trailing-bytes-split-dependent"): speech.seed(
        _DONE + b"data: " + b"x" * 300 + b"\n\n", 9, [len(_DONE)]
    ),
    # transcription_http.py:485 `_on_json`: the typed decode skips the unknown field without
    # checking its UTF-8; ``raw=_any_json.decode(body)``, outside the try, then raises
    # UnicodeDecodeError out of `TranscriptionResponse.receive_eof`
    ("transcription_http", "json-body-unknown-field-not-utf8"): stt.seed(
        b'{"text":"hi","words":[{"w\xa6":1}]}', 1
    ),
}
REPRODUCERS: dict[tuple[str, str], bytes] = {}
"""Open findings (none now): one strict-xfail reproducer per `KNOWN_BUGS` entry."""


@pytest.mark.parametrize(("name", "bug"), sorted(REGRESSIONS))
def test_fixed_finding_stays_fixed(name: str, bug: str) -> None:
    """What the targets found, fixed: each input now runs clean through its target."""
    TARGETS[name].run(REGRESSIONS[name, bug])


class KnownBug(Exception):
    """The reproducer failed the way its `KNOWN_BUGS` entry says."""


def test_every_known_bug_has_a_reproducer() -> None:
    for name, target in TARGETS.items():
        assert {(name, bug) for bug, _, _ in target.KNOWN_BUGS} <= set(REPRODUCERS)


@pytest.mark.parametrize(
    ("name", "bug"),
    [
        pytest.param(name, bug, marks=pytest.mark.xfail(strict=True, raises=KnownBug))
        for name, bug in sorted(REPRODUCERS)
    ],
)
def test_known_bug_reproducer(name: str, bug: str) -> None:
    """Fails today, the way the target's `KNOWN_BUGS` entry names; passes once the machine is
    fixed, and so XPASSes strictly: then drop the entry (keep the input as a regression)."""
    target = TARGETS[name]
    try:
        target.run(REPRODUCERS[name, bug])
    except Exception as exc:
        if known_bug(exc, target.KNOWN_BUGS) == bug:
            raise KnownBug(bug) from exc
        raise


# --------------------------------------------------------------------------------------------
# The targets' assertions have teeth.


def test_speech_target_catches_a_foreign_exception(monkeypatch: pytest.MonkeyPatch) -> None:
    class Broken(SpeechStream):
        def receive_data(self, data: bytes) -> None:
            raise ValueError("not a protocol error")

    monkeypatch.setattr(speech, "SpeechStream", Broken)
    with pytest.raises(ValueError):
        speech.run(speech.seed(b"\0\0", 0))


def test_speech_target_catches_split_dependent_frames(monkeypatch: pytest.MonkeyPatch) -> None:
    pcm = speech.seed(bytes(range(200)) * 10, 0, [999])
    speech.run(pcm)

    class Unframed(SpeechStream):
        def _pcm(self, data: bytes) -> None:  # every chunk padded on its own
            super()._pcm(data)
            self._flush_pcm()

    monkeypatch.setattr(speech, "SpeechStream", Unframed)
    with pytest.raises(AssertionError):
        speech.run(pcm)


def test_speech_target_catches_unpadded_last_frame(monkeypatch: pytest.MonkeyPatch) -> None:
    short = speech.seed(b"\1\0" * 100, 0)
    speech.run(short)

    class Short(SpeechStream):
        def _flush_pcm(self) -> int:
            frame, stray = self._framer.flush()
            if frame is not None:
                self._queue.push(speech.SpeechFrame(frame[:200], self._frames, 100))
            return stray

    monkeypatch.setattr(speech, "SpeechStream", Short)
    with pytest.raises(AssertionError, match="frame of 200 bytes, not 960"):
        speech.run(short)


def test_transcription_target_catches_a_lost_result(monkeypatch: pytest.MonkeyPatch) -> None:
    cut_short = stt.seed(b'data: {"type":"transcript.text.delta","delta":"Hi"}\n\n', 0)
    stt.run(cut_short)

    class Silent(TranscriptionResponse):
        def _finish(self, result: Any) -> None:
            self.result = result  # no event for it

    monkeypatch.setattr(stt, "TranscriptionResponse", Silent)
    with pytest.raises(AssertionError, match="not exactly one result"):
        stt.run(cut_short)


def test_multipart_target_catches_a_parser_that_loses_a_field(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seed = multipart.build_seed(prompt="Be exact.")
    multipart.run(seed)
    parse = multipart.parse_multipart
    monkeypatch.setattr(multipart, "parse_multipart", lambda body, ct: parse(body, ct)[:-1])
    with pytest.raises(AssertionError, match="do not parse back"):
        multipart.run(seed)


def test_multipart_target_catches_a_foreign_exception(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(body: bytes, content_type: str) -> Any:
        raise KeyError("not a MultipartError")

    monkeypatch.setattr(multipart, "parse_multipart", broken)
    with pytest.raises(KeyError):
        multipart.run(multipart.parse_seed(b"--b0und--"))

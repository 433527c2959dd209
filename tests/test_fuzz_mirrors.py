"""Hypothesis mirrors of the atheris fuzz targets in ``fuzz/`` (what CI runs; DESIGN.md 8).

The same `TestOneInput` functions the fuzzers drive are run here over hypothesis ``binary()``,
over inputs built from SSE/JSON tokens, over the seed corpus `fuzz/make_corpus.py` builds from
the shared fixtures (as is, and mutated), and over the inputs that once broke an invariant.
The targets' invariant: accept or raise `RemoteProtocolError` only, and for SSE, whole and split
input give the same events. Their assertions are checked to have teeth at the end.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from _fuzz_load import ROOT, SHARED, load_target
from hypothesis import given
from hypothesis import strategies as st

from openai_sansio.protocol._sse import ServerSentEvent

FUZZ = ROOT / "fuzz"


fuzz_sse = load_target("fuzz_sse")
fuzz_codec = load_target("fuzz_codec")
make_corpus = load_target("make_corpus")

HAVE_FIXTURES = (SHARED / "fixtures" / "openapi-event-examples.jsonl").is_file()
NO_FIXTURES = f"shared fixtures not found under {SHARED}"

SSE_SEEDS: list[bytes] = list(dict.fromkeys(make_corpus.sse_seeds(SHARED)))
CODEC_SEEDS: list[bytes] = list(dict.fromkeys(make_corpus.codec_seeds(SHARED)))


def test_fuzz_modules_do_not_need_atheris() -> None:
    assert callable(fuzz_sse.TestOneInput)
    assert callable(fuzz_codec.TestOneInput)
    assert "atheris" not in vars(fuzz_sse)
    assert "atheris" not in vars(fuzz_codec)


# --------------------------------------------------------------------------------------------
# Mutation, as a fuzzer would do it: flip, insert, delete, duplicate, truncate.

_MUTATIONS = st.lists(
    st.tuples(
        st.sampled_from(["flip", "insert", "delete", "duplicate", "truncate", "splice_token"]),
        st.integers(0, 1 << 16),
        st.integers(0, 255),
    ),
    min_size=1,
    max_size=6,
)
_TOKENS = [
    b"\r",
    b"\n",
    b"\r\n",
    b"\n\n",
    b"data:",
    b"data: ",
    b"event:",
    b"id:",
    b"retry:",
    b":",
    b"\x00",
    b"\xef\xbb\xbf",
    b"\xc3",
    b"\xff",
    b'"',
    b"{",
    b"}",
    b"[",
    b"]",
    b",",
    b"null",
    b'"type":',
    b"1e999",
    b"-0",
    b"\\u0000",
    b"\\ud800",
]


def mutate(seed: bytes, ops: list[tuple[str, int, int]]) -> bytes:
    data = bytearray(seed)
    for op, position, value in ops:
        at = position % (len(data) + 1)
        if op == "flip" and data:
            data[at % len(data)] ^= 1 << (value % 8)
        elif op == "insert":
            data[at:at] = bytes([value])
        elif op == "delete" and data:
            del data[at % len(data) : at % len(data) + 1 + value % 8]
        elif op == "duplicate":
            data[at:at] = data[at : at + 1 + value]
        elif op == "truncate":
            del data[max(at, 2) :]
        elif op == "splice_token":
            data[at:at] = _TOKENS[value % len(_TOKENS)]
    return bytes(data)


def test_mutate_changes_its_input() -> None:
    assert mutate(b"data: a\n\n", [("flip", 0, 0)]) == b"eata: a\n\n"
    assert mutate(b"ab", [("splice_token", 1, 0)]) == b"a\rb"
    assert mutate(b"abcdef", [("truncate", 3, 0)]) == b"abc"


# --------------------------------------------------------------------------------------------
# SSE target.


@given(st.binary(max_size=4096))
def test_sse_target_on_arbitrary_bytes(data: bytes) -> None:
    fuzz_sse.TestOneInput(data)


@given(
    limit=st.integers(0, 255),
    cuts=st.lists(st.integers(0, 65535), max_size=15),
    tokens=st.lists(st.sampled_from([*_TOKENS, b"x", b"1", b" ", b"\xc3\xa9", b"5"]), max_size=80),
)
def test_sse_target_on_sse_tokens(limit: int, cuts: list[int], tokens: list[bytes]) -> None:
    control = b"".join(c.to_bytes(2, "little") for c in cuts)
    fuzz_sse.TestOneInput(bytes([limit, len(cuts)]) + control + b"".join(tokens))


@pytest.mark.skipif(not HAVE_FIXTURES, reason=NO_FIXTURES)
def test_sse_target_on_every_seed() -> None:
    assert len(SSE_SEEDS) > 100
    for seed in SSE_SEEDS:
        fuzz_sse.TestOneInput(seed)


@pytest.mark.skipif(not HAVE_FIXTURES, reason=NO_FIXTURES)
@given(seed=st.sampled_from(SSE_SEEDS or [b""]), ops=_MUTATIONS)
def test_sse_target_on_mutated_seeds(seed: bytes, ops: list[tuple[str, int, int]]) -> None:
    fuzz_sse.TestOneInput(mutate(seed, ops))


# Inputs that broke an invariant before the fix noted next to each (see the fuzz report).
SSE_REGRESSIONS = [
    # retry with more digits than int() converts: ValueError escaped feed()
    pytest.param(bytes([7, 0]) + b"retry: " + b"9" * 4301 + b"\n\n", id="retry-4301-digits"),
    # found by atheris on the original decoder: line "cat" over a 2-byte bound, whole vs split
    pytest.param(b"9\x02\x0c\xff\xff\xe9cat\n", id="atheris-c951313c"),
    # a complete over-long comment line was accepted whole but refused when split
    pytest.param(bytes([2, 1, 8, 0]) + b": comment\n", id="long-line-whole-vs-split"),
    # a BOM counted in the split partial line but not in the whole stream's first line
    pytest.param(bytes([2, 1, 8, 0]) + b"\xef\xbb\xbfddddd\n", id="bom-at-the-line-bound"),
    # "data" lines without a colon grew an event past the bound
    pytest.param(bytes([2, 0]) + b"data\n" * 9 + b"\n", id="bare-data-past-bound"),
]


@pytest.mark.parametrize("data", SSE_REGRESSIONS)
def test_sse_target_regressions(data: bytes) -> None:
    fuzz_sse.TestOneInput(data)


# --------------------------------------------------------------------------------------------
# Codec target.


@given(st.binary(max_size=2048))
def test_codec_target_on_arbitrary_bytes(data: bytes) -> None:
    fuzz_codec.TestOneInput(data)


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


@given(
    which=st.integers(0, 2),
    tag=st.sampled_from(
        [
            "response.created",
            "response.output_text.delta",
            "response.completed",
            "error",
            "response.create",
            "response.steer",
            "response.brand_new",
            "",
        ]
    ),
    body=st.dictionaries(
        st.sampled_from(
            [
                "response",
                "delta",
                "item_id",
                "output_index",
                "content_index",
                "id",
                "choices",
                "error",
                "input",
                "model",
                "sequence_number",
                "stream_id",
                "x",
            ]
        ),
        _JSON,
        max_size=6,
    ),
)
def test_codec_target_on_json_objects(which: int, tag: str, body: dict[str, Any]) -> None:
    document = json.dumps({"type": tag, **body}).encode()
    fuzz_codec.TestOneInput(bytes([which]) + document)


@pytest.mark.skipif(not HAVE_FIXTURES, reason=NO_FIXTURES)
def test_codec_target_on_every_seed() -> None:
    assert len(CODEC_SEEDS) > 100
    for seed in CODEC_SEEDS:
        fuzz_codec.TestOneInput(seed)


@pytest.mark.skipif(not HAVE_FIXTURES, reason=NO_FIXTURES)
@given(seed=st.sampled_from(CODEC_SEEDS or [b""]), ops=_MUTATIONS)
def test_codec_target_on_mutated_seeds(seed: bytes, ops: list[tuple[str, int, int]]) -> None:
    fuzz_codec.TestOneInput(mutate(seed, ops))


CODEC_REGRESSIONS = [
    # invalid UTF-8 inside a string msgspec decodes: UnicodeDecodeError escaped the codec
    pytest.param(b'\x00{"type":"response.created\xff"}', id="responses-bad-utf8-type"),
    # found by atheris on the original codec (client decoder, bad UTF-8 in the tag)
    pytest.param(b'\x02{"type":"resp\x91\x9ase.create"}', id="atheris-db15f21c"),
    pytest.param(
        b'\x00{"type":"response.output_text.delta","item_id":"i","output_index":0,'
        b'"content_index":0,"delta":"\xc3"}',
        id="responses-bad-utf8-field",
    ),
    pytest.param(b'\x01{"id":"c\xff","choices":[]}', id="chat-bad-utf8-id"),
    pytest.param(b'\x01{"error":{"message":"\xe2\x82"}}', id="chat-bad-utf8-error"),
    pytest.param(b'\x02{"type":"response.create","model":"\xff"}', id="client-bad-utf8"),
]


@pytest.mark.parametrize("data", CODEC_REGRESSIONS)
def test_codec_target_regressions(data: bytes) -> None:
    fuzz_codec.TestOneInput(data)


# --------------------------------------------------------------------------------------------
# The targets' assertions have teeth: a broken decoder or codec is caught.


class _RaisesValueError:
    def __init__(self, **_: Any) -> None:
        pass

    def feed(self, chunk: bytes) -> list[Any]:
        raise ValueError("not a protocol error")

    def feed_eof(self) -> None:
        pass


def test_sse_target_catches_a_foreign_exception(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fuzz_sse, "SSEDecoder", _RaisesValueError)
    with pytest.raises(ValueError):
        fuzz_sse.TestOneInput(bytes([7, 0]) + b"data: a\n\n")


def test_sse_target_catches_split_dependent_output(monkeypatch: pytest.MonkeyPatch) -> None:
    real = fuzz_sse.SSEDecoder

    class ChunkCounting(real):  # type: ignore[misc, valid-type]
        """Emits one extra event per chunk: output depends on how the bytes were split."""

        def feed(self, chunk: bytes) -> list[Any]:
            return [*super().feed(chunk), ServerSentEvent(b"")] if chunk else []

    monkeypatch.setattr(fuzz_sse, "SSEDecoder", ChunkCounting)
    with pytest.raises(AssertionError):
        fuzz_sse.TestOneInput(bytes([7, 1, 3, 0]) + b"data: a\n\n")


def test_codec_target_catches_a_foreign_exception(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(data: bytes | str, *, api: str) -> Any:
        raise KeyError(api)

    monkeypatch.setattr(fuzz_codec, "DECODERS", ((broken, "responses"),))
    with pytest.raises(KeyError):
        fuzz_codec.TestOneInput(b'\x00{"type":"x"}')


def test_codec_target_catches_a_lossy_encoder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fuzz_codec, "encode_event", lambda event: b'{"type":"error"}')
    delta = (
        b'\x00{"type":"response.output_text.delta","item_id":"i","output_index":0,'
        b'"content_index":0,"delta":"hi"}'
    )
    with pytest.raises(AssertionError):
        fuzz_codec.TestOneInput(delta)
    with pytest.raises(AssertionError):  # and an UnknownEvent must come back byte-identical
        fuzz_codec.TestOneInput(b'\x00{"type":"response.brand_new"}')


def test_seed_corpus_dirs_fills_empty_directories_and_leaves_files_alone(tmp_path: Path) -> None:
    """A positional file (an input to reproduce) is neither treated as a directory nor
    written to; a missing or empty directory gets the seeds; a full one is kept."""
    from fuzz._common import seed_corpus_dirs

    crash = tmp_path / "crash-1"
    crash.write_bytes(b"boom")
    empty, full = tmp_path / "empty", tmp_path / "full"
    empty.mkdir()
    full.mkdir()
    (full / "mine").write_bytes(b"x")
    missing = tmp_path / "missing"
    argv = ["fuzz_x.py", "-runs=1", str(crash), str(empty), str(full), str(missing)]
    seed_corpus_dirs(argv, lambda: [b"a", b"b", b"a"])
    assert crash.read_bytes() == b"boom"
    assert sorted(p.read_bytes() for p in empty.iterdir()) == [b"a", b"b"]
    assert sorted(p.read_bytes() for p in missing.iterdir()) == [b"a", b"b"]
    assert [p.name for p in full.iterdir()] == ["mine"]

"""Write seed corpora for the fuzz targets into ``fuzz/corpus/<target>/`` (generated, ignored).

Seeds come from the shared fixtures next to the repository (``../shared/fixtures``):

* ``openapi-event-examples.jsonl``: every example as one JSON document, prefixed with the
  decoder byte `fuzz_codec` reads (0 Responses server, 1 Chat, 2 Responses client), and
  framed as an SSE stream (``event:`` + ``data:`` lines) for `fuzz_sse`;
* ``chat-sse-recorded/*.bin``: byte-exact recorded Chat Completions SSE bodies, as SSE seeds
  whole and re-chunked, and each of their ``data:`` payloads as a Chat codec seed;
* a few hand-written streams for the SSE corner cases (CR/LF/CRLF, BOM, comments, bounds);
* for the machines, what each target's own `seeds` gives: `fuzz_chat_stream` (the recorded
  bodies, whole, re-chunked, CRLF, cut short; the Chat examples as one stream),
  `fuzz_response_stream` (the Responses examples as streams, one per terminal event) and
  `fuzz_realtime_session` (Realtime sessions: a text turn, an audio turn interrupted, a
  function-call turn and its follow-up, errors; every Realtime server example fed alone);
* from the recorded traces of ``tests/data`` (DESIGN.md 7) and the examples, the seeds of
  `fuzz_responses_socket` (each ``responses_ws`` trace replayed as operations: its commands,
  frames, closes and timeouts), `fuzz_transcription_session` (the ``transcription`` trace,
  the Realtime transcription examples as one session), `fuzz_transcription_http` and
  `fuzz_speech_stream` (the recorded response bodies, whole and re-chunked, and the
  ``transcript.text.*`` / ``speech.audio.*`` examples) and `fuzz_multipart` (the recorded
  uploads, and bodies the builder writes).

Seed files are named by the SHA-1 of their content, so re-running is idempotent.

Usage: ``python fuzz/make_corpus.py [--shared PATH] [--out PATH]``
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE.parent) not in sys.path:  # `python fuzz/make_corpus.py` puts fuzz/ on sys.path only
    sys.path.insert(0, str(HERE.parent))

from fuzz import (  # noqa: E402
    fuzz_chat_stream,
    fuzz_multipart,
    fuzz_realtime_session,
    fuzz_response_stream,
    fuzz_responses_socket,
    fuzz_speech_stream,
    fuzz_transcription_http,
    fuzz_transcription_session,
)
from fuzz._common import SHARED, example_rows, recorded_bodies, seed  # noqa: E402

DEFAULT_SHARED = SHARED  # <repo>/../shared

CODEC_SERVER_RESPONSES, CODEC_CHAT, CODEC_CLIENT_RESPONSES = 0, 1, 2
CODEC_SERVER_REALTIME, CODEC_CLIENT_REALTIME, CODEC_SPEECH, CODEC_TRANSCRIPTION = 3, 4, 5, 6
SSE_LIMIT_DEFAULT = 7  # index into fuzz_sse.LIMITS of the default (unbounded-ish) limit
SSE_LIMIT_SMALL = 4  # index of the 64-byte limit: exercises the bounds


def sse_seed(
    stream: bytes, limit_index: int = SSE_LIMIT_DEFAULT, cuts: Iterable[int] = ()
) -> bytes:
    """A `fuzz_sse` input: limit byte, number of cuts, the cuts (2 bytes each), the stream."""
    return seed(stream, limit_index, cuts)


def codec_seed(decoder: int, document: bytes) -> bytes:
    return bytes([decoder]) + document


HAND_WRITTEN_SSE = [
    b"data: a\n\n",
    b"data: a\r\rdata: b\r\n\r\n",
    b"\xef\xbb\xbfdata: bom\n\n",
    b": keep-alive\n\nevent: e\nid: 1\nretry: 1500\ndata: x\ndata: y\n\n",
    b"data\ndata:\ndata:  two spaces\n\n",
    b"id: a\x00b\nretry: 12a\nfoo: bar\n\n",
    b"data: half event at eof",
    "data: héllo 世界 🎉\n\n".encode(),
    b"data: [DONE]\n\n",
]


def codec_seeds(shared: Path) -> Iterator[bytes]:
    for record in example_rows(shared) or ():
        document = json.dumps(record["example"], ensure_ascii=False).encode()
        group = record["group"]
        kind = str(record["example"].get("type", ""))
        if group == "chat-streaming":
            yield codec_seed(CODEC_CHAT, document)
        elif group == "responses-websocket-client-events":
            yield codec_seed(CODEC_CLIENT_RESPONSES, document)
        elif group == "realtime-server-events":
            yield codec_seed(CODEC_SERVER_REALTIME, document)
        elif group == "realtime-client-events":
            yield codec_seed(CODEC_CLIENT_REALTIME, document)
        elif kind.startswith("speech."):
            yield codec_seed(CODEC_SPEECH, document)
        elif kind.startswith("transcript."):
            yield codec_seed(CODEC_TRANSCRIPTION, document)
        # every example also as a Responses event (most are unknown types there)
        yield codec_seed(CODEC_SERVER_RESPONSES, document)
    for body in recorded_bodies(shared):
        for line in body.splitlines():
            if line.startswith(b"data: ") and line != b"data: [DONE]":
                yield codec_seed(CODEC_CHAT, line[6:])


def sse_seeds(shared: Path) -> Iterator[bytes]:
    for stream in HAND_WRITTEN_SSE:
        yield sse_seed(stream)
        yield sse_seed(stream, SSE_LIMIT_SMALL, cuts=range(1, len(stream), 3))
    for record in example_rows(shared) or ():
        example = record["example"]
        data = json.dumps(example, ensure_ascii=False).encode()
        name = str(example.get("type", "")).encode()
        stream = (b"event: " + name + b"\n" if name else b"") + b"data: " + data + b"\n\n"
        yield sse_seed(stream)
    for body in recorded_bodies(shared):
        yield sse_seed(body)
        yield sse_seed(body, cuts=range(7, len(body), max(1, len(body) // 14)))
        yield sse_seed(body.replace(b"\n", b"\r\n"), cuts=[1, 2, 3])


def write(directory: Path, seeds: Iterable[bytes]) -> int:
    directory.mkdir(parents=True, exist_ok=True)
    names = set()
    for data in seeds:
        name = hashlib.sha1(data).hexdigest()
        (directory / name).write_bytes(data)
        names.add(name)
    return len(names)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED)
    parser.add_argument("--out", type=Path, default=HERE / "corpus")
    args = parser.parse_args(argv)
    if not (args.shared / "fixtures").is_dir():
        print(f"no fixtures under {args.shared}; writing built-in seeds only", file=sys.stderr)
    counts = {
        name: write(args.out / name, seeds)
        for name, seeds in (
            ("sse", sse_seeds(args.shared)),
            ("codec", codec_seeds(args.shared)),
            ("chat_stream", fuzz_chat_stream.seeds(args.shared)),
            ("response_stream", fuzz_response_stream.seeds(args.shared)),
            ("realtime_session", fuzz_realtime_session.seeds(args.shared)),
            ("responses_socket", fuzz_responses_socket.seeds(args.shared)),
            ("transcription_session", fuzz_transcription_session.seeds(args.shared)),
            ("transcription_http", fuzz_transcription_http.seeds(args.shared)),
            ("multipart", fuzz_multipart.seeds(args.shared)),
            ("speech_stream", fuzz_speech_stream.seeds(args.shared)),
        )
    }
    print(f"wrote {', '.join(f'{n} {name}' for name, n in counts.items())} seeds under {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Fuzz target: the ``multipart/form-data`` parser and builder (`protocol._multipart`,
`protocol.transcription_request`), which the emulator and trace replay use to read uploads.

Input layout: byte 0 picks the mode (``byte % 4``):

* 0, 1 - **parse**: byte 1 picks the ``Content-Type`` (`CONTENT_TYPES`; the last entry takes
  ``byte 2`` bytes of the input as the header value, latin-1 as a transport reads it); the rest
  is the body. `parse_multipart` returns the parts or raises `MultipartError` (its documented
  error, a `ValueError`; the emulator turns it into a 400); `Part.text()` returns or raises
  `MultipartError`; nothing else escapes. A body that parses and whose parts the builder can
  write (a file part first, valid names, no boundary inside) is written again with
  `encode_multipart` and parses back to the same parts.
* 2 - **build and parse**: `build_transcription_request` with fuzzer-chosen arguments (the
  boundary, filename, model, prompt, language, keywords, extra form fields, the audio; each
  a length byte then bytes, UTF-8 with replacement) returns a request or raises
  `LocalProtocolError`; a request's body parses (with its own ``content-type`` header) to the
  file part (name ``file``, the filename, the extension's content type, the audio exactly)
  and then exactly the form fields it was asked for, in order.
* 3 - **encode and parse**: `encode_multipart` with fuzzer-chosen field names and values
  returns a body or raises `LocalProtocolError`; a body parses back to exactly those fields.

Run: ``python fuzz/fuzz_multipart.py fuzz/corpus/multipart`` (an empty or missing corpus
directory is seeded first; see `seeds`).
"""

from __future__ import annotations

import base64
import sys
from collections.abc import Iterator
from contextlib import nullcontext
from pathlib import Path

_ROOT = str(Path(__file__).resolve().parents[1])
if _ROOT not in sys.path:  # `python fuzz/fuzz_multipart.py` puts fuzz/ on sys.path only
    sys.path.insert(0, _ROOT)

if __name__ == "__main__":
    import atheris

    _instrumented = atheris.instrument_imports()
else:
    _instrumented = nullcontext()
with _instrumented:
    from openai_sansio.protocol import LocalProtocolError
    from openai_sansio.protocol._client_config import ClientConfig
    from openai_sansio.protocol._multipart import (
        MultipartError,
        Part,
        boundary_of,
        parse_multipart,
    )
    from openai_sansio.protocol.transcription_request import (
        SUPPORTED_EXTENSIONS,
        build_transcription_request,
        encode_multipart,
    )

# The harness, imported after the code under test so that atheris leaves it uninstrumented.
from fuzz._common import (  # noqa: E402
    SHARED,
    KnownBugs,
    Reader,
    seed_corpus_dirs,
    tolerating_known,
    trace_records,
)

BOUNDARY = "b0und"
CONTENT_TYPES = (
    f"multipart/form-data; boundary={BOUNDARY}",
    f'multipart/form-data; boundary="{BOUNDARY}"',
    f"Multipart/Form-Data;boundary={BOUNDARY}; charset=utf-8",
    "multipart/form-data; boundary=openai-sansio-1b9c7c7b4b442d17b0219c362b89bf7a",
    "multipart/form-data; boundary=-",
    'multipart/form-data; boundary="a\\"b"',
    "multipart/form-data",
    "application/json",
    None,  # the header value comes from the input
)
CONFIG = ClientConfig(api_key="sk-fuzz")
EXTENSIONS = tuple(SUPPORTED_EXTENSIONS)
FORMATS = (None, "json", "text", "srt", "verbose_json", "vtt", "diarized_json", "mp3")
PARSE, BUILD, ENCODE = 0, 2, 3


def _text(r: Reader) -> str:
    return r.take(r.byte()).decode("utf-8", "replace")


def _parts(body: bytes, content_type: str) -> list[Part] | None:
    try:
        parts = parse_multipart(body, content_type)
    except MultipartError:
        return None
    assert isinstance(parts, list) and all(isinstance(p, Part) for p in parts)
    return parts


def _parse(r: Reader) -> None:
    content_type = CONTENT_TYPES[r.byte() % len(CONTENT_TYPES)]
    if content_type is None:
        content_type = r.take(r.byte()).decode("latin-1")
    body = r.data[r.at :]
    parts = _parts(body, content_type)
    if parts is None:
        return
    texts = []
    for part in parts:
        assert isinstance(part.name, str) and isinstance(part.data, bytes)
        try:
            texts.append(part.text())
        except MultipartError:
            texts.append(None)
    if not parts or parts[0].filename is None or parts[0].content_type is None:
        return
    file, fields = parts[0], parts[1:]
    if any(f.filename is not None or f.content_type is not None for f in fields):
        return  # not what the builder writes
    if None in texts[1:] or not file.content_type.isascii():
        return
    boundary = boundary_of(content_type)
    try:
        again = encode_multipart(
            [(f.name, f.data.decode()) for f in fields],
            boundary=boundary,
            file_field=file.name,
            filename=file.filename,
            file_content_type=file.content_type,
            file_data=file.data,
        )
    except LocalProtocolError:
        return  # a name or boundary the builder refuses
    assert _parts(again, f"multipart/form-data; boundary={boundary}") == parts, (
        "re-encoded parts do not parse back"
    )


def _build(r: Reader) -> None:
    boundary = r.take(r.byte() % 72).decode("latin-1")
    filename = _text(r) + "." + EXTENSIONS[r.byte() % len(EXTENSIONS)]
    model = _text(r)
    flags = r.byte()
    prompt = _text(r) if flags & 1 else None
    language = _text(r) if flags & 2 else None
    keywords = [_text(r) for _ in range(r.byte() % 4)] if flags & 4 else None
    response_format = FORMATS[(flags >> 3) % len(FORMATS)]
    stream = bool(flags & 128)
    extra = {_text(r): _text(r) for _ in range(r.byte() % 4)}
    audio = r.take(r.u16())
    try:
        request = build_transcription_request(
            CONFIG,
            audio=audio,
            filename=filename,
            model=model,
            boundary=boundary,
            language=language,
            prompt=prompt,
            response_format=response_format,
            stream=stream,
            keywords=keywords,
            extra_fields=extra,
        )
    except LocalProtocolError:
        return
    headers = dict(request.headers)
    parts = _parts(request.body, headers["content-type"])
    assert parts is not None, "a built body does not parse"
    file = parts[0]
    assert (file.name, file.filename, file.data) == ("file", filename, audio), "file part"
    assert file.content_type == SUPPORTED_EXTENSIONS[filename.rsplit(".", 1)[1]]
    expected = [("model", model)]
    expected += [("keywords[]", k) for k in keywords or ()]
    expected += [("language", language)] if language is not None else []
    expected += [("prompt", prompt)] if prompt is not None else []
    expected += [("response_format", response_format)] if response_format else []
    expected += [("stream", "true")] if stream else []
    expected += [(name, extra[name]) for name in sorted(extra)]
    got = [(p.name, p.text()) for p in parts[1:]]
    assert got == expected, "the form fields do not parse back"
    assert all(p.filename is None and p.content_type is None for p in parts[1:])


def _encode(r: Reader) -> None:
    boundary = r.take(r.byte() % 72).decode("latin-1")
    fields = [(_text(r), _text(r)) for _ in range(r.byte() % 6)]
    filename = _text(r)
    data = r.take(r.u16())
    try:
        body = encode_multipart(
            fields,
            boundary=boundary,
            filename=filename,
            file_content_type="audio/wav",
            file_data=data,
        )
    except LocalProtocolError:
        return
    parts = _parts(body, f"multipart/form-data; boundary={boundary}")
    assert parts is not None, "an encoded body does not parse"
    assert parts[0] == Part("file", data, filename, "audio/wav"), "the file part changed"
    assert [(p.name, p.text()) for p in parts[1:]] == fields, "the fields changed"


def run(data: bytes) -> None:
    """One input, every invariant checked (raises on a finding, known or not)."""
    if not data:
        return
    r = Reader(data, 1)
    mode = data[0] % 4
    if mode in (PARSE, PARSE + 1):
        _parse(r)
    elif mode == BUILD:
        _build(r)
    else:
        _encode(r)


KNOWN_BUGS: KnownBugs = ()
"""Failures found and reported (strict-xfail reproducers in
``tests/test_fuzz_http_mirrors.py``); remove an entry with its fix."""
TestOneInput = tolerating_known(run, KNOWN_BUGS)


# --------------------------------------------------------------------------------------------
# Seeds: recorded uploads and built ones.


def _field(value: str | bytes) -> bytes:
    raw = value.encode() if isinstance(value, str) else value
    return bytes([len(raw)]) + raw


def build_seed(
    boundary: str = BOUNDARY,
    filename: str = "clip",
    extension: int = EXTENSIONS.index("wav"),
    model: str = "gpt-4o-transcribe",
    *,
    prompt: str | None = None,
    language: str | None = None,
    keywords: tuple[str, ...] | None = None,
    format_and_stream: int = 0,
    extra: tuple[tuple[str, str], ...] = (),
    audio: bytes = b"RIFF....WAVEdata",
) -> bytes:
    """A mode-2 input (`format_and_stream`: bits 3.. of the flags byte)."""
    flags = (prompt is not None) | (language is not None) << 1 | (keywords is not None) << 2
    out = bytes([BUILD]) + _field(boundary) + _field(filename) + bytes([extension])
    out += _field(model) + bytes([flags | format_and_stream])
    out += _field(prompt) if prompt is not None else b""
    out += _field(language) if language is not None else b""
    if keywords is not None:
        out += bytes([len(keywords)]) + b"".join(_field(k) for k in keywords)
    out += bytes([len(extra)]) + b"".join(_field(k) + _field(v) for k, v in extra)
    return out + len(audio).to_bytes(2, "little") + audio


def parse_seed(body: bytes, content_type: int = 0) -> bytes:
    return bytes([PARSE, content_type]) + body


def _recorded() -> Iterator[tuple[str, bytes]]:
    for records in trace_records("transcription_http"):
        for record in records:
            if record.get("op") == "request" and "body_b64" in record:
                content_type = record.get("headers", {}).get("content-type", "")
                yield content_type, base64.b64decode(record["body_b64"])


def seeds(shared: Path = SHARED) -> Iterator[bytes]:
    del shared  # the uploads come from the recorded traces
    yield build_seed()
    yield build_seed(
        prompt="Be exact.", language="en", keywords=("", "x"), format_and_stream=8 | 128
    )
    yield build_seed(
        boundary="openai-sansio-0123456789abcdef",
        filename="r\u00e9union; name=x",
        extension=EXTENSIONS.index("mp3"),
        keywords=("\u00e9t\u00e9", "b"),
        format_and_stream=4 << 3,
        extra=(("chunking_strategy[type]", "server_vad"), ("include[]", "logprobs")),
    )
    yield build_seed(boundary="-", audio=b"\r\n--\r\n-- -")
    encoded = encode_multipart(
        [("model", "whisper-1"), ("prompt", "a\r\n\r\nb"), ("x", "")],
        boundary=BOUNDARY,
        filename="a.wav",
        file_content_type="audio/wav",
        file_data=b"\0\1\2\r\n",
    )
    yield parse_seed(encoded)
    yield parse_seed(encoded, 1)
    yield parse_seed(b"preamble\r\n" + encoded + b"epilogue", 2)
    yield parse_seed(encoded[:-4])  # no closing delimiter
    yield parse_seed(encoded.replace(b"Content-Disposition", b"Content-Type", 1))
    yield parse_seed(b"\x23multipart/form-data; boundary=b0und" + encoded, len(CONTENT_TYPES) - 1)
    yield bytes([ENCODE, 5]) + b"b0und" + bytes([2]) + b"\x01a\x01b\x01c\x01d" + b"\x05a.wav"
    for content_type, body in _recorded():
        if content_type in CONTENT_TYPES:
            yield parse_seed(body, CONTENT_TYPES.index(content_type))
        else:  # the header from the input
            header = content_type.encode("latin-1")
            yield parse_seed(bytes([len(header)]) + header + body, len(CONTENT_TYPES) - 1)


if __name__ == "__main__":
    seed_corpus_dirs(sys.argv, seeds)
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()

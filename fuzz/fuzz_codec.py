"""Fuzz target: the codec (`decode_server_event`, `decode_client_event`, `encode_event`).

Input layout: byte 0 picks the decoder (Responses server, Chat server, Responses client); the
rest is one JSON document, as an SSE ``data`` payload or a WebSocket text frame would carry it.
Invariants (DESIGN.md 3.3, 3.4 and 8):

* decoding returns an event or raises `RemoteProtocolError`; nothing else escapes;
* text and bytes of the same document decode alike;
* `encode_event` never fails on a decoded event; an `UnknownEvent` re-encodes to its exact
  bytes; a typed event's encoding decodes back to the same event (a fixed point).

Run: ``python fuzz/fuzz_codec.py fuzz/corpus/codec`` (see fuzz/README.md).
"""

from __future__ import annotations

import sys
from contextlib import nullcontext
from pathlib import Path

_ROOT = str(Path(__file__).resolve().parents[1])
if _ROOT not in sys.path:  # `python fuzz/fuzz_codec.py` puts fuzz/ on sys.path, not the repo
    sys.path.insert(0, _ROOT)

if __name__ == "__main__":
    import atheris

    _instrumented = atheris.instrument_imports()
else:
    _instrumented = nullcontext()
with _instrumented:
    from openai_sansio.protocol._codec import decode_client_event, decode_server_event, encode_event
    from openai_sansio.protocol._errors import RemoteProtocolError
    from openai_sansio.protocol.events.common import UnknownEvent

DECODERS = (  # byte 0 of the input picks one (append only: the corpus relies on the order)
    (decode_server_event, "responses"),
    (decode_server_event, "chat"),
    (decode_client_event, "responses"),
    (decode_server_event, "realtime"),
    (decode_client_event, "realtime"),
    (decode_server_event, "speech"),
    (decode_server_event, "transcription-http"),
)


def _decode(decode, api: str, document: bytes | str):  # type: ignore[no-untyped-def]
    try:
        return decode(document, api=api), None
    except RemoteProtocolError as exc:
        return None, exc.error_hint


def TestOneInput(data: bytes) -> None:
    if not data:
        return
    decode, api = DECODERS[data[0] % len(DECODERS)]
    document = data[1:]
    event, failure = _decode(decode, api, document)

    try:
        text = document.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        assert _decode(decode, api, text) == (event, failure), "text and bytes decode differently"

    if failure is not None:
        return
    encoded = encode_event(event)
    assert isinstance(encoded, bytes)
    if type(event) is UnknownEvent:
        assert encoded == document, "UnknownEvent did not re-encode byte-identical"
        return
    again, again_failure = _decode(decode, api, encoded)
    assert again_failure is None, f"re-encoding does not decode: {again_failure}"
    assert again == event, "re-encoding decodes to a different event"


if __name__ == "__main__":
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()

"""Replay of ``transcription-http`` traces (``POST /audio/transcriptions``), pure.

What: `replay_transcription_http(records, header)` walks ``request`` / ``response`` /
``recv_bytes`` / ``eof`` records. Each recorded request body is parsed back (strict
multipart) and rebuilt with `build_transcription_request` from its own fields, file and
boundary: a body this library would not have written byte for byte is a divergence. The
response head and body chunks (exactly as split) go into a fresh `TranscriptionResponse`;
its result becomes a turn, its `APIError`s errors.

Why: a recorded exchange becomes a golden test and a bug report replays without a socket;
the rebuild check catches a builder change that would alter what goes on the wire.

Next: `trace.replay` dispatches here for ``api == "transcription-http"`` (or a headerless
trace whose requests go to ``/audio/transcriptions``); `looks_transcription_http` decides.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from ._client_config import ClientConfig
from ._errors import LocalProtocolError, RemoteProtocolError
from ._multipart import MultipartError, Part, parse_multipart
from .events.common import APIError
from .trace_common import Divergences, Progress, error_summary, sniffed_head, ticking
from .transcription_http import TranscriptionResponse, TranscriptionResult
from .transcription_request import build_transcription_request

__all__ = ["looks_transcription_http", "replay_transcription_http", "request_fields"]

_LISTS = {
    "languages[]": "languages",
    "keywords[]": "keywords",
    "timestamp_granularities[]": "timestamp_granularities",
    "known_speaker_names[]": "known_speaker_names",
    "known_speaker_references[]": "known_speaker_references",
}
_SCALARS = ("language", "prompt", "response_format")


def looks_transcription_http(records: Iterable[Mapping[str, Any]]) -> bool:
    """True when a request record goes to ``.../audio/transcriptions``."""
    for record in records:
        url = record.get("url")
        if (
            record.get("op") == "request"
            and isinstance(url, str)
            and urlsplit(url).path.rstrip("/").endswith("/audio/transcriptions")
        ):
            return True
    return False


def _number(text: str) -> float | int:
    try:
        return int(text)
    except ValueError:
        return float(text)


def request_fields(parts: list[Part]) -> tuple[Part, dict[str, Any]]:
    """The file part and `build_transcription_request` keyword arguments of parsed parts."""
    file: Part | None = None
    kwargs: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    chunking: dict[str, str] = {}
    for part in parts:
        name = part.name
        if name == "file" and part.filename is not None:
            file = part
            continue
        value = part.text()
        if name == "model":
            kwargs["model"] = value
        elif name in _SCALARS:
            kwargs[name] = value
        elif name == "temperature":
            kwargs["temperature"] = _number(value)
        elif name == "stream":
            kwargs["stream"] = value == "true"
        elif name == "include[]" and value == "logprobs":
            kwargs["include_logprobs"] = True
        elif name in _LISTS:
            kwargs.setdefault(_LISTS[name], []).append(value)
        elif name == "chunking_strategy":
            kwargs["chunking_strategy"] = value
        elif name.startswith("chunking_strategy[") and name.endswith("]"):
            chunking[name[len("chunking_strategy[") : -1]] = value
        elif name.endswith("[]"):
            extra.setdefault(name[:-2], []).append(value)
        else:
            extra[name] = value
    if file is None or file.filename is None:
        raise MultipartError("the request has no file part")
    if chunking:
        kwargs["chunking_strategy"] = chunking
    if extra:
        kwargs["extra_fields"] = extra
    return file, kwargs


class _Exchange:
    def __init__(self, url: str, number: int) -> None:
        self.url = url
        self.number = number
        self.machine: TranscriptionResponse | None = None
        self.response_format: str | None = None
        self.request_id: str | None = None


def _rebuild(record: Mapping[str, Any], number: int) -> tuple[dict[str, Any], str | None, Any]:
    """(sent summary, divergence or None, requested response_format) of a request record."""
    url = str(record.get("url", ""))
    headers = record.get("headers") if isinstance(record.get("headers"), dict) else {}
    assert isinstance(headers, dict)
    content_type = str(headers.get("content-type", ""))
    try:
        body = base64.b64decode(str(record.get("body_b64", "")), validate=True)
    except (binascii.Error, ValueError):
        raise RemoteProtocolError(
            f"record {number}: body_b64 is not base64", error_hint="trace"
        ) from None
    try:
        parts = parse_multipart(body, content_type)
        file, kwargs = request_fields(parts)
    except MultipartError as exc:
        raise RemoteProtocolError(f"record {number}: {exc}", error_hint="trace") from None
    sent: dict[str, Any] = {
        "url": url,
        "fields": {p.name: p.text() for p in parts if p is not file},
        "file": {"filename": file.filename, "bytes": len(file.data)},
    }
    boundary = content_type.partition("boundary=")[2].strip('"')
    azure = "/openai/" in urlsplit(url).path
    config = (
        ClientConfig(api_key="replay", azure_endpoint="https://replay.invalid", is_azure=True)
        if azure
        else ClientConfig(api_key="replay")
    )
    try:
        rebuilt = build_transcription_request(
            config,
            audio=file.data,
            filename=str(file.filename),
            boundary=boundary,
            **kwargs,
        ).body
    except (LocalProtocolError, TypeError) as exc:
        return sent, f"record {number}: this library would refuse the request: {exc}", None
    divergence = None
    if rebuilt != body:
        divergence = f"record {number}: the request body differs from what the builder writes"
    return sent, divergence, kwargs.get("response_format")


def _summary(result: TranscriptionResult, request_id: str | None) -> dict[str, Any]:
    usage = result.usage
    summary_usage = None
    if usage is not None:
        summary_usage = {
            "input_tokens": usage.input_tokens,
            "output_tokens": usage.output_tokens,
            "total_tokens": usage.total_tokens,
        }
        if usage.seconds is not None:
            summary_usage["seconds"] = usage.seconds  # type: ignore[assignment]
    return {
        "response_id": request_id,
        "status": result.status,
        "text": result.text,
        "tool_calls": [],
        "usage": summary_usage,
    }


def replay_transcription_http(
    records: Iterable[Mapping[str, Any]],
    header: Mapping[str, Any] | None,
    *,
    progress: Progress | None = None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[Any], list[str]]:
    """``(turns, errors, sent, divergences)`` of a transcription-http trace.

    Raises `RemoteProtocolError` for a malformed record or recorded bytes that violate the
    protocol (naming the record)."""
    del header  # the requests carry everything a replay needs
    turns: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    sent: list[Any] = []
    divergences = Divergences()
    exchange: _Exchange | None = None

    def close(current: _Exchange) -> None:
        machine = current.machine
        if machine is None:
            return
        try:
            machine.receive_eof()
        except RemoteProtocolError as exc:
            raise RemoteProtocolError(
                f"exchange of record {current.number}: {exc}", error_hint="trace"
            ) from None
        for event in machine.events():
            if isinstance(event, APIError):
                errors.append(error_summary(event))
            elif isinstance(event, TranscriptionResult):
                turns.append(_summary(event, current.request_id))

    for number, record in ticking(records, progress):
        op = record.get("op")
        if op == "request":
            if exchange is not None:
                close(exchange)
            exchange = _Exchange(str(record.get("url", "")), number)
            request_sent, divergence, fmt = _rebuild(record, number)
            exchange.response_format = fmt
            sent.append(request_sent)
            if divergence is not None:
                divergences.append(divergence)
        elif op == "response":
            exchange = exchange or _Exchange("", number)
            status = record.get("status")
            headers = record.get("headers")
            pairs = (
                [(str(k), str(v)) for k, v in headers.items()] if isinstance(headers, dict) else []
            )
            exchange.request_id = dict(pairs).get("x-request-id")
            machine = TranscriptionResponse(response_format=exchange.response_format)
            try:
                machine.receive_response_head(status if isinstance(status, int) else 0, pairs)
            except RemoteProtocolError as exc:
                raise RemoteProtocolError(f"record {number}: {exc}", error_hint="trace") from None
            exchange.machine = machine
        elif op == "recv_bytes":
            try:
                data = base64.b64decode(str(record.get("b64", "")), validate=True)
            except (binascii.Error, ValueError):
                raise RemoteProtocolError(
                    f"record {number}: recv_bytes is not base64", error_hint="trace"
                ) from None
            if exchange is None or exchange.machine is None:  # hand-written: no head
                exchange = exchange or _Exchange("", number)
                exchange.machine = TranscriptionResponse(response_format=exchange.response_format)
                exchange.machine.receive_response_head(*sniffed_head(data))
            try:
                exchange.machine.receive_data(data)
            except RemoteProtocolError as exc:
                raise RemoteProtocolError(f"record {number}: {exc}", error_hint="trace") from None
        elif op == "eof" and exchange is not None:
            close(exchange)
            exchange = None
    if exchange is not None:
        close(exchange)
    return turns, errors, sent, divergences

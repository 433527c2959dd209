"""A small, strict ``multipart/form-data`` parser (RFC 7578 / RFC 2046), bounded by its input.

What: `parse_multipart(body, content_type)` returns the parts in order (name, filename,
content type, bytes). Why strict: the emulator must refuse malformed uploads with a 400 the
way the real API does, and trace replay must read back exactly what the builder in
`transcription_request` wrote. Anything off (no boundary parameter, a missing delimiter, a
part without ``Content-Disposition: form-data; name=...``, a header line without a colon,
no closing ``--boundary--``) raises `MultipartError` (a `ValueError`).

A preamble before the first delimiter and an epilogue after the last are ignored, as
RFC 2046 says. Header names are case-insensitive; values are UTF-8.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

__all__ = ["MultipartError", "Part", "boundary_of", "parse_multipart"]

_PARAM_RE: Final = re.compile(r';\s*([A-Za-z0-9_*.-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;\s]*)')
_MAX_PARTS: Final = 1000
"""More form fields than any transcription request has; bounds work on hostile input."""


class MultipartError(ValueError):
    """The body is not valid ``multipart/form-data``."""


@dataclass(frozen=True)
class Part:
    """One form part: `filename`/`content_type` are ``None`` for plain fields."""

    name: str
    data: bytes
    filename: str | None = None
    content_type: str | None = None

    def text(self) -> str:
        """The value as text (UTF-8); `MultipartError` when it is not."""
        try:
            return self.data.decode("utf-8")
        except UnicodeDecodeError:
            raise MultipartError(f"form field {self.name!r} is not UTF-8") from None


def _params(value: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, raw in _PARAM_RE.findall(value):
        if raw.startswith('"'):
            raw = re.sub(r"\\(.)", r"\1", raw[1:-1])
        out[key.lower()] = raw
    return out


def boundary_of(content_type: str) -> str:
    """The ``boundary`` parameter of a ``multipart/form-data`` content type."""
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind != "multipart/form-data":
        raise MultipartError(f"content type is {kind or '(none)'!r}, not multipart/form-data")
    boundary = _params(content_type).get("boundary", "")
    if not 1 <= len(boundary) <= 70:
        raise MultipartError("multipart/form-data needs a boundary parameter of 1-70 characters")
    return boundary


def _part(raw: bytes) -> Part:
    head, sep, data = raw.partition(b"\r\n\r\n")
    if not sep:
        if raw.startswith(b"\r\n"):  # no headers at all: an empty header block
            raise MultipartError("a part has no Content-Disposition header")
        raise MultipartError("a part's headers do not end with a blank line")
    headers: dict[str, str] = {}
    for line in head.split(b"\r\n") if head else []:
        name, colon, value = line.partition(b":")
        if not colon or not name.strip():
            raise MultipartError(f"bad part header line {line[:60]!r}")
        try:
            headers[name.strip().lower().decode("ascii")] = value.strip().decode("utf-8")
        except UnicodeDecodeError:
            raise MultipartError("a part header is not UTF-8") from None
    disposition = headers.get("content-disposition", "")
    if disposition.split(";", 1)[0].strip().lower() != "form-data":
        raise MultipartError("a part has no 'Content-Disposition: form-data' header")
    params = _params(disposition)
    if "name" not in params:
        raise MultipartError("a part's Content-Disposition has no name")
    return Part(
        name=params["name"],
        data=data,
        filename=params.get("filename"),
        content_type=headers.get("content-type"),
    )


def parse_multipart(body: bytes, content_type: str) -> list[Part]:
    """The parts of `body`, in order; `MultipartError` when it is malformed."""
    delimiter = b"--" + boundary_of(content_type).encode("utf-8")
    if body.startswith(delimiter):
        rest = body[len(delimiter) :]
    else:
        at = body.find(b"\r\n" + delimiter)
        if at < 0:
            raise MultipartError("the body does not contain the boundary delimiter")
        rest = body[at + 2 + len(delimiter) :]
    parts: list[Part] = []
    separator = b"\r\n" + delimiter
    while True:
        if rest.startswith(b"--"):
            return parts  # close delimiter; anything after it is the epilogue
        if not rest.startswith(b"\r\n"):
            raise MultipartError("a boundary delimiter is not followed by a line break")
        end = rest.find(separator, 2)
        if end < 0:
            raise MultipartError("the body ends without the closing boundary")
        parts.append(_part(rest[2:end]))
        if len(parts) > _MAX_PARTS:
            raise MultipartError(f"more than {_MAX_PARTS} parts")
        rest = rest[end + len(separator) :]

"""Routing, auth, faults and state of the emulator, from a parsed HTTP request to a `Reply` (pure).

What: `Router.handle(method, target, headers, body)` records the request, routes it
(``/v1/responses``, ``/v1/chat/completions`` and the Azure shapes), checks auth, applies the
fault knobs (config plus ``x-emulator-fault`` header), validates the body, runs the script and
returns a `Reply`: status, headers (always ``x-request-id`` and ``openai-processing-ms``), and
either a JSON body or the SSE frames to stream one HTTP chunk each. It also remembers stored
responses for ``previous_response_id``.
`handle_upgrade()` answers a WebSocket upgrade (``GET /v1/responses`` or ``GET /v1/realtime``):
a refusal `Reply` (401, 426, fault status, ...) or a `WsAccept` with the 101 headers, the
connection's config and which engine serves it.
Why: keeping all decisions here (no sockets, no clock) makes them unit-testable and keeps
`server.py` to byte shuffling.
Next: `server.Emulator` feeds each h11 request to `handle()` (or `handle_upgrade()`) and
transmits the `Reply` (or runs `ws.serve_websocket`).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import msgspec
from wsproto.utilities import generate_accept_token

from . import chat_script, responses_script
from .errors import ApiError, default_error
from .faults import FAULT_HEADER, EmulatorConfig, ratelimit_headers, with_fault_header
from .ids import IdSource, processing_ms, request_id
from .transcription_http import handle_transcription

__all__ = ["REDACTED", "RecordedRequest", "RecordedWebSocket", "Reply", "Router", "WsAccept"]

REDACTED = "<redacted>"
"""Replaces the value of secret headers in `RecordedRequest.headers`."""

_SECRET_HEADERS = frozenset(
    {"authorization", "api-key", "proxy-authorization", "cookie", "x-api-key"}
)
_RESPONSES_PATHS = {
    "/v1/responses": False,
    "/openai/v1/responses": False,
    "/openai/responses": True,
}
_CHAT_PATHS = {"/v1/chat/completions": False, "/openai/v1/chat/completions": False}
_REALTIME_PATHS = frozenset({"/v1/realtime", "/openai/v1/realtime"})
_KEY_PROTOCOL = "openai-insecure-api-key."
DEFAULT_REALTIME_MODEL = "gpt-realtime"
_DEPLOYMENT_CHAT = re.compile(r"^/openai/deployments/([^/]+)/chat/completions$")
_DEPLOYMENT_TRANSCRIPTION = re.compile(r"^/openai/deployments/([^/]+)/audio/transcriptions$")
_DEPLOYMENT_SPEECH = re.compile(r"^/openai/deployments/([^/]+)/audio/speech$")
_BAD_JSON = (
    "We could not parse the JSON body of your request. (HINT: This likely means you aren't "
    "using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was "
    "sent was not valid JSON.)"
)
_NO_KEY = (
    "You didn't provide an API key. You need to provide your API key in an Authorization "
    "header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the api-key header."
)


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the emulator received it; secret header values are `REDACTED`.

    `headers` has lower-case names (repeated headers joined with ``", "``); `body` is the
    parsed JSON body, or None when the body was empty or not JSON.
    """

    method: str
    path: str
    query: str
    headers: Mapping[str, str]
    body: Any


@dataclass(frozen=True)
class RecordedWebSocket:
    """One accepted Responses WebSocket: its upgrade request and every frame it received.

    `headers` as in `RecordedRequest` (secrets `REDACTED`); `frames` in arrival order, each
    the parsed JSON object (values of secret-looking keys redacted), or the text itself when
    it was not JSON (``b"<binary>"`` for a binary message).
    """

    path: str
    query: str
    headers: Mapping[str, str]
    frames: list[Any] = field(default_factory=list)


@dataclass(frozen=True)
class WsAccept:
    """An accepted upgrade: the 101's `headers`, the connection's `config`, its record.

    `kind` is ``responses`` or ``realtime``; for realtime, `model` (query ``model``), `serial`
    (1 for the emulator's first realtime connection) and `beta` (an ``OpenAI-Beta`` header or
    an ``openai-beta.*`` subprotocol was sent: the engine refuses the session).
    """

    headers: tuple[tuple[str, str], ...]
    config: EmulatorConfig
    recorded: RecordedWebSocket
    kind: str = "responses"
    model: str = ""
    serial: int = 0
    beta: bool = False


@dataclass(frozen=True)
class Reply:
    """What to send back: `body` (JSON, Content-Length) or `frames` (SSE, one chunk each).

    `drop_after`: close the connection after that many frames, mid-body (streams), or
    without any response (`frames` None). `delay_s`: sleep between frames / before a body.
    `first_delay_s`: sleep between the response head and the first frame (time to first
    byte of a stream), independent of the pacing `delay_s` sets.
    """

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes = b""
    frames: tuple[bytes, ...] | None = None
    drop_after: int | None = None
    delay_s: float = 0.0
    first_delay_s: float = 0.0


def _route(path: str) -> tuple[str, str | None, bool] | None:
    """(kind, Azure deployment, api-version required) for a path, or None (404)."""
    path = path.rstrip("/") or "/"
    if path in _RESPONSES_PATHS:
        return "responses", None, _RESPONSES_PATHS[path]
    if path in _CHAT_PATHS:
        return "chat", None, _CHAT_PATHS[path]
    match = _DEPLOYMENT_CHAT.match(path)
    if match:
        return "chat", match.group(1), True
    if path in ("/v1/audio/transcriptions", "/openai/v1/audio/transcriptions"):
        return "transcription", None, False
    match = _DEPLOYMENT_TRANSCRIPTION.match(path)
    if match:
        return "transcription", match.group(1), True
    if path in ("/v1/audio/speech", "/openai/v1/audio/speech"):
        return "speech", None, False
    match = _DEPLOYMENT_SPEECH.match(path)
    if match:
        return "speech", match.group(1), True
    return None


def _authorized(headers: Mapping[str, str]) -> bool:
    auth = headers.get("authorization", "")
    scheme, _, token = auth.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return True
    return bool(headers.get("api-key", "").strip())


def sse_frame(event: dict[str, Any]) -> bytes:
    """A Responses SSE frame: ``event: <type>\\ndata: <json>\\n\\n``."""
    return b"event: " + str(event["type"]).encode() + b"\ndata: " + _encode(event) + b"\n\n"


def data_frame(payload: bytes) -> bytes:
    """A Chat SSE frame: ``data: <payload>\\n\\n``."""
    return b"data: " + payload + b"\n\n"


def _encode(obj: Any) -> bytes:
    return msgspec.json.encode(obj)


class Router:
    """Per-emulator state (recorded requests, stored responses, counters) and dispatch."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self.requests: list[RecordedRequest] = []
        """Every request received, in arrival order."""
        self.websockets: list[RecordedWebSocket] = []
        """Every accepted Responses WebSocket connection, in order of acceptance."""
        self.realtime_sockets: list[RecordedWebSocket] = []
        """Every accepted Realtime WebSocket connection, in order of acceptance."""
        self._chains: dict[str, responses_script.ChainRecord] = {}
        self._counter = 0
        self._turn = 0

    def _base_headers(self) -> list[tuple[str, str]]:
        self._counter += 1
        return [
            ("x-request-id", request_id(self.config.seed, self._counter)),
            ("openai-processing-ms", processing_ms(self.config.seed, self._counter)),
            ("openai-version", "2020-10-01"),
        ]

    def error_reply(self, error: ApiError, *, close: bool = False) -> Reply:
        """Render an `ApiError` as a JSON reply (also used by the server for HTTP errors)."""
        headers = self._base_headers()
        headers += error.headers
        if close:
            headers.append(("connection", "close"))
        return _json_reply(error.status, headers, error.payload())

    def handle(
        self, method: str, target: str, headers: Sequence[tuple[str, str]], body: bytes
    ) -> Reply:
        """Answer one complete HTTP request (headers lower-case, body fully read)."""
        path, _, query = target.partition("?")
        merged = _merge_headers(headers)
        try:
            parsed: Any = msgspec.json.decode(body) if body else None
            bad_json = False
        except msgspec.DecodeError:
            parsed, bad_json = None, True
        self.requests.append(RecordedRequest(method, path, query, _redact(merged), parsed))
        try:
            return self._dispatch(method, path, query, merged, body, parsed, bad_json)
        except ApiError as error:
            return self.error_reply(error)

    def handle_upgrade(
        self, method: str, target: str, headers: Sequence[tuple[str, str]]
    ) -> Reply | WsAccept:
        """Answer a request asking to upgrade to WebSocket (recorded like any request).

        ``GET`` on a Responses path with a valid handshake, auth and no refusing fault knob is
        accepted; a refusal closes the connection. Other paths/methods answer as `handle()`.
        """
        path, _, query = target.partition("?")
        merged = _merge_headers(headers)
        redacted = _redact(merged)
        self.requests.append(RecordedRequest(method, path, query, redacted, None))
        if method == "GET" and (path.rstrip("/") or "/") in _REALTIME_PATHS:
            return self._realtime_upgrade(path, query, merged, redacted)
        try:
            route = _route(path)
            if method != "GET" or route is None or route[0] != "responses":
                return self._dispatch(method, path, query, merged, b"", None, False)
            if route[2] and not parse_qs(query).get("api-version"):
                raise ApiError(
                    400,
                    "Missing required query parameter: 'api-version'.",
                    param="api-version",
                    code="missing_required_parameter",
                )
            key = _handshake_key(merged)
            if not _authorized(merged):
                raise ApiError(401, _NO_KEY, code="invalid_api_key")
            config = with_fault_header(self.config, merged.get(FAULT_HEADER))
            if config.http_status is not None:
                error = default_error(config.http_status, config.error_code)
                if config.http_status == 429:
                    error.headers = ratelimit_headers(exhausted=True)
                raise error
        except ApiError as error:
            return self.error_reply(error, close=True)
        recorded = RecordedWebSocket(path, query, redacted)
        self.websockets.append(recorded)
        accept = generate_accept_token(key.encode("ascii")).decode("ascii")
        head = [
            ("upgrade", "websocket"),
            ("connection", "Upgrade"),
            ("sec-websocket-accept", accept),
            *self._base_headers(),
            *ratelimit_headers(exhausted=False),
        ]
        return WsAccept(tuple(head), config, recorded)

    def _realtime_upgrade(
        self, path: str, query: str, headers: Mapping[str, str], redacted: Mapping[str, str]
    ) -> Reply | WsAccept:
        """Accept or refuse a ``/v1/realtime`` upgrade (auth also by subprotocol key)."""
        offered = [p.strip() for p in headers.get("sec-websocket-protocol", "").split(",")]
        try:
            key = _handshake_key(headers)
            sub_key = next(
                (p[len(_KEY_PROTOCOL) :] for p in offered if p.startswith(_KEY_PROTOCOL)), ""
            )
            if not (_authorized(headers) or sub_key.strip()):
                raise ApiError(401, _NO_KEY, code="invalid_api_key")
            params = parse_qs(query)
            intent = params["intent"][0] if params.get("intent") else None
            if params.get("call_id") or intent not in (None, "transcription"):
                raise ApiError(
                    400,
                    "The emulator serves Realtime conversation sessions (?model=...) and "
                    "transcription sessions (?intent=transcription); 'call_id' and other "
                    "intents are not emulated.",
                    param="call_id" if params.get("call_id") else "intent",
                    code="invalid_value",
                )
            if intent and params.get("model"):
                raise ApiError(
                    400,
                    "intent=transcription opens a transcription session and takes no model.",
                    param="model",
                    code="invalid_value",
                )
            model = (params.get("model") or [DEFAULT_REALTIME_MODEL])[0]
            config = with_fault_header(self.config, headers.get(FAULT_HEADER))
            if config.http_status is not None:
                error = default_error(config.http_status, config.error_code)
                if config.http_status == 429:
                    error.headers = ratelimit_headers(exhausted=True)
                raise error
        except ApiError as error:
            return self.error_reply(error, close=True)
        recorded = RecordedWebSocket(path, query, redacted)
        self.realtime_sockets.append(recorded)
        accept = generate_accept_token(key.encode("ascii")).decode("ascii")
        head = [
            ("upgrade", "websocket"),
            ("connection", "Upgrade"),
            ("sec-websocket-accept", accept),
            *self._base_headers(),
        ]
        if "realtime" in offered:
            head.append(("sec-websocket-protocol", "realtime"))
        beta = "openai-beta" in headers or any(p.startswith("openai-beta.") for p in offered)
        return WsAccept(
            tuple(head),
            config,
            recorded,
            kind="transcription" if intent else "realtime",
            model="" if intent else model,
            serial=len(self.realtime_sockets),
            beta=beta,
        )

    def next_ids(self, raw: bytes) -> IdSource:
        """Ids of the next scripted turn (WebSocket responses share the turn counter)."""
        return self._ids(raw)

    def stored(self, response_id: str) -> responses_script.ChainRecord | None:
        """The stored (``store`` not false) response `response_id`, if remembered."""
        return self._chains.get(response_id)

    def store(self, response_id: str, record: responses_script.ChainRecord) -> None:
        """Remember a stored response (from a WebSocket connection) emulator-wide."""
        self._chains[response_id] = record

    def _dispatch(
        self,
        method: str,
        path: str,
        query: str,
        headers: Mapping[str, str],
        raw: bytes,
        body: Any,
        bad_json: bool,
    ) -> Reply:
        route = _route(path)
        if route is None:
            raise ApiError(404, f"Invalid URL ({method} {path})")
        kind, deployment, needs_version = route
        if method != "POST":
            raise ApiError(
                405,
                f"Method {method} is not allowed for {path}; use POST.",
                headers=(("allow", "POST"),),
            )
        if needs_version and not parse_qs(query).get("api-version"):
            raise ApiError(
                400,
                "Missing required query parameter: 'api-version'.",
                param="api-version",
                code="missing_required_parameter",
            )
        if not _authorized(headers):
            raise ApiError(401, _NO_KEY, code="invalid_api_key")
        config = with_fault_header(self.config, headers.get(FAULT_HEADER))
        if config.http_status is not None:
            error = default_error(config.http_status, config.error_code)
            if config.http_status == 429:
                error.headers = ratelimit_headers(exhausted=True)
            raise error
        if kind == "transcription":  # multipart, not JSON
            return handle_transcription(self, raw, headers, config, deployment)
        if bad_json:
            raise ApiError(400, _BAD_JSON)
        if kind == "speech":
            from .speech import speech_reply  # here: emulator.speech imports Reply from here

            return speech_reply(body, deployment, config, self._base_headers)
        if kind == "chat":
            return self._chat(
                chat_script.parse_request(body, default_model=deployment), raw, config
            )
        return self._responses(responses_script.parse_request(body), raw, config)

    def _preflight(self, stream: bool, config: EmulatorConfig) -> Reply | None:
        """Faults that pre-empt a non-streamed body: an injected error or a dropped connection."""
        if stream:
            return None
        if config.inject_error_after is not None:
            raise default_error(500, config.error_code)
        if config.drop_after_events is not None:
            return Reply(0, (), drop_after=0)
        return None

    def _ids(self, raw: bytes) -> IdSource:
        self._turn += 1
        return IdSource(self.config.seed, self._turn, raw)

    def _responses(
        self, req: responses_script.ResponsesRequest, raw: bytes, config: EmulatorConfig
    ) -> Reply:
        prior = None
        if req.previous_response_id is not None:
            prior = None if config.forget_chains else self._chains.get(req.previous_response_id)
            if prior is None:
                raise ApiError(
                    400,
                    f"Previous response with id '{req.previous_response_id}' not found.",
                    param="previous_response_id",
                    code="previous_response_not_found",
                )
        early = self._preflight(req.stream, config)
        if early is not None:
            return early
        result = responses_script.script(req, prior, self._ids(raw), config)
        if result.record is not None and req.store:
            self._chains[result.response_id] = result.record
        headers = self._base_headers() + list(ratelimit_headers(exhausted=False))
        if not req.stream:
            return _json_reply(200, headers, result.final, config.delay_s)
        frames = tuple(sse_frame(event) for event in result.events)
        return _stream_reply(headers, frames, config)

    def _chat(self, req: chat_script.ChatRequest, raw: bytes, config: EmulatorConfig) -> Reply:
        early = self._preflight(req.stream, config)
        if early is not None:
            return early
        result = chat_script.script(req, self._ids(raw), config)
        headers = self._base_headers() + list(ratelimit_headers(exhausted=False))
        if not req.stream:
            return _json_reply(200, headers, result.final, config.delay_s)
        frames = [data_frame(_encode(chunk)) for chunk in result.chunks]
        if result.done:
            frames.append(data_frame(b"[DONE]"))
        return _stream_reply(headers, tuple(frames), config)


def _merge_headers(headers: Sequence[tuple[str, str]]) -> dict[str, str]:
    """Lower-case names; repeated headers joined with ``", "``."""
    merged: dict[str, str] = {}
    for name, value in headers:
        name = name.lower()
        merged[name] = f"{merged[name]}, {value}" if name in merged else value
    return merged


def _redact(headers: Mapping[str, str]) -> dict[str, str]:
    out = {k: (REDACTED if k in _SECRET_HEADERS else v) for k, v in headers.items()}
    if _KEY_PROTOCOL in out.get("sec-websocket-protocol", ""):
        out["sec-websocket-protocol"] = ", ".join(
            _KEY_PROTOCOL + REDACTED if p.strip().startswith(_KEY_PROTOCOL) else p.strip()
            for p in out["sec-websocket-protocol"].split(",")
        )
    return out


def _handshake_key(headers: Mapping[str, str]) -> str:
    """The validated ``Sec-WebSocket-Key``; `ApiError` 426/400 for a bad handshake."""
    if headers.get("sec-websocket-version", "").strip() != "13":
        raise ApiError(
            426,
            "Unsupported WebSocket version: send 'Sec-WebSocket-Version: 13'.",
            headers=(("sec-websocket-version", "13"),),
        )
    key = headers.get("sec-websocket-key", "").strip()
    try:
        valid = len(base64.b64decode(key, validate=True)) == 16
    except (binascii.Error, ValueError):
        valid = False
    if not valid:
        raise ApiError(400, "Missing or invalid 'Sec-WebSocket-Key' header.")
    return key


def _json_reply(
    status: int, headers: list[tuple[str, str]], payload: Any, delay_s: float = 0.0
) -> Reply:
    body = _encode(payload)
    head = [("content-type", "application/json"), ("content-length", str(len(body))), *headers]
    return Reply(status, tuple(head), body=body, delay_s=delay_s)


def _stream_reply(
    headers: list[tuple[str, str]], frames: tuple[bytes, ...], config: EmulatorConfig
) -> Reply:
    head = [
        ("content-type", "text/event-stream; charset=utf-8"),
        ("cache-control", "no-cache"),
        ("transfer-encoding", "chunked"),
        *headers,
    ]
    return Reply(
        200,
        tuple(head),
        frames=frames,
        drop_after=config.drop_after_events,
        delay_s=config.delay_s,
    )

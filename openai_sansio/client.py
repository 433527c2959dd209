"""The high-level async API: ``async with Client(...) as client`` on asyncio or trio.

    async with openai_sansio.Client() as client:
        async with client.responses.stream(model="gpt-5.5", input="Hi") as stream:
            async for event in stream:
                ...                                  # typed events as they arrive
        print(stream.result.text)                    # the assembled ResponseResult

        async with client.chat.stream(model="gpt-4o-mini", messages=[...]) as stream:
            result = await stream.until_done()       # ChatResult

Everything the wire says is decided by the pure machines (`ResponseStream`, `ChatStream`)
and builders (`protocol.requests`); this module only moves bytes between them and the
`HTTPTransport`. Leaving a ``stream`` block early closes that connection (the only way to
cancel a synchronous response), so nothing of it leaks into the next request.
An HTTP error status raises `APIStatusError` with the typed `APIError`.
"""

from __future__ import annotations

import os
import random
import ssl
from collections.abc import Callable, Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any

import anyio

from ._event_stream import EventStream
from ._tracing import TraceArg, as_recorder
from .protocol.chat import ChatEnd, ChatResult, ChatStream
from .protocol.requests import (
    ClientConfig,
    GenerationParams,
    HTTPRequest,
    build_chat_request,
    build_responses_request,
)
from .protocol.responses import ResponseEnd, ResponseResult, ResponseStream
from .protocol.trace import TraceRecorder
from .protocol.trace_ws import params_record
from .speech_client import SpeechResource
from .transcription_client import TranscriptionResource
from .transports.http import HTTPResponse, HTTPTransport

if TYPE_CHECKING:
    from .conversation import ResponsesConnection
    from .protocol.realtime_config import RealtimeConfig
    from .realtime_client import RealtimeConnection

__all__ = ["ChatResource", "Client", "EventStream", "RealtimeResource", "ResponsesResource"]


class ResponsesResource:
    """``client.responses``: the Responses API over HTTP/SSE (`stream`, `create`) and over
    the WebSocket mode (`connect`)."""

    def __init__(self, client: Client) -> None:
        self._client = client

    def stream(
        self,
        *,
        input: str | Sequence[Mapping[str, Any]],
        model: str,
        previous_response_id: str | None = None,
        trace: TraceArg = None,
        **options: Any,
    ) -> EventStream[ResponseResult]:
        """Stream one response. `options` are `GenerationParams` fields (tools, tool_choice,
        temperature, instructions, max_output_tokens, reasoning_effort, ...); `trace` records
        this exchange (a `TraceRecorder` or a ``write(line)`` callable, ``api="responses"``)."""
        params = GenerationParams(model=model, **options)
        request = build_responses_request(
            self._client.config, params, input, previous_response_id=previous_response_id
        )
        recorder = as_recorder(trace, api="responses", config={"model": model})
        return EventStream(self._client, request, ResponseStream(), ResponseEnd, recorder)

    def connect(
        self,
        *,
        model: str,
        store: bool | None = None,
        replay_unsafe: bool = False,
        wss_url: str | None = None,
        trace: TraceRecorder | Callable[[bytes], None] | None = None,
        reconnect_attempts: int = 5,
        backoff_base: float = 0.25,
        backoff_cap: float = 8.0,
        jitter: Callable[[], float] | None = None,
        rotate_after_s: float = 55 * 60.0,
        transport_options: Mapping[str, Any] | None = None,
        **options: Any,
    ) -> ResponsesConnection:
        """A conversation over the Responses WebSocket mode (``async with``; see
        `conversation.ResponsesConnection`). `options` are the `GenerationParams` defaults of
        every turn (tools, instructions, ...); `store` is the API's (``False`` keeps only the
        latest response of each lane, on this socket); `replay_unsafe=True` resends a request
        that may already have run after its socket closed; `wss_url` overrides the URL;
        `trace` is a `TraceRecorder` (``api="responses-ws"``) or a ``write(line)`` callable
        for one; reconnects wait ``backoff_base * 2**i`` (capped, `jitter()` in [0, 1]
        spreading them); the socket is replaced at a turn boundary after `rotate_after_s`;
        `transport_options` go to `WebSocketTransport.connect` (timeouts, ping...)."""
        from .conversation import ResponsesConnection

        params = GenerationParams(model=model, store=store, **options)
        recorder = as_recorder(
            trace,
            api="responses-ws",
            config={"params": params_record(params), "socket": {"replay_unsafe": replay_unsafe}},
        )
        client = self._client
        return ResponsesConnection(
            client,
            params,
            url=wss_url,
            replay_unsafe=replay_unsafe,
            reconnect_attempts=reconnect_attempts,
            backoff_base=backoff_base,
            backoff_cap=backoff_cap,
            rotate_after_s=rotate_after_s,
            trace=recorder,
            jitter=jitter or random.random,
            **{**client.socket_options(), **dict(transport_options or {})},
        )

    async def create(
        self,
        *,
        input: str | Sequence[Mapping[str, Any]],
        model: str,
        previous_response_id: str | None = None,
        **options: Any,
    ) -> ResponseResult:
        """Stream one response to its end and return the `ResponseResult`."""
        async with self.stream(
            input=input, model=model, previous_response_id=previous_response_id, **options
        ) as stream:
            return await stream.until_done()


class ChatResource:
    """``client.chat``: Chat Completions streaming."""

    def __init__(self, client: Client) -> None:
        self._client = client

    def stream(
        self,
        *,
        messages: Sequence[Mapping[str, Any]],
        model: str,
        n: int | None = None,
        logprobs: bool | None = None,
        top_logprobs: int | None = None,
        trace: TraceArg = None,
        **options: Any,
    ) -> EventStream[ChatResult]:
        """Stream one chat completion. `options` are `GenerationParams` fields; `trace`
        records this exchange (``api="chat"``)."""
        params = GenerationParams(model=model, **options)
        request = build_chat_request(
            self._client.config,
            params,
            messages,
            n=n,
            logprobs=logprobs,
            top_logprobs=top_logprobs,
        )
        recorder = as_recorder(trace, api="chat", config={"model": model})
        return EventStream(self._client, request, ChatStream(), ChatEnd, recorder)

    async def create(
        self, *, messages: Sequence[Mapping[str, Any]], model: str, **options: Any
    ) -> ChatResult:
        """Stream one chat completion to its end and return the `ChatResult`."""
        async with self.stream(messages=messages, model=model, **options) as stream:
            return await stream.until_done()


class RealtimeResource:
    """``client.realtime``: Realtime (GA) voice sessions over WebSocket."""

    def __init__(self, client: Client) -> None:
        self._client = client

    def connect(
        self,
        *,
        model: str,
        config: RealtimeConfig | None = None,
        tools: Sequence[Any] = (),
        trace: TraceRecorder | Callable[[bytes], None] | None = None,
        **options: Any,
    ) -> RealtimeConnection:
        """A voice session (``async with``; see `realtime_client.RealtimeConnection`):
        `config` is the `RealtimeConfig`; `tools` plain callables (or `tools.tool` objects)
        run off the receive path; `options`: input/output rates and channels, frame_ms,
        url, tool_timeout, reconnect and rollover settings, transport options."""
        from .realtime_client import RealtimeConnection

        recorder = as_recorder(trace, api="realtime", config={"model": model})
        return RealtimeConnection(
            self._client, model=model, config=config, tools=tools, trace=recorder, **options
        )


class Client:
    """Entry point of the async API. Use ``async with Client(...) as client``.

    Credentials and settings come from the arguments, then the environment
    (``OPENAI_API_KEY``, ``OPENAI_ORG_ID``, ``OPENAI_PROJECT_ID``, ``OPENAI_BASE_URL``); a
    missing key raises `MissingCredentialsError` here, before any connection. Use
    `Client.azure(...)` for Azure OpenAI. `trace` records every exchange (secrets redacted).
    """

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        organization: str | None = None,
        project: str | None = None,
        config: ClientConfig | None = None,
        env: Mapping[str, str] | None = None,
        allow_insecure_http: bool = False,
        ssl_context: ssl.SSLContext | None = None,
        max_connections: int = 16,
        trace: TraceRecorder | None = None,
        **config_options: Any,
    ) -> None:
        if config is None:
            config = ClientConfig.from_env(
                os.environ if env is None else env,
                api_key=api_key,
                base_url=base_url,
                organization=organization,
                project=project,
                **config_options,
            )
        self.config = config
        self.allow_insecure = allow_insecure_http
        """Plain http:// and ws:// to non-loopback hosts are allowed (off by default)."""
        self.ssl_context = ssl_context
        self._recorder = trace
        self._t0: float | None = None
        timeouts = config.timeouts
        self.transport = HTTPTransport(
            connect_timeout=timeouts.connect,
            read_timeout=timeouts.read,
            write_timeout=timeouts.write,
            pool_timeout=timeouts.pool,
            max_connections=max_connections,
            allow_insecure_http=allow_insecure_http,
            ssl_context=ssl_context,
            trace=self._trace if trace is not None else None,
        )
        self.responses = ResponsesResource(self)
        self.chat = ChatResource(self)
        self.realtime = RealtimeResource(self)
        self.speech = SpeechResource(self)
        self.transcription = TranscriptionResource(self)

    @classmethod
    def azure(
        cls,
        *,
        env: Mapping[str, str] | None = None,
        allow_insecure_http: bool = False,
        ssl_context: ssl.SSLContext | None = None,
        trace: TraceRecorder | None = None,
        **azure_options: Any,
    ) -> Client:
        """A client for Azure OpenAI; `azure_options` are `ClientConfig.azure` arguments
        (azure_endpoint, azure_deployment, api_version, api_key, azure_ad_token, ...)."""
        config = ClientConfig.azure(os.environ if env is None else env, **azure_options)
        return cls(
            config=config,
            allow_insecure_http=allow_insecure_http,
            ssl_context=ssl_context,
            trace=trace,
        )

    def _trace(self, op: str, fields: dict[str, Any]) -> None:
        recorder = self._recorder
        if recorder is None:
            return
        now = anyio.current_time()
        if self._t0 is None:
            self._t0 = now
        t = now - self._t0
        if op == "request":
            recorder.request(
                t,
                method=fields["method"],
                url=fields["url"],
                headers=fields["headers"],
                body=fields["body"],
            )
        elif op == "response":
            recorder.response(t, status=fields["status"], headers=fields["headers"])
        elif op == "recv_bytes":
            recorder.recv_bytes(t, fields["data"])
        elif op == "eof":
            recorder.eof(t)

    def socket_options(self) -> dict[str, Any]:
        """The client's TLS context and plain ``ws://`` policy as `WebSocketTransport.connect`
        options: every WebSocket connection of this client (Responses, Realtime,
        transcription) starts from them, as its HTTP requests do."""
        options: dict[str, Any] = {"allow_insecure": self.allow_insecure}
        if self.ssl_context is not None:
            options["ssl_context"] = self.ssl_context
        return options

    async def _send(self, request: HTTPRequest) -> HTTPResponse:
        return await self.transport.send(
            method=request.method,
            scheme=request.scheme,
            host=request.host,
            port=request.port,
            target=request.target,
            headers=list(request.headers),
            body=request.body,
            trace_headers=list(request.headers),
            url=request.url,
        )

    async def aclose(self) -> None:
        """Close pooled connections."""
        await self.transport.aclose()

    async def __aenter__(self) -> Client:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

"""Pure HTTP request descriptions for the OpenAI (and Azure OpenAI) streaming endpoints.

Nothing here opens a socket or reads the environment: a builder takes a `ClientConfig` (where
and as whom) and a `GenerationParams` (what to ask for) and returns an `HTTPRequest` (method,
URL split into what a transport needs, headers, body bytes). Environment fallbacks take the
environment as an argument, so the caller passes ``os.environ`` and tests pass a dict.

Typical use::

    config = ClientConfig.from_env(os.environ)            # MissingCredentialsError if no key
    params = GenerationParams(model="gpt-5-mini", reasoning_effort="low")
    req = build_responses_request(config, params, [user_message("hi")])
    for d in req.dropped_params: log.warning("not sent: %s (%s)", d.name, d.reason)
    # transport: connect to (req.scheme, req.host, req.port), send req.target/headers/body,
    # then feed the response body to a ResponseStream.

Secrets (API key, Azure AD token, sensitive extra headers) never appear in a ``repr``,
``str`` or exception message of anything defined here; use `HTTPRequest.redacted_headers`
and `HTTPRequest.redacted_url` for logs and traces.

Azure: `ClientConfig.azure` targets an Azure OpenAI resource. Chat goes to the deployment
path ``{endpoint}/openai/deployments/{deployment}/chat/completions?api-version=...`` when a
dated ``api_version`` is given; Responses goes to the v1 GA path ``{endpoint}/openai/v1/
responses`` (no ``api-version`` needed). A dated ``api_version`` (not ``"v1"``/``"preview"``)
selects the older ``{endpoint}/openai/responses?api-version=...``; ``"preview"`` keeps the v1
path with ``?api-version=preview``. Without an ``api_version`` chat also uses the v1 GA path
``{endpoint}/openai/v1/chat/completions``. On a v1 path Azure reads the deployment from the
body's ``model``, so the builders send the deployment name there.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal
from urllib.parse import quote

from ._client_config import (
    _AZURE_V1_VERSIONS,
    _HTTP,
    _URL,
    DEFAULT_BASE_URL,
    LIBRARY_VERSION,
    REDACTED,
    SENSITIVE_HEADERS,
    USER_AGENT,
    ClientConfig,
    Credentials,
    MissingCredentialsError,
    Timeouts,
    _fail,
    _merge_query,
    _parse_url,
    _q,
    _redact_url,
)
from ._request_items import (
    assistant_message,
    chat_assistant,
    chat_developer,
    chat_system,
    chat_tool_call,
    chat_tool_result,
    chat_user,
    developer_message,
    function_call_item,
    function_call_output,
    system_message,
    user_message,
)
from ._request_params import (
    DroppedParam,
    GenerationParams,
    ReasoningEffort,
    RequestBody,
    ToolSpec,
    Verbosity,
    chat_body,
    encode_json,
    function_tool,
    is_reasoning_model,
    responses_body,
)

__all__ = [
    "DEFAULT_BASE_URL",
    "LIBRARY_VERSION",
    "REDACTED",
    "SENSITIVE_HEADERS",
    "USER_AGENT",
    "ClientConfig",
    "Credentials",
    "DroppedParam",
    "GenerationParams",
    "HTTPRequest",
    "MissingCredentialsError",
    "ReasoningEffort",
    "RequestBody",
    "Timeouts",
    "ToolSpec",
    "Verbosity",
    "assistant_message",
    "base_headers",
    "build_chat_request",
    "build_responses_request",
    "chat_assistant",
    "chat_body",
    "chat_developer",
    "chat_system",
    "chat_tool_call",
    "chat_tool_result",
    "chat_user",
    "developer_message",
    "encode_json",
    "function_call_item",
    "function_call_output",
    "function_tool",
    "is_reasoning_model",
    "responses_body",
    "responses_ws_url",
    "system_message",
    "user_message",
]


def base_headers(config: ClientConfig) -> tuple[tuple[str, str], ...]:
    """User agent, auth, organization, project, then `config.extra_headers` (overriding).

    The headers every request and WebSocket handshake carries. OpenAI auth is
    ``authorization: Bearer <key>``; Azure is ``authorization: Bearer <AD token>`` when a token
    is set, else ``api-key: <key>``. Names are lower-case. Contains secrets: log
    `HTTPRequest.redacted_headers`, never this.
    """
    return _merge_headers([("user-agent", USER_AGENT), *_auth(config)], config)


def _auth(config: ClientConfig) -> list[tuple[str, str]]:
    creds = config.credentials
    out: list[tuple[str, str]] = []
    if config.is_azure and creds.azure_ad_token is not None:
        out.append(("authorization", f"Bearer {creds.azure_ad_token}"))
    elif config.is_azure and creds.api_key is not None:
        out.append(("api-key", creds.api_key))
    elif creds.api_key is not None:
        out.append(("authorization", f"Bearer {creds.api_key}"))
    if config.organization is not None:
        out.append(("openai-organization", config.organization))
    if config.project is not None:
        out.append(("openai-project", config.project))
    return out


def _merge_headers(
    defaults: Sequence[tuple[str, str]], config: ClientConfig
) -> tuple[tuple[str, str], ...]:
    extra = config.extra_headers
    kept = [(k, v) for k, v in defaults if k not in extra]
    return (*kept, *extra.items())


_DEFAULT_TIMEOUTS: Final = Timeouts()


@dataclass(frozen=True, slots=True, repr=False, kw_only=True)
class HTTPRequest:
    """One HTTP request, fully described: what a transport writes, nothing it must decide.

    `host`/`port`/`scheme` say where to connect (TLS for ``https``), `target` is the request
    line's path and query, `headers` are ready for h11 (``host`` first). `stream` says the
    response is ``text/event-stream``. `dropped_params` lists parameters that were set but not
    sent (see `GenerationParams`): warn about them. The ``repr`` shows no secret and no body.

    Next: the transport sends it and feeds the response body to a ResponseStream / ChatStream.
    """

    method: str
    url: str
    scheme: str
    host: str
    port: int
    target: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    stream: bool
    dropped_params: tuple[DroppedParam, ...] = ()
    timeouts: Timeouts = _DEFAULT_TIMEOUTS

    def header(self, name: str) -> str | None:
        """The last value of header `name` (case-insensitive), or ``None``."""
        lname = name.lower()
        found = None
        for key, value in self.headers:
            if key.lower() == lname:
                found = value
        return found

    def redacted_headers(self) -> tuple[tuple[str, str], ...]:
        """`headers` with secret values (authorization, api-key, ...) as ``'<redacted>'``."""
        return tuple(
            (k, REDACTED if k.lower() in SENSITIVE_HEADERS else v) for k, v in self.headers
        )

    def redacted_url(self) -> str:
        """`url` with secret-looking query values (key, token, sig...) as ``'<redacted>'``."""
        return _redact_url(self.url)

    def __repr__(self) -> str:
        return (
            f"HTTPRequest(method={self.method!r}, url={self.redacted_url()!r}, "
            f"headers={self.redacted_headers()!r}, body=<{len(self.body)} bytes>, "
            f"stream={self.stream!r}, dropped_params={self.dropped_params!r})"
        )

    __str__ = __repr__


def api_url(config: ClientConfig, path: str, *, what: str, deployment: bool = True) -> _URL:
    """The URL of the API at `path` (``"responses"``, ``"chat/completions"``,
    ``"audio/speech"``, ``"audio/transcriptions"``) for `config`, with the query merged (base,
    ``api-version``, `extra_query`). Every HTTP builder (here, `speech_request`,
    `transcription_request`) starts from it.

    OpenAI: ``{base_url}/{path}``. Azure: the v1 GA path ``{endpoint}/openai/v1/{path}``,
    unless a dated ``api_version`` selects the deployment path ``{endpoint}/openai/deployments/
    {deployment}/{path}`` (or, for an API without one, `deployment` false: ``{endpoint}/
    openai/{path}``). `what` names the API in the `LocalProtocolError` (``invalid_config``)
    for a dated version without ``azure_deployment``.

    Next: `_wire_model` for the body's ``model``, then `post_request`.
    """
    version = config.api_version if config.is_azure else None
    dated = version is not None and version not in _AZURE_V1_VERSIONS
    if config.azure_endpoint is not None:
        base = _parse_url(config.azure_endpoint, "azure_endpoint", _HTTP)
        if dated and deployment:
            if config.azure_deployment is None:
                raise _fail(
                    f"Azure {what} with api_version {version!r} needs azure_deployment "
                    "(or AZURE_OPENAI_DEPLOYMENT, or model=...)"
                )
            dep = quote(config.azure_deployment, safe="")
            full = f"{base.path}/openai/deployments/{dep}/{path}"
        elif dated:
            full = f"{base.path}/openai/{path}"
        else:
            full = f"{base.path}/openai/v1/{path}"
    else:
        base = _parse_url(config.base_url, "base_url", _HTTP)
        full = f"{base.path}/{path}"
    query: dict[str, str] = {}
    if version is not None and version != "v1":
        query["api-version"] = version
    query.update(config.extra_query)
    return base._replace(path=full, query=_merge_query(base.query, query))


def _endpoint(config: ClientConfig, api: Literal["responses", "chat"]) -> _URL:
    """The URL of `api` for `config` (see `api_url`)."""
    if api == "chat":
        return api_url(config, "chat/completions", what="chat")
    return api_url(config, "responses", what="responses", deployment=False)


def _wire_model(config: ClientConfig, url: _URL, model: str) -> str:
    """On Azure v1 paths the body's ``model`` names the deployment."""
    if config.is_azure and "/deployments/" not in url.path and config.azure_deployment:
        return config.azure_deployment
    return model


def post_request(
    config: ClientConfig,
    url: _URL,
    body: bytes,
    *,
    content_type: str,
    accept: str,
    stream: bool,
    dropped_params: tuple[DroppedParam, ...] = (),
) -> HTTPRequest:
    """``POST url`` with `body`: the one `HTTPRequest` assembly of every HTTP builder.

    Headers, in this order: ``host``, ``content-type`` (`content_type`), ``accept``
    (`accept`), ``user-agent``, the credentials, then `config.extra_headers` (overriding).
    `stream` says the answer is read as it arrives (SSE or a streamed body).
    """
    target = url.path + _q(url.query)
    defaults = [
        ("host", url.authority),
        ("content-type", content_type),
        ("accept", accept),
        ("user-agent", USER_AGENT),
        *_auth(config),
    ]
    return HTTPRequest(
        method="POST",
        url=f"{url.scheme}://{url.authority}{target}",
        scheme=url.scheme,
        host=url.host,
        port=url.port,
        target=target,
        headers=_merge_headers(defaults, config),
        body=body,
        stream=stream,
        dropped_params=dropped_params,
        timeouts=config.timeouts,
    )


def _request(config: ClientConfig, url: _URL, built: RequestBody, *, stream: bool) -> HTTPRequest:
    return post_request(
        config,
        url,
        encode_json(built.body),
        content_type="application/json",
        accept="text/event-stream" if stream else "application/json",
        stream=stream,
        dropped_params=built.dropped_params,
    )


def build_responses_request(
    config: ClientConfig,
    params: GenerationParams,
    input: str | Sequence[Mapping[str, Any]],
    *,
    previous_response_id: str | None = None,
    stream: bool = True,
    background: bool | None = None,
) -> HTTPRequest:
    """``POST {base_url}/responses`` for `params` and `input` (a str or input items).

    `input` items are dicts as the API defines them (`user_message`, `function_call_output`,
    or output items of an earlier response). With `previous_response_id` send only the new
    items. `background` is passed through when set (requires ``store=True`` server-side).

    Next: send it; feed the SSE body to a ResponseStream. Warn about `dropped_params`.
    """
    url = _endpoint(config, "responses")
    built = responses_body(
        params,
        input,
        previous_response_id=previous_response_id,
        stream=stream,
        model=_wire_model(config, url, params.model),
    )
    if background is not None:
        if not isinstance(background, bool):
            raise _fail("background must be a bool", "invalid_param")
        built.body["background"] = background
    return _request(config, url, built, stream=stream)


def build_chat_request(
    config: ClientConfig,
    params: GenerationParams,
    messages: Sequence[Mapping[str, Any]],
    *,
    stream: bool = True,
    n: int | None = None,
    logprobs: bool | None = None,
    top_logprobs: int | None = None,
) -> HTTPRequest:
    """``POST {base_url}/chat/completions`` for `params` and `messages` (``chat_*`` dicts).

    Streaming adds ``stream_options: {"include_usage": ...}`` so the last chunk carries usage.

    Next: send it; feed the SSE body to a ChatStream. Warn about `dropped_params`.
    """
    url = _endpoint(config, "chat")
    built = chat_body(
        params,
        messages,
        stream=stream,
        n=n,
        logprobs=logprobs,
        top_logprobs=top_logprobs,
        model=_wire_model(config, url, params.model),
    )
    return _request(config, url, built, stream=stream)


def responses_ws_url(config: ClientConfig) -> str:
    """The Responses WebSocket URL: the ``/responses`` URL with http->ws, https->wss.

    Next: open the socket with `base_headers(config)` (plus ``host``) and drive the WebSocket
    Responses machine; its ``response.create`` body comes from `responses_body(websocket=True)`.
    """
    url = _endpoint(config, "responses")
    scheme = "wss" if url.scheme == "https" else "ws"
    return f"{scheme}://{url.authority}{url.path}{_q(url.query)}"

"""Where to open a GA Realtime socket (`realtime_url`) and with which headers.

Public names are re-exported by `openai_sansio.protocol.realtime_config`; import them there.
"""

from __future__ import annotations

from typing import Final, Literal
from urllib.parse import unquote_plus

from ._client_config import (
    _AZURE_V1_VERSIONS,
    _HTTP,
    ClientConfig,
    _merge_query,
    _parse_url,
    _q,
)
from ._errors import LocalProtocolError
from ._request_params import _check_str
from .requests import base_headers

__all__ = ["realtime_headers", "realtime_url"]

_WS: Final = frozenset({"ws", "wss"})
_SOCKET_SCHEME: Final = {"http": "ws", "https": "wss", "ws": "ws", "wss": "wss"}
_API_BASES: Final = frozenset({"", "/v1", "/openai", "/openai/v1"})
"""Paths that name an API root, not a socket endpoint: ``/realtime`` is appended."""


def _fail(message: str, hint: str) -> LocalProtocolError:
    return LocalProtocolError(message, error_hint=hint)


def _socket_path(path: str, *, endpoint: bool) -> str:
    """The API root gets ``/realtime``; a path already ending in ``/realtime`` is kept.

    With `endpoint` (an explicit ``ws(s)://`` URL) any other path is taken as the socket
    endpoint itself and kept too.
    """
    if path == "/realtime" or path.endswith("/realtime"):
        return path
    if endpoint and path not in _API_BASES:
        return path
    return f"{path}/realtime"


def _query_value(raw: str, key: str) -> str | None:
    found = None
    for piece in raw.split("&"):
        name, _, value = piece.partition("=")
        if piece and unquote_plus(name) == key:
            found = unquote_plus(value)
    return found


def realtime_url(
    client_config: ClientConfig,
    *,
    model: str | None = None,
    call_id: str | None = None,
    intent: Literal["transcription"] | str | None = None,
    url: str | None = None,
) -> str:
    """The GA Realtime WebSocket URL for `client_config`.

    - A conversation: ``wss://api.openai.com/v1/realtime?model=<model>``. The base URL's
      scheme becomes ``ws``/``wss``; its path gets ``/realtime`` unless it already ends in
      ``/realtime``; its query is kept byte for byte and `client_config.extra_query` is
      merged as for every request. ``model=`` is added unless the query already has it
      (a different `model` there is an error, never a duplicate key).
    - `call_id`: the sideband channel of a WebRTC/SIP call (``?call_id=``); exclusive with
      `model`. `intent` ``"transcription"``: a transcription session (``?intent=``), which
      must not carry a model (a model selects a conversation session and the
      transcription ``session.update`` is then rejected with ``invalid_model``).
    - Without any of `model`, `call_id`, `intent` (and no ``model`` in the query) this
      raises: the server needs one of them to pick the session kind.
    - Azure (`ClientConfig.azure`): ``{endpoint}/openai/v1/realtime?model=<deployment>``
      (GA v1 path; ``?api-version=preview`` too when that is the configured version). A dated
      `api_version` selects the older ``{endpoint}/openai/realtime?api-version=...&
      deployment=<deployment>``. The deployment comes from `azure_deployment`, else `model`.
    - `url` overrides the base: an ``http(s)`` URL is treated like a base URL; a
      ``ws(s)`` URL whose path is not an API root (``""``, ``/v1``, ``/openai``,
      ``/openai/v1``) is taken as the socket endpoint itself (only the query is completed).

    Raises `LocalProtocolError` (hints ``conflicting_options``, ``missing_model``,
    ``invalid_config``) before anything connects.

    Next: open the socket with `realtime_headers(client_config)` (plus ``host``).
    """
    for name, value in (("model", model), ("call_id", call_id), ("intent", intent)):
        _check_str(name, value)
    if model and call_id:
        raise _fail(
            "call_id and model are mutually exclusive: a call_id joins an existing call "
            "whose model is already chosen",
            "conflicting_options",
        )
    if intent and (model or call_id):
        raise _fail(
            f"intent={intent!r} must not be combined with model or call_id "
            "(a model in the URL selects a conversation session)",
            "conflicting_options",
        )
    ours: dict[str, str] = {}
    key = "model"
    wanted = model
    if url is not None:
        base = _parse_url(url, "url", _HTTP | _WS)
        path = _socket_path(base.path, endpoint=base.scheme in _WS)
    elif client_config.azure_endpoint is not None:
        base = _parse_url(client_config.azure_endpoint, "azure_endpoint", _HTTP)
        version = client_config.api_version
        if version is not None and version not in _AZURE_V1_VERSIONS:
            path = f"{base.path}/openai/realtime"
            key = "deployment"
        else:
            path = f"{base.path}/openai/v1/realtime"
        if version is not None and version != "v1":
            ours["api-version"] = version
        wanted = client_config.azure_deployment or model
    else:
        base = _parse_url(client_config.base_url, "base_url", _HTTP)
        path = _socket_path(base.path, endpoint=False)
        if client_config.is_azure:
            version = client_config.api_version
            if version is not None and version != "v1":
                ours["api-version"] = version
            wanted = client_config.azure_deployment or model
    extra = dict(client_config.extra_query)
    present = extra.get(key, _query_value(base.query, key))
    selector = call_id or intent
    if selector is not None:
        if key == "model" and present is not None:
            raise _fail(
                f"the URL already selects a model ({present!r}); "
                f"{'call_id' if call_id else 'intent'} must not be combined with one",
                "conflicting_options",
            )
        ours["call_id" if call_id else "intent"] = selector
    elif wanted is None:
        if present is None:
            raise _fail(
                "realtime_url needs model=... (a conversation), call_id=... (an existing "
                "call) or intent='transcription'",
                "missing_model",
            )
    elif present is None:
        ours[key] = wanted
    elif present != wanted:
        raise _fail(
            f"the URL query already has {key}={present!r}, which conflicts with {wanted!r}",
            "conflicting_options",
        )
    ours.update(extra)
    scheme = _SOCKET_SCHEME[base.scheme]
    return f"{scheme}://{base.authority}{path}{_q(_merge_query(base.query, ours))}"


def realtime_headers(client_config: ClientConfig) -> tuple[tuple[str, str], ...]:
    """The handshake headers: `base_headers` (user agent, auth, organization, project, extra).

    Never an ``OpenAI-Beta`` header: since the beta shutdown it makes the server reject
    the session (``beta_api_shape_disabled``, close code 4000). One in
    `client_config.extra_headers` raises `LocalProtocolError` (hint ``beta_header``) rather
    than being dropped silently. Contains secrets: never log it unredacted.
    """
    headers = base_headers(client_config)
    for name, _ in headers:
        if name.lower() == "openai-beta":
            raise _fail(
                "the GA Realtime API rejects the OpenAI-Beta header (beta_api_shape_disabled); "
                "remove it from ClientConfig.extra_headers (config.replace(extra_headers=...))",
                "beta_header",
            )
    return headers

"""Where requests go and as whom: credentials, timeouts, base URLs, Azure settings.

`ClientConfig` is validated when built, so a missing key (`MissingCredentialsError`) or a
malformed URL fails before any connection. `Credentials` keeps secrets out of every ``repr``.
Environment fallbacks take the environment as an argument (pass ``os.environ``): this module
is pure like the rest of ``protocol/``.

Also here: the small URL toolkit the request builders share (`_parse_url`, `_merge_query`).
Public names are re-exported by `openai_sansio.protocol.requests`; import them from there.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final, NamedTuple
from urllib.parse import quote, unquote_plus, urlsplit

from ._errors import LocalProtocolError

__all__ = [
    "DEFAULT_BASE_URL",
    "LIBRARY_VERSION",
    "REDACTED",
    "SENSITIVE_HEADERS",
    "USER_AGENT",
    "ClientConfig",
    "Credentials",
    "MissingCredentialsError",
    "Timeouts",
]

LIBRARY_VERSION: Final = "0.1.0"
"""This library's version (keep equal to ``pyproject.toml``); sent in the user agent."""
USER_AGENT: Final = f"openai-sansio/{LIBRARY_VERSION}"
DEFAULT_BASE_URL: Final = "https://api.openai.com/v1"
REDACTED: Final = "<redacted>"

SENSITIVE_HEADERS: Final = frozenset(
    {
        "authorization",
        "api-key",
        "proxy-authorization",
        "x-api-key",
        "cookie",
        "ocp-apim-subscription-key",
    }
)
"""Header names whose values are secrets: redacted in reprs, logs and traces."""

_SENSITIVE_QUERY: Final = re.compile(r"key|token|secret|sig|password|auth", re.IGNORECASE)
_TOKEN_RE: Final = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_VALUE_RE: Final = re.compile(r"[\t\x20-\x7e]*")
_PATH_SAFE: Final = "/%:@!$&'()*+,;=-._~"
_DEFAULT_PORTS: Final = {"http": 80, "https": 443, "ws": 80, "wss": 443}
_AZURE_V1_VERSIONS: Final = frozenset({"v1", "preview"})
_HTTP: Final = frozenset({"http", "https"})


class MissingCredentialsError(LocalProtocolError):
    """No API key (or Azure AD token / endpoint) was given or found in the environment.

    Raised while building a `ClientConfig`, i.e. before any connection is attempted.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message, error_hint="missing_credentials")


def _fail(message: str, hint: str = "invalid_config") -> LocalProtocolError:
    return LocalProtocolError(message, error_hint=hint)


def _secret(value: object, what: str) -> str | None:
    """Validate a secret without ever echoing it: ``None``/``""`` mean "not given"."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise _fail(f"{what} must be a str, got {type(value).__name__}")
    if _VALUE_RE.fullmatch(value) is None or value != value.strip():
        raise _fail(
            f"{what} contains whitespace at an end, a control or a non-ASCII character "
            "(was it read with a trailing newline?)"
        )
    return value


def _mask(value: str | None) -> str:
    return "None" if value is None else repr(REDACTED)


class Credentials:
    """An API key and/or an Azure AD token, immutable, never shown by ``repr``/``str``.

    The raw values are available as `api_key` / `azure_ad_token` for code that must send them
    (transports, `base_headers`); everything else sees ``'<redacted>'``.
    """

    __slots__ = ("_api_key", "_azure_ad_token")

    _api_key: str | None
    _azure_ad_token: str | None

    def __init__(self, api_key: str | None = None, *, azure_ad_token: str | None = None) -> None:
        object.__setattr__(self, "_api_key", _secret(api_key, "api_key"))
        object.__setattr__(self, "_azure_ad_token", _secret(azure_ad_token, "azure_ad_token"))

    @property
    def api_key(self) -> str | None:
        """The raw API key (a secret: do not log it)."""
        return self._api_key

    @property
    def azure_ad_token(self) -> str | None:
        """The raw Azure AD (Entra ID) bearer token (a secret: do not log it)."""
        return self._azure_ad_token

    def __bool__(self) -> bool:
        return self._api_key is not None or self._azure_ad_token is not None

    def __repr__(self) -> str:
        return (
            f"Credentials(api_key={_mask(self._api_key)}, "
            f"azure_ad_token={_mask(self._azure_ad_token)})"
        )

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Credentials):
            return NotImplemented
        return (self._api_key, self._azure_ad_token) == (other._api_key, other._azure_ad_token)

    def __hash__(self) -> int:
        return hash((Credentials, self._api_key, self._azure_ad_token))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Credentials is immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("Credentials is immutable")

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_credentials, (self._api_key, self._azure_ad_token))


def _rebuild_credentials(api_key: str | None, azure_ad_token: str | None) -> Credentials:
    return Credentials(api_key, azure_ad_token=azure_ad_token)


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Transport deadlines in seconds; the machines never read them, transports arm them.

    `read` is the longest silence allowed between two received bytes. It is 60 s, not the
    plugin's 10 s: a reasoning model may think for tens of seconds before its first output
    event (and between events) while the server sends nothing, and a 10 s read timeout
    aborted such turns. `connect`, `write` and `pool` (waiting for a free connection) stay
    short because they only cover local and network setup.
    """

    connect: float = 15.0
    read: float = 60.0
    write: float = 15.0
    pool: float = 15.0

    def __post_init__(self) -> None:
        for name in ("connect", "read", "write", "pool"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise _fail(f"Timeouts.{name} must be a number of seconds")
            if not (math.isfinite(value) and value > 0):
                raise _fail(f"Timeouts.{name} must be a positive finite number, got {value!r}")


class _URL(NamedTuple):
    scheme: str
    host: str  # for connecting: IDNA ASCII, no IPv6 brackets
    port: int
    authority: str  # for the Host header and the URL: brackets, port only if not default
    path: str  # percent-encoded, no trailing slash
    query: str  # raw, as given


def _parse_url(url: object, what: str, schemes: frozenset[str]) -> _URL:
    if not isinstance(url, str) or not url:
        raise _fail(f"{what} must be a non-empty URL string")
    try:
        parts = urlsplit(url.strip())
        port = parts.port
        hostname = parts.hostname
    except ValueError as exc:
        raise _fail(f"{what} {url!r} is not a valid URL: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in schemes:
        raise _fail(f"{what} must use {' or '.join(sorted(schemes))}, got {url!r}")
    if parts.username is not None or parts.password is not None:
        raise _fail(f"{what} must not carry credentials (user:password@)")
    if not hostname:
        raise _fail(f"{what} {url!r} has no host")
    if parts.fragment:
        raise _fail(f"{what} {url!r} must not have a #fragment")
    try:
        host = hostname.encode("idna").decode("ascii") if not hostname.isascii() else hostname
    except UnicodeError:
        raise _fail(f"{what} has an invalid host name {hostname!r}") from None
    if _VALUE_RE.fullmatch(host) is None or " " in host:
        raise _fail(f"{what} has an invalid host name {hostname!r}")
    default = _DEFAULT_PORTS[scheme]
    port = default if port is None else port
    shown = f"[{host}]" if ":" in host else host
    authority = shown if port == default else f"{shown}:{port}"
    path = quote(parts.path, safe=_PATH_SAFE).rstrip("/")
    return _URL(scheme, host, port, authority, path, parts.query)


def _encode_query(pairs: Sequence[tuple[str, str]]) -> str:
    return "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in pairs)


def _merge_query(raw: str, overrides: Mapping[str, str]) -> str:
    """The base URL's raw query, minus keys that `overrides` sets, then `overrides` encoded.

    Untouched pieces of the base query are kept byte for byte (re-encoding could change what
    the server sees, e.g. ``+``); only keys we set are percent-encoded by us.
    """
    kept = [
        piece
        for piece in raw.split("&")
        if piece and unquote_plus(piece.split("=", 1)[0]) not in overrides
    ]
    added = _encode_query(list(overrides.items()))
    return "&".join([*kept, added] if added else kept)


def _check_header(name: object, value: object, what: str) -> tuple[str, str]:
    if not isinstance(name, str) or _TOKEN_RE.fullmatch(name) is None:
        raise _fail(f"{what}: invalid header name {name!r}")
    lname = name.lower()
    shown = REDACTED if lname in SENSITIVE_HEADERS else repr(value)
    if not isinstance(value, str) or _VALUE_RE.fullmatch(value) is None:
        raise _fail(
            f"{what}: header {name!r} needs a str value of printable ASCII without CR/LF, "
            f"got {shown}"
        )
    return lname, value


def _plain(value: object, what: str) -> str | None:
    """Validate a non-secret string bound for a header or URL (organization, project...)."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or _VALUE_RE.fullmatch(value) is None:
        raise _fail(f"{what} must be a str of printable ASCII without CR/LF, got {value!r}")
    return value


class ClientConfig:
    """Where requests go and as whom: base URL, credentials, headers, query, timeouts, Azure.

    Immutable; built with `ClientConfig.from_env` (OpenAI) or `ClientConfig.azure` (Azure
    OpenAI), or directly. Every check runs here, so a missing key or a malformed URL raises
    (`MissingCredentialsError`, `LocalProtocolError`) before anything connects. The ``repr``
    never shows a secret. Derive a variant with `replace`.

    Next: `build_responses_request`, `build_chat_request` or `responses_ws_url`.
    """

    __slots__ = (
        "api_version",
        "azure_deployment",
        "azure_endpoint",
        "base_url",
        "credentials",
        "extra_headers",
        "extra_query",
        "is_azure",
        "organization",
        "project",
        "timeouts",
    )

    credentials: Credentials
    base_url: str
    organization: str | None
    project: str | None
    extra_headers: Mapping[str, str]
    extra_query: Mapping[str, str]
    timeouts: Timeouts
    azure_endpoint: str | None
    azure_deployment: str | None
    api_version: str | None
    is_azure: bool

    def __init__(
        self,
        *,
        api_key: str | Credentials | None = None,
        base_url: str | None = None,
        organization: str | None = None,
        project: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
        timeouts: Timeouts | None = None,
        azure_endpoint: str | None = None,
        azure_deployment: str | None = None,
        api_version: str | None = None,
        azure_ad_token: str | None = None,
        is_azure: bool = False,
    ) -> None:
        if isinstance(api_key, Credentials):
            if azure_ad_token:
                raise _fail("pass azure_ad_token inside Credentials or separately, not both")
            creds = api_key
        else:
            creds = Credentials(api_key, azure_ad_token=azure_ad_token)
        azure = bool(is_azure) or bool(azure_endpoint)
        set_ = object.__setattr__
        if not azure:
            if creds.api_key is None:
                raise MissingCredentialsError(
                    "no OpenAI API key: pass api_key=... or set the OPENAI_API_KEY "
                    "environment variable (ClientConfig.from_env(os.environ))"
                )
            url = _parse_url(base_url or DEFAULT_BASE_URL, "base_url", _HTTP)
            set_(self, "base_url", f"{url.scheme}://{url.authority}{url.path}" + _q(url.query))
            endpoint = None
        else:
            if not creds:
                raise MissingCredentialsError(
                    "no Azure OpenAI credentials: pass api_key=... or azure_ad_token=..., or "
                    "set the AZURE_OPENAI_API_KEY or AZURE_OPENAI_AD_TOKEN environment variable"
                )
            if azure_endpoint and base_url:
                raise _fail("azure_endpoint and base_url are mutually exclusive for Azure")
            if not azure_endpoint and not base_url:
                raise MissingCredentialsError(
                    "no Azure OpenAI endpoint: pass azure_endpoint=... or set the "
                    "AZURE_OPENAI_ENDPOINT environment variable"
                )
            if azure_endpoint:
                ep = _parse_url(azure_endpoint, "azure_endpoint", _HTTP)
                if ep.query:
                    raise _fail("azure_endpoint must not have a query string")
                endpoint = f"{ep.scheme}://{ep.authority}{ep.path}"
                set_(self, "base_url", f"{endpoint}/openai/v1")
            else:
                url = _parse_url(base_url, "base_url", _HTTP)
                set_(self, "base_url", f"{url.scheme}://{url.authority}{url.path}" + _q(url.query))
                endpoint = None
        headers: dict[str, str] = {}
        for name, value in (extra_headers or {}).items():
            lname, checked = _check_header(name, value, "extra_headers")
            headers[lname] = checked
        query: dict[str, str] = {}
        for key, val in (extra_query or {}).items():
            if not isinstance(key, str) or not key or not isinstance(val, str):
                raise _fail("extra_query needs non-empty str keys and str values")
            try:
                (key + val).encode("utf-8")
            except UnicodeEncodeError:
                raise _fail(f"extra_query {key!r} is not valid Unicode text") from None
            query[key] = val
        if timeouts is not None and not isinstance(timeouts, Timeouts):
            raise _fail("timeouts must be a Timeouts")
        set_(self, "credentials", creds)
        set_(self, "organization", _plain(organization, "organization"))
        set_(self, "project", _plain(project, "project"))
        set_(self, "extra_headers", MappingProxyType(headers))
        set_(self, "extra_query", MappingProxyType(query))
        set_(self, "timeouts", timeouts or Timeouts())
        set_(self, "azure_endpoint", endpoint)
        set_(self, "azure_deployment", _plain(azure_deployment, "azure_deployment"))
        set_(self, "api_version", _plain(api_version, "api_version"))
        set_(self, "is_azure", azure)

    @classmethod
    def from_env(
        cls,
        env: Mapping[str, str],
        *,
        api_key: str | Credentials | None = None,
        base_url: str | None = None,
        organization: str | None = None,
        project: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
        timeouts: Timeouts | None = None,
    ) -> ClientConfig:
        """OpenAI config: each argument left ``None`` falls back to `env` (pass ``os.environ``).

        ``OPENAI_API_KEY``, ``OPENAI_BASE_URL``, ``OPENAI_ORG_ID``, ``OPENAI_PROJECT_ID``; an
        empty variable counts as unset. Raises `MissingCredentialsError` without a key.
        """
        return cls(
            api_key=api_key or env.get("OPENAI_API_KEY"),
            base_url=base_url or env.get("OPENAI_BASE_URL") or None,
            organization=organization or env.get("OPENAI_ORG_ID"),
            project=project or env.get("OPENAI_PROJECT_ID"),
            extra_headers=extra_headers,
            extra_query=extra_query,
            timeouts=timeouts,
        )

    @classmethod
    def azure(
        cls,
        env: Mapping[str, str],
        *,
        azure_endpoint: str | None = None,
        azure_deployment: str | None = None,
        api_version: str | None = None,
        api_key: str | None = None,
        azure_ad_token: str | None = None,
        organization: str | None = None,
        project: str | None = None,
        base_url: str | None = None,
        model: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
        timeouts: Timeouts | None = None,
    ) -> ClientConfig:
        """Azure OpenAI config; each argument left ``None`` falls back to `env`.

        ``AZURE_OPENAI_ENDPOINT`` (not read when `base_url` is given: the two are exclusive),
        ``AZURE_OPENAI_DEPLOYMENT`` (then `model`), ``OPENAI_API_VERSION``,
        ``AZURE_OPENAI_API_KEY``, ``AZURE_OPENAI_AD_TOKEN``, ``OPENAI_ORG_ID``,
        ``OPENAI_PROJECT_ID``. With both a key and an AD token the token is sent
        (``Authorization: Bearer``), as the official SDK does; otherwise ``api-key: <key>``.
        Raises `MissingCredentialsError` without a key/token or without an endpoint.
        """
        if not base_url:
            azure_endpoint = azure_endpoint or env.get("AZURE_OPENAI_ENDPOINT")
        return cls(
            api_key=api_key or env.get("AZURE_OPENAI_API_KEY"),
            azure_ad_token=azure_ad_token or env.get("AZURE_OPENAI_AD_TOKEN"),
            azure_endpoint=azure_endpoint or None,
            azure_deployment=azure_deployment or env.get("AZURE_OPENAI_DEPLOYMENT") or model,
            api_version=api_version or env.get("OPENAI_API_VERSION"),
            organization=organization or env.get("OPENAI_ORG_ID"),
            project=project or env.get("OPENAI_PROJECT_ID"),
            base_url=base_url or None,
            extra_headers=extra_headers,
            extra_query=extra_query,
            timeouts=timeouts,
            is_azure=True,
        )

    @property
    def api_key(self) -> str | None:
        """The raw API key (a secret: do not log it)."""
        return self.credentials.api_key

    @property
    def azure_ad_token(self) -> str | None:
        """The raw Azure AD token (a secret: do not log it)."""
        return self.credentials.azure_ad_token

    def replace(self, **changes: Any) -> ClientConfig:
        """A copy with `changes` (constructor keyword names) applied and re-validated."""
        if "azure_endpoint" not in changes and "base_url" in changes and self.is_azure:
            changes["azure_endpoint"] = None
        current: dict[str, Any] = {
            "api_key": self.credentials.api_key,
            "azure_ad_token": self.credentials.azure_ad_token,
            "base_url": None if self.azure_endpoint else self.base_url,
            "organization": self.organization,
            "project": self.project,
            "extra_headers": self.extra_headers,
            "extra_query": self.extra_query,
            "timeouts": self.timeouts,
            "azure_endpoint": self.azure_endpoint,
            "azure_deployment": self.azure_deployment,
            "api_version": self.api_version,
            "is_azure": self.is_azure,
        }
        if isinstance(changes.get("api_key"), Credentials):
            current.pop("azure_ad_token")
        current.update(changes)
        return ClientConfig(**current)

    def _key(self) -> tuple[Any, ...]:
        return (
            self.credentials,
            self.base_url,
            self.organization,
            self.project,
            tuple(self.extra_headers.items()),
            tuple(self.extra_query.items()),
            self.timeouts,
            self.azure_endpoint,
            self.azure_deployment,
            self.api_version,
            self.is_azure,
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ClientConfig):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("ClientConfig is immutable; use replace()")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("ClientConfig is immutable")

    def __repr__(self) -> str:
        headers = {
            k: (REDACTED if k in SENSITIVE_HEADERS else v) for k, v in self.extra_headers.items()
        }
        query = {
            k: (REDACTED if _SENSITIVE_QUERY.search(k) else v) for k, v in self.extra_query.items()
        }
        parts = [f"base_url={_redact_url(self.base_url)!r}", f"credentials={self.credentials!r}"]
        for name in ("organization", "project"):
            value = getattr(self, name)
            if value is not None:
                parts.append(f"{name}={value!r}")
        if headers:
            parts.append(f"extra_headers={headers!r}")
        if query:
            parts.append(f"extra_query={query!r}")
        parts.append(f"timeouts={self.timeouts!r}")
        if self.is_azure:
            parts.append("is_azure=True")
            for name in ("azure_endpoint", "azure_deployment", "api_version"):
                value = getattr(self, name)
                if value is not None:
                    parts.append(f"{name}={value!r}")
        return f"ClientConfig({', '.join(parts)})"

    __str__ = __repr__


def _q(query: str) -> str:
    return f"?{query}" if query else ""


def _redact_url(url: str) -> str:
    head, sep, query = url.partition("?")
    if not sep:
        return url
    pieces = []
    for piece in query.split("&"):
        key, eq, _ = piece.partition("=")
        sensitive = eq and _SENSITIVE_QUERY.search(unquote_plus(key))
        pieces.append(f"{key}={REDACTED}" if sensitive else piece)
    return f"{head}?{'&'.join(pieces)}"

"""OpenAI-shaped HTTP errors for the emulator.

What: `ApiError`, the one exception the pure parts of the emulator raise to refuse a request,
and `error_payload()`, which renders the `{"error": {...}}` body the real API sends.
Why: every refusal (auth, validation, unknown route, fault knob) must look exactly like the
real service's so clients exercise their real error paths.
Next: the router catches `ApiError` and turns it into a reply with `ApiError.status`.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ApiError", "default_error", "error_payload"]

# status -> (type, code, message) used when a fault knob asks for a bare status.
_DEFAULTS: dict[int, tuple[str, str | None, str]] = {
    400: ("invalid_request_error", None, "The request was invalid."),
    401: ("invalid_request_error", "invalid_api_key", "Incorrect API key provided."),
    403: ("invalid_request_error", "unsupported_country_region_territory", "Forbidden."),
    404: ("invalid_request_error", "model_not_found", "The model does not exist."),
    409: ("invalid_request_error", None, "Conflict."),
    422: ("invalid_request_error", None, "Unprocessable request."),
    429: (
        "requests",
        "rate_limit_exceeded",
        "Rate limit reached for requests (emulated). Please try again in 1s.",
    ),
    500: ("server_error", "server_error", "The server had an error while processing your request."),
    502: ("server_error", None, "Bad gateway."),
    503: ("server_error", None, "The engine is currently overloaded, please try again later."),
    504: ("server_error", None, "Gateway timeout."),
}


class ApiError(Exception):
    """A request the emulator refuses, with everything the error body needs.

    Raised by validation and routing code; caught by the router, which answers `status` with
    `error_payload(...)` as the body. `headers` are extra response headers (e.g. retry-after).
    """

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
        headers: tuple[tuple[str, str], ...] = (),
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
        self.headers = headers

    def payload(self) -> dict[str, Any]:
        """The JSON body to send: ``{"error": {message, type, param, code}}``."""
        return error_payload(self.message, type=self.type, param=self.param, code=self.code)


def error_payload(
    message: str, *, type: str, param: str | None = None, code: str | None = None
) -> dict[str, Any]:
    """Build the real API's error object; key order matches the service."""
    return {"error": {"message": message, "type": type, "param": param, "code": code}}


def default_error(status: int, code: str | None = None) -> ApiError:
    """An `ApiError` for a bare status (fault knob `http_status`), with OpenAI's usual wording.

    `code` overrides the default code for that status (fault knob `error_code`).
    """
    if status in _DEFAULTS:
        type_, default_code, message = _DEFAULTS[status]
    elif status >= 500:
        type_, default_code, message = "server_error", None, "The server had an error."
    else:
        type_, default_code, message = "invalid_request_error", None, "The request failed."
    return ApiError(status, message, type=type_, code=code if code is not None else default_code)

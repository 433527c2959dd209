"""One HTTP request whose body is fed to a pure machine: the loop every HTTP resource shares.

- `open_response(client, request, tap)`: send the request, record it and the response head,
  and turn an error status into `APIStatusError` (the error body read boundedly, recorded,
  the connection closed). `EventStream` uses it, and so does each speech segment.
- `EventStream`: ``async with`` sends and waits for the head (a machine that reads the head,
  such as `TranscriptionResponse` or `SpeechStream`, gets ``receive_response_head``);
  ``async for`` yields the machine's events, fed by `HTTPResponse.receive_some`, up to its
  end event; then the tail is drained (`HTTPResponse.drain`) so the connection goes back to
  the pool. `client.responses.stream`, `client.chat.stream` and
  `client.transcription.stream` (`TranscriptionStream`, a subclass that builds its upload
  on entering) all return one. A per-call ``trace=`` records the exchange (`HTTPTap`).

Next: iterate the stream, or ``await stream.until_done()`` for the machine's result.
"""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

import anyio

from ._tracing import HTTPTap
from .errors import APIStatusError
from .protocol.events.common import NEED_DATA
from .protocol.http_errors import api_error_from_http
from .protocol.requests import HTTPRequest
from .protocol.trace import TraceRecorder

if TYPE_CHECKING:
    from .client import Client
    from .transports.http import HTTPResponse

__all__ = ["ERROR_BODY_LIMIT", "EventStream", "open_response"]

_Result = TypeVar("_Result")
_Result_co = TypeVar("_Result_co", covariant=True)

ERROR_BODY_LIMIT = 1024 * 1024
"""Bytes read of an HTTP error body (OpenAI's are a few hundred bytes)."""


class _StreamMachine(Protocol[_Result_co]):
    """The verbs `EventStream` uses: the shared shape of the HTTP stream machines. A machine
    may also take ``receive_response_head(status, headers)`` (it is called when present)."""

    @property
    def result(self) -> _Result_co | None: ...

    def receive_data(self, data: bytes) -> None: ...

    def receive_eof(self) -> None: ...

    def next_event(self) -> Any: ...


async def open_response(client: Client, request: HTTPRequest, tap: HTTPTap | None) -> HTTPResponse:
    """Send `request` and return the response once its head arrived (recorded on `tap`).

    An error status raises `APIStatusError` with the typed `APIError` of its body (read up to
    `ERROR_BODY_LIMIT`, recorded as the exchange's last chunk and end); the connection is
    closed first. Transport failures raise as `HTTPTransport.send` raises them.
    """
    if tap is not None:
        tap.request(request)
    response = await client._send(request)
    if tap is not None:
        tap.response(response.status, response.headers)
    if response.status >= 400:
        try:
            body = await response.read_all(ERROR_BODY_LIMIT)
        finally:
            await response.aclose()
        if tap is not None:
            tap.chunk(body)
            tap.eof()
        raise APIStatusError(api_error_from_http(response.status, response.headers, body))
    return response


class EventStream(Generic[_Result]):
    """One streamed request: an async context manager and an async iterator of events.

    Entering sends the request and waits for the response head (raising `APIStatusError`
    for an error status). Iterating yields every event of the machine until its end event
    (an instance of `end_type`). `result` is the final result once the end event was seen;
    `until_done()` drains the rest. After the end event the rest of the body is read
    (bounded) so the connection is reused; exiting early closes the connection.
    """

    def __init__(
        self,
        client: Client,
        request: HTTPRequest | None,
        machine: _StreamMachine[_Result],
        end_type: type[Any] | tuple[type[Any], ...],
        trace: TraceRecorder | None = None,
    ) -> None:
        self._client = client
        self._tap = HTTPTap(trace) if trace is not None else None
        self.request = request
        """The request sent (a subclass may build it on entering, in `_prepare`)."""
        self.machine: _StreamMachine[_Result] = machine
        self._end_type = end_type
        self._response: HTTPResponse | None = None
        self._finished = False
        self._eof_fed = False
        self.request_id: str | None = None
        self.status: int | None = None

    @property
    def result(self) -> _Result:
        """The assembled result. Raises `RuntimeError` before the end event was reached."""
        result = self.machine.result
        if result is None:
            raise RuntimeError("the stream has not ended yet: iterate it or call until_done()")
        return result

    async def _prepare(self) -> HTTPRequest:
        """The request to send (the one given, unless a subclass builds it now)."""
        if self.request is None:
            raise RuntimeError("EventStream needs a request")
        return self.request

    async def __aenter__(self) -> EventStream[_Result]:
        request = self.request = await self._prepare()
        try:
            response = await open_response(self._client, request, self._tap)
        except APIStatusError as exc:
            self.status, self.request_id = exc.status, exc.error.request_id
            raise
        self.status = response.status
        self.request_id = response.header("x-request-id")
        receive_head = getattr(self.machine, "receive_response_head", None)
        if receive_head is not None:
            try:
                receive_head(response.status, response.headers)
            except BaseException:
                await response.aclose()
                raise
        self._response = response
        return self

    def __aiter__(self) -> EventStream[_Result]:
        return self

    async def __anext__(self) -> Any:
        if self._finished:
            raise StopAsyncIteration
        machine = self.machine
        while True:
            event = machine.next_event()
            if event is not NEED_DATA:
                if isinstance(event, self._end_type):
                    self._finished = True
                    await self._close()
                return event
            response = self._response
            if response is None:
                raise RuntimeError("use the stream inside 'async with'")
            chunk = await response.receive_some()
            tap = self._tap
            if chunk is None:
                if tap is not None:
                    tap.eof()
                self._eof_fed = True
                machine.receive_eof()
            else:
                if tap is not None:
                    tap.chunk(chunk)
                machine.receive_data(chunk)

    async def until_done(self) -> _Result:
        """Consume the remaining events and return the result."""
        async for _ in self:
            pass
        return self.result

    async def _close(self) -> None:
        response, self._response = self._response, None
        if response is None:
            return
        if self._finished and not self._eof_fed:
            tap = self._tap
            ended = await response.drain(on_chunk=tap.chunk if tap is not None else None)
            if ended and tap is not None:
                tap.eof()
        await response.aclose()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        with anyio.CancelScope(shield=True):
            response, self._response = self._response, None
            if response is not None:
                await response.aclose()

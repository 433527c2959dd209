"""Run the model's tool calls concurrently, without ever blocking the task that submits them.

What: `ToolRunner` takes `ToolCall` values with `submit` (a plain, non-async method: call it
from the receive loop) and runs each in its own task of a task group you give it (`start`) or
it owns (``async with``). Async tools run as tasks; sync ones in worker threads
(``anyio.to_thread``, with the runner's own capacity limiter so tools never starve other
thread users). Every submitted call yields exactly one `ToolResult` from `results()`; after
`aclose` no more do.

Why: the old plugin awaited tools inside its receive loop, so no audio and no barge-in got
through while one ran, and it sent ``json.dumps(result)`` even for errors. Here failures are
outputs the model can act on: an unknown tool, invalid arguments (what and where), an
exception (``{"error": "ValueError: ..."}``: type and message only, no traceback, so nothing
from the stack leaks), a timeout, a cancel. Each has ``is_error=True`` and an `error_kind`.

Bounds, all documented on `ToolRunner`: at most `max_concurrency` calls run at once (further
ones wait and start in submission order); the results stream buffers `max_buffered_results`
results, after which finished calls wait, holding their slot, until you read (backpressure
instead of unbounded memory); `timeout` counts from a call's start, not its queueing.

Works on asyncio and trio (anyio). Next: send ``result.output`` back as the call's output
(``function_call_output`` for Responses, a ``function_call_output`` conversation item for
Realtime) once `pending` says the batch is complete.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import math
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from types import TracebackType
from typing import Any, Final, Literal, Self

import anyio
import anyio.abc
import msgspec

from .protocol.events.common import ToolCall
from .protocol.requests import ToolSpec
from .tools import Tool, ToolContext, tool

__all__ = ["ToolErrorKind", "ToolResult", "ToolResults", "ToolRunner", "encode_output"]

ToolErrorKind = Literal["unknown_tool", "invalid_arguments", "exception", "timeout", "cancelled"]
"""Why a `ToolResult` is an error: for logs, metrics, and deciding what to send."""

_MAX_MESSAGE_CHARS: Final = 2000
"""An exception message longer than this is cut (the model needs the gist, not a dump)."""


@dataclasses.dataclass(frozen=True, slots=True)
class ToolResult:
    """The outcome of one call: `output` is the text to send back to the model as is.

    `is_error` is true when the tool did not produce a value; `error_kind` says why and
    `output` is then ``{"error": "..."}`` JSON text. `duration_s` is the run time on the event
    loop's clock (0 for calls rejected before running). `exception` is the exception a tool
    raised, for your logs (never sent, not in the ``repr``).
    """

    call_id: str
    name: str
    output: str
    is_error: bool
    duration_s: float
    error_kind: ToolErrorKind | None = None
    exception: BaseException | None = dataclasses.field(default=None, repr=False, compare=False)


def _safe_str(value: object) -> str:
    try:
        return str(value)
    except Exception:
        return f"<unprintable {type(value).__name__}>"


_ENCODER: Final = msgspec.json.Encoder(enc_hook=_safe_str)


def encode_output(value: Any) -> str:
    """A tool's return value as output text: a ``str`` as is, anything else JSON.

    msgspec encodes dicts, lists, dataclasses, Structs, enums, datetimes...; a value it cannot
    encode becomes its ``str()`` (inside a container, as a JSON string), so this never fails.
    """
    if isinstance(value, str):
        return value
    try:
        return _ENCODER.encode(value).decode()
    except Exception:  # a str() that fails inside a container, a cycle, huge ints...
        return _safe_str(value)


def _error_output(message: str) -> str:
    return msgspec.json.encode({"error": message}).decode()


def _exception_message(exc: BaseException) -> str:
    text = " ".join(_safe_str(exc).split())
    if len(text) > _MAX_MESSAGE_CHARS:
        text = text[:_MAX_MESSAGE_CHARS] + "..."
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


@dataclasses.dataclass(eq=False, slots=True)
class _Job:
    call: ToolCall
    tool: Tool[..., Any] | None = None
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = dataclasses.field(default_factory=dict)
    result: ToolResult | None = None  # known before running: rejected or cancelled
    life: anyio.CancelScope | None = None  # the task's scope, cancelled by aclose
    run: anyio.CancelScope | None = None  # the tool's own scope, with its deadline
    cancel_requested: bool = False
    finished: bool = False  # the tool has returned, raised or been stopped

    def error(self, kind: ToolErrorKind, output: str, duration: float = 0.0) -> ToolResult:
        return ToolResult(self.call.call_id, self.call.name, output, True, duration, kind)


class ToolResults:
    """The async iterator of `ToolRunner.results()`; ends after `ToolRunner.aclose`."""

    def __init__(self, runner: ToolRunner) -> None:
        self._runner = runner

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> ToolResult:
        try:
            return await self._runner.receive()
        except anyio.EndOfStream:
            raise StopAsyncIteration from None


class ToolRunner:
    """Runs tool calls in the background; results come out of `results()` (see module docs).

    `tools` are `Tool` objects or plain callables (wrapped with `tool`); names must be
    unique. `timeout` (seconds, ``None`` = none) bounds each run unless the tool sets its
    own; a sync tool that overruns is abandoned in its thread (Python cannot stop a thread),
    an async one is cancelled. `max_concurrency` calls run at once; later ones start in
    submission order as slots free up. `max_buffered_results` finished results wait in the
    stream for you; beyond that, finished calls keep their slot until you read.

    Use it inside the session's task group (``runner.start(tg)``) or on its own (``async
    with ToolRunner(...) as runner:``; leaving cancels what still runs). Calls submitted
    before `start` wait for it.
    """

    def __init__(
        self,
        tools: Iterable[Tool[..., Any] | Callable[..., Any]],
        *,
        timeout: float | None = 30.0,
        max_concurrency: int = 8,
        max_buffered_results: int = 64,
    ) -> None:
        if timeout is not None and not timeout > 0:
            raise ValueError(f"timeout must be > 0 seconds or None, got {timeout!r}")
        if isinstance(max_concurrency, bool) or not isinstance(max_concurrency, int):
            raise TypeError("max_concurrency must be an int")
        if max_concurrency < 1:
            raise ValueError(f"max_concurrency must be >= 1, got {max_concurrency}")
        if max_buffered_results < 0:
            raise ValueError(f"max_buffered_results must be >= 0, got {max_buffered_results}")
        self._tools: dict[str, Tool[..., Any]] = {}
        for item in tools:
            t = item if isinstance(item, Tool) else tool(item)
            if t.name in self._tools:
                raise ValueError(f"two tools are named {t.name!r}")
            self._tools[t.name] = t
        self._timeout = timeout
        self._max = max_concurrency
        self._send, self._receive = anyio.create_memory_object_stream[ToolResult](
            max_buffered_results
        )
        self._tg: anyio.abc.TaskGroup | None = None
        self._own_tg: anyio.abc.TaskGroup | None = None
        self._limiter: anyio.CapacityLimiter | None = None
        self._queue: deque[_Job] = deque()
        self._running: dict[str, _Job] = {}  # started tasks that hold a slot
        self._pending: dict[str, _Job] = {}  # submitted, result not yet taken by the caller
        self._tasks = 0  # _run tasks that have begun and not yet ended
        self._idle: anyio.Event | None = None
        self._closed = False
        self._receive_done = False

    # -- introspection ----------------------------------------------------------------------

    @property
    def tools(self) -> Mapping[str, Tool[..., Any]]:
        """The tools by name."""
        return dict(self._tools)

    @property
    def specs(self) -> tuple[ToolSpec, ...]:
        """The `ToolSpec` of every tool, for `GenerationParams.tools` or a session update."""
        return tuple(t.spec for t in self._tools.values())

    @property
    def pending(self) -> tuple[str, ...]:
        """Call ids submitted whose result you have not yet received, in submission order.

        Empty right after you receive the last result of a batch: that is when to send the
        outputs back (and ask for the next response).
        """
        return tuple(self._pending)

    @property
    def running(self) -> tuple[str, ...]:
        """Call ids whose tool has started and whose result is not yet in the stream."""
        return tuple(self._running)

    @property
    def closed(self) -> bool:
        """Whether `aclose` was called."""
        return self._closed

    # -- lifecycle --------------------------------------------------------------------------

    def start(self, task_group: anyio.abc.TaskGroup) -> Self:
        """Run calls as tasks of `task_group` from now on; returns the runner.

        Cancelling the task group stops every call (without results); prefer `aclose`.
        """
        if self._tg is not None:
            raise RuntimeError("ToolRunner already started")
        if self._closed:
            raise RuntimeError("ToolRunner is closed")
        self._tg = task_group
        self._limiter = anyio.CapacityLimiter(self._max)
        self._dispatch()
        return self

    async def __aenter__(self) -> Self:
        tg = anyio.create_task_group()
        await tg.__aenter__()
        self._own_tg = tg
        self.start(tg)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool | None:
        tg, self._own_tg = self._own_tg, None
        assert tg is not None
        try:
            await self.aclose()
        finally:
            handled = await tg.__aexit__(exc_type, exc, tb)
        return handled

    async def aclose(self) -> None:
        """Cancel every running and queued call, wait until they have stopped, end `results()`.

        Cancelled calls give no result; results already in the stream can still be read.
        Idempotent. An async tool that swallows cancellation delays this until it returns.
        """
        if not self._closed:
            self._closed = True
            self._queue.clear()
            for job in self._running.values():
                if job.life is not None:
                    job.life.cancel()
        try:
            if self._tasks:
                self._idle = self._idle or anyio.Event()
                await self._idle.wait()
        finally:
            self._pending.clear()
            self._running.clear()
            self._send.close()
            if self._receive.statistics().current_buffer_used == 0:
                self._receive_done = True
                self._receive.close()

    # -- calls ------------------------------------------------------------------------------

    def submit(self, call: ToolCall) -> None:
        """Queue `call`; returns at once. Its `ToolResult` comes out of `results()`.

        An unknown tool name or arguments that do not fit the signature give an error result
        (no tool runs). Raises `RuntimeError` after `aclose`, `ValueError` when a call with the
        same ``call_id`` is still pending.
        """
        if self._closed:
            raise RuntimeError("ToolRunner is closed")
        if call.call_id in self._pending:
            raise ValueError(f"call {call.call_id!r} is already pending")
        job = _Job(call)
        found = self._tools.get(call.name)
        if found is None:
            known = ", ".join(self._tools) or "none"
            job.result = job.error(
                "unknown_tool", _error_output(f"unknown tool {call.name!r}; available: {known}")
            )
        else:
            kwargs, issue = found.convert(call)
            if issue is not None or kwargs is None:
                text = issue.for_model() if issue is not None else _error_output("bad arguments")
                job.result = job.error("invalid_arguments", text)
            else:
                job.tool = found
                job.args, job.kwargs = found.bind(kwargs, ToolContext(call.call_id, call.name))
        self._pending[call.call_id] = job
        self._queue.append(job)
        self._dispatch()

    def cancel(self, call_id: str) -> bool:
        """Cancel a queued or running call; its result says ``cancelled``.

        Returns False when there is nothing to cancel: unknown id, or the tool has already
        finished (its result stands). A running sync tool is abandoned in its thread.
        """
        job = self._pending.get(call_id)
        if job is None or job.cancel_requested or self._closed:
            return False
        if job in self._queue:
            if job.result is not None:
                return False  # already an error result; nothing runs
            job.cancel_requested = True
            job.result = job.error("cancelled", _error_output("cancelled"))
            self._queue.remove(job)
            self._queue.appendleft(job)  # a known result needs no slot: deliver it first
            self._dispatch()
            return True
        if job.finished or call_id not in self._running:
            return False
        job.cancel_requested = True
        if job.run is not None:
            job.run.cancel()
        return True

    def results(self) -> ToolResults:
        """The results as an async iterator; it ends once `aclose` has run and all are read."""
        return ToolResults(self)

    async def receive(self) -> ToolResult:
        """The next result (raises ``anyio.EndOfStream`` after `aclose` and the last one)."""
        if self._receive_done:
            raise anyio.EndOfStream
        try:
            result = await self._receive.receive()
        except (anyio.EndOfStream, anyio.ClosedResourceError):
            self._receive_done = True
            self._receive.close()
            raise anyio.EndOfStream from None
        self._pending.pop(result.call_id, None)
        return result

    # -- internals --------------------------------------------------------------------------

    def _dispatch(self) -> None:
        """Start queued jobs: known results at once, tools while a slot is free (FIFO)."""
        if self._tg is None or self._closed:
            return
        waiting: deque[_Job] = deque()
        while self._queue:
            job = self._queue.popleft()
            if job.result is None and len(self._running) >= self._max:
                waiting.append(job)
                continue
            if job.result is None:
                self._running[job.call.call_id] = job
            self._tg.start_soon(self._run, job, name=f"tool {job.call.name} {job.call.call_id}")
        self._queue = waiting

    async def _run(self, job: _Job) -> None:
        # Counted from here, not from start_soon: a task cancelled before its first step never
        # runs this body (asyncio), and must not leave aclose waiting for it.
        self._tasks += 1
        try:
            if self._closed:
                return
            job.life = anyio.CancelScope()
            with job.life:
                result = job.result or await self._execute(job)
                await self._send.send(result)
        except (anyio.ClosedResourceError, anyio.BrokenResourceError):
            pass  # closed, or nobody will ever read: the result has nowhere to go
        finally:
            self._running.pop(job.call.call_id, None)
            self._tasks -= 1
            if self._tasks == 0 and self._idle is not None:
                self._idle.set()
            self._dispatch()

    async def _execute(self, job: _Job) -> ToolResult:
        assert job.tool is not None
        t = job.tool
        timeout = t.timeout if t.timeout is not None else self._timeout
        started = anyio.current_time()
        deadline = started + timeout if timeout is not None else math.inf
        job.run = anyio.CancelScope(deadline=deadline)
        if job.cancel_requested:  # cancelled between dispatch and this task's first step
            job.finished = True
            return job.error("cancelled", _error_output("cancelled"))
        failure: Exception | None = None
        value: Any = None
        with job.run:
            try:
                if t.is_async:
                    value = await t.fn(*job.args, **job.kwargs)
                else:
                    call = functools.partial(t.fn, *job.args, **job.kwargs)
                    value = await anyio.to_thread.run_sync(
                        call, abandon_on_cancel=True, limiter=self._limiter
                    )
                    if inspect.iscoroutine(value):  # trio refuses this itself; so do we
                        value.close()
                        raise TypeError(
                            "a sync callable returned a coroutine; declare the tool async def"
                        )
            except Exception as exc:
                failure = exc
        job.finished = True
        duration = anyio.current_time() - started
        if job.run.cancelled_caught:
            if job.cancel_requested:
                return job.error("cancelled", _error_output("cancelled"), duration)
            return job.error("timeout", _error_output(f"timed out after {timeout:g}s"), duration)
        if failure is not None:
            output = _error_output(_exception_message(failure))
            return dataclasses.replace(job.error("exception", output, duration), exception=failure)
        return ToolResult(job.call.call_id, job.call.name, encode_output(value), False, duration)

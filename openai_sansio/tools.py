"""Tools from plain Python callables, and a runner that never blocks the receive path.

What: `tool` (a decorator, or a plain call) turns a function into a `Tool`: the callable plus
the `ToolSpec` the model sees. The parameter schema comes from the signature's type hints and
the descriptions from the docstring (see `tools_schema` for what is supported, and strict
mode); `Tool.convert` turns a model's `ToolCall` into the function's keyword arguments, or
into an `ArgumentIssue` to hand back to the model. `tool_from_callable` is the same when only
the `ToolSpec` is wanted. `ToolRunner` (in `tools_runner`, re-exported here) runs calls
concurrently outside the caller's task and hands back `ToolResult` values.

Not in the schema: ``*args``/``**kwargs``, positional-only parameters (which need a default),
and a parameter annotated with `ToolContext`, which the runner fills in with the call's id and
name. A parameter with a default is optional; when the model omits it (or, for a type without
``None``, sends ``null``: strict mode's only way to omit) the function's own default applies.

Why: a voice session must keep receiving audio while a tool runs, and every failure (unknown
tool, bad arguments, exception, timeout) must become an output the model can read and act on.

Next::

    @tool
    def get_weather(city: str, unit: Literal["C", "F"] = "C") -> str:
        '''The current weather in a city.

        Args:
            city: The city name, e.g. "Paris".
            unit: Temperature unit.
        '''

    params = GenerationParams(model="gpt-5-mini", tools=[get_weather.spec])
    async with anyio.create_task_group() as tg:
        runner = ToolRunner([get_weather]).start(tg)
        runner.submit(call)                      # from the receive loop, never blocks
        async for result in runner.results():    # elsewhere: send result.output back
            ...
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import re
import typing
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Final, Generic, Literal, ParamSpec, TypeVar, overload

import msgspec

from .protocol.events.common import ToolCall
from .protocol.requests import ToolSpec
from .tools_schema import (
    _ARRAY_ORIGINS,
    _NO_DEFAULT,
    STRICT_MAX_DEPTH,
    STRICT_MAX_ENUM_VALUES,
    STRICT_MAX_PROPERTIES,
    ToolContext,
    _accepts_none,
    _Field,
    _fields_of,
    _is_context,
    _is_union,
    _SchemaBuilder,
    parse_docstring,
    strict_schema_problems,
)

if TYPE_CHECKING:
    from .tools_runner import ToolResult, ToolRunner

__all__ = [
    "STRICT_MAX_DEPTH",
    "STRICT_MAX_ENUM_VALUES",
    "STRICT_MAX_PROPERTIES",
    "ArgumentIssue",
    "Tool",
    "ToolContext",
    "ToolResult",
    "ToolRunner",
    "ToolSpec",
    "parse_docstring",
    "strict_schema_problems",
    "tool",
    "tool_from_callable",
]

P = ParamSpec("P")
R = TypeVar("R")

_LAZY: Final = frozenset({"ToolResult", "ToolRunner"})
"""Imported on first use: the runner needs anyio, the schema half does not."""


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from . import tools_runner

    value = getattr(tools_runner, name)
    globals()[name] = value
    return value


ArgumentIssueKind = Literal[
    "invalid_json", "not_an_object", "missing_field", "unknown_field", "invalid_value"
]


@dataclasses.dataclass(frozen=True, slots=True)
class ArgumentIssue:
    """Why a call's arguments cannot be passed to the tool: what is wrong, and where.

    `path` is a JSON path (``"$.city"``, ``"$.stops[2].lat"``) when the problem has a place.
    `for_model()` is the text to send back as the call's output, so the model can correct
    itself in its next call.
    """

    kind: ArgumentIssueKind
    message: str
    path: str | None = None

    def for_model(self) -> str:
        """``{"error": "invalid arguments: ...", "field": ...}`` as JSON text."""
        body: dict[str, str] = {"error": f"invalid arguments: {self.message}"}
        if self.path is not None:
            body["field"] = self.path
        return msgspec.json.encode(body).decode()


_AT_RE: Final = re.compile(r"^(.*?) - at `(\$[^`]*)`$", re.DOTALL)
_FIELD_NAME_RE: Final = re.compile(r"field `([^`]*)`")


def _issue_from(exc: msgspec.ValidationError) -> ArgumentIssue:
    text = str(exc)
    at = "$"
    if (m := _AT_RE.match(text)) is not None:
        text, at = m.group(1), m.group(2)
    kind: ArgumentIssueKind = "invalid_value"
    path: str | None = at
    if text.startswith(("Object missing required field", "Object contains unknown field")):
        kind = "missing_field" if "missing" in text else "unknown_field"
        if (f := _FIELD_NAME_RE.search(text)) is not None:
            path = f"{at}.{f.group(1)}"
    return ArgumentIssue(kind, text, path)


def _strip_nulls(tp: Any, value: Any) -> Any:
    """Drop ``null`` for optional fields whose type has no ``None`` (strict mode's "omitted")."""
    while typing.get_origin(tp) is typing.Annotated:
        tp = typing.get_args(tp)[0]
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if _is_union(tp):
        objects = [a for a in args if _fields_of(a) is not None]
        return _strip_nulls(objects[0], value) if len(objects) == 1 else value
    if isinstance(value, list):
        if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
            return [_strip_nulls(t, v) for t, v in zip(args, value, strict=False)] + value[
                len(args) :
            ]
        if args and (origin in _ARRAY_ORIGINS or origin is tuple):
            return [_strip_nulls(args[0], v) for v in value]
        return value
    if isinstance(value, dict) and isinstance(tp, type):
        fields = _fields_of(tp)
        return _strip_fields(fields, value) if fields is not None else value
    return value


def _strip_fields(fields: list[_Field], value: dict[str, Any]) -> dict[str, Any]:
    out = dict(value)
    for f in fields:
        if f.key not in out:
            continue
        if out[f.key] is None and not f.required and not _accepts_none(f.tp):
            del out[f.key]
        else:
            out[f.key] = _strip_nulls(f.tp, out[f.key])
    return out


# ---------------------------------------------------------------------------------------------
# Tool


def _is_async_callable(fn: Callable[..., Any]) -> bool:
    return inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(
        getattr(fn, "__call__", None)  # noqa: B004 - an object with an async __call__
    )


class Tool(Generic[P, R]):
    """A callable and the `ToolSpec` the model sees; calling the `Tool` calls the function.

    Made by `tool`. `convert` checks a call's arguments; `timeout` (seconds, ``None`` = the
    runner's) bounds one run. Hand it to `ToolRunner`; send `spec` to the API.
    """

    __slots__ = (
        "_args_type",
        "_context",
        "_fields",
        "description",
        "fn",
        "is_async",
        "spec",
        "timeout",
    )

    def __init__(
        self,
        fn: Callable[P, R],
        *,
        name: str | None = None,
        description: str | None = None,
        strict: bool | None = None,
        timeout: float | None = None,
    ) -> None:
        if not callable(fn):
            raise TypeError(f"a tool must be callable, got {fn!r}")
        if timeout is not None and not timeout > 0:
            raise ValueError(f"timeout must be > 0 seconds, got {timeout!r}")
        self.fn: Callable[P, R] = fn
        self.timeout = timeout
        self.is_async = _is_async_callable(fn)
        base: Any = fn
        while isinstance(base, functools.partial):
            base = base.func
        own_name = getattr(base, "__name__", None) or type(base).__name__
        label = getattr(base, "__qualname__", None) or own_name
        tool_name = name if name is not None else own_name
        if not isinstance(tool_name, str) or not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", tool_name):
            raise ValueError(
                f"{label}: tool name {tool_name!r} is not 1-64 of a-z, A-Z, 0-9, '_', '-'; "
                "pass name="
            )
        summary, param_docs = parse_docstring(inspect.getdoc(base))
        self._fields, self._context = _signature_fields(fn, base, label, param_docs)
        builder = _SchemaBuilder(strict=bool(strict))
        schema = builder.object_schema(self._fields, f"{label}:", "parameter")
        if builder.defs:
            schema["$defs"] = builder.defs
        if strict and (problems := strict_schema_problems(schema)):
            raise TypeError(f"{label}: schema breaks strict mode: {'; '.join(problems)}")
        self.description = description if description is not None else summary
        self.spec = ToolSpec(
            name=tool_name, description=self.description, parameters=schema, strict=strict
        )
        for f in self._fields:  # what msgspec cannot convert (a union of two dataclasses...)
            try:
                msgspec.json.Decoder(f.tp)
            except TypeError as exc:
                raise TypeError(f"{label}: parameter {f.name!r}: cannot convert ({exc})") from None
        self._args_type = _arguments_type(tool_name, self._fields, label)

    @property
    def name(self) -> str:
        """The name the model calls the tool by."""
        return self.spec.name

    @property
    def context_param(self) -> str | None:
        """The parameter that receives the `ToolContext`, if any."""
        return None if self._context is None else self._context[0]

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        return self.fn(*args, **kwargs)

    def __repr__(self) -> str:
        kind = "async" if self.is_async else "sync"
        return f"Tool({self.name!r}, {kind}, strict={self.spec.strict!r})"

    def convert(
        self, arguments: ToolCall | Mapping[str, Any]
    ) -> tuple[dict[str, Any] | None, ArgumentIssue | None]:
        """The keyword arguments for the function, or ``(None, issue)`` saying what is wrong.

        Takes a `ToolCall` (whose JSON problem, if any, is reported as is) or the decoded
        arguments object. Values are converted by msgspec against the annotations (dataclass,
        Struct, Enum, datetime instances built; ``msgspec.Meta`` constraints enforced); an
        omitted optional argument (or its ``null`` when its type has no ``None``) is left out
        so the function's own default applies. The `ToolContext` is not included: see `bind`.
        """
        if isinstance(arguments, ToolCall):
            if arguments.problem is not None:
                p = arguments.problem
                return None, ArgumentIssue(p.kind, p.message)
            arguments = arguments.parsed
        if not isinstance(arguments, Mapping):
            kind = type(arguments).__name__
            return None, ArgumentIssue("not_an_object", f"arguments must be an object, not {kind}")
        value = _strip_fields(self._fields, dict(arguments))
        try:
            obj = msgspec.convert(value, self._args_type)
        except msgspec.ValidationError as exc:
            return None, _issue_from(exc)
        return {
            f.name: v for f in self._fields if (v := getattr(obj, f.name)) is not msgspec.UNSET
        }, None

    def bind(
        self, kwargs: Mapping[str, Any], context: ToolContext
    ) -> tuple[tuple[Any, ...], dict[str, Any]]:
        """``(args, kwargs)`` to call `fn` with: converted arguments plus the context."""
        if self._context is None:
            return (), dict(kwargs)
        param, positional = self._context
        if positional:
            return (context,), dict(kwargs)
        return (), {**kwargs, param: context}


def _signature_fields(
    fn: Callable[..., Any], base: Any, label: str, docs: Mapping[str, str]
) -> tuple[list[_Field], tuple[str, bool] | None]:
    """The schema's fields (from `fn`'s signature) and the context parameter, if any.

    `base` is `fn` without ``functools.partial`` layers: where the type hints live.
    """
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{label}: no inspectable signature ({exc})") from None
    target: Any = base
    if inspect.isclass(target):
        target = target.__init__
    elif not (inspect.isfunction(target) or inspect.ismethod(target)):
        target = type(target).__call__  # an object with __call__
    try:
        hints = typing.get_type_hints(target, include_extras=True)
    except Exception as exc:  # NameError for an unresolvable forward reference, and kin
        raise TypeError(f"{label}: cannot resolve type hints ({exc})") from None
    fields: list[_Field] = []
    context: tuple[str, bool] | None = None
    kinds = inspect.Parameter
    for i, param in enumerate(sig.parameters.values()):
        if param.kind in (kinds.VAR_POSITIONAL, kinds.VAR_KEYWORD):
            continue
        where = f"{label}: parameter {param.name!r}"
        if param.name not in hints:
            raise TypeError(f"{where} has no type annotation")
        tp = hints[param.name]
        if _is_context(tp):
            if context is not None:
                raise TypeError(f"{where}: only one parameter may take the ToolContext")
            if param.kind is kinds.POSITIONAL_ONLY and i != 0:
                raise TypeError(f"{where}: a positional-only ToolContext must come first")
            context = (param.name, param.kind is kinds.POSITIONAL_ONLY)
            continue
        if param.kind is kinds.POSITIONAL_ONLY:
            if param.default is _NO_DEFAULT:
                raise TypeError(
                    f"{where} is positional-only without a default; the model passes "
                    "arguments by name, so it could never be given"
                )
            continue
        required = param.default is _NO_DEFAULT
        doc = docs.get(param.name)
        fields.append(_Field(param.name, param.name, tp, required, param.default, doc))
    return fields, context


def _arguments_type(name: str, fields: list[_Field], label: str) -> type[msgspec.Struct]:
    specs: list[tuple[str, Any] | tuple[str, Any, Any]] = []
    for f in fields:
        if f.required:
            specs.append((f.name, f.tp))
        else:
            specs.append((f.name, f.tp | msgspec.UnsetType, msgspec.UNSET))
    try:
        return msgspec.defstruct(
            f"{name}_arguments", specs, kw_only=True, forbid_unknown_fields=True
        )
    except (TypeError, ValueError) as exc:  # a parameter name msgspec reserves, say
        raise TypeError(f"{label}: cannot build the arguments type ({exc})") from None


@overload
def tool(
    fn: Callable[P, R],
    /,
    *,
    name: str | None = None,
    description: str | None = None,
    strict: bool | None = None,
    timeout: float | None = None,
) -> Tool[P, R]: ...


@overload
def tool(
    fn: None = None,
    /,
    *,
    name: str | None = None,
    description: str | None = None,
    strict: bool | None = None,
    timeout: float | None = None,
) -> Callable[[Callable[P, R]], Tool[P, R]]: ...


def tool(
    fn: Callable[P, R] | None = None,
    /,
    *,
    name: str | None = None,
    description: str | None = None,
    strict: bool | None = None,
    timeout: float | None = None,
) -> Tool[P, R] | Callable[[Callable[P, R]], Tool[P, R]]:
    """Make a `Tool` of `fn`: ``@tool``, ``@tool(strict=True)`` or ``tool(fn, name=...)``.

    `name` defaults to the function's name, `description` to the docstring's summary.
    `strict` is sent as the tool's ``strict`` flag and, when true, shapes the schema for
    OpenAI strict mode (see the module docs); ``None`` leaves the flag unset (the API's
    default applies, which differs between the Responses and Chat APIs). `timeout` overrides
    the runner's for this tool. Raises `TypeError` for an annotation that cannot be expressed.
    """

    def make(f: Callable[P, R]) -> Tool[P, R]:
        return Tool(f, name=name, description=description, strict=strict, timeout=timeout)

    return make if fn is None else make(fn)


def tool_from_callable(
    fn: Callable[..., Any],
    *,
    name: str | None = None,
    description: str | None = None,
    strict: bool | None = None,
) -> ToolSpec:
    """Only the `ToolSpec` of `tool(fn, ...)`: for code that runs calls itself."""
    return Tool(fn, name=name, description=description, strict=strict).spec

"""JSON Schema from Python type hints and docstrings, for function tools (no I/O, no event loop).

What: the schema half of `openai_sansio.tools`. `_SchemaBuilder` walks annotations into JSON
Schema, with descriptions from docstrings (`parse_docstring`, re-exported from
`openai_sansio.tools_docstring`: Google, NumPy or reST ``:param x:`` style);
`strict_schema_problems` checks a schema against OpenAI's strict-mode rules; `ToolContext` is
what a tool may ask to receive instead of a model-supplied argument.

Supported annotations: ``str``, ``int``, ``float``, ``bool``, ``None``, ``X | None`` and other
unions, ``list[T]`` (and ``Sequence``, ``set``, ``frozenset``), ``tuple[T, ...]`` and fixed
tuples, ``dict[str, T]`` (not in strict mode), ``Literal[...]``, ``Enum`` subclasses,
``TypedDict``, dataclasses, ``msgspec.Struct`` (tags and renames honoured), ``datetime``,
``date``, ``time``, ``timedelta``, ``UUID`` (strings with a ``format``), ``Any`` (not in strict
mode), and ``Annotated[T, ...]`` carrying a description as a plain ``str``, an object with a
``description``/``documentation`` attribute (``typing_extensions.Doc``), or ``msgspec.Meta``
(constraints become schema keywords). Anything else is a `TypeError` naming the parameter and
field at fault. Recursive classes are emitted once under ``$defs`` and referenced.

Strict mode follows OpenAI's Structured Outputs rules as documented: every object lists all
its properties in ``required`` and sets ``additionalProperties: false``; an optional property
becomes nullable instead (``null`` means "use the default", which the description names,
since the ``default`` keyword is not permitted); no open objects (``dict[str, T]``), ``Any``,
``prefixItems``, ``minLength``/``maxLength``, ``uniqueItems`` or composition but ``anyOf``;
at most 10 levels of nesting, 5000 properties and 1000 enum values.

Why separate: the schema is pure data work, useful without running anything (build a
`ToolSpec` with `openai_sansio.tools.tool_from_callable` and run calls yourself).

Next: `openai_sansio.tools.tool` wraps a callable into a `Tool` using this module.
"""

from __future__ import annotations

import collections.abc as cabc
import dataclasses
import datetime
import enum
import inspect
import types
import typing
import uuid
from collections.abc import Mapping
from typing import Any, Final, Literal

import msgspec

from .tools_docstring import class_doc, parse_docstring

__all__ = [
    "STRICT_MAX_DEPTH",
    "STRICT_MAX_ENUM_VALUES",
    "STRICT_MAX_PROPERTIES",
    "ToolContext",
    "parse_docstring",
    "strict_schema_problems",
]

_NO_DEFAULT: Final[Any] = inspect.Parameter.empty

# ---------------------------------------------------------------------------------------------
# The injected context


@dataclasses.dataclass(frozen=True, slots=True)
class ToolContext:
    """What a tool may want to know about the call it serves; never shown to the model.

    Annotate one parameter with this class (any name) and the runner passes it in: `call_id`
    to correlate logs or partial results, `name` for tools registered under several names.
    """

    call_id: str
    name: str


# ---------------------------------------------------------------------------------------------
# Schemas


@dataclasses.dataclass(frozen=True, slots=True)
class _Field:
    """One property of an object: a parameter, or a field of a dataclass/Struct/TypedDict."""

    name: str  # the Python name (keyword argument or attribute)
    key: str  # the JSON key
    tp: Any
    required: bool
    default: Any = _NO_DEFAULT
    doc: str | None = None


_STRING_FORMATS: Final[Mapping[Any, str]] = {
    datetime.datetime: "date-time",
    datetime.date: "date",
    datetime.time: "time",
    datetime.timedelta: "duration",
    uuid.UUID: "uuid",
}
_ARRAY_ORIGINS: Final = frozenset(
    {list, set, frozenset, cabc.Sequence, cabc.MutableSequence, cabc.Set, cabc.MutableSet}
)
_MAPPING_ORIGINS: Final = frozenset({dict, cabc.Mapping, cabc.MutableMapping})
_META_NUMERIC: Final = {
    "gt": "exclusiveMinimum",
    "ge": "minimum",
    "lt": "exclusiveMaximum",
    "le": "maximum",
    "multiple_of": "multipleOf",
}
_SUPPORTED: Final = (
    "str, int, float, bool, None, unions, list/set/tuple, dict[str, T], Literal, Enum, "
    "TypedDict, dataclasses, msgspec.Struct, datetime/date/time/timedelta/UUID, Annotated"
)
_JSON_TYPE_OF: Final[Mapping[type, str]] = {
    bool: "boolean",
    int: "integer",
    float: "number",
    str: "string",
    type(None): "null",
}


def _json_type(value: Any) -> str:
    for py, js in _JSON_TYPE_OF.items():
        if type(value) is py:
            return js
    raise TypeError(f"{value!r} cannot be a JSON enum value")


def _enum_schema(values: list[Any]) -> dict[str, Any]:
    kinds = list(dict.fromkeys(_json_type(v) for v in values))
    return {"type": kinds[0] if len(kinds) == 1 else kinds, "enum": values}


def _is_union(tp: Any) -> bool:
    return typing.get_origin(tp) in (typing.Union, types.UnionType)


def _accepts_none(tp: Any) -> bool:
    """Whether ``None`` is a valid value of `tp` (so ``null`` is a value, not "omitted")."""
    while typing.get_origin(tp) is typing.Annotated:
        tp = typing.get_args(tp)[0]
    if tp is None or tp is type(None) or tp is Any:
        return True
    if _is_union(tp):
        return any(_accepts_none(a) for a in typing.get_args(tp))
    if typing.get_origin(tp) is Literal:
        return None in typing.get_args(tp)
    return False


def _fields_of(cls: type) -> list[_Field] | None:
    """The fields of a dataclass, Struct or TypedDict (``None`` for any other type)."""
    if isinstance(cls, type) and issubclass(cls, msgspec.Struct):
        _, docs = class_doc(cls)
        return [
            _Field(f.name, f.encode_name, f.type, f.required, f.default, docs.get(f.name))
            for f in msgspec.structs.fields(cls)
        ]
    if isinstance(cls, type) and dataclasses.is_dataclass(cls):
        hints = typing.get_type_hints(cls, include_extras=True)
        _, docs = class_doc(cls)
        out = []
        for f in dataclasses.fields(cls):
            if not f.init:
                continue
            required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
            default = _NO_DEFAULT if f.default is dataclasses.MISSING else f.default
            out.append(_Field(f.name, f.name, hints[f.name], required, default, docs.get(f.name)))
        return out
    if typing.is_typeddict(cls):
        hints = typing.get_type_hints(cls, include_extras=True)
        _, docs = class_doc(cls)
        required_keys: frozenset[str] = getattr(cls, "__required_keys__", frozenset(hints))
        return [
            _Field(k, k, _unwrap_required(t), k in required_keys, doc=docs.get(k))
            for k, t in hints.items()
        ]
    return None


def _unwrap_required(tp: Any) -> Any:
    # get_type_hints(include_extras=True) keeps NotRequired[...]/Required[...] wrappers
    if typing.get_origin(tp) in (typing.NotRequired, typing.Required):
        return typing.get_args(tp)[0]
    return tp


def _json_default(value: Any) -> tuple[bool, Any]:
    try:
        return True, msgspec.to_builtins(value)
    except (TypeError, ValueError, msgspec.EncodeError):
        return False, None


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` or ``null``; a description moves to the outer level."""
    if _schema_accepts_null(schema):
        return schema
    inner = dict(schema)
    description = inner.pop("description", None)
    arms = inner["anyOf"] if set(inner) == {"anyOf"} else [inner]
    out: dict[str, Any] = {"anyOf": [*arms, {"type": "null"}]}
    if description is not None:
        out["description"] = description
    return out


def _schema_accepts_null(schema: Mapping[str, Any]) -> bool:
    kind = schema.get("type")
    if kind == "null" or (isinstance(kind, list) and "null" in kind):
        return "enum" not in schema or None in schema["enum"]
    return any(_schema_accepts_null(arm) for arm in schema.get("anyOf", ()))


class _SchemaBuilder:
    """Walks annotations into JSON Schema; recursive classes go to ``$defs`` by reference."""

    def __init__(self, *, strict: bool) -> None:
        self.strict = strict
        self.defs: dict[str, dict[str, Any]] = {}
        self._def_names: dict[type, str] = {}
        self._stack: list[type] = []
        self._recursive: set[type] = set()

    def _fail(self, where: str, message: str) -> TypeError:
        mode = " in strict mode" if self.strict else ""
        return TypeError(f"{where}: {message}{mode}")

    def build(self, tp: Any, where: str) -> dict[str, Any]:
        origin = typing.get_origin(tp)
        args = typing.get_args(tp)
        if origin is typing.Annotated:
            return self._annotated(args[0], args[1:], where)
        if tp is Any:
            if self.strict:
                raise self._fail(where, "Any has no JSON Schema type; name a concrete type")
            return {}
        if tp is None or tp is type(None):
            return {"type": "null"}
        if _is_context(tp):
            raise self._fail(where, "ToolContext can only annotate a parameter of the tool")
        if isinstance(tp, type) and tp in _JSON_TYPE_OF:
            return {"type": _JSON_TYPE_OF[tp]}
        if isinstance(tp, type) and tp in _STRING_FORMATS:
            return {"type": "string", "format": _STRING_FORMATS[tp]}
        if origin is Literal or (isinstance(tp, type) and issubclass(tp, enum.Enum)):
            return self._enum(tp, where)
        if _is_union(tp):
            return self._union(args, where)
        if tp in (list, set, frozenset, tuple) or origin in _ARRAY_ORIGINS:
            item = args[0] if args else Any
            return {"type": "array", "items": self.build(item, f"{where} (items)")}
        if origin is tuple:
            return self._tuple(args, where)
        if tp is dict or origin in _MAPPING_ORIGINS:
            return self._mapping(args, where)
        if isinstance(tp, type):
            try:
                fields = _fields_of(tp)
            except Exception as exc:  # NameError: a field's forward reference cannot resolve
                raise self._fail(where, f"cannot resolve the fields of {tp!r} ({exc})") from None
            if fields is not None:
                return self._class(tp, fields, where)
        raise self._fail(where, f"unsupported annotation {tp!r} (supported: {_SUPPORTED})")

    def _enum(self, tp: Any, where: str) -> dict[str, Any]:
        members = typing.get_args(tp) if typing.get_origin(tp) is Literal else list(tp)
        values = [m.value if isinstance(m, enum.Enum) else m for m in members]
        try:
            schema = _enum_schema(values)
        except TypeError as exc:
            raise self._fail(where, str(exc)) from None
        if isinstance(tp, type):
            summary, _ = class_doc(tp)
            if summary:
                schema["description"] = summary
        return schema

    def _annotated(self, inner: Any, extras: tuple[Any, ...], where: str) -> dict[str, Any]:
        schema = self.build(inner, where)
        if "$ref" in schema:
            return schema  # a reference stands alone (no sibling keywords)
        for extra in extras:
            if isinstance(extra, msgspec.Meta):
                self._apply_meta(schema, extra)
            elif isinstance(extra, str):
                schema["description"] = extra
            else:
                text = getattr(extra, "documentation", None) or getattr(extra, "description", None)
                if isinstance(text, str):
                    schema["description"] = text
        return schema

    def _apply_meta(self, schema: dict[str, Any], meta: msgspec.Meta) -> None:
        kind = schema.get("type")
        for attr, key in _META_NUMERIC.items():
            if (value := getattr(meta, attr)) is not None:
                schema[key] = value
        if meta.pattern is not None:
            schema["pattern"] = meta.pattern
        for attr, suffix in (("min_length", "min"), ("max_length", "max")):
            value = getattr(meta, attr)
            if value is None:
                continue
            if kind == "array":
                schema[f"{suffix}Items"] = value
            elif kind == "string" and not self.strict:
                schema[f"{suffix}Length"] = value
            elif kind == "object" and not self.strict:
                schema[f"{suffix}Properties"] = value
        if meta.title is not None:
            schema["title"] = meta.title
        if meta.description is not None:
            schema["description"] = meta.description
        if meta.examples is not None and not self.strict:
            schema["examples"] = list(meta.examples)
        if meta.extra_json_schema:
            schema.update(meta.extra_json_schema)

    def _union(self, args: tuple[Any, ...], where: str) -> dict[str, Any]:
        arms: list[dict[str, Any]] = []
        for i, arg in enumerate(args):
            schema = self.build(arg, f"{where} (union member {i + 1})")
            for arm in schema["anyOf"] if set(schema) == {"anyOf"} else [schema]:
                if arm not in arms:
                    arms.append(arm)
        return arms[0] if len(arms) == 1 else {"anyOf": arms}

    def _tuple(self, args: tuple[Any, ...], where: str) -> dict[str, Any]:
        if len(args) == 2 and args[1] is Ellipsis:
            return {"type": "array", "items": self.build(args[0], f"{where} (items)")}
        if args == ((),) or not args:
            return {"type": "array", "maxItems": 0} if self.strict else {"type": "array"}
        items = [self.build(a, f"{where} (item {i})") for i, a in enumerate(args)]
        if not self.strict:
            return {
                "type": "array",
                "prefixItems": items,
                "items": False,
                "minItems": len(items),
                "maxItems": len(items),
            }
        # strict mode has no prefixItems: any of the item types, exactly n of them
        distinct = self._union(args, where)
        return {
            "type": "array",
            "items": distinct,
            "minItems": len(items),
            "maxItems": len(items),
            "description": "Exactly in this order: "
            + ", ".join(str(i.get("type", "value")) for i in items),
        }

    def _mapping(self, args: tuple[Any, ...], where: str) -> dict[str, Any]:
        if self.strict:
            raise self._fail(
                where,
                "dict[str, T] is an open object, which strict mode forbids "
                "(use a dataclass/TypedDict, a list of pairs, or strict=False)",
            )
        key, value = args if args else (str, Any)
        if key is not str:
            raise self._fail(where, f"JSON object keys are strings, not {key!r}")
        return {"type": "object", "additionalProperties": self.build(value, f"{where} (values)")}

    def _class(self, cls: type, fields: list[_Field], where: str) -> dict[str, Any]:
        if cls in self._stack:
            self._recursive.add(cls)
            return {"$ref": f"#/$defs/{self._def_name(cls)}"}
        if cls in self._def_names and self._def_names[cls] in self.defs:
            return {"$ref": f"#/$defs/{self._def_names[cls]}"}
        self._stack.append(cls)
        try:
            schema = self.object_schema(fields, f"{where} ({cls.__name__})", "field")
        finally:
            self._stack.pop()
        if isinstance(cls, type) and issubclass(cls, msgspec.Struct):
            config = cls.__struct_config__
            if config.tag_field is not None and config.tag is not None:
                schema["properties"] = {
                    config.tag_field: _enum_schema([config.tag]),
                    **schema["properties"],
                }
                schema["required"] = [config.tag_field, *schema["required"]]
        summary, _ = class_doc(cls)
        if summary:
            schema = {"description": summary, **schema}
        if cls in self._recursive:
            self.defs[self._def_name(cls)] = schema
            return {"$ref": f"#/$defs/{self._def_name(cls)}"}
        return schema

    def _def_name(self, cls: type) -> str:
        if cls not in self._def_names:
            name, n = cls.__name__, 1
            while name in self._def_names.values():
                n += 1
                name = f"{cls.__name__}_{n}"
            self._def_names[cls] = name
        return self._def_names[cls]

    def object_schema(self, fields: list[_Field], where: str, noun: str) -> dict[str, Any]:
        """An object schema for `fields`, optional ones per the mode (see module docs)."""
        properties: dict[str, Any] = {}
        required: list[str] = []
        for f in fields:
            schema = self.build(f.tp, f"{where} {noun} {f.name!r}")
            if f.doc and "description" not in schema and "$ref" not in schema:
                schema["description"] = f.doc
            if not f.required:
                schema = self._optional(schema, f.default)
            if self.strict or f.required:
                required.append(f.key)
            properties[f.key] = schema
        return {
            "type": "object",
            "properties": properties,
            "required": required,
            "additionalProperties": False,
        }

    def _optional(self, schema: dict[str, Any], default: Any) -> dict[str, Any]:
        known, value = (False, None) if default is _NO_DEFAULT else _json_default(default)
        if not self.strict:
            if known and "$ref" not in schema:
                schema["default"] = value
            return schema
        accepts_null = _schema_accepts_null(schema)
        schema = _nullable(schema)
        if known and not accepts_null:
            note = f"Optional: null means the default ({msgspec.json.encode(value).decode()})."
        elif not accepts_null:
            note = "Optional: null means the default."
        else:
            return schema
        old = str(schema.get("description") or "").rstrip()
        if old and not old.endswith((".", "!", "?")):
            old += "."
        schema["description"] = f"{old} {note}" if old else note
        return schema


# ---------------------------------------------------------------------------------------------
# Strict-mode rules

_STRICT_TYPES: Final = frozenset(
    {"string", "number", "integer", "boolean", "object", "array", "null"}
)
_STRICT_FORMATS: Final = frozenset(
    {"date-time", "time", "date", "duration", "email", "hostname", "ipv4", "ipv6", "uuid"}
)
_STRICT_FORBIDDEN: Final = frozenset(
    [
        "allOf",
        "oneOf",
        "not",
        "if",
        "then",
        "else",
        "dependentRequired",
        "dependentSchemas",
        "patternProperties",
        "propertyNames",
        "unevaluatedProperties",
        "unevaluatedItems",
        "minProperties",
        "maxProperties",
        "contains",
        "minContains",
        "maxContains",
        "uniqueItems",
        "prefixItems",
        "default",
        "minLength",
        "maxLength",
    ]
)
STRICT_MAX_DEPTH: Final = 10
"""OpenAI's strict-mode limit on object nesting."""
STRICT_MAX_PROPERTIES: Final = 5000
"""OpenAI's strict-mode limit on object properties in one schema."""
STRICT_MAX_ENUM_VALUES: Final = 1000
"""OpenAI's strict-mode limit on enum values in one schema."""


def strict_schema_problems(schema: Mapping[str, Any]) -> list[str]:
    """What keeps `schema` from being accepted in OpenAI strict mode (empty list: nothing).

    Checked: the root is an object (not ``anyOf``); every object has ``properties``, lists all
    of them in ``required`` and sets ``additionalProperties: false``; types are JSON Schema's
    basic ones; no composition other than ``anyOf`` and no unsupported keyword (``default``,
    ``prefixItems``, ``minLength``, ``uniqueItems``, ...); ``format`` is one OpenAI knows;
    ``$ref`` stands alone and points into the document; nesting, property and enum limits.
    """
    problems: list[str] = []
    counts = {"properties": 0, "enum": 0}
    if schema.get("type") != "object" or "anyOf" in schema:
        problems.append("$: the root must be an object schema, not anyOf")
    _strict_walk(schema, "$", 1, problems, counts)
    for name, sub in (schema.get("$defs") or {}).items():
        _strict_walk(sub, f"$defs.{name}", 1, problems, counts)
    if counts["properties"] > STRICT_MAX_PROPERTIES:
        problems.append(f"$: {counts['properties']} properties (max {STRICT_MAX_PROPERTIES})")
    if counts["enum"] > STRICT_MAX_ENUM_VALUES:
        problems.append(f"$: {counts['enum']} enum values (max {STRICT_MAX_ENUM_VALUES})")
    return problems


def _strict_walk(
    node: Any, path: str, depth: int, problems: list[str], counts: dict[str, int]
) -> None:
    if not isinstance(node, Mapping):
        problems.append(f"{path}: a schema must be an object, got {node!r}")
        return
    if "$ref" in node:
        if set(node) != {"$ref"}:
            problems.append(f"{path}: $ref must stand alone")
        if not str(node["$ref"]).startswith("#"):
            problems.append(f"{path}: $ref must point into this schema")
        return
    problems.extend(
        f"{path}: {k!r} is not supported" for k in sorted(_STRICT_FORBIDDEN & set(node))
    )
    kinds = node.get("type")
    kind_list = kinds if isinstance(kinds, list) else [kinds] if kinds is not None else []
    for k in kind_list:
        if k not in _STRICT_TYPES:
            problems.append(f"{path}: type {k!r} is not supported")
    if kinds is None and not ({"anyOf", "enum", "const"} & set(node)):
        problems.append(f"{path}: no type")
    if "format" in node and node["format"] not in _STRICT_FORMATS:
        problems.append(f"{path}: format {node['format']!r} is not supported")
    counts["enum"] += len(node.get("enum", ()))
    if "object" in kind_list:
        if depth > STRICT_MAX_DEPTH:
            problems.append(f"{path}: objects nested deeper than {STRICT_MAX_DEPTH} levels")
        props = node.get("properties")
        if not isinstance(props, Mapping):
            problems.append(f"{path}: an object needs properties")
            props = {}
        if node.get("additionalProperties") is not False:
            problems.append(f"{path}: additionalProperties must be false")
        required = node.get("required")
        if not isinstance(required, list) or set(required) != set(props):
            missing = sorted(set(props) - set(required or ()))
            problems.append(f"{path}: every property must be required (missing {missing})")
        counts["properties"] += len(props)
        for key, sub in props.items():
            _strict_walk(sub, f"{path}.{key}", depth + 1, problems, counts)
    if "array" in kind_list:
        items = node.get("items")
        if not isinstance(items, Mapping):
            problems.append(f"{path}: an array needs an items schema")
        else:
            _strict_walk(items, f"{path}[]", depth, problems, counts)
    for i, arm in enumerate(node.get("anyOf", ())):
        _strict_walk(arm, f"{path}.anyOf[{i}]", depth, problems, counts)


def _is_context(tp: Any) -> bool:
    """`ToolContext` (or a subclass), possibly ``Annotated`` or ``| None``."""
    while typing.get_origin(tp) is typing.Annotated:
        tp = typing.get_args(tp)[0]
    if _is_union(tp):
        arms = [a for a in typing.get_args(tp) if a is not type(None)]
        return len(arms) == 1 and _is_context(arms[0])
    return isinstance(tp, type) and issubclass(tp, ToolContext)

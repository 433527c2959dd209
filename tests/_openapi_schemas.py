"""Event schemas of the official OpenAPI document, as plain JSON Schema a generator can use.

What: `load_spec()` reads ``../shared/openapi/openapi.json``; `union_members(spec, union)` lists
the members of one event union (``RealtimeServerEvent``, ``ResponseStreamEvent``, ...) as
`EventSchema` records (name, wire ``type`` tag, schema); `to_json_schema(spec, schema)` turns a
member into a self-contained JSON Schema (draft 2020-12 subset) for
`_schema_strategies.from_schema` (and for the ``jsonschema`` validator that checks it);
`edit_schema` applies a test's explicit, documented exceptions to a converted schema.

Why a converter: the spec is OpenAPI 3.1 with OpenAPI habits a JSON Schema generator reads
differently from the API's authors. Each rewrite below states the habit and what it becomes:

* ``$ref: #/components/schemas/X`` is inlined. A schema that appears again on its own path
  (``CompoundFilter`` -> ``filters`` -> ``CompoundFilter``; also ``$recursiveRef: "#"``) is cut
  after `max_repeats` expansions: the recursive branch becomes ``false`` (never generated),
  which removes it from ``anyOf``, empties an array whose items it is, drops an optional
  property, and makes an object that *requires* it unsatisfiable (``false`` again).
* ``allOf`` of objects is merged into one object here (properties and ``required`` united),
  because the authors mean "these fields plus those" while JSON Schema would apply each
  member's ``additionalProperties: false`` against the other's fields. ``allOf`` with an
  ``anyOf`` member distributes over its branches.
* An object that lists ``properties`` and says nothing of ``additionalProperties`` is closed
  (``false``): the listed fields are the event's fields. Undeclared keys are forward-compat
  noise, tested on their own in ``test_codec_conformance.py``. Free-form objects (no
  ``properties``, e.g. ``metadata``) stay open.
* ``oneOf`` becomes ``anyOf``: OpenAPI unions are exclusive by their ``discriminator``, not by
  shape; read as JSON Schema, overlapping branches would make valid documents "invalid".
* A property marked ``x-oaiSupportedSDKs`` (``Response.output_text``, an "SDK-only
  convenience property") is computed by the SDKs, never sent: it is left out.
* ``nullable: true`` (OpenAPI 3.0) adds ``"null"`` to the type. ``discriminator``,
  ``x-*``, ``description``, ``title``, ``example(s)``, ``deprecated``, ``default`` are dropped
  (they describe, they do not constrain).
* A ``string`` without ``format`` whose description says it is base64 (audio chunks, image
  data) gets ``format: "x-base64"``: the value space the spec describes is base64, and our
  codec decodes audio to ``bytes``. The generator draws canonical base64 for `BASE64_FORMAT`.
* Bounds so one example stays small: arrays hold at most ``max(minItems, max_items)`` items,
  and below `prune_depth` object levels only *required* properties are kept.

Next: hand the result to ``_schema_strategies.from_schema(schema)``.
This module is pure (no hypothesis import): it only reads and rewrites dictionaries.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

SPEC_PATH = Path(__file__).resolve().parents[1].parent / "shared" / "openapi" / "openapi.json"
_REF = "#/components/schemas/"
BASE64_FORMAT = "x-base64"
_DESCRIBES = {"description", "title", "example", "examples", "deprecated", "default"}
_BASE64 = re.compile(r"base64", re.IGNORECASE)

Schema = dict[str, Any] | bool


@cache
def load_spec(path: Path = SPEC_PATH) -> dict[str, Any] | None:
    """The parsed OpenAPI document, or ``None`` when ``../shared`` is not next to the repo."""
    if not path.is_file():
        return None
    spec: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return spec


@dataclass(frozen=True)
class EventSchema:
    """One member of an event union: the schema's name (component name, or the ``title`` of
    an inline member), its wire ``type`` tag, and its schema as written in the spec."""

    union: str
    name: str
    tag: str
    schema: dict[str, Any]


def _components(spec: dict[str, Any]) -> dict[str, Any]:
    schemas: dict[str, Any] = spec["components"]["schemas"]
    return schemas


def _deref(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = _components(spec)[schema["$ref"].removeprefix(_REF)]
    return schema


def _tag_of(spec: dict[str, Any], schema: dict[str, Any]) -> str | None:
    """The single value of the ``type`` property's ``enum``/``const``, through refs/allOf."""
    schema = _deref(spec, schema)
    prop = schema.get("properties", {}).get("type")
    if prop is not None:
        prop = _deref(spec, prop)
        if "const" in prop:
            return str(prop["const"])
        if len(prop.get("enum", ())) == 1:
            return str(prop["enum"][0])
    for part in schema.get("allOf", ()):
        tag = _tag_of(spec, part)
        if tag is not None:
            return tag
    return None


def union_members(spec: dict[str, Any], union: str) -> list[EventSchema]:
    """The members of the event union `union` (an ``anyOf``/``oneOf`` of events, possibly
    wrapped in an ``allOf`` that adds envelope fields such as ``stream_id``), in spec order.

    The wrapper's extra members are merged into each event, so what is generated is what is
    sent. Raises `KeyError` for a member without a single-valued ``type`` (a spec change the
    caller must look at).
    """
    top = _components(spec)[union]
    envelope: list[dict[str, Any]] = []
    if "anyOf" not in top and "oneOf" not in top:
        parts = top["allOf"]
        top = next(p for p in parts if "anyOf" in p or "oneOf" in p)
        envelope = [p for p in parts if p is not top]
    members = []
    for member in top.get("anyOf") or top["oneOf"]:
        name = member["$ref"].removeprefix(_REF) if "$ref" in member else member["title"]
        tag = _tag_of(spec, member)
        if tag is None:
            raise KeyError(f"{union}: member {name} has no single wire type")
        schema = {"allOf": [member, *envelope]} if envelope else member
        members.append(EventSchema(union, name, tag, schema))
    return members


@dataclass
class _Ctx:
    spec: dict[str, Any]
    max_repeats: int
    max_items: int
    prune_depth: int
    undeclared: set[str]


def to_json_schema(
    spec: dict[str, Any],
    schema: dict[str, Any],
    *,
    max_repeats: int = 1,
    max_items: int = 2,
    prune_depth: int = 4,
    undeclared: set[str] | None = None,
) -> Schema:
    """A self-contained JSON Schema for `schema` (see the module docstring for each rewrite).

    `max_repeats`: expansions of one component allowed on a path (recursion bound);
    `max_items`: the array size cap; `prune_depth`: object levels below which optional
    properties are dropped. Returns ``False`` if nothing finite satisfies the bounds.

    A name listed in ``required`` that the object never declares under ``properties`` (the
    spec has a few, e.g. ``response_id`` of ``ResponseAudioDoneEvent``) is dropped from
    ``required``, since no declaration says what its value is; ``"<object type>.<name>"`` is
    added to `undeclared` when a set is passed, so the caller can pin the list.
    """
    ctx = _Ctx(
        spec, max_repeats, max_items, prune_depth, set() if undeclared is None else undeclared
    )
    converted = _convert(ctx, copy.deepcopy(schema), (), (), 0)
    _drop_undeclared(converted, ctx.undeclared)
    return converted


def _drop_undeclared(schema: Schema, seen: set[str]) -> None:
    """After merging (a field may be required by one ``allOf`` part and declared by another),
    remove required names no part declares, recording them in `seen`."""
    if not isinstance(schema, dict):
        return
    if "properties" in schema and "required" in schema:
        declared = schema["properties"]
        kind = declared.get("type", {})
        label = (kind.get("enum") or [kind.get("const", "?")])[0] if kind is not True else "?"
        seen.update(f"{label}.{n}" for n in schema["required"] if n not in declared)
        schema["required"] = [n for n in schema["required"] if n in declared]
    for sub in schema.get("properties", {}).values():
        _drop_undeclared(sub, seen)
    for key in ("items", "additionalProperties"):
        _drop_undeclared(schema.get(key, True), seen)
    for sub in schema.get("anyOf", ()):
        _drop_undeclared(sub, seen)


def _convert(
    ctx: _Ctx,
    schema: Any,
    path: tuple[str, ...],
    anchors: tuple[str, ...],
    depth: int,
) -> Schema:
    if schema is True or schema is False:
        return bool(schema)
    assert isinstance(schema, dict), schema
    if "$recursiveRef" in schema:
        schema = {"$ref": _REF + anchors[-1]}
    if "$ref" in schema:
        name = schema["$ref"].removeprefix(_REF)
        if path.count(name) >= ctx.max_repeats:
            return False
        target = _components(ctx.spec)[name]
        extra = {k: v for k, v in schema.items() if k != "$ref" and k not in _DESCRIBES}
        merged = {**target, **extra} if extra else target
        inner = (*anchors, name) if target.get("$recursiveAnchor") else anchors
        return _convert(ctx, copy.deepcopy(merged), (*path, name), inner, depth)
    out: dict[str, Any] = {}
    described = schema.get("description", "")
    for key, value in schema.items():
        if key in _DESCRIBES or key.startswith("x-") or key in ("discriminator", "nullable"):
            continue
        if key == "$recursiveAnchor":
            continue
        if key in ("anyOf", "oneOf"):
            branches = [_convert(ctx, b, path, anchors, depth) for b in value]
            out["anyOf"] = _flatten_any([b for b in branches if b is not False])
            if not out["anyOf"]:
                return False
        elif key == "allOf":
            continue  # merged below, after the siblings are converted
        elif key == "items":
            out["items"] = _convert(ctx, value, path, anchors, depth)
        elif key == "properties":
            out["properties"] = {
                name: _convert(ctx, sub, path, anchors, depth + 1)
                for name, sub in value.items()
                if not _sdk_only(sub)
            }
        elif key == "additionalProperties" and isinstance(value, dict):
            out[key] = _convert(ctx, value, path, anchors, depth + 1)
        else:
            out[key] = value
    if schema.get("nullable") is True and "type" in out:
        types = out["type"] if isinstance(out["type"], list) else [out["type"]]
        out["type"] = [*types, "null"] if "null" not in types else types
    if (
        out.get("type") == "string"
        and "format" not in out
        and "enum" not in out
        and "const" not in out
        and _BASE64.search(described)
    ):
        out["format"] = BASE64_FORMAT
    if "allOf" in schema:
        parts = [_convert(ctx, p, path, anchors, depth) for p in schema["allOf"]]
        if any(p is False for p in parts):
            return False
        result: Schema = out
        for part in parts:
            result = merge(result, part)
            if result is False:
                return False
        return _finish(ctx, result, depth)
    return _finish(ctx, out, depth)


def _sdk_only(schema: Any) -> bool:
    """A property the SDKs compute, never sent on the wire (``Response.output_text``: "SDK-only
    convenience property", marked ``x-oaiSupportedSDKs``)."""
    if not isinstance(schema, dict):
        return False
    branches = [schema, *schema.get("anyOf", ()), *schema.get("oneOf", ())]
    return any(isinstance(b, dict) and "x-oaiSupportedSDKs" in b for b in branches)


def _flatten_any(branches: list[Schema]) -> list[Schema]:
    flat: list[Schema] = []
    for branch in branches:
        if isinstance(branch, dict) and set(branch) == {"anyOf"}:
            flat.extend(branch["anyOf"])
        else:
            flat.append(branch)
    return flat


def merge(a: Schema, b: Schema) -> Schema:
    """``allOf [a, b]`` as one schema, with object members' fields united (also what a
    generator uses to push an ``anyOf``'s siblings into each branch)."""
    if a is True or a == {}:
        return b
    if b is True or b == {}:
        return a
    if a is False or b is False:
        return False
    assert isinstance(a, dict) and isinstance(b, dict)
    if "anyOf" in a or "anyOf" in b:
        many, other = (a, b) if "anyOf" in a else (b, a)
        rest = {k: v for k, v in many.items() if k != "anyOf"}
        branches = [merge(merge(rest, br), other) for br in many["anyOf"]]
        kept = [br for br in branches if br is not False]
        return {"anyOf": kept} if kept else False
    merged = dict(a)
    for key, value in b.items():
        if key == "properties":
            props = dict(merged.get("properties", {}))
            for name, sub in value.items():
                props[name] = merge(props[name], sub) if name in props else sub
            merged["properties"] = props
        elif key == "required":
            merged["required"] = sorted(set(merged.get("required", [])) | set(value))
        elif key == "additionalProperties" and "additionalProperties" in merged:
            if value is False or merged[key] is False:
                merged[key] = False
        elif key not in merged:
            merged[key] = value
    return merged


def _finish(ctx: _Ctx, schema: Schema, depth: int) -> Schema:
    """Close declared objects, drop impossible properties, bound arrays, prune deep levels."""
    if not isinstance(schema, dict):
        return schema
    if "properties" in schema:
        required = set(schema.get("required", ()))
        props = {}
        for name, sub in schema["properties"].items():
            if sub is False or (depth >= ctx.prune_depth and name not in required):
                if name in required:
                    return False
                continue
            props[name] = sub
        schema["properties"] = props
        schema.setdefault("additionalProperties", False)
        if schema["additionalProperties"] is not False and depth >= ctx.prune_depth:
            schema["additionalProperties"] = False
    elif depth >= ctx.prune_depth and schema.get("type") == "object":
        schema["maxProperties"] = 0
    if "items" in schema or schema.get("type") == "array":
        minimum = schema.get("minItems", 0)
        if schema.get("items") is False:
            if minimum:
                return False
            schema["maxItems"] = 0
            schema.pop("items")
        else:
            schema["maxItems"] = min(schema.get("maxItems", 10**9), max(minimum, ctx.max_items))
    return schema


def edit_schema(schema: Schema, path: str, what: str) -> int:
    """Change a converted schema in place; returns how many places changed (0: no match).

    `path` is dotted property names from the event (``"response.output[]"``: ``[]`` steps
    into array items); each step applies to every ``anyOf`` branch that has the property.
    `what`: ``"drop"`` (never generate the property), ``"drop-branch:<type>"`` (never
    generate the union branch whose ``type`` is ``<type>``), ``"require-enum:<a>,<b>"`` (the
    property is required and one of these strings; added where pruning left it out).
    """
    return _apply(schema, path.split("."), what)


def _apply(schema: Schema, steps: list[str], what: str) -> int:
    if not isinstance(schema, dict):
        return 0
    if "anyOf" in schema:
        return sum(_apply(branch, steps, what) for branch in schema["anyOf"])
    if not steps:
        return 0
    step, rest = steps[0], steps[1:]
    if step.endswith("[]"):
        props = schema.get("properties", {})
        name = step[:-2]
        if name not in props:
            return 0
        return _apply_items(props[name], rest, what)
    if "properties" not in schema:
        return 0
    props = schema["properties"]
    if not rest and what.startswith("require-enum:"):
        return _apply_here(schema, step, what)  # even where pruning left the property out
    if step not in props:
        return 0
    if rest:
        return _apply(props[step], rest, what)
    return _apply_here(schema, step, what)


def _apply_items(array: Schema, rest: list[str], what: str) -> int:
    if not isinstance(array, dict):
        return 0
    if "anyOf" in array:
        return sum(_apply_items(b, rest, what) for b in array["anyOf"])
    items = array.get("items")
    if not isinstance(items, dict):
        return 0
    if not rest:
        return _drop_branch(items, what)
    return _apply(items, rest, what)


def _drop_branch(union: dict[str, Any], what: str) -> int:
    kind, _, arg = what.partition(":")
    assert kind == "drop-branch", what
    before = len(union.get("anyOf", ()))
    union["anyOf"] = [b for b in union.get("anyOf", ()) if _branch_type(b) != arg]
    return before - len(union["anyOf"])


def _branch_type(branch: Schema) -> str | None:
    if not isinstance(branch, dict):
        return None
    prop = branch.get("properties", {}).get("type", {})
    values = prop.get("enum") or ([prop["const"]] if "const" in prop else [])
    return values[0] if len(values) == 1 else None


def _apply_here(parent: dict[str, Any], name: str, what: str) -> int:
    kind, _, arg = what.partition(":")
    if kind == "drop":
        parent["properties"].pop(name)
        parent["required"] = [n for n in parent.get("required", ()) if n != name]
        return 1
    if kind == "drop-branch":
        return _drop_branch(parent["properties"][name], what)
    assert kind == "require-enum", what
    parent["properties"][name] = {"type": "string", "enum": arg.split(",")}
    parent["required"] = sorted({*parent.get("required", ()), name})
    return 1

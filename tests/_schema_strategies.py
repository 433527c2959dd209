"""Hypothesis strategies for the JSON Schemas `_openapi_schemas.to_json_schema` produces.

What: `from_schema(schema)` returns a strategy of JSON documents (plain ``dict``/``list``/
``str``/``int``/``float``/``bool``/``None``) valid against `schema`.

Why not ``hypothesis-jsonschema``: its latest release (0.23.1) drives a private Hypothesis
API (``conjecture.utils.many.more()``) that the Hypothesis this project pins no longer has,
so every object schema fails with ``AttributeError``. The converted schemas use only a small,
closed set of keywords, so a direct generator is short; `SUPPORTED` lists them and
`from_schema` raises `ValueError` on any other, so a spec update that needs a new keyword
fails loudly. ``tests/test_schema_conformance.py`` also validates every generated instance
with the independent ``jsonschema`` validator, so a generator bug cannot go unnoticed.

Value-space choices (each a documented reading of the spec, not a shortcut):

* integers stay within +-2**53 and numbers are finite doubles: RFC 7493 (I-JSON) makes those
  the only interoperable JSON numbers; NaN and infinities are not JSON at all;
* ``format: "x-base64"`` (strings the spec describes as base64) draws bytes and encodes them
  with the standard alphabet and padding; ``format: "uri"`` draws ``https://`` URLs; other
  formats (``double``, ``unixtime``) do not constrain a JSON value and are ignored;
* free-form values (``{}``, open objects) are small JSON trees with short keys.

Next: ``given(from_schema(to_json_schema(spec, member.schema)))``.
"""

from __future__ import annotations

import base64
from typing import Any

from _openapi_schemas import BASE64_FORMAT, Schema, merge
from hypothesis import strategies as st

__all__ = ["SUPPORTED", "from_schema"]

SUPPORTED = frozenset(
    {
        "type",
        "enum",
        "const",
        "anyOf",
        "properties",
        "required",
        "additionalProperties",
        "maxProperties",
        "propertyNames",
        "items",
        "minItems",
        "maxItems",
        "minLength",
        "maxLength",
        "pattern",
        "format",
        "minimum",
        "maximum",
    }
)
"""The keywords `from_schema` understands (everything `to_json_schema` can leave behind)."""

JSON_INT_LIMIT = 2**53
_KEYS = st.text(st.characters(codec="utf-8"), max_size=8)
_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-JSON_INT_LIMIT, JSON_INT_LIMIT)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(st.characters(codec="utf-8"), max_size=12)
)
ANY_JSON: st.SearchStrategy[Any] = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_KEYS, inner, max_size=3),
    max_leaves=6,
)
"""A small arbitrary JSON value: what a free-form (``{}``) schema admits."""

_TEXT_ALPHABET = st.characters(codec="utf-8")
_BASE64 = st.binary(max_size=48).map(lambda b: base64.b64encode(b).decode("ascii"))
_URI = st.from_regex(r"\Ahttps://[a-z]{1,10}\.example/[a-z0-9]{0,8}\Z")


def from_schema(schema: Schema) -> st.SearchStrategy[Any]:
    """A strategy of JSON documents valid against `schema` (a converted spec schema)."""
    if schema is True:
        return ANY_JSON
    if schema is False:
        return st.nothing()
    unknown = set(schema) - SUPPORTED
    if unknown:
        raise ValueError(f"schema keywords the generator does not know: {sorted(unknown)}")
    if "anyOf" in schema:
        rest = {k: v for k, v in schema.items() if k != "anyOf"}
        return st.one_of([from_schema(merge(rest, branch)) for branch in schema["anyOf"]])
    if "const" in schema:
        return st.just(schema["const"])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    types = schema.get("type")
    if types is None:
        types = ["object"] if "properties" in schema else ["array"] if "items" in schema else None
    if types is None:
        return ANY_JSON
    if isinstance(types, str):
        types = [types]
    return st.one_of([_typed(t, schema) for t in types])


def _typed(kind: str, schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    if kind == "null":
        return st.none()
    if kind == "boolean":
        return st.booleans()
    if kind == "integer":
        low = max(int(schema.get("minimum", -JSON_INT_LIMIT)), -JSON_INT_LIMIT)
        high = min(int(schema.get("maximum", JSON_INT_LIMIT)), JSON_INT_LIMIT)
        return st.integers(low, high)
    if kind == "number":
        low, high = schema.get("minimum"), schema.get("maximum")
        floats = st.floats(low, high, allow_nan=False, allow_infinity=False)
        ints = st.integers(
            -JSON_INT_LIMIT if low is None else int(-(-low // 1)),
            JSON_INT_LIMIT if high is None else int(high // 1),
        )
        return floats | ints
    if kind == "string":
        return _string(schema)
    if kind == "array":
        items = from_schema(schema.get("items", True))
        return st.lists(items, min_size=schema.get("minItems", 0), max_size=schema.get("maxItems"))
    if kind == "object":
        return _object(schema)
    raise ValueError(f"unknown JSON type {kind!r}")


def _string(schema: dict[str, Any]) -> st.SearchStrategy[str]:
    low, high = schema.get("minLength", 0), schema.get("maxLength")
    fmt = schema.get("format")
    if fmt == BASE64_FORMAT:
        strategy = _BASE64
    elif fmt == "uri":
        strategy = _URI
    elif "pattern" in schema:
        strategy = st.from_regex(schema["pattern"], alphabet=_TEXT_ALPHABET)
    else:
        return st.text(_TEXT_ALPHABET, min_size=low, max_size=high if high is not None else 24)
    if low or high is not None:
        top = high if high is not None else float("inf")
        strategy = strategy.filter(lambda s: low <= len(s) <= top)
    return strategy


def _object(schema: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    props: dict[str, Schema] = schema.get("properties", {})
    extra = schema.get("additionalProperties", True)
    limit = schema.get("maxProperties", 3)
    if not props:
        if extra is False:
            return st.just({})
        keys = from_schema(schema["propertyNames"]) if "propertyNames" in schema else _KEYS
        return st.dictionaries(keys, from_schema(extra), max_size=min(limit, 3))
    required = list(schema.get("required", ()))  # a required name may lack a declaration
    optional = [name for name in props if name not in set(required)]
    if extra is not False:
        raise ValueError("open objects with declared properties are closed by the converter")
    return st.fixed_dictionaries(
        {name: from_schema(props.get(name, True)) for name in required},
        optional={name: from_schema(props[name]) for name in optional},
    )

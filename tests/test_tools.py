"""Tools from callables (`openai_sansio.tools`) and the `ToolRunner`, on asyncio and trio.

Schemas for every supported annotation kind and docstring style, strict mode checked against
OpenAI's rules by an independent walker (and `strict_schema_problems`), definition-time
errors, argument conversion and its typed problems; then the runner: a slow tool blocks
neither a fast one nor the submitting task, sync tools run in threads, timeouts, exceptions,
unknown tools, bad arguments, cancel, FIFO under `max_concurrency`, backpressure, `aclose`.

No ``from __future__ import annotations`` here: tools are defined inside tests and refer to
local classes, whose string annotations could not be resolved later.
"""

import dataclasses
import datetime
import enum
import functools
import inspect
import json
import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Annotated, Any, Literal, NotRequired, Optional, TypedDict

import anyio
import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st
from typing_extensions import Doc

from openai_sansio.protocol.events.common import ToolCall
from openai_sansio.protocol.requests import GenerationParams, ToolSpec, responses_body
from openai_sansio.tools import (
    ArgumentIssue,
    Tool,
    ToolContext,
    ToolResult,
    ToolRunner,
    parse_docstring,
    strict_schema_problems,
    tool,
    tool_from_callable,
)
from openai_sansio.tools_runner import encode_output

# ---------------------------------------------------------------------------------------------
# helpers


def params(fn: Callable[..., Any], **kw: Any) -> dict[str, Any]:
    """The parameters schema of `fn` as plain JSON (what goes on the wire)."""
    spec = tool_from_callable(fn, **kw)
    assert spec.parameters is not None
    out: dict[str, Any] = json.loads(msgspec.json.encode(spec.to_responses()["parameters"]))
    return out


def prop(fn: Callable[..., Any], name: str, **kw: Any) -> dict[str, Any]:
    out: dict[str, Any] = params(fn, **kw)["properties"][name]
    return out


def call(name: str, arguments: Any, call_id: str = "c1") -> ToolCall:
    text = arguments if isinstance(arguments, str) else json.dumps(arguments)
    return ToolCall.assemble(call_id=call_id, name=name, arguments=text)


def objects(node: Any) -> list[Mapping[str, Any]]:
    """Every object schema in `node`, found by walking all of it (independent of the code)."""
    found: list[Mapping[str, Any]] = []
    if isinstance(node, Mapping):
        kind = node.get("type")
        if kind == "object" or (isinstance(kind, list) and "object" in kind):
            found.append(node)
        for value in node.values():
            found.extend(objects(value))
    elif isinstance(node, list):
        for value in node:
            found.extend(objects(value))
    return found


def keys_anywhere(node: Any) -> set[str]:
    if isinstance(node, Mapping):
        out = set(node)
        for key, value in node.items():
            if key != "properties":
                out |= keys_anywhere(value)
            else:
                for sub in value.values():
                    out |= keys_anywhere(sub)
        return out
    if isinstance(node, list):
        return set().union(*(keys_anywhere(v) for v in node)) if node else set()
    return set()


def assert_strict_ok(schema: Mapping[str, Any]) -> None:
    """OpenAI strict rules, checked directly: closed objects, everything required, no
    ``default``/``prefixItems``/open maps; and `strict_schema_problems` agrees."""
    assert schema["type"] == "object" and "anyOf" not in schema
    for obj in objects(schema):
        assert obj.get("additionalProperties") is False, obj
        assert sorted(obj["required"]) == sorted(obj["properties"]), obj
    assert not keys_anywhere(schema) & {"default", "prefixItems", "allOf", "oneOf"}
    assert strict_schema_problems(schema) == []


# ---------------------------------------------------------------------------------------------
# types used by the schema tests (module level: resolvable by get_type_hints)


class Color(enum.Enum):
    """A paint colour."""

    RED = "red"
    BLUE = "blue"


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2


@dataclasses.dataclass
class Point:
    """A point on the map.

    Attributes:
        lat: Latitude in degrees.
        lon: Longitude in degrees.
    """

    lat: float
    lon: float
    label: str = "here"


class Filters(TypedDict, total=False):
    """Search filters."""

    color: Color
    max_price: float


class Person(TypedDict):
    name: str
    nickname: NotRequired[str]


class Item(msgspec.Struct, rename="camel"):
    """A line item."""

    item_name: str
    quantity: int = 1


class Dog(msgspec.Struct, tag="dog"):
    barks: bool


class Cat(msgspec.Struct, tag="cat"):
    lives: int = 9


@dataclasses.dataclass
class TreeNode:
    value: int
    children: "list[TreeNode]" = dataclasses.field(default_factory=list)


class NotSupported:
    pass


@dataclasses.dataclass
class HasBadField:
    ok: int
    bad: NotSupported


# ---------------------------------------------------------------------------------------------
# schema: annotation kinds


def test_primitives_required_and_defaults() -> None:
    def f(s: str, i: int, x: float, b: bool, n: None, d: int = 5, e: str = "a") -> None:
        pass

    schema = params(f)
    assert schema["properties"] == {
        "s": {"type": "string"},
        "i": {"type": "integer"},
        "x": {"type": "number"},
        "b": {"type": "boolean"},
        "n": {"type": "null"},
        "d": {"type": "integer", "default": 5},
        "e": {"type": "string", "default": "a"},
    }
    assert schema["required"] == ["s", "i", "x", "b", "n"]
    assert schema["additionalProperties"] is False
    assert list(schema["properties"]) == ["s", "i", "x", "b", "n", "d", "e"]  # signature order


def test_optional_and_unions() -> None:
    def f(a: int | None, b: Optional[str] = None, c: int | str = 1) -> None:  # noqa: UP045
        pass

    assert prop(f, "a") == {"anyOf": [{"type": "integer"}, {"type": "null"}]}
    assert prop(f, "b") == {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None}
    assert prop(f, "c") == {"anyOf": [{"type": "integer"}, {"type": "string"}], "default": 1}
    assert params(f)["required"] == ["a"]


def test_arrays_tuples_and_maps() -> None:
    def f(
        a: list[str],
        b: set[int],
        c: tuple[float, ...],
        d: tuple[int, str],
        e: dict[str, int],
        g: Sequence[bool],
        h: Mapping[str, list[int]],
    ) -> None:
        pass

    p = params(f)["properties"]
    assert p["a"] == {"type": "array", "items": {"type": "string"}}
    assert p["b"] == {"type": "array", "items": {"type": "integer"}}
    assert p["c"] == {"type": "array", "items": {"type": "number"}}
    assert p["d"] == {
        "type": "array",
        "prefixItems": [{"type": "integer"}, {"type": "string"}],
        "items": False,
        "minItems": 2,
        "maxItems": 2,
    }
    assert p["e"] == {"type": "object", "additionalProperties": {"type": "integer"}}
    assert p["g"] == {"type": "array", "items": {"type": "boolean"}}
    assert p["h"]["additionalProperties"] == {"type": "array", "items": {"type": "integer"}}


def test_literals_and_enums() -> None:
    def f(
        a: Literal["x", "y"], b: Literal[1, "one"], c: Color, d: Level, e: Color = Color.BLUE
    ) -> None:
        pass

    p = params(f)["properties"]
    assert p["a"] == {"type": "string", "enum": ["x", "y"]}
    assert p["b"] == {"type": ["integer", "string"], "enum": [1, "one"]}
    assert p["c"] == {"type": "string", "enum": ["red", "blue"], "description": "A paint colour."}
    assert p["d"] == {"type": "integer", "enum": [1, 2]}  # no docstring: no description
    assert p["e"]["default"] == "blue"


def test_dataclass_typeddict_struct() -> None:
    def f(where: Point, filters: Filters, person: Person, items: list[Item]) -> None:
        pass

    p = params(f)["properties"]
    assert p["where"] == {
        "description": "A point on the map.",
        "type": "object",
        "properties": {
            "lat": {"type": "number", "description": "Latitude in degrees."},
            "lon": {"type": "number", "description": "Longitude in degrees."},
            "label": {"type": "string", "default": "here"},
        },
        "required": ["lat", "lon"],
        "additionalProperties": False,
    }
    assert p["filters"]["required"] == []  # total=False
    assert p["filters"]["properties"]["color"]["enum"] == ["red", "blue"]
    assert p["person"]["required"] == ["name"]  # NotRequired honoured
    item = p["items"]["items"]
    assert item["properties"] == {
        "itemName": {"type": "string"},  # the Struct's rename
        "quantity": {"type": "integer", "default": 1},
    }
    assert item["description"] == "A line item."


def test_tagged_struct_union() -> None:
    def f(pet: Dog | Cat) -> None:
        pass

    arms = prop(f, "pet")["anyOf"]
    assert arms[0]["properties"]["type"] == {"type": "string", "enum": ["dog"]}
    assert arms[0]["required"] == ["type", "barks"]
    assert arms[1]["properties"]["type"] == {"type": "string", "enum": ["cat"]}


def test_string_formats() -> None:
    def f(
        a: datetime.datetime,
        b: datetime.date,
        c: datetime.time,
        d: datetime.timedelta,
        e: uuid.UUID,
    ) -> None:
        pass

    formats = [v["format"] for v in params(f)["properties"].values()]
    assert formats == ["date-time", "date", "time", "duration", "uuid"]


def test_annotated_descriptions_and_meta() -> None:
    def f(
        a: Annotated[str, "The a."],
        b: Annotated[int, Doc("The b.")],
        c: Annotated[int, msgspec.Meta(ge=1, le=10, description="The c.")],
        d: Annotated[list[str], msgspec.Meta(min_length=1, max_length=3)],
        e: Annotated[str, msgspec.Meta(pattern="^[a-z]+$", min_length=2)],
    ) -> None:
        """Summary.

        Args:
            a: Loses to Annotated.
        """

    p = params(f)["properties"]
    assert p["a"] == {"type": "string", "description": "The a."}
    assert p["b"] == {"type": "integer", "description": "The b."}
    assert p["c"] == {"type": "integer", "minimum": 1, "maximum": 10, "description": "The c."}
    assert p["d"] == {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 3}
    assert p["e"] == {"type": "string", "pattern": "^[a-z]+$", "minLength": 2}


def test_recursive_dataclass_uses_defs() -> None:
    def f(tree: TreeNode) -> None:
        pass

    schema = params(f)
    assert schema["properties"]["tree"] == {"$ref": "#/$defs/TreeNode"}
    node = schema["$defs"]["TreeNode"]
    assert node["properties"]["children"]["items"] == {"$ref": "#/$defs/TreeNode"}


def test_any_is_allowed_when_not_strict() -> None:
    def f(x: Any, y: list) -> None:  # type: ignore[type-arg]
        pass

    assert params(f)["properties"] == {"x": {}, "y": {"type": "array", "items": {}}}


# ---------------------------------------------------------------------------------------------
# schema: docstrings, names, exclusions


def test_google_docstring() -> None:
    def f(city: str, days: int = 1) -> str:
        """Forecast for a city.

        Uses the cached provider when possible (not part of the description).

        Args:
            city (str): The city name,
                e.g. "Paris".
            days: How many days.

        Returns:
            str: The forecast.
        """
        return ""

    spec = tool_from_callable(f)
    assert spec.description == "Forecast for a city."
    assert prop(f, "city")["description"] == 'The city name, e.g. "Paris".'
    assert prop(f, "days")["description"] == "How many days."


def test_numpy_docstring() -> None:
    def f(query: str, limit: int = 10, offset: int = 0) -> list[str]:
        """Search the
        catalogue.

        Parameters
        ----------
        query : str
            Words to look for.
        limit, offset : int, optional
            Paging.

        Returns
        -------
        list of str
        """
        return []

    spec = tool_from_callable(f)
    assert spec.description == "Search the catalogue."
    assert prop(f, "query")["description"] == "Words to look for."
    assert prop(f, "limit")["description"] == prop(f, "offset")["description"] == "Paging."


def test_rest_docstring() -> None:
    def f(to: str, body: str) -> None:
        """Send a message.

        :param to: The recipient.
        :param str body: The text,
            possibly long.
        :type body: str
        :returns: nothing.
        """

    assert tool_from_callable(f).description == "Send a message."
    assert prop(f, "to")["description"] == "The recipient."
    assert prop(f, "body")["description"] == "The text, possibly long."


def test_parse_docstring_edge_cases() -> None:
    assert parse_docstring(None) == (None, {})
    assert parse_docstring("   ") == (None, {})
    assert parse_docstring("One line.") == ("One line.", {})
    assert parse_docstring(":param x: The x.") == (None, {"x": "The x."})
    mixed = "Do.\n\n    Args:\n        x: The x.\n    :param y: The y.\n    "
    assert parse_docstring(mixed) == ("Do.", {"x": "The x.", "y": "The y."})


def test_name_description_overrides_and_no_docstring() -> None:
    def f(x: int) -> int:
        return x

    spec = tool_from_callable(f, name="renamed", description="Given.", strict=False)
    assert (spec.name, spec.description, spec.strict) == ("renamed", "Given.", False)
    assert tool_from_callable(f).description is None
    assert isinstance(spec, ToolSpec)


def test_excluded_parameters() -> None:
    def f(pos: int = 0, /, city: str = "x", *args: int, ctx: ToolContext, **kwargs: str) -> None:
        pass

    schema = params(f)
    assert list(schema["properties"]) == ["city"]
    assert tool(f).context_param == "ctx"


def test_no_parameters_gives_an_empty_object() -> None:
    def ping() -> str:
        return "pong"

    assert params(ping) == {
        "type": "object",
        "properties": {},
        "required": [],
        "additionalProperties": False,
    }


def test_decorator_forms_keep_the_callable() -> None:
    @tool
    def add(a: int, b: int) -> int:
        """Add two numbers."""
        return a + b

    @tool(name="mul", strict=True, timeout=2.0)
    async def multiply(a: int, b: int) -> int:
        return a * b

    assert isinstance(add, Tool) and add(2, 3) == 5 and add.name == "add"
    assert not add.is_async
    assert multiply.is_async and multiply.name == "mul" and multiply.timeout == 2.0
    assert multiply.spec.strict is True
    assert "Tool('add', sync" in repr(add)


def test_partial_and_callable_objects() -> None:
    def base(unit: str, city: str) -> str:
        return f"{city}:{unit}"

    class Weather:
        def __call__(self, city: str, days: int = 1) -> str:
            return city

    t = tool(functools.partial(base, "C"), name="weather_c")
    assert list(t.spec.parameters["properties"]) == ["city"]  # type: ignore[index]
    assert tool(functools.partial(base, "F")).name == "base"
    assert list(params(Weather(), name="weather")["properties"]) == ["city", "days"]


def test_spec_goes_into_generation_params() -> None:
    @tool(strict=True)
    def get_weather(city: str) -> str:
        """Weather now."""
        return city

    body = responses_body(GenerationParams(model="gpt-5-mini", tools=[get_weather.spec]), "hi")
    sent = body.body["tools"][0]
    assert sent["name"] == "get_weather" and sent["strict"] is True
    assert sent["parameters"]["required"] == ["city"]


# ---------------------------------------------------------------------------------------------
# schema: strict mode


def test_strict_mode_makes_optional_nullable_and_required() -> None:
    def f(
        city: str,
        units: Literal["c", "f"] = "c",
        when: datetime.date | None = None,
        where: Point | None = None,
        filters: Filters | None = None,
        pair: tuple[int, str] = (1, "a"),
        count: Annotated[int, "How many"] = 1,
    ) -> None:
        pass

    schema = params(f, strict=True)
    assert_strict_ok(schema)
    p = schema["properties"]
    assert p["units"] == {
        "anyOf": [{"type": "string", "enum": ["c", "f"]}, {"type": "null"}],
        "description": 'Optional: null means the default ("c").',
    }
    assert p["when"] == {"anyOf": [{"type": "string", "format": "date"}, {"type": "null"}]}
    assert p["count"]["description"] == "How many. Optional: null means the default (1)."
    point = p["where"]["anyOf"][0]
    assert point["required"] == ["lat", "lon", "label"]
    assert point["properties"]["label"]["anyOf"][1] == {"type": "null"}
    assert p["pair"]["anyOf"][0]["minItems"] == 2  # no prefixItems in strict mode


def test_strict_mode_recursive_and_nested() -> None:
    def f(tree: TreeNode, items: list[Item], pets: list[Dog | Cat]) -> None:
        pass

    assert_strict_ok(params(f, strict=True))


@pytest.mark.parametrize(
    ("annotation", "needle"),
    [
        (dict[str, int], "open object"),
        (Any, "Any has no JSON Schema type"),
        (list[Any], "Any has no JSON Schema type"),
    ],
)
def test_strict_mode_rejects_what_it_cannot_express(annotation: Any, needle: str) -> None:
    def f(x: int) -> None:
        pass

    f.__annotations__ = {"x": annotation}
    with pytest.raises(TypeError, match=needle) as info:
        tool_from_callable(f, strict=True)
    assert "parameter 'x'" in str(info.value) and "strict mode" in str(info.value)
    tool_from_callable(f)  # fine when not strict


def test_strict_meta_lengths_are_dropped_from_strings_only() -> None:
    def f(
        s: Annotated[str, msgspec.Meta(min_length=2, max_length=5)],
        xs: Annotated[list[int], msgspec.Meta(max_length=3)],
    ) -> None:
        pass

    p = params(f, strict=True)["properties"]
    assert p["s"] == {"type": "string"}  # still enforced when converting (see below)
    assert p["xs"]["maxItems"] == 3


def test_strict_schema_problems_finds_violations() -> None:
    bad = {
        "type": "object",
        "properties": {
            "a": {"type": "string", "default": "x"},
            "b": {"type": "object", "properties": {"c": {"type": "integer"}}},
            "d": {"type": "array", "prefixItems": [{"type": "integer"}]},
            "e": {"type": "string", "format": "phone"},
            "f": {"$ref": "#/$defs/X", "description": "sibling"},
            "g": {"oneOf": [{"type": "string"}]},
        },
        "required": ["a", "b"],
    }
    problems = "\n".join(strict_schema_problems(bad))
    for needle in (
        "$: additionalProperties must be false",
        "$: every property must be required",
        "$.a: 'default' is not supported",
        "$.b: additionalProperties must be false",
        "$.b: every property must be required (missing ['c'])",
        "$.d: 'prefixItems' is not supported",
        "$.d: an array needs an items schema",
        "$.e: format 'phone' is not supported",
        "$.f: $ref must stand alone",
        "$.g: 'oneOf' is not supported",
    ):
        assert needle in problems, needle
    assert strict_schema_problems({"anyOf": [{"type": "object"}]})[0].startswith("$: the root")


def test_strict_schema_problems_limits() -> None:
    deep: dict[str, Any] = {"type": "string"}
    for _ in range(11):
        deep = {
            "type": "object",
            "properties": {"x": deep},
            "required": ["x"],
            "additionalProperties": False,
        }
    assert any("nested deeper" in p for p in strict_schema_problems(deep))
    many = {
        "type": "object",
        "properties": {"e": {"type": "integer", "enum": list(range(1001))}},
        "required": ["e"],
        "additionalProperties": False,
    }
    assert any("enum values" in p for p in strict_schema_problems(many))


# Random signatures: every strict schema obeys the rules, and the all-null / minimal arguments
# the model could send convert back.

_LEAVES = st.sampled_from(
    [str, int, float, bool, Color, Level, Literal["a", "b"], datetime.date, uuid.UUID, Point]
)
_TYPES = st.recursive(
    _LEAVES,
    lambda inner: st.one_of(
        inner.map(lambda t: list[t]),  # type: ignore[valid-type]
        inner.map(lambda t: t | None),
        inner.map(lambda t: tuple[t, ...]),  # type: ignore[valid-type]
        st.tuples(inner, inner).map(lambda ts: tuple[ts[0], ts[1]]),  # type: ignore[valid-type]
    ),
    max_leaves=4,
)


@given(st.lists(st.tuples(_TYPES, st.booleans()), min_size=0, max_size=5), st.booleans())
def test_random_signatures_strict_and_loose(fields: list[tuple[Any, bool]], strict: bool) -> None:
    parameters = [
        inspect.Parameter(
            f"p{i}",
            inspect.Parameter.KEYWORD_ONLY,
            annotation=tp,
            default=inspect.Parameter.empty if required else None,
        )
        for i, (tp, required) in enumerate(fields)
    ]

    def f(**kwargs: Any) -> None:
        pass

    f.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    f.__annotations__ = {p.name: p.annotation for p in parameters}
    t = tool(f, strict=strict)
    schema = json.loads(msgspec.json.encode(t.spec.to_responses()["parameters"]))
    if strict:
        assert_strict_ok(schema)
    else:
        for obj in objects(schema):
            assert set(obj.get("required", [])) <= set(obj.get("properties", {}))
    # optional parameters may be omitted, or (strict) sent as null
    required = {p.name for p in parameters if p.default is inspect.Parameter.empty}
    nulls = {p.name: None for p in parameters if p.name not in required}
    for sent in ({}, nulls):
        kwargs, issue = t.convert(sent)
        if required:
            assert issue is not None and issue.kind == "missing_field"
        else:
            assert issue is None and kwargs is not None
            assert set(kwargs) <= set(nulls)


# ---------------------------------------------------------------------------------------------
# schema: definition-time errors


def test_unsupported_annotation_names_the_parameter() -> None:
    def f(ok: int, thing: NotSupported) -> None:
        pass

    with pytest.raises(TypeError, match=r"parameter 'thing': unsupported annotation"):
        tool(f)


def test_unsupported_nested_field_names_the_field() -> None:
    def f(x: list[HasBadField]) -> None:
        pass

    with pytest.raises(TypeError) as info:
        tool(f)
    text = str(info.value)
    assert "parameter 'x'" in text and "field 'bad'" in text and "HasBadField" in text


@pytest.mark.parametrize(
    ("make", "needle"),
    [
        (lambda: lambda x: x, "tool name '<lambda>'"),
        (lambda: _unannotated, "parameter 'x' has no type annotation"),
        (lambda: _positional_only, "positional-only without a default"),
        (lambda: _two_contexts, "only one parameter may take the ToolContext"),
        (lambda: _int_keys, "JSON object keys are strings"),
        (lambda: _two_dataclasses, "cannot convert"),
        (lambda: _unresolvable, "cannot resolve type hints"),
        (lambda: _nested_context, "ToolContext can only annotate a parameter"),
    ],
)
def test_definition_time_errors(make: Callable[[], Callable[..., Any]], needle: str) -> None:
    with pytest.raises((TypeError, ValueError), match=needle):
        tool(make())


def _unannotated(x) -> None:  # type: ignore[no-untyped-def]
    pass


def _positional_only(x: int, /) -> None:
    pass


def _two_contexts(a: ToolContext, b: ToolContext) -> None:
    pass


def _int_keys(m: dict[int, str]) -> None:
    pass


@dataclasses.dataclass
class _A:
    a: int


@dataclasses.dataclass
class _B:
    b: int


def _two_dataclasses(x: _A | _B) -> None:
    pass


def _unresolvable(x: "Nowhere") -> None:  # type: ignore[name-defined]  # noqa: F821
    pass


def _nested_context(x: list[ToolContext]) -> None:
    pass


def test_bad_timeout_is_rejected() -> None:
    with pytest.raises(ValueError, match="timeout"):
        tool(_int_keys, timeout=0)


# ---------------------------------------------------------------------------------------------
# arguments


@tool
def plan(
    city: str,
    stops: list[Point],
    color: Color = Color.RED,
    when: datetime.date | None = None,
    count: Annotated[int, msgspec.Meta(ge=1)] = 1,
    ctx: ToolContext | None = None,
) -> dict[str, Any]:
    """Plan a trip."""
    return {"city": city, "n": len(stops), "color": color, "when": when, "count": count}


def test_convert_builds_typed_values_and_leaves_defaults_to_the_function() -> None:
    kwargs, issue = plan.convert(
        call("plan", {"city": "Oslo", "stops": [{"lat": 1, "lon": 2}], "when": "2025-01-02"})
    )
    assert issue is None
    assert kwargs == {
        "city": "Oslo",
        "stops": [Point(1.0, 2.0)],
        "when": datetime.date(2025, 1, 2),
    }
    kwargs, _ = plan.convert({"city": "x", "stops": [], "color": "blue"})
    assert kwargs is not None and kwargs["color"] is Color.BLUE


@pytest.mark.parametrize(
    ("arguments", "kind", "path", "needle"),
    [
        ({"stops": []}, "missing_field", "$.city", "missing required field `city`"),
        ({"city": "x", "stops": [], "zoom": 3}, "unknown_field", "$.zoom", "unknown field"),
        ({"city": 1, "stops": []}, "invalid_value", "$.city", "Expected `str`, got `int`"),
        (
            {"city": "x", "stops": [{"lat": "north", "lon": 1}]},
            "invalid_value",
            "$.stops[0].lat",
            "Expected `float`, got `str`",
        ),
        ({"city": "x", "stops": [{"lat": 1}]}, "missing_field", "$.stops[0].lon", "lon"),
        ({"city": "x", "stops": [], "color": "green"}, "invalid_value", "$.color", "Invalid"),
        ({"city": "x", "stops": [], "count": 0}, "invalid_value", "$.count", ">= 1"),
        ("{not json", "invalid_json", None, "malformed"),
        ("[1, 2]", "not_an_object", None, "must be a JSON object"),
    ],
)
def test_convert_reports_what_and_where(
    arguments: Any, kind: str, path: str | None, needle: str
) -> None:
    kwargs, issue = plan.convert(call("plan", arguments))
    assert kwargs is None and issue is not None
    assert (issue.kind, issue.path) == (kind, path)
    assert needle in issue.message
    body = json.loads(issue.for_model())
    assert body["error"].startswith("invalid arguments: ")
    assert body.get("field") == path


def test_convert_takes_a_plain_mapping_or_rejects_non_objects() -> None:
    _, issue = plan.convert([1, 2])  # type: ignore[arg-type]
    assert issue == ArgumentIssue("not_an_object", "arguments must be an object, not list")


def test_strict_null_means_default_but_none_stays_none_where_allowed() -> None:
    @tool(strict=True)
    def f(a: int = 7, b: int | None = 3, p: Point | None = None) -> None:
        pass

    kwargs, issue = f.convert({"a": None, "b": None, "p": {"lat": 1, "lon": 2, "label": None}})
    assert issue is None
    assert kwargs == {"b": None, "p": Point(1.0, 2.0, "here")}  # a: default; b: None is a value


def test_strict_string_lengths_still_enforced_when_converting() -> None:
    @tool(strict=True)
    def f(s: Annotated[str, msgspec.Meta(min_length=2)]) -> None:
        pass

    _, issue = f.convert({"s": "x"})
    assert issue is not None and issue.path == "$.s" and "length >= 2" in issue.message


def test_bind_passes_the_context() -> None:
    def kw(x: int, ctx: ToolContext) -> None:
        pass

    def pos(ctx: ToolContext, /, x: int) -> None:
        pass

    ctx = ToolContext("c1", "kw")
    assert tool(kw).bind({"x": 1}, ctx) == ((), {"x": 1, "ctx": ctx})
    assert tool(pos).bind({"x": 1}, ctx) == ((ctx,), {"x": 1})
    assert plan.bind({}, ctx) == ((), {"ctx": ctx})


# ---------------------------------------------------------------------------------------------
# output encoding


@dataclasses.dataclass
class Forecast:
    city: str
    temps: list[float]


class Opaque:
    def __str__(self) -> str:
        return "opaque!"


def test_encode_output() -> None:
    assert encode_output("as is") == "as is"
    assert encode_output({"a": [1, 2.5, None]}) == '{"a":[1,2.5,null]}'
    assert encode_output(Forecast("Oslo", [1.0])) == '{"city":"Oslo","temps":[1.0]}'
    assert encode_output(Item("x")) == '{"itemName":"x","quantity":1}'
    assert encode_output(Color.RED) == '"red"'
    assert encode_output(None) == "null"
    assert encode_output(Opaque()) == '"opaque!"'
    assert encode_output({"o": Opaque()}) == '{"o":"opaque!"}'


# ---------------------------------------------------------------------------------------------
# runner


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


async def collect(runner: ToolRunner) -> dict[str, ToolResult]:
    """Results until nothing is pending (how a session knows a batch is complete)."""
    out: dict[str, ToolResult] = {}
    async for result in runner.results():
        out[result.call_id] = result
        if not runner.pending:
            break
    return out


@pytest.mark.anyio
async def test_slow_tool_blocks_neither_a_fast_one_nor_the_caller() -> None:
    release = anyio.Event()
    log: list[tuple[str, float]] = []

    async def slow() -> str:
        log.append(("slow started", anyio.current_time()))
        await release.wait()  # only the caller sets it, after the fast result came back
        log.append(("slow done", anyio.current_time()))
        return "slow"

    async def fast() -> str:
        log.append(("fast done", anyio.current_time()))
        return "fast"

    async with anyio.create_task_group() as tg:
        runner = ToolRunner([slow, fast]).start(tg)
        runner.submit(call("slow", {}, "s"))
        runner.submit(call("fast", {}, "f"))
        log.append(("caller after submit", anyio.current_time()))  # submit did not wait
        assert runner.pending == ("s", "f")
        first = await runner.receive()
        assert (first.call_id, first.output, first.is_error) == ("f", "fast", False)
        assert runner.pending == ("s",)
        log.append(("caller got fast", anyio.current_time()))
        release.set()
        second = await runner.receive()
        assert (second.call_id, second.output) == ("s", "slow")
        assert runner.pending == ()
        await runner.aclose()

    order = [name for name, _ in log]
    assert order.index("caller after submit") < order.index("fast done")
    assert order.index("fast done") < order.index("caller got fast") < order.index("slow done")
    assert "slow started" in order[: order.index("caller got fast")]
    times = [t for _, t in log]
    assert times == sorted(times)  # the loop's clock agrees with the order of events
    assert second.duration_s >= 0.0 and first.duration_s >= 0.0


@pytest.mark.anyio
async def test_sync_tool_runs_in_a_worker_thread_while_the_loop_runs() -> None:
    main = threading.get_ident()
    proceed = threading.Event()
    seen: dict[str, int] = {}

    def blocking(x: int) -> int:
        seen["thread"] = threading.get_ident()
        assert proceed.wait(10)  # blocks its thread, not the event loop
        return x * 2

    async def quick() -> str:
        return "quick"

    async with ToolRunner([blocking, quick]) as runner:
        runner.submit(call("blocking", {"x": 21}, "b"))
        runner.submit(call("quick", {}, "q"))
        first = await runner.receive()  # arrives although the sync tool is still blocked
        assert first.call_id == "q"
        proceed.set()
        second = await runner.receive()
    assert (second.call_id, second.output) == ("b", "42")
    assert seen["thread"] != main


@pytest.mark.anyio
async def test_timeout_async_and_sync() -> None:
    never = anyio.Event()
    release_thread = threading.Event()

    @tool(timeout=0.01)
    async def stuck() -> None:
        await never.wait()

    def stuck_sync() -> str:
        release_thread.wait(10)
        return "late"

    async with ToolRunner([stuck, stuck_sync], timeout=0.02) as runner:
        runner.submit(call("stuck", {}, "a"))
        runner.submit(call("stuck_sync", {}, "b"))
        results = await collect(runner)
    release_thread.set()  # let the abandoned thread finish
    assert results["a"].is_error and results["a"].error_kind == "timeout"
    assert json.loads(results["a"].output) == {"error": "timed out after 0.01s"}
    assert json.loads(results["b"].output) == {"error": "timed out after 0.02s"}


@pytest.mark.anyio
async def test_exception_becomes_an_error_output() -> None:
    async def boom(x: int) -> None:
        raise ValueError(f"bad x={x}\n  with detail")

    def sync_boom() -> None:
        raise KeyError("missing")

    async with ToolRunner([boom, sync_boom]) as runner:
        runner.submit(call("boom", {"x": 3}, "a"))
        runner.submit(call("sync_boom", {}, "b"))
        results = await collect(runner)
    a, b = results["a"], results["b"]
    assert a.is_error and a.error_kind == "exception"
    assert json.loads(a.output) == {"error": "ValueError: bad x=3 with detail"}
    assert isinstance(a.exception, ValueError) and "exception=" not in repr(a)
    assert json.loads(b.output) == {"error": "KeyError: 'missing'"}
    assert "Traceback" not in a.output


@pytest.mark.anyio
async def test_unknown_tool_and_bad_arguments() -> None:
    async with ToolRunner([plan]) as runner:
        runner.submit(call("nope", {}, "a"))
        runner.submit(call("plan", {"city": 5, "stops": []}, "b"))
        runner.submit(call("plan", "{oops", "c"))
        results = await collect(runner)
    assert results["a"].error_kind == "unknown_tool" and results["a"].duration_s == 0.0
    assert json.loads(results["a"].output) == {"error": "unknown tool 'nope'; available: plan"}
    assert results["b"].error_kind == "invalid_arguments"
    assert json.loads(results["b"].output) == {
        "error": "invalid arguments: Expected `str`, got `int`",
        "field": "$.city",
    }
    assert results["c"].error_kind == "invalid_arguments"


@pytest.mark.anyio
async def test_results_values_and_context() -> None:
    seen: list[ToolContext] = []

    def where(city: str, ctx: ToolContext) -> Forecast:
        seen.append(ctx)
        return Forecast(city, [1.5])

    async with ToolRunner([where]) as runner:
        runner.submit(call("where", {"city": "Oslo"}, "w1"))
        (result,) = (await collect(runner)).values()
    assert result == ToolResult(
        "w1", "where", '{"city":"Oslo","temps":[1.5]}', False, result.duration_s
    )
    assert seen == [ToolContext("w1", "where")]


@pytest.mark.anyio
async def test_cancel_running_and_queued() -> None:
    started = anyio.Event()
    cleaned = anyio.Event()

    async def wait_forever() -> None:
        started.set()
        try:
            await anyio.sleep_forever()
        finally:
            cleaned.set()

    async with ToolRunner([wait_forever], max_concurrency=1) as runner:
        runner.submit(call("wait_forever", {}, "run"))
        runner.submit(call("wait_forever", {}, "queued"))
        await started.wait()
        assert runner.running == ("run",)
        assert runner.cancel("queued") is True
        assert runner.cancel("queued") is False  # already cancelled
        assert runner.cancel("run") is True
        assert runner.cancel("nope") is False
        results = await collect(runner)
    assert cleaned.is_set()
    for cid in ("run", "queued"):
        assert results[cid].error_kind == "cancelled"
        assert json.loads(results[cid].output) == {"error": "cancelled"}


@pytest.mark.anyio
async def test_cancel_after_finish_is_a_no_op() -> None:
    async def quick() -> str:
        return "done"

    async with ToolRunner([quick]) as runner:
        runner.submit(call("quick", {}, "q"))
        result = await runner.receive()
        assert runner.cancel("q") is False
    assert result.output == "done"


@pytest.mark.anyio
async def test_max_concurrency_starts_calls_in_submission_order() -> None:
    names = ["a", "b", "c", "d", "e"]
    gates = {n: anyio.Event() for n in names}
    started_ev = {n: anyio.Event() for n in names}
    started: list[str] = []

    async def step(n: str) -> str:
        started.append(n)
        started_ev[n].set()
        await gates[n].wait()
        return n

    async with ToolRunner([step], max_concurrency=2) as runner:
        for n in names:
            runner.submit(call("step", {"n": n}, n))
        await started_ev["a"].wait()
        await started_ev["b"].wait()
        await anyio.wait_all_tasks_blocked()
        assert sorted(started) == ["a", "b"] and set(runner.running) == {"a", "b"}
        # free one slot at a time, out of order: the next *queued* call gets it each time
        for release, expect in (("b", "c"), ("a", "d"), ("d", "e")):
            gates[release].set()
            await started_ev[expect].wait()
            await anyio.wait_all_tasks_blocked()
            assert len(runner.running) == 2
        assert started[2:] == ["c", "d", "e"]
        for g in gates.values():
            g.set()
        results = await collect(runner)
    assert sorted(results) == names


@pytest.mark.anyio
async def test_full_results_buffer_holds_the_slot() -> None:
    async def quick(n: int) -> int:
        return n

    async with ToolRunner([quick], max_concurrency=1, max_buffered_results=0) as runner:
        runner.submit(call("quick", {"n": 1}, "1"))
        runner.submit(call("quick", {"n": 2}, "2"))
        await anyio.wait_all_tasks_blocked()
        # "1" is done but nobody reads: it keeps its slot, so "2" has not started
        assert runner.running == ("1",) and runner.pending == ("1", "2")
        assert (await runner.receive()).output == "1"
        assert (await runner.receive()).output == "2"


@pytest.mark.anyio
async def test_aclose_cancels_everything_and_ends_results() -> None:
    cancelled: list[str] = []
    started = anyio.Event()
    release_thread = threading.Event()

    async def forever(n: int) -> None:
        started.set()
        try:
            await anyio.sleep_forever()
        except anyio.get_cancelled_exc_class():
            cancelled.append(str(n))
            raise

    def stuck_sync() -> None:
        release_thread.wait(10)

    async with anyio.create_task_group() as tg:
        runner = ToolRunner([forever, stuck_sync], max_concurrency=3).start(tg)
        for i in range(4):
            runner.submit(call("forever", {"n": i}, f"f{i}"))
        runner.submit(call("stuck_sync", {}, "s"))
        await started.wait()
        await anyio.wait_all_tasks_blocked()
        assert len(runner.running) == 3 and len(runner.pending) == 5
        await runner.aclose()
        assert runner.closed and runner.pending == () and runner.running == ()
        assert sorted(cancelled) == ["0", "1", "2"]  # the 4th and the sync one never started
        assert [r async for r in runner.results()] == []
        with pytest.raises(RuntimeError, match="closed"):
            runner.submit(call("forever", {"n": 9}, "late"))
        await runner.aclose()  # idempotent
    release_thread.set()


@pytest.mark.anyio
async def test_aclose_keeps_results_already_delivered() -> None:
    async def quick() -> str:
        return "kept"

    runner = ToolRunner([quick])
    async with anyio.create_task_group() as tg:
        runner.start(tg)
        runner.submit(call("quick", {}, "k"))
        await anyio.wait_all_tasks_blocked()
        await runner.aclose()
    assert [r.output async for r in runner.results()] == ["kept"]


@pytest.mark.anyio
async def test_submit_before_start_and_duplicates() -> None:
    async def echo(x: int) -> int:
        return x

    runner = ToolRunner([tool(echo)])
    runner.submit(call("echo", {"x": 1}, "e1"))  # queued until start
    with pytest.raises(ValueError, match="already pending"):
        runner.submit(call("echo", {"x": 2}, "e1"))
    async with anyio.create_task_group() as tg:
        runner.start(tg)
        with pytest.raises(RuntimeError, match="already started"):
            runner.start(tg)
        result = await runner.receive()
        await runner.aclose()
    assert result.output == "1"


def test_runner_construction_checks() -> None:
    def a() -> None:
        pass

    with pytest.raises(ValueError, match="two tools"):
        ToolRunner([a, tool(a)])
    with pytest.raises(ValueError, match="max_concurrency"):
        ToolRunner([a], max_concurrency=0)
    with pytest.raises(ValueError, match="timeout"):
        ToolRunner([a], timeout=-1)
    runner = ToolRunner([a], timeout=None)
    assert [s.name for s in runner.specs] == ["a"] and list(runner.tools) == ["a"]


@pytest.mark.anyio
async def test_cancel_or_close_right_after_submit() -> None:
    """A barge-in cancels calls whose task has not taken its first step yet."""
    ran: list[str] = []

    async def work(n: int) -> int:
        ran.append(str(n))
        return n

    async with ToolRunner([work]) as runner:
        runner.submit(call("work", {"n": 1}, "w1"))
        assert runner.cancel("w1") is True  # dispatched, not yet running
        result = await runner.receive()
    assert result.error_kind == "cancelled" and ran == []

    async with anyio.create_task_group() as tg:
        runner = ToolRunner([work]).start(tg)
        runner.submit(call("work", {"n": 2}, "w2"))
        await runner.aclose()  # must not wait for a task that never started
    assert ran == [] and [r async for r in runner.results()] == []


@pytest.mark.anyio
async def test_sync_callable_returning_a_coroutine_is_an_error() -> None:
    async def inner(x: int) -> int:
        return x + 1

    def outer(x: int) -> Any:
        return inner(x)

    async with ToolRunner([outer]) as runner:
        runner.submit(call("outer", {"x": 1}, "o"))
        result = await runner.receive()
    assert result.is_error and result.output.startswith('{"error":"TypeError: ')

"""Request-body checks shared by the Responses and Chat scripts (pure).

What: small helpers that fetch a field of a JSON body, check its JSON type, and raise the
real API's 400 wording (``Missing required parameter: 'model'.``, ``Invalid type for 'n':
expected an integer, but got a string instead.``) as `ApiError`; and `text_of()`, which
extracts the text of a message ``content`` (string or list of parts).
Why: clients must see realistic validation errors, and both scripts need the same checks.
Next: scripts call `field()` per parameter while building their typed request.
"""

from __future__ import annotations

from typing import Any

from .errors import ApiError

__all__ = ["describe", "field", "missing", "text_of", "wrong_type"]

_TEXT_PART_TYPES = frozenset({"text", "input_text", "output_text"})

# expected kind -> (python types, article + JSON name)
_KINDS: dict[str, tuple[tuple[type, ...], str]] = {
    "string": ((str,), "a string"),
    "integer": ((int,), "an integer"),
    "number": ((int, float), "a number"),
    "boolean": ((bool,), "a boolean"),
    "object": ((dict,), "an object"),
    "array": ((list,), "an array"),
}


def describe(value: Any) -> str:
    """JSON type of `value` with an article, as the API words it ("an integer", "null")."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _matches(value: Any, kind: str) -> bool:
    types, _ = _KINDS[kind]
    if isinstance(value, bool) and kind != "boolean":
        return False
    return isinstance(value, types)


def missing(param: str) -> ApiError:
    """The 400 for an absent required parameter."""
    return ApiError(
        400,
        f"Missing required parameter: '{param}'.",
        param=param,
        code="missing_required_parameter",
    )


def wrong_type(param: str, expected: str, value: Any) -> ApiError:
    """The 400 for a parameter of the wrong JSON type (`expected` like "an object")."""
    return ApiError(
        400,
        f"Invalid type for '{param}': expected {expected}, but got {describe(value)} instead.",
        param=param,
        code="invalid_type",
    )


def field(
    body: dict[str, Any], key: str, *kinds: str, param: str | None = None, required: bool = False
) -> Any:
    """`body[key]` checked against JSON `kinds`; None when absent or null (unless `required`).

    Raises `ApiError` 400 (code ``missing_required_parameter`` or ``invalid_type``).
    """
    name = param or key
    value = body.get(key)
    if value is None:
        if required:
            raise missing(name)
        return None
    if not any(_matches(value, k) for k in kinds):
        raise wrong_type(name, " or ".join(_KINDS[k][1] for k in kinds), value)
    return value


def text_of(content: Any, param: str) -> str:
    """Concatenated text of a message ``content``: a string, or a list of parts.

    Text parts (``text``/``input_text``/``output_text``) contribute their ``text``; other
    parts (images, files, audio) contribute nothing. Raises `ApiError` on a malformed part.
    """
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        raise wrong_type(param, "a string or an array", content)
    texts: list[str] = []
    for index, part in enumerate(content):
        where = f"{param}[{index}]"
        if not isinstance(part, dict):
            raise wrong_type(where, "an object", part)
        if part.get("type") in _TEXT_PART_TYPES:
            text = field(part, "text", "string", param=f"{where}.text", required=True)
            texts.append(text)
    return "".join(texts)

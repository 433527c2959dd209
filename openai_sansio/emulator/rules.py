"""The emulator's "model": decides between a text answer and function calls (pure).

What: a small, API-neutral view of a conversation (`Message`, `Call`, `CallOutput`, `Other`),
of function tools (`Tool`) and of tool choice (`ToolChoice`), and `decide()`, which applies
the rule documented in `openai_sansio.emulator.RULES_DOC`; plus the deterministic helpers the
scripts share: `schema_arguments()`, `count_tokens()`, `split_words()`, `split_chunks()`.
Why: both the Responses and the Chat script must behave identically, and the rule must be
testable without sockets.
Next: a script normalises its request into these types, calls `decide()`, and renders the
`Decision` as events of its own wire format.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

__all__ = [
    "SAY_PREFIX",
    "Call",
    "CallOutput",
    "Decision",
    "Item",
    "Message",
    "Other",
    "PlannedCall",
    "Tool",
    "ToolChoice",
    "count_tokens",
    "decide",
    "item_tokens",
    "last_user_text",
    "schema_arguments",
    "split_chunks",
    "split_words",
]

SAY_PREFIX = "say:"
"""Magic prefix: a user text starting with it is answered with exactly the rest (no tools)."""

TOOL_OUTPUT_LIMIT = 200
"""Characters of a tool output quoted in the follow-up answer (keeps answers short)."""

ARGUMENT_CHUNK = 6
"""Characters per function-call argument delta (small, so clients see partial JSON)."""

_MAX_SCHEMA_DEPTH = 8
"""Recursion bound for nested or self-referencing JSON schemas."""

_TOKEN_RE = re.compile(r"\w+|[^\w\s]")
_WORD_PIECE_RE = re.compile(r"\s*\S+|\s+\Z")
_WORD_RE = re.compile(r"\w+")


@dataclass(frozen=True)
class Message:
    """A message item: `role` is user, system, developer or assistant; `text` its text parts."""

    role: str
    text: str


@dataclass(frozen=True)
class Call:
    """A function call the model made earlier in the conversation."""

    call_id: str
    name: str
    arguments: str


@dataclass(frozen=True)
class CallOutput:
    """A tool result sent back by the client (``function_call_output`` / role ``tool``)."""

    call_id: str
    output: str


@dataclass(frozen=True)
class Other:
    """Any other item (reasoning, built-in tool calls, ...): kept for position only."""

    type: str


Item = Message | Call | CallOutput | Other


@dataclass(frozen=True)
class Tool:
    """A function tool: its name and JSON-schema parameters (may be absent)."""

    name: str
    parameters: Mapping[str, Any] | None


@dataclass(frozen=True)
class ToolChoice:
    """``auto`` | ``none`` | ``required`` | ``named`` (then `name` is the forced tool)."""

    mode: Literal["auto", "none", "required", "named"] = "auto"
    name: str | None = None


@dataclass(frozen=True)
class PlannedCall:
    """One function call the emulated model will stream: tool name and JSON arguments."""

    name: str
    arguments: str


@dataclass(frozen=True)
class Decision:
    """The outcome of `decide()`: either `calls` (non-empty) or `text`."""

    text: str
    calls: tuple[PlannedCall, ...] = ()


def count_tokens(text: str) -> int:
    """Deterministic token estimate: words plus punctuation marks."""
    return len(_TOKEN_RE.findall(text))


def item_tokens(item: Item) -> int:
    """Deterministic prompt-token estimate of one conversation item (4 per item + content)."""
    if isinstance(item, Message):
        return 4 + count_tokens(item.text)
    if isinstance(item, Call):
        return 4 + count_tokens(item.name) + count_tokens(item.arguments)
    if isinstance(item, CallOutput):
        return 4 + count_tokens(item.output)
    return 4


def split_words(text: str) -> list[str]:
    """Split text into word-sized deltas (leading whitespace attached); joins back exactly."""
    pieces = _WORD_PIECE_RE.findall(text)
    return pieces if "".join(pieces) == text else [text]


def split_chunks(text: str, size: int = ARGUMENT_CHUNK) -> list[str]:
    """Split text into pieces of `size` characters (the last may be shorter)."""
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


def last_user_text(items: Sequence[Item]) -> str | None:
    """Text of the most recent user message, or None when there is none."""
    for item in reversed(items):
        if isinstance(item, Message) and item.role == "user":
            return item.text
    return None


def decide(
    items: Sequence[Item],
    tools: Sequence[Tool],
    choice: ToolChoice,
    *,
    parallel: bool,
) -> Decision:
    """Apply the documented text-vs-function-call rule to a whole conversation.

    `items` is the full conversation (a remembered chain followed by the new input). Returns
    the calls to make, or the text to answer; see `openai_sansio.emulator.RULES_DOC`.
    """
    last = items[-1] if items else None
    if isinstance(last, CallOutput):
        return Decision(text=_tool_result_answer(items))
    if isinstance(last, Message) and last.role == "user":
        if last.text.startswith(SAY_PREFIX):
            return Decision(text=last.text[len(SAY_PREFIX) :].lstrip())
        if tools and choice.mode != "none":
            chosen = _choose_tools(last.text, tools, choice, parallel=parallel)
            if chosen:
                word = _argument_word(last.text, {t.name.lower() for t in tools})
                return Decision(text="", calls=tuple(_plan_call(t, word) for t in chosen))
    user_text = last_user_text(items)
    if user_text is None:
        return Decision(text="Hello! How can I help you today?")
    return Decision(text=f"You said: {user_text}")


def _plan_call(tool: Tool, word: str | None) -> PlannedCall:
    arguments = schema_arguments(tool.parameters, word)
    return PlannedCall(
        name=tool.name,
        arguments=json.dumps(arguments, ensure_ascii=False, separators=(",", ":")),
    )


def _choose_tools(
    text: str, tools: Sequence[Tool], choice: ToolChoice, *, parallel: bool
) -> list[Tool]:
    if choice.mode == "named":
        return [t for t in tools if t.name == choice.name][:1]
    lowered = text.lower()
    positions = [(lowered.find(t.name.lower()), i, t) for i, t in enumerate(tools)]
    named = [t for pos, _, t in sorted(p for p in positions if p[0] >= 0)]
    if named:
        return named if parallel else named[:1]
    if choice.mode == "required":
        return [tools[0]]
    return []


def _tool_result_answer(items: Sequence[Item]) -> str:
    outputs: list[CallOutput] = []
    for item in reversed(items):
        if not isinstance(item, CallOutput):
            break
        outputs.append(item)
    outputs.reverse()
    names = {i.call_id: i.name for i in items if isinstance(i, Call)}
    sentences = [
        f"The {names.get(o.call_id, 'unknown')} tool returned: {o.output[:TOOL_OUTPUT_LIMIT]}."
        for o in outputs
    ]
    return " ".join(sentences)


def _argument_word(text: str, tool_names: set[str]) -> str | None:
    """The last capitalised word that is not a tool name, else the last such word, else None."""
    words: list[str] = [w for w in _WORD_RE.findall(text) if w.lower() not in tool_names]
    for word in reversed(words):
        if word[0].isupper():
            return word
    return words[-1] if words else None


def schema_arguments(schema: Mapping[str, Any] | None, word: str | None) -> dict[str, Any]:
    """Deterministic arguments object for a function's JSON-schema `parameters`.

    Every property in ``properties`` (and every name in ``required``) gets a value: strings
    `word` (or the property name when `word` is None), numbers and integers 42, booleans true,
    enums their first value, ``const`` its value, arrays empty, nested objects recursively.
    """
    if not isinstance(schema, Mapping):
        return {}
    value = _value(schema, "value", word, schema, 0)
    return value if isinstance(value, dict) else {}


def _resolve(schema: Mapping[str, Any], root: Mapping[str, Any], depth: int) -> Mapping[str, Any]:
    ref = schema.get("$ref")
    while isinstance(ref, str) and ref.startswith("#/") and depth < _MAX_SCHEMA_DEPTH:
        target: Any = root
        for part in ref[2:].split("/"):
            target = target.get(part) if isinstance(target, Mapping) else None
        if not isinstance(target, Mapping):
            return {}
        schema = target
        ref = schema.get("$ref")
        depth += 1
    for key in ("anyOf", "oneOf", "allOf"):
        options = schema.get(key)
        if isinstance(options, list) and options:
            picked = next(
                (o for o in options if isinstance(o, Mapping) and o.get("type") != "null"),
                options[0],
            )
            if isinstance(picked, Mapping):
                return _resolve(picked, root, depth + 1)
    return schema


def _value(
    schema: Mapping[str, Any], name: str, word: str | None, root: Mapping[str, Any], depth: int
) -> Any:
    schema = _resolve(schema, root, depth)
    enum = schema.get("enum")
    if isinstance(enum, list) and enum:
        return enum[0]
    if "const" in schema:
        return schema["const"]
    kind: Any = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind is None:
        kind = "object" if "properties" in schema else "array" if "items" in schema else "string"
    if kind in ("number", "integer"):
        return 42
    if kind == "boolean":
        return True
    if kind == "array":
        return []
    if kind == "null":
        return None
    if kind == "object":
        if depth >= _MAX_SCHEMA_DEPTH:
            return {}
        props = schema.get("properties")
        props = props if isinstance(props, Mapping) else {}
        out: dict[str, Any] = {}
        for key, sub in props.items():
            sub_schema = sub if isinstance(sub, Mapping) else {}
            out[str(key)] = _value(sub_schema, str(key), word, root, depth + 1)
        required = schema.get("required")
        for key in required if isinstance(required, list) else []:
            if isinstance(key, str) and key not in out:
                out[key] = word if word is not None else key
        return out
    return word if word is not None else name

"""Descriptions from docstrings, for function tool schemas (pure text work, no I/O).

What: `parse_docstring` reads a docstring's summary (its first paragraph) and per-parameter
descriptions in Google (``Args:``), NumPy (``Parameters`` over dashes) or reST (``:param x:``)
style; `class_doc` does the same for a class's own docstring, ignoring the signature text
dataclasses invent when there is none.

Why separate: reading prose is a different job from mapping types to JSON Schema, and both
grow on their own (a new docstring style here, a new annotation there).

Next: `openai_sansio.tools_schema` puts these descriptions into the schema it builds (a
parameter's or field's ``description``, a class's or enum's summary); `openai_sansio.tools`
uses the summary as the tool's description.
"""

from __future__ import annotations

import dataclasses
import inspect
import re
from typing import Final

__all__ = ["class_doc", "parse_docstring"]

_FIELD_RE: Final = re.compile(
    r"^:(?:param|parameter|arg|argument|key|keyword|ivar|var|cvar)\s+(?:[^:]*?\s)?"
    r"\*{0,2}(\w+)\s*:\s*(.*)$"
)
_GOOGLE_HEADER_RE: Final = re.compile(
    r"^(args|arguments|parameters|params|keyword args|keyword arguments|other parameters"
    r"|attributes)\s*:\s*$",
    re.IGNORECASE,
)
_ANY_GOOGLE_HEADER_RE: Final = re.compile(r"^[A-Z][A-Za-z ]{0,30}:\s*$")
_GOOGLE_ENTRY_RE: Final = re.compile(r"^\*{0,2}(\w+)\s*(?:\([^)]*\))?\s*:\s*(.*)$")
_NUMPY_PARAM_SECTIONS: Final = frozenset(
    {"parameters", "other parameters", "attributes", "keyword arguments", "arguments"}
)
_NUMPY_ENTRY_RE: Final = re.compile(r"^\*{0,2}(\w+(?:\s*,\s*\*{0,2}\w+)*)\s*(?::.*)?$")
_DASHES_RE: Final = re.compile(r"^\s*-{3,}\s*$")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _squash(parts: list[str]) -> str:
    return " ".join(" ".join(parts).split())


def parse_docstring(doc: str | None) -> tuple[str | None, dict[str, str]]:
    """``(summary, {parameter: description})`` from a Google, NumPy or reST docstring.

    The summary is the first paragraph, joined into one line (``None`` without a docstring).
    Parameter descriptions come from ``Args:``/``Parameters:``/``Attributes:`` sections
    (Google), ``Parameters``/``Attributes`` sections underlined with dashes (NumPy), and
    ``:param x:``/``:ivar x:`` fields (reST); continuation lines are joined. Styles may mix.
    """
    if not doc or not doc.strip():
        return None, {}
    lines = inspect.cleandoc(doc).splitlines()
    params: dict[str, str] = {}
    summary_parts: list[str] = []
    for line in lines:
        if not line.strip() or line.startswith(":") or _ANY_GOOGLE_HEADER_RE.match(line):
            break
        summary_parts.append(line)
    i = 0
    while i < len(lines):
        line = lines[i]
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if (m := _FIELD_RE.match(line.strip())) is not None:
            parts, i = [m.group(2)], i + 1
            while i < len(lines) and lines[i].strip() and _indent(lines[i]) > _indent(line):
                parts.append(lines[i])
                i += 1
            params[m.group(1)] = _squash(parts)
        elif _GOOGLE_HEADER_RE.match(line.strip()):
            i = _google_section(lines, i, params)
        elif _DASHES_RE.match(nxt) and line.strip().lower() in _NUMPY_PARAM_SECTIONS:
            i = _numpy_section(lines, i + 2, _indent(line), params)
        else:
            i += 1
    summary = _squash(summary_parts) or None
    return summary, params


def _google_section(lines: list[str], i: int, out: dict[str, str]) -> int:
    base = _indent(lines[i])
    i += 1
    entry_indent: int | None = None
    name: str | None = None
    parts: list[str] = []
    while i < len(lines):
        line = lines[i]
        if line.strip() and _indent(line) <= base:
            break
        if line.strip():
            if entry_indent is None:
                entry_indent = _indent(line)
            m = _GOOGLE_ENTRY_RE.match(line.strip())
            if _indent(line) <= entry_indent and m is not None:
                if name is not None:
                    out[name] = _squash(parts)
                name, parts = m.group(1), [m.group(2)]
            elif name is not None:
                parts.append(line)
        i += 1
    if name is not None:
        out[name] = _squash(parts)
    return i


def _numpy_section(lines: list[str], i: int, base: int, out: dict[str, str]) -> int:
    names: list[str] = []
    parts: list[str] = []

    def flush() -> None:
        for n in names:
            out[n] = _squash(parts)

    while i < len(lines):
        line = lines[i]
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if line.strip() and _indent(line) <= base and _DASHES_RE.match(nxt):
            break  # the next section
        if line.strip() and _indent(line) <= base:
            m = _NUMPY_ENTRY_RE.match(line.strip())
            if m is None:
                break
            flush()
            names = [n.strip().lstrip("*") for n in m.group(1).split(",")]
            parts = []
        elif line.strip():
            parts.append(line)
        i += 1
    flush()
    return i


def class_doc(cls: type) -> tuple[str | None, dict[str, str]]:
    """`parse_docstring` of `cls`'s own docstring (``(None, {})`` without one)."""
    doc = cls.__dict__.get("__doc__")
    if not isinstance(doc, str):
        return None, {}
    # dataclasses invent "Name(field: type, ...)" when there is no docstring; not a description
    if dataclasses.is_dataclass(cls) and doc.startswith(f"{cls.__name__}("):
        return None, {}
    return parse_docstring(doc)

"""What the hypothesis mirrors of the atheris targets in ``fuzz/`` share.

``fuzz/`` is not a package and the mirrors must not need atheris: `load_target` imports
``fuzz/<name>.py`` by path (a target's ``TestOneInput`` then runs like any function).
`MUTATIONS` / `mutate` mutate seeds the way libFuzzer does, splicing from a donor seed.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Final

from hypothesis import strategies as st

__all__ = ["MUTATIONS", "ROOT", "SHARED", "load_target", "mutate"]

ROOT: Final = Path(__file__).resolve().parents[1]
SHARED: Final = ROOT.parent / "shared"


def load_target(name: str) -> ModuleType:
    """Import fuzz/<name>.py as the module ``_fuzz_<name>``."""
    spec = importlib.util.spec_from_file_location(f"_fuzz_{name}", ROOT / "fuzz" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


MUTATIONS = st.lists(
    st.tuples(
        st.sampled_from(["flip", "insert", "delete", "duplicate", "truncate", "splice"]),
        st.integers(0, 1 << 16),
        st.integers(0, 255),
    ),
    min_size=1,
    max_size=6,
)
"""Byte mutations for `mutate` (as libFuzzer makes them)."""


def mutate(seed: bytes, ops: list[tuple[str, int, int]], donor: bytes) -> bytes:
    """Byte mutations as libFuzzer makes them; `splice` copies a piece of another seed in."""
    data = bytearray(seed)
    for op, position, value in ops:
        at = position % (len(data) + 1)
        if op == "flip" and data:
            data[at % len(data)] ^= 1 << (value % 8)
        elif op == "insert":
            data[at:at] = bytes([value])
        elif op == "delete":
            del data[at : at + 1 + value % 16]
        elif op == "duplicate":
            data[at:at] = data[at : at + 1 + value]
        elif op == "truncate":
            del data[at:]
        else:
            start = position % max(1, len(donor))
            data[at:at] = donor[start : start + 1 + value]
    return bytes(data)

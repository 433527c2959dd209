"""Loading the atheris targets of ``fuzz/`` in the hypothesis mirror tests.

``fuzz/`` is not a package and the mirrors must not need atheris: `load_target` imports
``fuzz/<name>.py`` by path (a target's ``TestOneInput`` then runs like any function).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Final

__all__ = ["ROOT", "SHARED", "load_target"]

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

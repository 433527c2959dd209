"""protocol/ and audio/ stay pure (DESIGN section 3): no I/O, clock or entropy imports."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

BANNED = {
    "asyncio",
    "anyio",
    "trio",
    "socket",
    "ssl",
    "time",
    "datetime",
    "random",
    "secrets",
    "os",
    "threading",
    "selectors",
    "subprocess",
}
PACKAGE = Path(__file__).resolve().parents[1] / "openai_sansio"
PURE_LAYERS = ("protocol", "audio")


def _imports(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def _pure_files() -> list[Path]:
    files: list[Path] = []
    for layer in PURE_LAYERS:
        files.extend(sorted((PACKAGE / layer).rglob("*.py")))
    return files


def test_pure_layers_exist_and_have_modules() -> None:
    assert (PACKAGE / "protocol" / "__init__.py").exists()
    assert len(_pure_files()) >= 5


@pytest.mark.parametrize("path", _pure_files(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_banned_import(path: Path) -> None:
    bad = [name for name in _imports(path) if name.split(".")[0] in BANNED]
    assert not bad, f"{path} imports {bad}"


def test_checker_catches_a_banned_import(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("import os\nfrom time import monotonic\nfrom . import sibling\n")
    assert [n for n in _imports(sample) if n.split(".")[0] in BANNED] == ["os", "time"]


def test_pure_modules_import_without_io_modules_loaded_by_them() -> None:
    """Importing the protocol package must not pull in an event loop library."""
    import subprocess
    import sys

    code = (
        "import sys; import openai_sansio.protocol; "
        "bad = [m for m in ('asyncio', 'anyio', 'trio', 'socket', 'ssl') if m in sys.modules];"
        "print(','.join(bad))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "", f"importing openai_sansio.protocol loaded {out}"

"""What the CLI commands that talk to the API share: where to talk, and with which key.

Every such command (``chat``, ``talk``, ``speak``, ``transcribe``) takes ``--emulator``
(serve the built-in emulator in-process on a free loopback port) and ``--base-url``; with
neither it talks to the real service with ``OPENAI_API_KEY``.

- `missing_key(args)`: True (after printing why) when none of the three is available; the
  command then exits with status 2.
- `endpoint(use_emulator, base_url, config)`: ``async with`` it for the `Client` keyword
  arguments (the emulator running for the block, a base URL, or nothing: the environment).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import AsyncIterator
from typing import Any, Final

from . import emulator

__all__ = ["EMULATOR_KEY", "endpoint", "missing_key"]

EMULATOR_KEY: Final = "sk-emulator-demo"
"""The key sent to the in-process emulator (it checks that one is present, nothing more),
and to a ``--base-url`` server when ``OPENAI_API_KEY`` is not set."""


def missing_key(args: argparse.Namespace) -> bool:
    """No ``--emulator``, no ``--base-url`` and no ``OPENAI_API_KEY``: says so on stderr."""
    if args.emulator or args.base_url is not None or os.environ.get("OPENAI_API_KEY"):
        return False
    print(
        "error: set OPENAI_API_KEY to use the real API, or pass --emulator / --base-url",
        file=sys.stderr,
    )
    return True


@contextlib.asynccontextmanager
async def endpoint(
    use_emulator: bool, base_url: str | None, config: emulator.EmulatorConfig | None = None
) -> AsyncIterator[dict[str, Any]]:
    """`Client` keyword arguments: the emulator (running with `config` for the block; the
    environment is not read, so no organization or project id of the caller's is sent to
    it), a base URL (with ``OPENAI_API_KEY`` or `EMULATOR_KEY`), or ``{}`` (the
    environment: the real service)."""
    if use_emulator:
        async with emulator.running(config) as server:
            yield {"api_key": EMULATOR_KEY, "base_url": server.base_url, "env": {}}
    elif base_url is not None:
        yield {"api_key": os.environ.get("OPENAI_API_KEY") or EMULATOR_KEY, "base_url": base_url}
    else:
        yield {}

"""Shared pytest configuration.

Hypothesis profiles: ``ci`` is fixed and reproducible (derandomized, 100 examples), ``dev``
explores more (300 random examples). Pick one with ``HYPOTHESIS_PROFILE=ci`` (default ``dev``).
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    max_examples=100,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", max_examples=300, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


# ------------------------------------------------------------------ no secret in any trace
# Every record any `TraceRecorder` writes during the run is scanned for credentials
# (`_trace_scan.leaks`); the run fails at its end if one leaked (issue 7: "verified by a test
# that scans every trace the suite writes").

_TRACE_LEAKS: list[str] = []
_TRACE_LINES = [0]


def _install_trace_scan() -> None:
    import msgspec
    from _trace_scan import leaks

    from openai_sansio.protocol.trace import TraceRecorder

    encode = msgspec.json.Encoder().encode

    def emit(self: TraceRecorder, record: object) -> None:
        line = encode(record) + b"\n"
        _TRACE_LINES[0] += 1
        found = leaks(line)
        if found:
            _TRACE_LEAKS.extend(found)
        self._write(line)

    TraceRecorder._emit = emit  # type: ignore[method-assign,assignment]


def pytest_configure(config: pytest.Config) -> None:
    _install_trace_scan()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _TRACE_LEAKS:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        message = f"{len(_TRACE_LEAKS)} credential(s) reached a trace: {_TRACE_LEAKS[:5]}"
        if reporter is not None:
            reporter.write_line(message, red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: Any) -> None:
    terminalreporter.write_line(
        f"trace records scanned for credentials: {_TRACE_LINES[0]}, leaks: {len(_TRACE_LEAKS)}"
    )

"""Regenerate the recorded transcription traces: ``python tests/data/transcription/make_traces.py``.

Each scenario runs `TranscriptionConnection` against the emulator (deterministic ids and
transcripts; times vary) and writes ``<name>.jsonl`` (the trace) and ``<name>.expected.json``
(the replay's turns and error codes, which `test_recorded_traces_replay_without_divergence`
checks).
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import anyio
import msgspec
import numpy as np

from openai_sansio.client import Client
from openai_sansio.emulator import EmulatorConfig, running
from openai_sansio.protocol.trace import load_trace, replay

HERE = Path(__file__).parent


def tone(ms: int) -> bytes:
    n = 24 * ms
    return (np.sin(2 * np.pi * 440 * np.arange(n) / 24000) * 8000).astype("<i2").tobytes()


async def scenario(name: str, config: EmulatorConfig, **options: Any) -> None:
    buf = io.BytesIO()
    async with running(config) as server:
        async with Client(api_key="sk-trace", base_url=server.base_url) as client:
            async with client.transcription.connect(trace=buf.write, **options) as session:
                session.flush()  # nothing yet: a benign empty commit
                for ms in (300, 400, 500):
                    session.send_audio(tone(ms))
                    await anyio.sleep(0.01)
                    session.flush()
                session.finish()
                async for _ in session:
                    pass
    data = buf.getvalue()
    (HERE / f"{name}.jsonl").write_bytes(data)
    summary = replay(*load_trace(data.splitlines()))
    expected = {
        "turns": msgspec.to_builtins(summary.turns),
        "errors": [e["code"] for e in summary.errors],
    }
    (HERE / f"{name}.expected.json").write_text(json.dumps(expected, indent=1) + "\n")


async def main() -> None:
    await scenario(
        "client_commits_out_of_order",
        EmulatorConfig(transcription_out_of_order=True, fail_transcription=3),
        turn_detection=None,
    )


if __name__ == "__main__":
    anyio.run(main)

"""The emulator (``openai_sansio.emulator``) for ``realtime_sessions.py``, paced in real time.

Run in its own process so that its CPU (server VAD over every append, synthetic speech,
pacing) is not charged to the clients being measured. ``openai-sansio emulator`` has no
pacing option, so this calls `serve_forever` with ``EmulatorConfig(realtime_rtf=...)``:
response events are due at their audio time (100 ms per ``response.output_audio.delta``),
as the real API streams a spoken answer.

Run: ``python bench/_realtime_server.py --rtf 1.0``; prints ``openai-sansio emulator
listening on http://127.0.0.1:<port>/v1`` once listening.
"""

from __future__ import annotations

import argparse

from openai_sansio.emulator import EmulatorConfig, serve_forever

if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--rtf", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    serve_forever("127.0.0.1", args.port, EmulatorConfig(seed=args.seed, realtime_rtf=args.rtf))

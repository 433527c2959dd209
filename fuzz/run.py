"""Run every fuzz target for a while and say how it went (what ``make fuzz`` calls).

For each target (`TARGETS`, or those named with ``--only``) it runs
``python fuzz/<target>.py -max_total_time=<seconds> <corpus>`` with atheris (the corpus in
``fuzz/corpus/<name>/``, seeded by `make_corpus` first), one target after another, with
``FUZZ_SKIP_KNOWN=1`` so the failures already reported (each target's ``KNOWN_BUGS``) do not
stop it. It prints each target's executions per second, total executions and corpus size, and
exits 1 when a target found something: libFuzzer's crash input is left in
``fuzz/findings/`` (replay it with ``python fuzz/<target>.py fuzz/findings/crash-...``).

Usage: ``python fuzz/run.py [--seconds N] [--only NAME ...] [--jobs 2]``; ``FUZZ_SECONDS``
in the environment is the default of ``--seconds`` (60).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
TARGETS = (
    "sse",
    "codec",
    "chat_stream",
    "response_stream",
    "realtime_session",
    "responses_socket",
    "transcription_session",
    "transcription_http",
    "multipart",
    "speech_stream",
)
"""Target names: ``fuzz/fuzz_<name>.py``, corpus ``fuzz/corpus/<name>/``."""
EXTRA_FLAGS = {"codec": ["-keep_seed=1"], "sse": ["-max_len=4096"]}


@dataclass
class Outcome:
    name: str
    returncode: int
    executions: int
    seconds: float
    corpus: int
    finding: str | None

    @property
    def per_second(self) -> float:
        return self.executions / self.seconds if self.seconds else 0.0


def _stat(text: str, name: str) -> int | None:
    match = re.search(rf"stat::{name}:\s*(\d+)", text)
    return int(match.group(1)) if match else None


def run_target(name: str, seconds: int, log_dir: Path) -> Outcome:
    corpus = HERE / "corpus" / name
    corpus.mkdir(parents=True, exist_ok=True)
    findings = HERE / "findings"
    findings.mkdir(exist_ok=True)
    command = [
        sys.executable,
        str(HERE / f"fuzz_{name}.py"),
        f"-max_total_time={seconds}",
        "-print_final_stats=1",
        f"-artifact_prefix={findings}/{name}-",
        *EXTRA_FLAGS.get(name, []),
        str(corpus),
    ]
    env = {**os.environ, "FUZZ_SKIP_KNOWN": "1"}
    started = time.monotonic()
    done = subprocess.run(command, env=env, capture_output=True, text=True, errors="replace")
    elapsed = time.monotonic() - started
    log = done.stdout + done.stderr
    (log_dir / f"{name}.log").write_text(log)
    executions = _stat(log, "number_of_executed_units") or 0
    runs = re.search(r"Done (\d+) runs in (\d+) second", log)
    duration = float(runs.group(2)) if runs else elapsed
    finding = None
    if done.returncode != 0:
        artifact = re.search(r"Test unit written to (\S+)", log)
        error = re.search(
            r"^(?:=== Uncaught Python exception: ===\n)?(\w+(?:Error|Exception)\b.*)$", log, re.M
        )
        finding = (error.group(1) if error else f"exit {done.returncode}") + (
            f" -> {artifact.group(1)}" if artifact else ""
        )
    size = sum(1 for p in corpus.iterdir() if p.is_file())
    return Outcome(name, done.returncode, executions, duration, size, finding)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=int(os.environ.get("FUZZ_SECONDS", 60)))
    parser.add_argument("--only", nargs="+", choices=TARGETS, default=list(TARGETS))
    parser.add_argument("--jobs", type=int, default=1, help="targets run at once")
    parser.add_argument("--logs", type=Path, default=HERE / "findings" / "logs")
    args = parser.parse_args(argv)
    try:
        import atheris  # noqa: F401
    except ImportError:
        print("atheris is not installed: pip install -e '.[fuzz]'", file=sys.stderr)
        return 2
    made = subprocess.run([sys.executable, str(HERE / "make_corpus.py")], check=False)
    if made.returncode:
        return made.returncode
    args.logs.mkdir(parents=True, exist_ok=True)
    print(f"fuzzing {len(args.only)} targets for {args.seconds} s each", flush=True)
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        outcomes = list(pool.map(lambda n: run_target(n, args.seconds, args.logs), args.only))
    print(f"{'target':24} {'exec/s':>9} {'executions':>12} {'seconds':>8} {'corpus':>7}  result")
    for o in outcomes:
        result = "no finding" if o.finding is None else f"FINDING: {o.finding}"
        print(
            f"{o.name:24} {o.per_second:9.0f} {o.executions:12d} {o.seconds:8.0f} "
            f"{o.corpus:7d}  {result}"
        )
    total = sum(o.executions for o in outcomes)
    found = [o for o in outcomes if o.finding is not None]
    print(f"total: {total} executions, {len(found)} target(s) with a finding (logs: {args.logs})")
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main())

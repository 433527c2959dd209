"""Run every benchmark (each in its own process) and print a summary of the goals.

    PYTHONPATH=. .venv/bin/python bench/run_all.py            # all, ~4 minutes
    PYTHONPATH=. .venv/bin/python bench/run_all.py sse_framing decode_events
    PYTHONPATH=. .venv/bin/python bench/run_all.py --save bench/latest.md
    PYTHONPATH=. .venv/bin/python bench/run_all.py --proto   # + proto_suggestions.py

Environment knobs (see ``_common.py``): ``BENCH_ROUNDS`` (7), ``BENCH_TARGET_MS`` (100).
No timing assertion anywhere: a goal that is not met is reported, and the exit status is 0
unless a script failed (for instance because two methods produced different results).
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPTS = [
    "sse_framing",
    "sse_to_events",
    "decode_events",
    "encode_events",
    "chat_assembly",
    "http_stack",
    "ws_frames",
    "ws_conversation",
    "realtime",
    "realtime_sessions",
    "audio_resample",
    "speech_ttfa",
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help=f"subset of {', '.join(SCRIPTS)}")
    parser.add_argument("--save", type=Path, help="also write the whole report to this file")
    parser.add_argument(
        "--proto", action="store_true", help="also run proto_suggestions.py (prototypes)"
    )
    args = parser.parse_args()
    names = (args.names or SCRIPTS) + (["proto_suggestions"] if args.proto else [])
    unknown = [n for n in names if n not in [*SCRIPTS, "proto_suggestions"]]
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}")

    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(HERE.parent), env.get("PYTHONPATH", "")) if p
    )
    report: list[str] = [
        f"# bench/run_all.py, {time.strftime('%Y-%m-%d %H:%M')}",
        "",
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"load average before the run: {', '.join(f'{x:.2f}' for x in os.getloadavg())}.",
        "",
    ]
    print("\n".join(report), flush=True)
    goals: list[tuple[str, str]] = []
    failed: list[str] = []
    started = time.perf_counter()
    for name in names:
        t0 = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, str(HERE / f"{name}.py")],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        out = proc.stdout
        if proc.returncode != 0:
            failed.append(name)
            out += f"\n**{name} FAILED (exit {proc.returncode})**\n```\n{proc.stderr[-3000:]}```\n"
        out += f"\n_{name}: {time.perf_counter() - t0:.0f} s_\n"
        print(out, flush=True)
        report.append(out)
        goals += [
            (name, line[2:]) for line in proc.stdout.splitlines() if line.startswith("- goal")
        ]

    summary = ["## Summary of goals", "", "| bench | goal |", "|:--|:--|"]
    summary += [f"| {name} | {text} |" for name, text in goals]
    met = sum(1 for _, text in goals if text.endswith("-> met"))
    summary += [
        "",
        f"{met} of {len(goals)} goals met; total {time.perf_counter() - started:.0f} s.",
    ]
    if failed:
        summary.append(f"FAILED: {', '.join(failed)}")
    print("\n".join(summary), flush=True)
    report += summary
    if args.save:
        args.save.write_text("\n".join(report) + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

"""Write the golden ``realtime`` traces from the scenarios in `tests/test_realtime_golden.py`.

Run from anywhere: ``python tests/data/realtime/make_traces.py``. The tests fail when a
checked-in trace differs from what its scenario renders, so edit the scenario, then rerun this.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
TESTS = HERE.parent.parent
sys.path[:0] = [str(TESTS.parent), str(TESTS)]

import test_realtime_golden as golden  # noqa: E402


def main() -> None:
    names = set()
    for scenario in golden.SCENARIOS:
        path = golden.trace_path(scenario)
        path.write_text(golden.render(scenario))
        names.add(path.name)
    for stale in HERE.glob("*.jsonl"):
        if stale.name not in names:
            stale.unlink()
    print(f"wrote {len(names)} traces to {HERE}")


if __name__ == "__main__":
    main()

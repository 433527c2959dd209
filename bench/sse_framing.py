"""SSE framing only: body bytes -> records of (event name, data), no JSON.

Input: a synthetic Responses stream (created, in_progress, output_item.added,
content_part.added, 2,000 ``response.output_text.delta`` with ``obfuscation``, the done events,
completed), framed ``event: <type>\\ndata: <json>\\n\\n`` (~280 B/event), fed in random
1-4 KB chunks (seeded, identical for every method).

- ours: ``openai_sansio.protocol._sse.SSEDecoder().feed(chunk)`` for each chunk, then
  ``feed_eof()``; records keep ``data`` as bytes.
- openai SDK: ``openai._streaming.SSEDecoder().iter_bytes(iter(chunks))``, which is what
  ``openai.Stream`` runs; records carry ``data`` as str.
- reference: a minimal hand-written splitter (LF only, no comments/id/retry, bytes data).
  Not spec-complete; shown as an upper bound for pure-Python framing.

Goals: >= 150 MB/s and >= 3x the SDK decoder.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    Table,
    check,
    compare,
    fmt_rate,
    fmt_time,
    goal_line,
    header,
)
from _payloads import chunk_body, responses_sse_body, responses_stream_events
from openai._streaming import SSEDecoder as SDKDecoder

from openai_sansio.protocol._sse import SSEDecoder


def ours(chunks: list[bytes]) -> list[tuple[str | None, bytes]]:
    decoder = SSEDecoder()
    out = []
    for chunk in chunks:
        out.extend(decoder.feed(chunk))
    decoder.feed_eof()
    return [(e.event, e.data) for e in out]


def ours_records(chunks: list[bytes]) -> list[object]:
    decoder = SSEDecoder()
    feed = decoder.feed
    out: list[object] = []
    for chunk in chunks:
        out += feed(chunk)
    decoder.feed_eof()
    return out


def sdk(chunks: list[bytes]) -> list[object]:
    return list(SDKDecoder().iter_bytes(iter(chunks)))


def reference(chunks: list[bytes]) -> list[tuple[str | None, bytes]]:
    out: list[tuple[str | None, bytes]] = []
    rest = b""
    for chunk in chunks:
        if rest:
            chunk = rest + chunk
        blocks = chunk.split(b"\n\n")
        rest = blocks.pop()
        for block in blocks:
            event = None
            data: list[bytes] = []
            for line in block.split(b"\n"):
                if line[:5] == b"data:":
                    data.append(line[6:] if line[5:6] == b" " else line[5:])
                elif line[:6] == b"event:":
                    event = (line[7:] if line[6:7] == b" " else line[6:]).decode()
            out.append((event, b"\n".join(data)))
    return out


def main() -> dict[str, bool]:
    header(
        "SSE framing (bytes -> event records)",
        "Same synthetic Responses stream for every method, fed in the same random 1-4 KB "
        "chunks. MB/s counts body bytes.",
    )
    events = responses_stream_events(2000)
    body = responses_sse_body(events)
    chunks = chunk_body(body)
    n_events = len(events)
    print(
        f"Input: {len(body):,} B, {n_events:,} events ({len(body) / n_events:.0f} B/event), "
        f"{len(chunks)} chunks of 1-4 KB."
    )
    print()

    # --- same result from every method
    mine = ours(chunks)
    theirs = [(e.event, e.data.encode()) for e in sdk(chunks)]
    ref = reference(chunks)
    check(len(mine) == n_events, f"ours produced {len(mine)} events, want {n_events}")
    check(mine == theirs, "ours and the SDK decoder disagree")
    check(mine == ref, "ours and the reference splitter disagree")
    print(f"Check: all methods produce the same {n_events:,} (event, data) records.")
    print()

    methods = {
        "ours SSEDecoder.feed": lambda: ours_records(chunks),
        "openai SDK SSEDecoder.iter_bytes": lambda: sdk(chunks),
        "reference splitter (LF only)": lambda: reference(chunks),
    }
    result = compare(methods)
    base = "ours SSEDecoder.feed"
    sdk_name = "openai SDK SSEDecoder.iter_bytes"
    table = Table("decoder", "MB/s", "events/s", "per event", "time ÷ ours")
    for name in methods:
        t = result.median(name)
        table.add(
            name,
            f"{len(body) / t / 1e6:.1f}",
            fmt_rate(n_events / t),
            fmt_time(t / n_events),
            result.cell(name, base),
        )
    table.print()
    mbps = len(body) / result.median(base) / 1e6
    goals = {
        "framing MB/s": goal_line("framing throughput", mbps, 150, "MB/s"),
        "vs SDK decoder": goal_line(
            "speed-up over the SDK decoder", result.ratio(sdk_name, base), 3
        ),
    }
    print()
    return goals


if __name__ == "__main__":
    main()

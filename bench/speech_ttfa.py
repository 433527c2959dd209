"""Time to first audio: chunked vs whole-text synthesis, against the emulator on loopback.

    PYTHONPATH=. .venv/bin/python bench/speech_ttfa.py [--latency 0.25] [--rtf 0.25]
        [--tokens-per-s 40] [--rounds 5]

The text comes as an LLM streams it: word by word at `--tokens-per-s`, with a flush marker
after each sentence. Whole-text synthesis (``chunked=False``) can only send its one request
when the last word has arrived; chunked synthesis sends the first sentence's request as soon
as that sentence is complete. The emulator answers each request after `--latency` seconds
and then streams audio at `--rtf` wall seconds per audio second (``speech_latency_s`` /
``speech_rtf``). Also measured: the text already complete (a plain str), where chunking
cannot help. Checks first that every case hands out the same audio (the zero padding of
each request's last frame left out), then prints the medians of `--rounds` interleaved rounds
and the goal (chunked at least 1.5x sooner on streamed text); no timing assertion.
Latency and pacing are separate emulator knobs (`Reply.first_delay_s` / `Reply.delay_s`).
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import anyio

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import Table, X, check, fmt_ratio, goal_line

from openai_sansio import Client
from openai_sansio.emulator import EmulatorConfig, running
from openai_sansio.protocol.speech import SpeechFrame
from openai_sansio.speech_client import FLUSH, FlushMarker

TEXT = (
    "Thanks for calling, your order shipped this morning. "
    "It should arrive on Thursday between nine and noon. "
    "Is there anything else I can help you with today?"
)
STREAMED_WHOLE, STREAMED_CHUNKED, COMPLETE = (
    "streamed text, whole",
    "streamed text, chunked",
    "complete text, whole",
)


async def llm_text(rate: float) -> AsyncIterator[str | FlushMarker]:
    """`TEXT` word by word at `rate` words per second, a flush after each sentence."""
    for word in TEXT.split(" "):
        await anyio.sleep(1.0 / rate)
        yield word + " "
        if word.endswith((".", "?", "!")):
            yield FLUSH


async def measure(args: argparse.Namespace) -> dict[str, list[float]]:
    """Time to first audio of each case, `args.rounds` interleaved rounds; checks that every
    case hands out the same audio (the padding of each request's last frame left out)."""
    config = EmulatorConfig(speech_latency_s=args.latency, speech_rtf=args.rtf)
    out: dict[str, list[float]] = {}
    audio: dict[str, bytes] = {}
    async with running(config) as server:
        async with Client(api_key="sk-bench", base_url=server.base_url, env={}) as client:
            cases = [
                (STREAMED_WHOLE, lambda: llm_text(args.tokens_per_s), False),
                (STREAMED_CHUNKED, lambda: llm_text(args.tokens_per_s), True),
                (COMPLETE, lambda: TEXT + " ", False),
            ]
            for _ in range(args.rounds):
                for name, source, chunked in cases:
                    parts: list[bytes] = []
                    async with client.speech.stream(source(), chunked=chunked) as speech:
                        async for event in speech:
                            if isinstance(event, SpeechFrame):
                                parts.append(event.pcm[: event.samples * 2])
                    check(speech.time_to_first_audio is not None, f"{name}: no audio")
                    assert speech.time_to_first_audio is not None
                    out.setdefault(name, []).append(speech.time_to_first_audio)
                    audio.setdefault(name, b"".join(parts))
    check(len(set(audio.values())) == 1, "the cases handed out different audio")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--latency", type=float, default=0.25, help="emulator first-audio s")
    parser.add_argument("--rtf", type=float, default=0.25, help="emulator s per audio s")
    parser.add_argument("--tokens-per-s", type=float, default=40.0, help="LLM words per s")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print("## Speech: time to first audio, chunked vs whole text (emulator, loopback)\n")
    print(
        f"Emulator `speech_latency_s={args.latency:g}` (head to first audio), "
        f"`speech_rtf={args.rtf:g}`; the text ({len(TEXT.split())} words, 3 sentences) "
        f"streamed at {args.tokens_per_s:g} words/s with a flush after each sentence, or "
        f"complete from the start. Median of {args.rounds} interleaved rounds (min-max of the "
        "same-round ratios in brackets).\n"
    )
    results = anyio.run(measure, args)
    whole = results[STREAMED_WHOLE]
    ratios = [w / c for w, c in zip(whole, results[STREAMED_CHUNKED], strict=True)]
    table = Table("case", "time to first audio", "vs streamed whole")
    for name, values in results.items():
        same = [w / v for w, v in zip(whole, values, strict=True)]
        table.add(
            name,
            f"{statistics.median(values) * 1000:.1f} ms",
            fmt_ratio(statistics.median(same), min(same), max(same)),
        )
    table.print()
    print()
    goal_line("streamed text: whole / chunked time to first audio", statistics.median(ratios), 1.5)
    print(f"(unit {X}: how many times sooner chunked synthesis starts speaking)")


if __name__ == "__main__":
    main()

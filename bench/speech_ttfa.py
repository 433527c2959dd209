"""Time to first audio: chunked vs whole-text synthesis, against the emulator on loopback.

    PYTHONPATH=. .venv/bin/python bench/speech_ttfa.py [--latency 0.25] [--rtf 0.25]
        [--tokens-per-s 40] [--rounds 5]

The text comes as an LLM streams it: word by word at `--tokens-per-s`, with a flush marker
after each sentence. Whole-text synthesis (``chunked=False``) can only send its one request
when the last word has arrived; chunked synthesis sends the first sentence's request as soon
as that sentence is complete. The emulator answers each request after `--latency` seconds
and then streams audio at `--rtf` wall seconds per audio second (``speech_latency_s`` /
``speech_rtf``). Also measured: the text already complete (a plain str), where chunking
cannot help. Prints the median of `--rounds` runs; no assertion.
"""

from __future__ import annotations

import argparse
import statistics
from collections.abc import AsyncIterator

import anyio

from openai_sansio import Client
from openai_sansio.emulator import EmulatorConfig, running
from openai_sansio.speech_client import FLUSH, FlushMarker

TEXT = (
    "Thanks for calling, your order shipped this morning. "
    "It should arrive on Thursday between nine and noon. "
    "Is there anything else I can help you with today?"
)


async def llm_text(rate: float) -> AsyncIterator[str | FlushMarker]:
    """`TEXT` word by word at `rate` words per second, a flush after each sentence."""
    for word in TEXT.split(" "):
        await anyio.sleep(1.0 / rate)
        yield word + " "
        if word.endswith((".", "?", "!")):
            yield FLUSH


async def measure(args: argparse.Namespace) -> dict[str, list[float]]:
    config = EmulatorConfig(speech_latency_s=args.latency, speech_rtf=args.rtf)
    out: dict[str, list[float]] = {}
    async with running(config) as server:
        async with Client(api_key="sk-bench", base_url=server.base_url, env={}) as client:
            cases = [
                ("streamed text, whole", lambda: llm_text(args.tokens_per_s), False),
                ("streamed text, chunked", lambda: llm_text(args.tokens_per_s), True),
                ("complete text, whole", lambda: TEXT, False),
            ]
            for _ in range(args.rounds):
                for name, source, chunked in cases:
                    async with client.speech.stream(source(), chunked=chunked) as speech:
                        async for _event in speech:
                            pass
                    assert speech.time_to_first_audio is not None
                    out.setdefault(name, []).append(speech.time_to_first_audio)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--latency", type=float, default=0.25, help="emulator first-audio s")
    parser.add_argument("--rtf", type=float, default=0.25, help="emulator s per audio s")
    parser.add_argument("--tokens-per-s", type=float, default=40.0, help="LLM words per s")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    results = anyio.run(measure, args)
    print(
        f"emulator latency {args.latency * 1000:.0f} ms, rtf {args.rtf}, "
        f"text {len(TEXT.split())} words at {args.tokens_per_s:g} words/s, "
        f"median of {args.rounds}"
    )
    for name, values in results.items():
        print(f"  {name:24s} time to first audio {statistics.median(values) * 1000:7.1f} ms")
    whole = statistics.median(results["streamed text, whole"])
    chunked = statistics.median(results["streamed text, chunked"])
    print(f"  chunked / whole (streamed text): {chunked / whole:.2f}")


if __name__ == "__main__":
    main()

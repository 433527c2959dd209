"""``openai-sansio speak "TEXT" -o OUT.wav``: text-to-speech into a 24 kHz mono 16-bit WAV.

``[--voice V] [--model M] [--format pcm|sse] [--chunked] [--instructions I] [--speed X]
[--emulator] [--base-url URL] [--trace FILE]``. `--format` is how the audio travels (``pcm``:
a raw PCM body; ``sse``: ``speech.audio.delta`` events); the file is the same either way.
`--chunked` sends one request per sentence, each started at once, as a voice pipeline fed by
an LLM would. The file holds the exact samples (each request's last 20 ms frame without its
zero padding). Prints the time to first audio, the duration, the frames and the usage.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import AsyncIterator
from typing import Any, TextIO

import anyio
import numpy as np

from .audio.wav import WavWriter
from .cli_common import endpoint, missing_key
from .client import Client
from .protocol.speech import SpeechFrame
from .protocol.speech_request import SPEECH_SAMPLE_RATE
from .speech_client import FLUSH, FlushMarker

__all__ = ["add_speak_parser", "run_speak", "sentences"]

_SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+")


def add_speak_parser(sub: Any) -> None:
    """Register ``speak`` on the ``openai-sansio`` sub-command parser."""
    speak = sub.add_parser("speak", help="text-to-speech into a 24 kHz mono 16-bit WAV")
    speak.add_argument("text")
    speak.add_argument("-o", "--output", required=True, help="the WAV file to write")
    speak.add_argument("--voice", default="marin")
    speak.add_argument("--model", default="gpt-4o-mini-tts")
    speak.add_argument("--format", choices=("pcm", "sse"), default="pcm", help="wire format")
    speak.add_argument("--chunked", action="store_true", help="one request per sentence")
    speak.add_argument("--instructions", default=None)
    speak.add_argument("--speed", type=float, default=None)
    speak.add_argument("--base-url", default=None)
    speak.add_argument("--emulator", action="store_true", help="use the built-in emulator")
    speak.add_argument("--trace", default=None, help="record the exchange to this file")


def sentences(text: str) -> list[str]:
    """`text` cut after sentence punctuation (the pieces keep their spaces)."""
    return [piece for piece in _SENTENCE_END.split(text) if piece.strip()]


async def _pieces(text: str) -> AsyncIterator[str | FlushMarker]:
    for sentence in sentences(text):
        yield sentence + " "
        yield FLUSH


async def _speak(args: argparse.Namespace, endpoint: dict[str, Any], out: TextIO) -> int:
    text: Any = _pieces(args.text) if args.chunked else args.text
    trace_file = open(args.trace, "wb") if args.trace else None  # noqa: SIM115 (closed below)

    def record(line: bytes) -> None:
        assert trace_file is not None
        trace_file.write(line)

    try:
        async with Client(**endpoint) as client:
            stream = client.speech.stream(
                text,
                model=args.model,
                voice=args.voice,
                chunked=args.chunked,
                stream_format="sse" if args.format == "sse" else None,
                instructions=args.instructions,
                speed=args.speed,
                trace=record if trace_file is not None else None,
            )
            with WavWriter(args.output, SPEECH_SAMPLE_RATE, 1) as writer:
                async with stream as speech:
                    async for event in speech:
                        if isinstance(event, SpeechFrame):  # the audio, not the padding
                            pcm = event.pcm[: event.samples * 2]
                            writer.write(np.frombuffer(pcm, dtype="<i2"))
    finally:
        if trace_file is not None:
            trace_file.close()
    results = speech.results
    ttfa = speech.time_to_first_audio
    shown = f"{ttfa * 1000:.0f} ms" if ttfa is not None else "none"
    frames = sum(r.frames for r in results)
    duration = sum(r.duration_s for r in results)
    print(f"time to first audio: {shown}", file=out)
    print(
        f"audio: {duration:.2f} s in {frames} frames of 20 ms, {len(results)} request(s) "
        f"-> {args.output} (24 kHz mono 16-bit)",
        file=out,
    )
    usages = [r.usage for r in results if r.usage is not None]
    if usages:
        print(
            f"usage: in={sum(u.input_tokens for u in usages)} "
            f"out={sum(u.output_tokens for u in usages)} "
            f"total={sum(u.total_tokens for u in usages)}",
            file=out,
        )
    failed = [r for r in results if r.status != "completed"]
    for result in failed:
        error = result.error
        print(f"error: {error.message if error else result.status}", file=sys.stderr)
    return 1 if failed or not results else 0


async def _main(args: argparse.Namespace) -> int:
    if missing_key(args):
        return 2
    async with endpoint(args.emulator, args.base_url) as client_args:
        return await _speak(args, client_args, sys.stdout)


def run_speak(args: argparse.Namespace) -> int:
    """Run ``speak`` (``--emulator``: the built-in emulator on a free loopback port)."""
    return anyio.run(_main, args)

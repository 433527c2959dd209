"""``openai-sansio transcribe FILE [--realtime] [--model M] [--language L] [--stream]
[--emulator] [--trace FILE]``: transcribe an audio file and print what arrives.

Over HTTP (the default) it uploads the file to ``/v1/audio/transcriptions``; with
``--stream`` it prints an ``interim:`` line per delta (the running text), then one
``final:`` line with the confidence (geometric mean of token probabilities, or ``n/a``
without logprobs) and a ``usage:`` line. ``--realtime`` streams the file to a realtime
transcription session instead (`transcription_session.run_realtime_file`).
``--emulator`` serves the built-in emulator on loopback for the run; ``--base-url`` points
elsewhere; with neither it uses ``OPENAI_API_KEY`` and the real service. ``--trace`` records
the exchange (api ``transcription-http``), replayable with ``openai-sansio replay``.

Next: `add_transcribe_parser` is called by ``cli._parser``; ``cli.main`` calls `run_transcribe`.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

import anyio

from .cli_common import EMULATOR_KEY, endpoint, missing_key
from .client import Client
from .errors import APIStatusError
from .protocol.events.common import APIError
from .protocol.events.transcription import TranscriptTextDelta, TranscriptTextSegment
from .protocol.transcription_http import TranscriptionResult
from .transcription_client import TranscriptionError

__all__ = ["EMULATOR_KEY", "add_transcribe_parser", "format_result", "run_transcribe"]


def add_transcribe_parser(sub: Any) -> None:
    """Register the ``transcribe`` sub-command on `sub` (argparse sub-parsers)."""
    cmd = sub.add_parser("transcribe", help="transcribe an audio file (HTTP or --realtime)")
    cmd.add_argument("file", help="audio file (WAV, or any format the API takes over HTTP)")
    cmd.add_argument("--realtime", action="store_true", help="use a realtime session")
    cmd.add_argument("--model", default=None, help="transcription model")
    cmd.add_argument("--language", default=None, help="ISO-639-1 hint, e.g. en")
    cmd.add_argument("--prompt", default=None, help="HTTP: context for the model")
    cmd.add_argument("--stream", action="store_true", help="HTTP: stream interim text (SSE)")
    cmd.add_argument(
        "--response-format", default=None, help="HTTP: json, text, srt, vtt, verbose_json"
    )
    cmd.add_argument("--no-logprobs", action="store_true", help="HTTP: do not ask for logprobs")
    cmd.add_argument("--speed", type=float, default=1.0, help="realtime: N times real time")
    cmd.add_argument("--base-url", default=None)
    cmd.add_argument("--emulator", action="store_true", help="use the built-in emulator")
    cmd.add_argument("--trace", default=None, help="record the exchange to this file")


def format_result(result: TranscriptionResult) -> list[str]:
    """The ``final:`` line (and ``usage:`` line when there is usage) of a result."""
    confidence = "n/a" if result.confidence is None else f"{result.confidence:.3f}"
    lines = [f"final: {result.text} (confidence {confidence})"]
    usage = result.usage
    if usage is not None and usage.kind == "duration":
        lines.append(f"usage: {usage.seconds} s of audio")
    elif usage is not None:
        lines.append(
            f"usage: tokens in={usage.input_tokens} (audio {usage.audio_tokens}) "
            f"out={usage.output_tokens}"
        )
    return lines


async def _http(client: Client, args: argparse.Namespace, out: TextIO, trace: Any) -> int:
    model = args.model or "gpt-4o-transcribe"
    wants_logprobs = (
        not args.no_logprobs
        and args.response_format in (None, "json")
        and model.startswith(("gpt-4o-transcribe", "gpt-4o-mini-transcribe"))
    )
    options: dict[str, Any] = {}
    if args.response_format:
        options["response_format"] = args.response_format
    interim = ""
    async with client.transcription.stream(
        args.file,
        model=model,
        stream=args.stream,
        language=args.language,
        prompt=args.prompt,
        include_logprobs=wants_logprobs,
        trace=trace,
        **options,
    ) as events:
        async for event in events:
            if isinstance(event, TranscriptTextDelta):
                interim += event.delta
                out.write(f"interim: {interim}\n")
            elif isinstance(event, TranscriptTextSegment):
                out.write(f"segment {event.id} [{event.start:.2f}-{event.end:.2f}] "
                          f"{event.speaker}: {event.text}\n")  # fmt: skip
            elif isinstance(event, APIError):
                out.write(f"error [{event.classification}] {event.code}: {event.message}\n")
            elif isinstance(event, TranscriptionResult):
                for line in format_result(event):
                    out.write(line + "\n")
                if event.status != "completed":
                    raise TranscriptionError(event)
    return 0


async def _run(args: argparse.Namespace, out: TextIO) -> int:
    with contextlib.ExitStack() as stack:
        write: Callable[[bytes], None] | None = None
        if args.trace:
            handle = stack.enter_context(open(args.trace, "wb"))

            def write(line: bytes) -> None:
                handle.write(line)

        async with (
            endpoint(args.emulator, args.base_url) as client_args,
            Client(**client_args) as client,
        ):
            if not args.realtime:
                return await _http(client, args, out, write)
            try:
                from .transcription_session import run_realtime_file
            except ImportError as exc:  # pragma: no cover - present in a full install
                print(f"error: --realtime is not available: {exc}", file=sys.stderr)
                return 2
            return await run_realtime_file(
                client,
                args.file,
                model=args.model or "gpt-4o-transcribe",
                language=args.language,
                out=out,
                trace=args.trace,
                speed=args.speed,
            )


def run_transcribe(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Run the ``transcribe`` command; the exit code (0 when a final transcript arrived)."""
    if not Path(args.file).exists():
        print(f"error: {args.file}: no such file", file=sys.stderr)
        return 1
    if missing_key(args):
        return 2
    try:
        return anyio.run(_run, args, out or sys.stdout)
    except TranscriptionError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except APIStatusError as exc:
        print(f"error: {exc} [{exc.error.classification}]", file=sys.stderr)
        return 1

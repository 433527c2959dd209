"""Loopback OpenAI emulator: a real HTTP/1.1 server, scripted, deterministic, with fault knobs.

Usage (anyio, asyncio or trio)::

    async with openai_sansio.emulator.running(EmulatorConfig(seed=1)) as server:
        ...  # POST to server.base_url + "/responses" or "/chat/completions"
        server.requests  # what the emulator received (secrets redacted)

``openai-sansio emulator --port N`` runs `serve_forever()`. The rule below is `RULES_DOC`.

Endpoints
---------
``POST /v1/responses`` and ``POST /v1/chat/completions``; Azure shapes
``POST /openai/deployments/{deployment}/chat/completions?api-version=...`` (the deployment
is the model when the body has none), ``POST /openai/v1/responses``,
``POST /openai/v1/chat/completions`` and ``POST /openai/responses?api-version=...``.
Auth: ``Authorization: Bearer <non-empty>`` or ``api-key: <non-empty>``, else 401
``invalid_api_key``; keys are never logged or echoed. ``"stream": true`` answers
``text/event-stream`` (one HTTP chunk per SSE event); otherwise the final JSON object.
Errors use OpenAI's body ``{"error": {"message", "type", "param", "code"}}``; every
response carries ``x-request-id: req_<hex>`` and ``openai-processing-ms``.

The emulated model: text or function calls
-------------------------------------------
The conversation is the remembered chain of ``previous_response_id`` (Responses) followed by
the request's ``input`` items / ``messages``.

1. If the last item is a tool result (``function_call_output`` / a ``tool`` message), the
   answer is text: ``"The <tool name> tool returned: <output, first 200 chars>."`` (one such
   sentence per trailing tool result, joined by a space; the name comes from the matching
   ``call_id``, ``unknown`` if there is none).
2. If the last item is a user message whose text starts with ``say:``, the answer is exactly
   the rest of the text (leading whitespace stripped); no tool is called.
3. If the request has function tools, ``tool_choice`` is not ``"none"`` and the last item is a
   user message, the model calls tools:
   - the named tool when ``tool_choice`` names one;
   - otherwise every tool whose name appears (case-insensitive substring) in the user text,
     in order of appearance; only the first of them when ``parallel_tool_calls`` is false;
   - otherwise the first tool when ``tool_choice`` is ``"required"``;
   - otherwise no call (rule 4).
   Arguments are compact JSON built from the tool's JSON-schema ``properties`` (every
   property, plus any ``required`` name missing from them): strings take the last
   capitalised word of the user text that is not a tool name (else the last such word, else
   the property name), numbers and integers 42, booleans true, enums their first value,
   ``const`` its value, arrays ``[]``, nested objects recursively (local ``$ref`` and the
   first non-null ``anyOf``/``oneOf`` branch are followed).
4. Otherwise the answer is text: ``"You said: <text of the last user message>"``, or
   ``"Hello! How can I help you today?"`` when there is no user message.

Text is streamed as word-sized deltas (each piece keeps its leading whitespace); function
arguments as 6-character pieces. Chat with ``n > 1`` streams the choices interleaved
round-robin; choice ``i > 0`` appends ``" [choice i]"`` to a text answer and gets its own
``call_id`` values. Chat text turns start with ``{"role": "assistant", "content": "",
"refusal": null}``, tool turns with ``"content": null``. ``max_output_tokens`` (Responses) and
``max_completion_tokens``/``max_tokens`` (Chat) truncate text answers (status incomplete /
finish_reason length).

Tokens: a token is a word (``\\w+``) or a punctuation mark; each input item costs 4 plus its
content; tools cost their JSON. With ``previous_response_id``, ``cached_tokens`` is the whole
previous context (its input plus output tokens), which is also added to ``input_tokens``.

Chains: a response is remembered (for ``previous_response_id``, per emulator instance) when
``store`` is not false and it neither failed nor was cut by an injected error; an unknown id
answers 400 ``previous_response_not_found``. ``store`` is echoed.

Determinism: ``EmulatorConfig.seed`` plus the request bytes and the turn counter (requests
numbered in arrival order per emulator) decide every id (``resp_``, ``msg_``, ``fc_``,
``call_``, ``chatcmpl-``), obfuscation string and timestamp (``created`` = 2026-01-01 plus the
turn number). Same seed + same requests in the same order -> byte-identical bodies.

Fault knobs
-----------
`EmulatorConfig` fields, or per request as a JSON object in the ``x-emulator-fault`` header
(e.g. ``x-emulator-fault: {"drop_after_events": 3}``): ``drop_after_events``,
``http_status`` + ``error_code``, ``inject_error_after``, ``fail_response``, ``incomplete``,
``delay_s``, ``forget_chains``, ``omit_done``. See `EmulatorConfig` for each one's effect.
"""

from __future__ import annotations

from .faults import FAULT_HEADER, EmulatorConfig
from .router import RecordedRequest
from .server import Emulator, RunningEmulator, running, serve_forever

__all__ = [
    "FAULT_HEADER",
    "RULES_DOC",
    "Emulator",
    "EmulatorConfig",
    "RecordedRequest",
    "RunningEmulator",
    "running",
    "serve_forever",
]

RULES_DOC: str = __doc__ or ""
"""This module's documentation: endpoints, the text-vs-tool rule, tokens, faults (CLI prints it)."""

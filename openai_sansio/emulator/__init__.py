"""Loopback OpenAI emulator: a real HTTP/1.1 + WebSocket server, scripted, deterministic, with
fault knobs.

Usage (anyio, asyncio or trio)::

    async with openai_sansio.emulator.running(EmulatorConfig(seed=1)) as server:
        ...  # POST to server.base_url + "/responses" or "/chat/completions",
        ...  # or open a WebSocket on server.ws_url (ws://127.0.0.1:<port>/v1/responses)
        ...  # or server.realtime_url + "?model=gpt-realtime" (the Realtime API, GA)
        server.requests  # what the emulator received (secrets redacted)
        server.ws_frames  # per WebSocket connection, the frames it received

``openai-sansio emulator --port N`` runs `serve_forever()`. The rules below (this docstring
plus `REALTIME_RULES_DOC`, the Realtime section at the end) are `RULES_DOC`.

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
``delay_s``, ``forget_chains``, ``omit_done``, and for WebSockets ``ws_max_age_s``,
``ws_close_code``, ``ws_error_status``. See `EmulatorConfig` for each one's effect.

Responses WebSocket mode
------------------------
``GET /v1/responses`` (also ``/openai/v1/responses``) with ``Upgrade: websocket`` on the same
port. The handshake needs ``Sec-WebSocket-Version: 13`` (else 426), a valid key (else 400) and
auth as above (else 401 with the JSON error body); no extension is negotiated. The 101 carries
``x-request-id`` and the ``x-ratelimit-*`` headers. The client sends one JSON object per text
frame, the server answers one event per text frame (no SSE framing); binary messages, bad JSON
and unknown ``type`` values get an ``error`` frame and the connection stays open.

- ``response.create``: the ``POST /v1/responses`` body plus ``type``; ``stream`` is implicit
  (``"stream": true`` tolerated), ``"background": true`` is refused with an error frame. Same
  validation, same text-vs-tool rule, same ids and token counts as HTTP; ``sequence_number``
  starts at 0 per response; ``obfuscation`` only with
  ``stream_options.include_obfuscation: true``. ``"generate": false`` is a warm-up:
  ``response.created``, ``response.in_progress``, ``response.completed`` with no output, and
  its id chains like any other.
- Lanes: ``stream_id`` (1-256 of ``[A-Za-z0-9_.-]``, else error ``invalid_stream_id``) picks a
  lane, absent = the default lane. Requests of a lane run FIFO; at most 16 lanes stream at
  once (others wait, in order of first use); different lanes interleave round-robin, one event
  per lane in turn (lanes in order of becoming active), so creates sent in one write always
  interleave the same way. Every event of a named lane, its request errors included, carries
  its ``stream_id``; connection-scoped errors carry none. The 33rd distinct named lane of a
  connection gets ``websocket_stream_limit_reached``.
- Cache: each lane's latest response (completed or incomplete, stored or not) is cached on the
  connection; a ``previous_response_id`` is looked up among the lanes' latest responses, then
  among ``store`` (default true) responses of the whole emulator (HTTP or any connection).
  So with ``store=false`` an older response of a lane, or any response after a reconnect,
  answers ``{"type": "error", "status": 400, "error": {"type": "invalid_request_error",
  "code": "previous_response_not_found", "message": "Previous response with id '<id>' not
  found.", "param": "previous_response_id"}}`` (plus the lane's ``stream_id``). A failed
  continuation (error frame, ``response.failed`` or an injected error) evicts its parent from
  its own lane's cache; a failed fork from another lane leaves the parent in place. The lookup
  happens when the request starts on its lane.
- Request errors are ``{"type": "error", "status", "error": {"type", "code", "message"[,
  "param"][, "headers"]}}`` without ``sequence_number``; an injected mid-stream error is
  ``{"type": "error", "error": {...}, "sequence_number": n}``.
- ``response.steer`` (``previous_response_id`` + ``input``, nothing else) targets a response
  of this connection. Unknown id -> ``response.steer.failed`` ``response_not_found``; a
  response whose terminal event was sent -> ``response_not_active``; extra fields (such as
  ``stream_id``) or input other than user messages -> ``invalid_input``; otherwise
  ``response.steer.accepted`` (``steer.id`` = ``steer_<hex>``, numbered in the target's
  sequence). A text answer is then cut after the deltas already sent: the message ends
  ``incomplete`` and the response ``response.incomplete`` with reason ``steered`` (a response
  whose deltas were all sent completes normally), and an automatic successor (same settings,
  ``previous_response_id`` = the steered response, input = the steering input, several steers
  joined in order) runs next on the lane. A function-call answer completes and is followed by
  ``response.steer.pending`` (``waiting_for_required_input``, one ``function_call_output``
  stub per call); the steering input is prepended to the next ``response.create`` on that lane
  with that ``previous_response_id``. A failing response answers ``response.steer.failed``
  ``successor_creation_failed`` after its terminal event.
- Connection age: after ``ws_max_age_s`` (default 3600 s, like the real 60 minutes) the next
  ``response.create`` is answered ``websocket_connection_limit_reached`` (no ``stream_id``),
  then the server sends close code 1000 and closes.
- Faults: the emulator config plus the upgrade request's ``x-emulator-fault`` header apply to
  the connection (``http_status`` there refuses the handshake with that status); a JSON text
  in ``metadata.emulator_fault`` of one ``response.create`` faults that turn only, e.g.
  ``"metadata": {"emulator_fault": "{\\"inject_error_after\\": 3}"}`` (``metadata`` is echoed
  as sent; a bad value is an error frame with param ``metadata.emulator_fault``;
  ``ws_max_age_s`` is refused there). ``drop_after_events`` counts the frames of its scope
  (the connection's frames, or that turn's) and then closes: a bare TCP close, or a close
  frame with ``ws_close_code`` (e.g. 1011). ``ws_error_status`` (and ``http_status`` inside
  ``metadata.emulator_fault``) answers each create with an error frame of that status (429
  adds ``error.headers`` with ``retry-after``). ``inject_error_after``, ``fail_response``,
  ``incomplete``, ``delay_s`` (between the events of one response) and ``forget_chains``
  (every ``previous_response_id`` unknown) act per response as over HTTP. Steering successors
  use the connection's knobs only.
- Bookkeeping: ``server.requests`` includes each upgrade request; ``server.ws_connections``
  holds each accepted connection's path, redacted headers and received frames (parsed JSON
  with secret-looking keys such as ``api_key`` redacted, or the text if it was not JSON);
  ``server.ws_frames`` lists those frames per connection.
"""

from __future__ import annotations

from .faults import FAULT_HEADER, EmulatorConfig
from .realtime_doc import REALTIME_RULES_DOC
from .router import RecordedRequest, RecordedWebSocket
from .server import Emulator, RunningEmulator, running, serve_forever

__all__ = [
    "FAULT_HEADER",
    "REALTIME_RULES_DOC",
    "RULES_DOC",
    "Emulator",
    "EmulatorConfig",
    "RecordedRequest",
    "RecordedWebSocket",
    "RunningEmulator",
    "running",
    "serve_forever",
]

RULES_DOC: str = (__doc__ or "") + REALTIME_RULES_DOC
"""This module's documentation plus `REALTIME_RULES_DOC`: endpoints, the text-vs-tool rule,
tokens, faults, the Realtime API (the CLI prints it)."""

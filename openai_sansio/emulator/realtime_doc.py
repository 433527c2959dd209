"""The documented rules of the emulator's Realtime API (printed by the CLI with `RULES_DOC`)."""

from __future__ import annotations

__all__ = ["REALTIME_RULES_DOC"]

REALTIME_RULES_DOC = """
Realtime API (GA) over WebSocket
--------------------------------
``GET /v1/realtime?model=<model>`` (also ``/openai/v1/realtime``) with ``Upgrade: websocket``
on the same port; ``model`` defaults to ``gpt-realtime``; ``intent`` and ``call_id`` answer
400. Auth: ``Authorization: Bearer``, ``api-key``, or the browser subprotocol
``openai-insecure-api-key.<key>`` (the 101 selects ``realtime`` when offered; the key is
redacted in the records). GA only: an ``OpenAI-Beta`` header (or an ``openai-beta.*``
subprotocol) gets the ``error`` ``beta_api_shape_disabled`` ("The Realtime Beta API is no
longer supported. Please use /v1/realtime for the GA API.") and close code 4000.

Every server event has ``event_id`` = ``event_<21 alnum>``; ids are ``sess_``, ``conv_``,
``item_``, ``resp_`` (21 alnum) and ``call_`` (16 alnum), numbered per connection from the
seed and the connection's serial (the emulator's Nth realtime socket), so the same frames
on a fresh emulator give byte-identical events. Errors are ``{"type": "error", "event_id",
"error": {"type": "invalid_request_error", "code", "message", "param", "event_id": <the client
event_id or null>}}``; the session stays open.

Session. ``session.created`` comes first: ``type`` realtime, ``object`` realtime.session,
``output_modalities`` ["audio"], ``audio/pcm`` 24 kHz in and out, ``server_vad`` (threshold
0.5, prefix_padding_ms 300, silence_duration_ms 200, create_response and interrupt_response
true), no transcription, voice ``marin``, speed 1.0, ``max_output_tokens`` "inf", ``tools``
[]. ``session.update`` needs ``session.type`` "realtime" (else ``missing_required_parameter``
/ ``invalid_value``); unknown keys (beta keys such as ``voice`` or ``modalities`` at the top)
are ``unknown_parameter``; only the fields present change (``null`` clears
``turn_detection``, ``transcription``, ``noise_reduction``; a ``turn_detection`` of the
current type keeps its other settings); ``model`` cannot change, the voice cannot change
after assistant audio (``cannot_update_voice``). ``session.updated`` carries the full session.

Input audio. ``input_audio_buffer.append`` (base64 in the input format; ``audio/pcm`` must
have whole 16-bit samples) is not acknowledged. Server VAD runs in audio time over all audio
appended: 10 ms windows, voiced when the RMS level is at least ``-70 + 60 * threshold`` dBFS
(0.5 -> -40 dBFS), speech after 100 ms voiced, ended by ``silence_duration_ms`` of silence
(``semantic_vad``: 800/500/200 ms for eagerness low/medium or auto/high). Positions are
session milliseconds (all audio ever appended): ``speech_started.audio_start_ms`` = speech
start - prefix padding (not before the buffer start), ``speech_stopped.audio_end_ms`` =
speech end + silence duration; both carry the new user item's id. Then
``input_audio_buffer.committed`` (``previous_item_id`` = the last item), and
``conversation.item.added`` / ``.done`` with the user message ``[{"type": "input_audio",
"transcript": null}]`` holding the audio from ``audio_start_ms`` to ``audio_end_ms`` (audio
before it is discarded, after it stays buffered); with ``create_response`` an automatic
response starts unless one is active. With ``interrupt_response``, ``speech_started``
cancels the active response (``response.done`` cancelled, reason ``turn_detected``). A
manual ``input_audio_buffer.commit`` commits the whole buffer (error
``input_audio_buffer_commit_empty`` "Error committing input audio buffer: buffer too small.
Expected at least 100ms of audio, but buffer only has X.XXms of audio." under 100 ms) and
never starts a response; ``input_audio_buffer.clear`` answers ``input_audio_buffer.cleared``.
Changing the input format drops the buffer. ``idle_timeout_ms`` is accepted, not emulated.

Transcription (when ``audio.input.transcription`` is set), right after the user item's
``conversation.item.done``: the transcript of a user audio item of D ms is exactly
``"Spoken input of D milliseconds."``; ``whisper-1`` sends it as one ``delta`` and its usage
is ``{"type": "duration", "seconds": D/1000}``; other models send word deltas and token
usage (audio tokens = ceil(D / 100), output tokens = the transcript's tokens). With
``include: ["item.input_audio_transcription.logprobs"]`` each delta has logprobs (0.0).

Items. ``conversation.item.create`` accepts ``message`` (system: input_text; user:
input_text, input_audio, input_image with a data URI; assistant: output_text only - no
client-made audio), ``function_call`` and ``function_call_output``; ``previous_item_id``
``"root"`` inserts first, an unknown id is ``invalid_value`` on ``previous_item_id``; the item
gets ``item_...`` unless it has an id; answers ``conversation.item.added`` then ``.done``.
``.retrieve`` answers ``conversation.item.retrieved`` with the audio (base64). ``.delete``
answers ``conversation.item.deleted``. Unknown ids are ``item_<action>_invalid_item_id``
("Item with item_id not found: <id>"). ``.truncate`` (assistant audio messages only, else
``invalid_value`` "Only model output audio messages can be truncated"; ``content_index`` 0)
keeps the first ``audio_end_ms`` of the audio and the transcript characters fully played
(``audio_end_ms // 50`` at speed 1.0); beyond the item's audio it is ``invalid_value``
"Audio content of Xms is already shorter than Yms". An item still streaming can be
truncated too: its remaining audio is not sent and it ends ``incomplete``.

Responses. What the model says follows the rule above (``say:``, tools, tool results, "You
said: ...") applied to the context: the default conversation, or the ``response.input``
items (``item_reference`` ids must exist). A user audio part is heard as its transcript
(``"Spoken input of D milliseconds."``). ``response.create`` options override the session
for that response: ``output_modalities``, ``instructions``, ``tools``, ``tool_choice``,
``parallel_tool_calls``, ``max_output_tokens``, ``audio.output.format``/``voice``,
``metadata`` (echoed; at most 16 string values), ``conversation`` ("auto" or "none": out of
band, ``conversation_id`` null, no ``conversation.item.*`` events, may run concurrently). A
second default-conversation ``response.create`` while one is active is
``conversation_already_has_active_response`` ("Conversation already has an active response
in progress: resp_X. Wait until the response is finished before creating a new one.").
Events: ``response.created``, ``rate_limits.updated`` (requests 5000/4999, tokens 40000),
``response.output_item.added``, ``conversation.item.added`` (``previous_item_id`` = the last
item), ``response.content_part.added`` (part ``audio`` with transcript "" or ``text``), then
for audio: per 100 ms chunk of audio the transcript word deltas that start in it followed by
``response.output_audio.delta``; ``response.output_audio.done``,
``response.output_audio_transcript.done``; for text: word deltas and
``response.output_text.done``; ``response.content_part.done``, ``response.output_item.done``,
``conversation.item.done`` and ``response.done`` (output without audio bytes, usage).
Function calls: an item ``function_call`` per call (``call_id`` ``call_...``), arguments in
6-character ``response.function_call_arguments.delta`` pieces and ``.done``; answer with
``function_call_output`` items and one ``response.create``.

Audio out: each transcript character is 50 ms of audio at speed 1.0 (``50 / speed`` ms,
whole samples): an integer triangle tone (peak 6000; period ``rate/1000 + (ord(c) % 64) *
rate // 24000`` samples, starting at its minimum), silence for whitespace, in the output
format (``audio/pcm`` 24 kHz: 48 bytes per ms; G.711 8 kHz: 8 bytes per ms), cut into 100 ms
``response.output_audio.delta`` chunks - see `realtime_audio.synthesize`. Usage: input text
tokens as above plus instructions and tools, input audio tokens ceil(ms / 100) per user
audio item, 85 per image; output text tokens of what was sent, output audio tokens one per
50 ms sent. ``max_output_tokens`` cuts the text at that many tokens (status ``incomplete``,
reason ``max_output_tokens``).

``response.cancel`` (optional ``response_id``) stops the response between two events: the
``*.done`` events close what was sent (partial transcript, item ``incomplete``) and
``response.done`` is ``cancelled`` with reason ``client_cancelled``; with nothing active it is
``response_cancel_not_active`` ("Cancellation failed: no active response found").

Pacing: replies to client events go out at once, in order; response events are due at
``realtime_rtf`` x their audio time (50 ms per text character, 100 ms per audio chunk) after
the response started (plus ``delay_s`` per event), so at the default 0 they stream as fast as
the socket allows and a cancel, truncate or VAD interruption takes effect between events.

Realtime fault knobs (config or the upgrade's ``x-emulator-fault`` header; per response in
``response.metadata.emulator_fault``): ``realtime_max_age_s`` (default 3600: then the
``session_expired`` error "Your session hit the maximum duration of 60 minutes." and close
1001), ``realtime_rtf``, ``realtime_vad_race`` (after each completed response with function
calls: ``speech_started``, ``speech_stopped``, ``committed`` and a user audio item of
synthetic speech, then an automatic response held after ``rate_limits.updated`` until the
client's next ``response.create`` - answered ``conversation_already_has_active_response`` -
or 2 s; it then answers from the conversation as it is, tool outputs included),
``drop_after_events`` (+ ``ws_close_code``), ``inject_error_after`` (+ ``error_code``: one
``error`` event), ``fail_response`` / ``incomplete`` (``response.done`` failed with
``status_details.error`` / incomplete, half the output), ``ws_error_status`` / ``http_status``
(an ``error`` event with that status's code for each ``response.create``; on the upgrade
``http_status`` refuses the handshake). Bookkeeping: ``server.realtime_connections`` /
``server.realtime_frames`` hold each connection's redacted headers and received events.
"""

"""GA Realtime session configuration, session.update, response.create options, URLs, items.

The official SDK's pydantic types (``openai.types.realtime``) are the schema oracle: every
event built here must validate against them *and* dump back to exactly what was built, so
a key the SDK does not know (or a value it would coerce) fails the test.
"""

from __future__ import annotations

import base64
import dataclasses
from collections.abc import Mapping
from typing import Any

import msgspec
import pydantic
import pytest
from hypothesis import given
from hypothesis import strategies as st
from openai.types.realtime import (
    ConversationItemCreateEvent,
    RealtimeClientEvent,
    ResponseCreateEvent,
    SessionUpdateEvent,
)
from openai.types.realtime.response_create_event_with_references_param import (
    ResponseCreateEventWithReferencesParam,
)

from openai_sansio.protocol import LocalProtocolError
from openai_sansio.protocol.realtime_config import (
    OFF,
    CustomVoice,
    DroppedParam,
    InputTranscription,
    NoiseReduction,
    RealtimeConfig,
    RealtimeUsage,
    RetentionRatio,
    SemanticVAD,
    ServerVAD,
    Tracing,
    assistant_text_item,
    audio_format_object,
    conversation_item_create,
    flatten_realtime_usage,
    function_call_output_item,
    image_input_item,
    item_reference,
    realtime_headers,
    realtime_url,
    response_create_event,
    response_options,
    session_update,
    session_update_diff,
    system_text_item,
    user_text_item,
)
from openai_sansio.protocol.requests import ClientConfig, encode_json, function_tool

CLIENT_EVENT: pydantic.TypeAdapter[Any] = pydantic.TypeAdapter(RealtimeClientEvent)
WITH_REFERENCES: pydantic.TypeAdapter[Any] = pydantic.TypeAdapter(
    ResponseCreateEventWithReferencesParam
)
WEATHER = {
    "type": "object",
    "properties": {"city": {"type": "string"}},
    "required": ["city"],
}
OPENAI = ClientConfig(api_key="sk-test")


def _no_extras(value: object, where: str = "event") -> None:
    """No field the SDK does not declare, anywhere below `value` (our own extras aside)."""
    if isinstance(value, pydantic.BaseModel):
        extra = value.model_extra or {}
        assert not extra, f"{where}: keys unknown to the SDK: {sorted(extra)}"
        for name in type(value).model_fields:
            _no_extras(getattr(value, name), f"{where}.{name}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _no_extras(item, f"{where}[{i}]")


def sdk_check(event: dict[str, Any], *, allow_extra: bool = False) -> Any:
    """Validate with the SDK's RealtimeClientEvent union; it must dump back unchanged."""
    parsed = CLIENT_EVENT.validate_python(event)
    assert parsed.model_dump(mode="json", exclude_unset=True) == event
    if not allow_extra:
        _no_extras(parsed)
    # what goes on the wire is JSON: it must encode and decode to the same value
    assert msgspec.json.decode(encode_json(event)) == event
    return parsed


def hint_of(call: Any) -> str:
    with pytest.raises(LocalProtocolError) as info:
        call()
    assert str(info.value)
    return info.value.error_hint


# -- validation -------------------------------------------------------------------------------

BAD_CONFIGS: list[tuple[str, Any, str]] = [
    (
        "both modalities",
        lambda: RealtimeConfig(output_modalities=["audio", "text"]),
        "conflicting_options",
    ),
    ("unknown modality", lambda: RealtimeConfig(output_modalities="video"), "invalid_param"),  # type: ignore[arg-type]
    ("empty modalities", lambda: RealtimeConfig(output_modalities=[]), "invalid_param"),
    (
        "alias and canonical",
        lambda: RealtimeConfig(output_modalities="text", modalities=["text"]),
        "conflicting_options",
    ),
    (
        "transcription twice",
        lambda: RealtimeConfig(transcription=OFF, input_audio_transcription=OFF),
        "conflicting_options",
    ),
    ("wav format", lambda: RealtimeConfig(input_format="wav"), "invalid_audio_format"),  # type: ignore[arg-type]
    ("pcm at 16k", lambda: RealtimeConfig(output_format="pcm16k"), "invalid_audio_format"),  # type: ignore[arg-type]
    ("speed too fast", lambda: RealtimeConfig(speed=1.6), "invalid_param"),
    ("speed too slow", lambda: RealtimeConfig(speed=0.2), "invalid_param"),
    ("speed nan", lambda: RealtimeConfig(speed=float("nan")), "invalid_param"),
    ("zero tokens", lambda: RealtimeConfig(max_output_tokens=0), "invalid_param"),
    ("too many tokens", lambda: RealtimeConfig(max_output_tokens=4097), "invalid_param"),
    ("tokens as str", lambda: RealtimeConfig(max_output_tokens="4096"), "invalid_param"),  # type: ignore[arg-type]
    ("tokens as bool", lambda: RealtimeConfig(max_output_tokens=True), "invalid_param"),
    ("vad threshold", lambda: ServerVAD(threshold=1.5), "invalid_param"),
    ("vad padding", lambda: ServerVAD(prefix_padding_ms=-1), "invalid_param"),
    ("vad silence float", lambda: ServerVAD(silence_duration_ms=1.5), "invalid_param"),  # type: ignore[arg-type]
    ("idle too short", lambda: ServerVAD(idle_timeout_ms=4999), "invalid_param"),
    ("idle too long", lambda: ServerVAD(idle_timeout_ms=30001), "invalid_param"),
    ("vad flag", lambda: ServerVAD(create_response="yes"), "invalid_param"),  # type: ignore[arg-type]
    ("eagerness", lambda: SemanticVAD(eagerness="eager"), "invalid_param"),  # type: ignore[arg-type]
    ("semantic flag", lambda: SemanticVAD(interrupt_response=1), "invalid_param"),  # type: ignore[arg-type]
    ("no languages", lambda: InputTranscription(languages=[]), "invalid_param"),
    ("languages str", lambda: InputTranscription(languages="en"), "invalid_param"),
    ("delay", lambda: InputTranscription(delay="slow"), "invalid_param"),  # type: ignore[arg-type]
    ("empty model", lambda: InputTranscription(model=""), "invalid_param"),
    ("noise type", lambda: NoiseReduction(type="mid_field"), "invalid_param"),  # type: ignore[arg-type]
    ("noise str", lambda: RealtimeConfig(noise_reduction="mid_field"), "invalid_param"),  # type: ignore[arg-type]
    ("noise strength", lambda: NoiseReduction(strength=-1.0), "invalid_param"),
    ("vad as str", lambda: RealtimeConfig(turn_detection="server_vad"), "invalid_param"),  # type: ignore[arg-type]
    ("vad as None-ish str", lambda: RealtimeConfig(turn_detection="none"), "invalid_param"),  # type: ignore[arg-type]
    ("transcription str", lambda: RealtimeConfig(transcription="whisper-1"), "invalid_param"),  # type: ignore[arg-type]
    ("truncation", lambda: RealtimeConfig(truncation="sometimes"), "invalid_param"),  # type: ignore[arg-type]
    ("retention ratio", lambda: RetentionRatio(retention_ratio=1.5), "invalid_param"),
    (
        "retention limit",
        lambda: RetentionRatio(retention_ratio=0.5, post_instructions_tokens=0),
        "invalid_param",
    ),
    ("tracing", lambda: RealtimeConfig(tracing="on"), "invalid_param"),  # type: ignore[arg-type]
    ("tracing metadata", lambda: Tracing(metadata={1: "x"}), "invalid_param"),  # type: ignore[dict-item]
    ("voice empty", lambda: RealtimeConfig(voice=""), "invalid_param"),
    ("custom voice", lambda: CustomVoice(id=""), "invalid_param"),
    ("instructions type", lambda: RealtimeConfig(instructions=5), "invalid_param"),  # type: ignore[arg-type]
    (
        "include str",
        lambda: RealtimeConfig(include="item.input_audio_transcription.logprobs"),
        "invalid_param",
    ),
    ("prompt without id", lambda: RealtimeConfig(prompt={"version": "1"}), "invalid_param"),
    ("temperature type", lambda: RealtimeConfig(temperature="hot"), "invalid_param"),  # type: ignore[arg-type]
    ("extra type", lambda: RealtimeConfig(extra={"type": "transcription"}), "invalid_param"),
    ("extra key", lambda: RealtimeConfig(extra={1: 2}), "invalid_param"),  # type: ignore[dict-item]
    ("extra value", lambda: RealtimeConfig(extra={"x": object()}), "invalid_param"),
    ("extra inf", lambda: RealtimeConfig(extra={"x": float("inf")}), "invalid_param"),
    ("tools str", lambda: RealtimeConfig(tools="get_weather"), "invalid_param"),  # type: ignore[arg-type]
    ("tools junk", lambda: RealtimeConfig(tools=[42]), "invalid_param"),  # type: ignore[list-item]
    ("raw tool no type", lambda: RealtimeConfig(tools=[{"name": "x"}]), "invalid_param"),
    (
        "raw function bad name",
        lambda: RealtimeConfig(tools=[{"type": "function", "name": "a b"}]),
        "invalid_name",
    ),
    (
        "duplicate tools",
        lambda: RealtimeConfig(tools=[function_tool("a"), {"type": "function", "name": "a"}]),
        "invalid_param",
    ),
    (
        "unknown tool_choice",
        lambda: RealtimeConfig(tools=[function_tool("a")], tool_choice="b"),
        "unknown_tool_choice",
    ),
    (
        "required without tools",
        lambda: RealtimeConfig(tools=(), tool_choice="required"),
        "invalid_param",
    ),
    (
        "bad tool_choice name",
        lambda: RealtimeConfig(tool_choice="no spaces allowed"),
        "invalid_name",
    ),
    ("parallel flag", lambda: RealtimeConfig(parallel_tool_calls="yes"), "invalid_param"),  # type: ignore[arg-type]
]


@pytest.mark.parametrize(
    ("call", "hint"), [c[1:] for c in BAD_CONFIGS], ids=[c[0] for c in BAD_CONFIGS]
)
def test_invalid_values_raise_with_a_hint(call: Any, hint: str) -> None:
    assert hint_of(call) == hint


def test_error_messages_say_what_to_do() -> None:
    with pytest.raises(LocalProtocolError, match="'audio' \\(which always includes a text"):
        RealtimeConfig(output_modalities=["text", "audio"])
    with pytest.raises(LocalProtocolError, match="OFF \\(manual turns\\)"):
        RealtimeConfig(turn_detection="none")  # type: ignore[arg-type]
    with pytest.raises(LocalProtocolError, match="'a'"):
        RealtimeConfig(tools=[function_tool("a")], tool_choice="b")


def test_config_is_frozen_and_normalised() -> None:
    config = RealtimeConfig(
        modalities=["text", "audio"],
        input_format="g711_ulaw",
        output_format="audio/pcm",
        noise_reduction="far_field",
        input_audio_transcription=InputTranscription(model="whisper-1"),
        tools=[function_tool("a")],
        include=["item.input_audio_transcription.logprobs"],
    )
    assert config.output_modalities == "audio"  # the plugin's ["text","audio"] = audio
    assert config.modalities is None
    assert config.input_format == "pcmu"
    assert config.output_format == "pcm"
    assert config.noise_reduction == NoiseReduction(type="far_field")
    assert config.transcription == InputTranscription(model="whisper-1")
    assert config.input_audio_transcription is None
    assert isinstance(config.tools, tuple)
    assert config.include == ("item.input_audio_transcription.logprobs",)
    assert config == RealtimeConfig(
        output_modalities="audio",
        input_format="pcmu",
        output_format="pcm",
        noise_reduction=NoiseReduction(type="far_field"),
        transcription=InputTranscription(model="whisper-1"),
        tools=(function_tool("a"),),
        include=("item.input_audio_transcription.logprobs",),
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.voice = "marin"  # type: ignore[misc]
    # replace() re-validates and keeps the folded values
    assert dataclasses.replace(config, voice="marin").output_modalities == "audio"
    assert RealtimeConfig(modalities=["text"]).is_text_only
    assert not RealtimeConfig().is_text_only and not config.is_text_only
    assert RealtimeConfig(output_modalities=["text"]).output_modalities == "text"


def test_caller_mappings_are_copied() -> None:
    schema: dict[str, Any] = {"type": "object", "properties": {}}
    extra: dict[str, Any] = {"audio": {"output": {"new_knob": 1}}}
    raw_tool: dict[str, Any] = {"type": "mcp", "server_label": "s", "server_url": "https://m"}
    config = RealtimeConfig(tools=[raw_tool, function_tool("f", schema)], extra=extra)
    before = session_update(config).body
    schema["properties"]["x"] = {"type": "string"}
    extra["audio"]["output"]["new_knob"] = 2
    raw_tool["server_label"] = "changed"
    assert session_update(config).body == before
    body = session_update(config).body
    body["session"]["tools"][0]["server_label"] = "mutated"
    assert session_update(config).body == before


# -- session.update: exact JSON -----------------------------------------------------------------


def test_empty_config_sends_only_the_type() -> None:
    built = session_update(RealtimeConfig())
    assert built.body == {"type": "session.update", "session": {"type": "realtime"}}
    assert built.dropped_params == ()
    sdk_check(built.body)


def test_unset_is_omitted_but_off_is_an_explicit_null() -> None:
    unset = session_update(RealtimeConfig()).body["session"]
    assert "audio" not in unset
    manual = session_update(
        RealtimeConfig(turn_detection=OFF, noise_reduction=OFF, transcription=OFF, tracing=OFF)
    ).body
    assert manual == {
        "type": "session.update",
        "session": {
            "type": "realtime",
            "audio": {
                "input": {"noise_reduction": None, "transcription": None, "turn_detection": None}
            },
            "tracing": None,
        },
    }
    assert encode_json(manual).count(b"null") == 4
    parsed = sdk_check(manual)
    assert isinstance(parsed, SessionUpdateEvent)
    audio = parsed.session.audio
    assert audio is not None and audio.input is not None
    assert audio.input.turn_detection is None
    assert "turn_detection" in audio.input.model_fields_set


def test_voice_agent_config_exact_json() -> None:
    config = RealtimeConfig(
        model="gpt-realtime",
        voice="marin",
        output_modalities="audio",
        instructions="Be brief.",
        input_format="pcm",
        output_format="pcm",
        turn_detection=ServerVAD(
            threshold=0.6,
            prefix_padding_ms=300,
            silence_duration_ms=500,
            idle_timeout_ms=10000,
            create_response=True,
            interrupt_response=False,
        ),
        transcription=InputTranscription(model="gpt-4o-transcribe", language="en", prompt=""),
        noise_reduction=NoiseReduction(type="near_field", strength=0.5),
        tools=[function_tool("get_weather", WEATHER, description="Weather in a city")],
        tool_choice="auto",
        max_output_tokens=1024,
        speed=1.1,
    )
    built = session_update(config, event_id="evt_1")
    assert built.body == {
        "type": "session.update",
        "event_id": "evt_1",
        "session": {
            "type": "realtime",
            "model": "gpt-realtime",
            "output_modalities": ["audio"],
            "instructions": "Be brief.",
            "audio": {
                "input": {
                    "format": {"type": "audio/pcm", "rate": 24000},
                    "noise_reduction": {"type": "near_field", "strength": 0.5},
                    "transcription": {"model": "gpt-4o-transcribe", "language": "en", "prompt": ""},
                    "turn_detection": {
                        "type": "server_vad",
                        "threshold": 0.6,
                        "prefix_padding_ms": 300,
                        "silence_duration_ms": 500,
                        "idle_timeout_ms": 10000,
                        "create_response": True,
                        "interrupt_response": False,
                    },
                },
                "output": {
                    "format": {"type": "audio/pcm", "rate": 24000},
                    "voice": "marin",
                    "speed": 1.1,
                },
            },
            "tools": [
                {
                    "type": "function",
                    "name": "get_weather",
                    "description": "Weather in a city",
                    "parameters": WEATHER,
                }
            ],
            "tool_choice": "auto",
            "max_output_tokens": 1024,
        },
    }
    assert built.dropped_params == ()
    sdk_check(built.body)
    # wire order follows protocol.md 4.2
    assert list(built.body) == ["type", "event_id", "session"]


def test_text_only_g711_semantic_vad_exact_json() -> None:
    config = RealtimeConfig(
        output_modalities="text",
        input_format="pcmu",
        output_format="pcma",
        voice=CustomVoice(id="voice_1234"),
        turn_detection=SemanticVAD(eagerness="high"),
        tools=[
            function_tool("lookup"),
            {
                "type": "mcp",
                "server_label": "docs",
                "server_url": "https://mcp.example",
                "require_approval": "never",
            },
        ],
        tool_choice="lookup",
        parallel_tool_calls=True,
        reasoning_effort="low",
        max_output_tokens="inf",
        truncation=RetentionRatio(retention_ratio=0.8, post_instructions_tokens=5000),
        tracing=Tracing(workflow_name="support", group_id="g1", metadata={"tier": "gold"}),
        prompt={"id": "pmpt_123", "version": "89", "variables": {"name": "Ada"}},
        include=["item.input_audio_transcription.logprobs"],
    )
    session = session_update(config).body["session"]
    assert session == {
        "type": "realtime",
        "output_modalities": ["text"],
        "audio": {
            "input": {
                "format": {"type": "audio/pcmu"},
                "turn_detection": {"type": "semantic_vad", "eagerness": "high"},
            },
            "output": {"format": {"type": "audio/pcma"}, "voice": {"id": "voice_1234"}},
        },
        "tools": [
            {
                "type": "function",
                "name": "lookup",
                "parameters": {"type": "object", "properties": {}},
            },
            {
                "type": "mcp",
                "server_label": "docs",
                "server_url": "https://mcp.example",
                "require_approval": "never",
            },
        ],
        "tool_choice": {"type": "function", "name": "lookup"},
        "parallel_tool_calls": True,
        "reasoning": {"effort": "low"},
        "max_output_tokens": "inf",
        "truncation": {
            "type": "retention_ratio",
            "retention_ratio": 0.8,
            "token_limits": {"post_instructions": 5000},
        },
        "tracing": {"workflow_name": "support", "group_id": "g1", "metadata": {"tier": "gold"}},
        "prompt": {"id": "pmpt_123", "version": "89", "variables": {"name": "Ada"}},
        "include": ["item.input_audio_transcription.logprobs"],
    }
    sdk_check({"type": "session.update", "session": session})


def test_transcription_extras_and_plain_truncation() -> None:
    config = RealtimeConfig(
        transcription=InputTranscription(
            model="gpt-transcribe", languages=["en", "fr"], keywords=["OpenAI"], delay="low"
        ),
        truncation="disabled",
        tracing="auto",
    )
    session = session_update(config).body["session"]
    assert session["audio"]["input"]["transcription"] == {
        "model": "gpt-transcribe",
        "languages": ["en", "fr"],
        "keywords": ["OpenAI"],
        "delay": "low",
    }
    assert session["truncation"] == "disabled"
    assert session["tracing"] == "auto"
    sdk_check({"type": "session.update", "session": session})


def test_plugin_options_are_mapped_or_reported() -> None:
    """The plugin's OpenAIRealtimeConfig names: modalities, temperature, beta formats."""
    config = RealtimeConfig(
        voice="alloy",
        temperature=0.8,
        modalities=["text", "audio"],
        input_format="pcm16",
        output_format="g711_alaw",
        tools=[function_tool("f", strict=True)],
        tool_choice="auto",
    )
    built = session_update(config)
    session = built.body["session"]
    assert "temperature" not in session
    assert session["output_modalities"] == ["audio"]
    assert session["audio"]["input"]["format"] == {"type": "audio/pcm", "rate": 24000}
    assert session["audio"]["output"]["format"] == {"type": "audio/pcma"}
    assert "strict" not in session["tools"][0]
    assert built.dropped_params == (
        DroppedParam("tools[f].strict", "Realtime function tools have no strict"),
        DroppedParam("temperature", "the GA Realtime API has no temperature (beta only)"),
    )
    sdk_check(built.body)


def test_extra_merges_last_and_deep() -> None:
    config = RealtimeConfig(
        voice="marin",
        turn_detection=ServerVAD(threshold=0.5),
        extra={
            "audio": {"input": {"turn_detection": {"new_knob": 3}}, "output": {"voice": "cedar"}},
            "brand_new": {"a": [1, 2]},
            "instructions": None,  # None removes (nothing to remove here)
            "tracing": OFF,  # OFF sends null
        },
    )
    session = session_update(config).body["session"]
    assert session["audio"] == {
        "input": {"turn_detection": {"type": "server_vad", "threshold": 0.5, "new_knob": 3}},
        "output": {"voice": "cedar"},
    }
    assert session["brand_new"] == {"a": [1, 2]}
    assert session["tracing"] is None
    assert "instructions" not in session
    removed = session_update(RealtimeConfig(instructions="x", extra={"instructions": None}))
    assert "instructions" not in removed.body["session"]
    # the SDK accepts the unknown keys (its models allow extras); we opted into them here
    sdk_check({"type": "session.update", "session": session}, allow_extra=True)


def test_empty_tools_and_instructions_are_sent_to_clear() -> None:
    session = session_update(RealtimeConfig(tools=(), instructions="")).body["session"]
    assert session == {"type": "realtime", "instructions": "", "tools": []}


def test_tool_choice_name_without_tools_is_allowed() -> None:
    """With tools unset the session keeps its tools, so a name cannot be checked here."""
    session = session_update(RealtimeConfig(tool_choice="lookup")).body["session"]
    assert session["tool_choice"] == {"type": "function", "name": "lookup"}
    sdk_check({"type": "session.update", "session": session})


def test_session_update_rejects_non_config() -> None:
    assert hint_of(lambda: session_update({"voice": "marin"})) == "invalid_param"  # type: ignore[arg-type]
    assert hint_of(lambda: session_update(RealtimeConfig(), event_id="")) == "invalid_param"


def test_audio_format_objects() -> None:
    assert audio_format_object("pcm") == {"type": "audio/pcm", "rate": 24000}
    assert audio_format_object("audio/pcmu") == {"type": "audio/pcmu"}
    assert audio_format_object("G711_ALAW") == {"type": "audio/pcma"}


# -- session_update_diff ------------------------------------------------------------------------

BASE = RealtimeConfig(
    model="gpt-realtime",
    voice="marin",
    instructions="Be brief.",
    turn_detection=ServerVAD(threshold=0.5, silence_duration_ms=500),
    transcription=InputTranscription(model="gpt-4o-transcribe"),
    noise_reduction=NoiseReduction(type="near_field"),
    tools=[function_tool("a"), function_tool("b")],
    tool_choice="auto",
    speed=1.0,
)


def _session(body: Mapping[str, Any]) -> dict[str, Any]:
    session = dict(body["session"])
    assert session.pop("type") == "realtime"
    return session


def test_diff_of_equal_configs_is_empty() -> None:
    built = session_update_diff(BASE, dataclasses.replace(BASE))
    assert built.body == {"type": "session.update", "session": {"type": "realtime"}}
    assert built.dropped_params == ()


def test_diff_sends_only_changes_and_clears_explicitly() -> None:
    new = dataclasses.replace(
        BASE,
        instructions="",
        tools=(),
        tool_choice=None,
        turn_detection=OFF,
        noise_reduction=OFF,
        transcription=OFF,
        speed=1.2,
    )
    built = session_update_diff(BASE, new, event_id="upd_2")
    assert built.body == {
        "type": "session.update",
        "event_id": "upd_2",
        "session": {
            "type": "realtime",
            "instructions": "",
            "audio": {
                "input": {"noise_reduction": None, "transcription": None, "turn_detection": None},
                "output": {"speed": 1.2},
            },
            "tools": [],
        },
    }
    assert built.dropped_params == (
        DroppedParam("tool_choice", "unset in the new config: the session keeps its value"),
    )
    sdk_check(built.body)


def test_diff_resends_a_changed_object_whole() -> None:
    new = dataclasses.replace(
        BASE, turn_detection=ServerVAD(threshold=0.7, silence_duration_ms=500)
    )
    assert _session(session_update_diff(BASE, new).body) == {
        "audio": {
            "input": {
                "turn_detection": {
                    "type": "server_vad",
                    "threshold": 0.7,
                    "silence_duration_ms": 500,
                }
            }
        }
    }
    semantic = dataclasses.replace(BASE, turn_detection=SemanticVAD())
    assert _session(session_update_diff(BASE, semantic).body) == {
        "audio": {"input": {"turn_detection": {"type": "semantic_vad"}}}
    }
    tools = dataclasses.replace(BASE, tools=[function_tool("a")], tool_choice="a")
    assert _session(session_update_diff(BASE, tools).body) == {
        "tools": [
            {"type": "function", "name": "a", "parameters": {"type": "object", "properties": {}}}
        ],
        "tool_choice": {"type": "function", "name": "a"},
    }


def test_diff_reports_fields_that_became_unset() -> None:
    new = RealtimeConfig(model="gpt-realtime", voice="marin", speed=1.0)
    built = session_update_diff(BASE, new)
    assert _session(built.body) == {}
    reasons = {d.name: d.reason for d in built.dropped_params}
    assert set(reasons) == {
        "instructions",
        "turn_detection",
        "transcription",
        "noise_reduction",
        "tools",
        "tool_choice",
    }
    assert reasons["instructions"].endswith("(to clear it set instructions='')")
    assert reasons["tools"].endswith("(to clear it set tools=())")
    assert reasons["turn_detection"].endswith("(to clear it set turn_detection=OFF)")


def test_diff_voice_change_is_built_the_machine_checks_timing() -> None:
    built = session_update_diff(BASE, dataclasses.replace(BASE, voice="cedar"))
    assert _session(built.body) == {"audio": {"output": {"voice": "cedar"}}}


def test_diff_refuses_a_model_change_and_a_tracing_change() -> None:
    other = dataclasses.replace(BASE, model="gpt-realtime-mini")
    assert hint_of(lambda: session_update_diff(BASE, other)) == "model_immutable"
    traced = dataclasses.replace(BASE, tracing="auto")
    assert (
        hint_of(lambda: session_update_diff(traced, dataclasses.replace(BASE, tracing=OFF)))
        == "tracing_immutable"
    )
    # enabling tracing, or leaving it unset, is fine
    assert _session(session_update_diff(BASE, traced).body) == {"tracing": "auto"}
    assert session_update_diff(traced, dataclasses.replace(traced, speed=1.1)).body
    # the model may be given once and then left unset
    assert _session(session_update_diff(BASE, dataclasses.replace(BASE, model=None)).body) == {}


def test_diff_reports_dropped_options_of_the_new_config() -> None:
    built = session_update_diff(BASE, dataclasses.replace(BASE, temperature=0.7))
    assert _session(built.body) == {}
    assert [d.name for d in built.dropped_params] == ["temperature"]


def test_diff_handles_extra_keys() -> None:
    old = dataclasses.replace(BASE, extra={"audio": {"output": {"knob": 1}}, "flag": {"x": 1}})
    new = dataclasses.replace(BASE, extra={"audio": {"output": {"knob": 2}}})
    built = session_update_diff(old, new)
    assert _session(built.body) == {"audio": {"output": {"knob": 2}}}
    assert [d.name for d in built.dropped_params] == ["flag"]


def test_diff_rejects_non_configs() -> None:
    assert hint_of(lambda: session_update_diff(BASE, {})) == "invalid_param"  # type: ignore[arg-type]


# -- response.create ------------------------------------------------------------------------------


def test_empty_response_options() -> None:
    built = response_options()
    assert built.body == {}
    assert response_create_event(built) == {"type": "response.create", "response": {}}
    assert response_create_event() == {"type": "response.create"}
    assert response_create_event(event_id="e") == {"type": "response.create", "event_id": "e"}
    sdk_check(response_create_event(built))
    sdk_check(response_create_event())


def test_response_options_exact_json() -> None:
    built = response_options(
        output_modalities="audio",
        instructions="Answer in French.",
        tools=[function_tool("get_weather", WEATHER, strict=False)],
        tool_choice="get_weather",
        voice="cedar",
        output_format="pcmu",
        max_output_tokens=200,
        metadata={"client_event_id": "c-1"},
        conversation="auto",
        prompt={"id": "pmpt_1"},
        reasoning_effort="medium",
        parallel_tool_calls=False,
        temperature=0.9,
    )
    assert built.body == {
        "output_modalities": ["audio"],
        "instructions": "Answer in French.",
        "tools": [{"type": "function", "name": "get_weather", "parameters": WEATHER}],
        "tool_choice": {"type": "function", "name": "get_weather"},
        "audio": {"output": {"format": {"type": "audio/pcmu"}, "voice": "cedar"}},
        "max_output_tokens": 200,
        "metadata": {"client_event_id": "c-1"},
        "conversation": "auto",
        "prompt": {"id": "pmpt_1"},
        "reasoning": {"effort": "medium"},
        "parallel_tool_calls": False,
    }
    assert [d.name for d in built.dropped_params] == ["tools[get_weather].strict", "temperature"]
    event = response_create_event(built, event_id="evt_9")
    parsed = sdk_check(event)
    assert isinstance(parsed, ResponseCreateEvent)


def test_out_of_band_response_with_items() -> None:
    built = response_options(
        conversation="none",
        output_modalities=["text"],
        input=[system_text_item("Classify."), user_text_item("I love it")],
        metadata={"purpose": "sentiment"},
    )
    assert built.body["input"] == [
        {
            "type": "message",
            "role": "system",
            "content": [{"type": "input_text", "text": "Classify."}],
        },
        {
            "type": "message",
            "role": "user",
            "content": [{"type": "input_text", "text": "I love it"}],
        },
    ]
    sdk_check(response_create_event(built))


def test_empty_input_means_no_context() -> None:
    built = response_options(input=[])
    assert built.body == {"input": []}
    sdk_check(response_create_event(built))


def test_item_references_validate_against_the_reference_param_type() -> None:
    """The SDK's pydantic ResponseCreateEvent has no item_reference in ``input``; the
    ``...WithReferencesParam`` TypedDict (what ``connection.response.create`` takes) does."""
    event = response_create_event(
        response_options(input=[item_reference("item_1"), user_text_item("and this")])
    )
    assert event["response"]["input"][0] == {"type": "item_reference", "id": "item_1"}
    checked = _consume(WITH_REFERENCES.validate_python(event))  # iterables validate lazily
    assert checked == event
    with pytest.raises(pydantic.ValidationError):
        CLIENT_EVENT.validate_python(event)


def _consume(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _consume(v) for k, v in value.items()}
    if isinstance(value, list | tuple) or type(value).__name__ == "ValidatorIterator":
        return [_consume(v) for v in value]
    return value


def test_response_option_errors() -> None:
    too_many = {f"k{i}": "v" for i in range(17)}
    cases = [
        (lambda: response_options(metadata=too_many), "invalid_param"),
        (lambda: response_options(metadata={"k" * 65: "v"}), "invalid_param"),
        (lambda: response_options(metadata={"k": "v" * 513}), "invalid_param"),
        (lambda: response_options(metadata={"k": 1}), "invalid_param"),  # type: ignore[dict-item]
        (lambda: response_options(conversation="conv_1"), "invalid_param"),  # type: ignore[arg-type]
        (lambda: response_options(input="hello"), "invalid_param"),  # type: ignore[arg-type]
        (lambda: response_options(input=[{"role": "user"}]), "invalid_param"),
        (lambda: response_options(output_modalities=["audio", "text"]), "conflicting_options"),
        (
            lambda: response_options(output_modalities="text", modalities=["text"]),
            "conflicting_options",
        ),
        (lambda: response_options(max_output_tokens=5000), "invalid_param"),
        (lambda: response_options(output_format="mp3"), "invalid_audio_format"),  # type: ignore[arg-type]
        (lambda: response_options(output_format=""), "invalid_audio_format"),  # type: ignore[arg-type]
        (
            lambda: response_options(tools=[function_tool("a")], tool_choice="b"),
            "unknown_tool_choice",
        ),
        (lambda: response_options(voice=""), "invalid_param"),
        (lambda: response_options(prompt={"id": ""}), "invalid_param"),
        (lambda: response_options(temperature=5.0), "invalid_param"),
        (lambda: response_create_event(["x"]), "invalid_param"),  # type: ignore[arg-type]
    ]
    for call, hint in cases:
        assert hint_of(call) == hint
    # the limits themselves are fine
    exact = {f"{i:02d}" + "k" * 62: "v" * 512 for i in range(16)}
    sdk_check(response_create_event(response_options(metadata=exact)))


def test_response_modalities_alias_and_extra() -> None:
    built = response_options(
        modalities=["audio", "text"], extra={"audio": {"output": {"speed": 1.2}}}
    )
    assert built.body == {"output_modalities": ["audio"], "audio": {"output": {"speed": 1.2}}}


# -- URLs and headers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("base", "expected"),
    [
        # the plugin's process_base_url cases
        ("https://api.openai.com/v1", "wss://api.openai.com/v1/realtime?model=gpt-realtime"),
        ("https://api.openai.com/v1/", "wss://api.openai.com/v1/realtime?model=gpt-realtime"),
        ("http://localhost:8080", "ws://localhost:8080/realtime?model=gpt-realtime"),
        ("http://localhost:8080/", "ws://localhost:8080/realtime?model=gpt-realtime"),
        ("https://gw.example/openai", "wss://gw.example/openai/realtime?model=gpt-realtime"),
        ("https://gw.example/openai/", "wss://gw.example/openai/realtime?model=gpt-realtime"),
        (
            "https://gw.example/v1?tenant=a%2Bb",
            "wss://gw.example/v1/realtime?tenant=a%2Bb&model=gpt-realtime",
        ),
        (
            "https://gw.example/v1?model=gpt-realtime",
            "wss://gw.example/v1/realtime?model=gpt-realtime",
        ),
        ("https://gw.example/v1/realtime", "wss://gw.example/v1/realtime?model=gpt-realtime"),
        # better than the plugin: any REST base gets /realtime (the SDK's rule)
        (
            "https://gw.example/acct/proxy/openai",
            "wss://gw.example/acct/proxy/openai/realtime?model=gpt-realtime",
        ),
        ("https://gw.example:8443/v1", "wss://gw.example:8443/v1/realtime?model=gpt-realtime"),
    ],
)
def test_realtime_url_from_base_url(base: str, expected: str) -> None:
    config = ClientConfig(api_key="sk-test", base_url=base)
    assert realtime_url(config, model="gpt-realtime") == expected
    # the same base given as url= gives the same result
    assert realtime_url(OPENAI, model="gpt-realtime", url=base) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("wss://api.openai.com/v1", "wss://api.openai.com/v1/realtime?model=m"),
        ("wss://api.openai.com/v1/realtime", "wss://api.openai.com/v1/realtime?model=m"),
        ("wss://api.openai.com/v1/realtime?model=m", "wss://api.openai.com/v1/realtime?model=m"),
        ("ws://127.0.0.1:9000", "ws://127.0.0.1:9000/realtime?model=m"),
        ("ws://127.0.0.1:9000/custom/socket", "ws://127.0.0.1:9000/custom/socket?model=m"),
        ("WSS://Example.COM/openai/v1/", "wss://example.com/openai/v1/realtime?model=m"),
    ],
)
def test_realtime_url_from_socket_url(url: str, expected: str) -> None:
    assert realtime_url(OPENAI, model="m", url=url) == expected


def test_realtime_url_default_call_id_intent() -> None:
    assert realtime_url(OPENAI, model="gpt-realtime") == (
        "wss://api.openai.com/v1/realtime?model=gpt-realtime"
    )
    assert (
        realtime_url(OPENAI, call_id="rtc_123")
        == "wss://api.openai.com/v1/realtime?call_id=rtc_123"
    )
    assert realtime_url(OPENAI, intent="transcription") == (
        "wss://api.openai.com/v1/realtime?intent=transcription"
    )
    assert realtime_url(OPENAI, model="a b/c") == "wss://api.openai.com/v1/realtime?model=a%20b%2Fc"
    with_query = OPENAI.replace(extra_query={"trace": "1"})
    assert realtime_url(with_query, model="m") == "wss://api.openai.com/v1/realtime?model=m&trace=1"
    preset = OPENAI.replace(extra_query={"model": "m"})
    assert realtime_url(preset) == "wss://api.openai.com/v1/realtime?model=m"


def test_realtime_url_errors() -> None:
    assert hint_of(lambda: realtime_url(OPENAI, model="m", call_id="c")) == "conflicting_options"
    assert (
        hint_of(lambda: realtime_url(OPENAI, model="m", intent="transcription"))
        == "conflicting_options"
    )
    assert (
        hint_of(lambda: realtime_url(OPENAI, call_id="c", intent="transcription"))
        == "conflicting_options"
    )
    assert hint_of(lambda: realtime_url(OPENAI)) == "missing_model"
    preset = ClientConfig(api_key="k", base_url="https://gw.example/v1?model=a")
    assert hint_of(lambda: realtime_url(preset, model="b")) == "conflicting_options"
    assert hint_of(lambda: realtime_url(preset, intent="transcription")) == "conflicting_options"
    assert hint_of(lambda: realtime_url(preset, call_id="c")) == "conflicting_options"
    assert realtime_url(preset) == "wss://gw.example/v1/realtime?model=a"
    assert hint_of(lambda: realtime_url(OPENAI, model="m", url="ftp://x")) == "invalid_config"
    assert hint_of(lambda: realtime_url(OPENAI, model="m", url="wss://x/#frag")) == "invalid_config"
    assert hint_of(lambda: realtime_url(OPENAI, model="")) == "invalid_param"


AZURE_ENV: dict[str, str] = {}


def test_realtime_url_azure() -> None:
    dated = ClientConfig.azure(
        AZURE_ENV,
        azure_endpoint="https://res.openai.azure.com/",
        api_key="az-key",
        azure_deployment="rt-deploy",
        api_version="2025-04-01-preview",
    )
    assert realtime_url(dated) == (
        "wss://res.openai.azure.com/openai/realtime?api-version=2025-04-01-preview&deployment=rt-deploy"
    )
    assert realtime_url(dated, model="ignored-deployment-wins") == realtime_url(dated)
    assert realtime_url(dated, intent="transcription") == (
        "wss://res.openai.azure.com/openai/realtime?api-version=2025-04-01-preview&intent=transcription"
    )
    v1 = dated.replace(api_version=None)
    assert realtime_url(v1) == "wss://res.openai.azure.com/openai/v1/realtime?model=rt-deploy"
    assert realtime_url(dated.replace(api_version="v1")) == realtime_url(v1)
    preview = dated.replace(api_version="preview")
    assert realtime_url(preview) == (
        "wss://res.openai.azure.com/openai/v1/realtime?api-version=preview&model=rt-deploy"
    )
    no_deployment = ClientConfig.azure(
        AZURE_ENV, azure_endpoint="https://res.openai.azure.com", api_key="k"
    )
    assert realtime_url(no_deployment, model="gpt-realtime") == (
        "wss://res.openai.azure.com/openai/v1/realtime?model=gpt-realtime"
    )
    assert hint_of(lambda: realtime_url(no_deployment)) == "missing_model"
    via_base = ClientConfig.azure(
        AZURE_ENV,
        base_url="https://res.openai.azure.com/openai/v1",
        api_key="k",
        azure_deployment="d",
    )
    assert realtime_url(via_base) == "wss://res.openai.azure.com/openai/v1/realtime?model=d"


def test_realtime_headers_never_carry_openai_beta() -> None:
    headers = realtime_headers(OPENAI.replace(organization="org-1", project="proj-1"))
    assert headers == (
        ("user-agent", "openai-sansio/0.1.0"),
        ("authorization", "Bearer sk-test"),
        ("openai-organization", "org-1"),
        ("openai-project", "proj-1"),
    )
    assert all(name.lower() != "openai-beta" for name, _ in headers)
    beta = OPENAI.replace(extra_headers={"OpenAI-Beta": "realtime=v1"})
    with pytest.raises(LocalProtocolError, match="beta_api_shape_disabled") as info:
        realtime_headers(beta)
    assert info.value.error_hint == "beta_header"
    assert "sk-test" not in str(info.value)
    azure = ClientConfig.azure(
        AZURE_ENV, azure_endpoint="https://res.openai.azure.com", api_key="az"
    )
    assert ("api-key", "az") in realtime_headers(azure)


# -- items ------------------------------------------------------------------------------------

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 12
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 8


def test_image_input_item() -> None:
    item = image_input_item(JPEG, detail="low", text="What is this?")
    assert item == {
        "type": "message",
        "role": "user",
        "content": [
            {"type": "input_text", "text": "What is this?"},
            {
                "type": "input_image",
                "image_url": "data:image/jpeg;base64," + base64.b64encode(JPEG).decode(),
                "detail": "low",
            },
        ],
    }
    png = image_input_item(bytearray(PNG), mime="image/png")
    assert png["content"] == [
        {
            "type": "input_image",
            "image_url": "data:image/png;base64," + base64.b64encode(PNG).decode(),
        }
    ]
    for it in (item, png):
        parsed = sdk_check(conversation_item_create(it))
        assert isinstance(parsed, ConversationItemCreateEvent)
    # unknown bytes are the server's business
    assert image_input_item(b"abc")["content"][0]["image_url"] == "data:image/jpeg;base64,YWJj"


def test_image_input_item_errors() -> None:
    assert hint_of(lambda: image_input_item(b"")) == "invalid_param"
    assert hint_of(lambda: image_input_item("abc")) == "invalid_param"  # type: ignore[arg-type]
    assert hint_of(lambda: image_input_item(JPEG, mime="image/gif")) == "invalid_param"
    assert hint_of(lambda: image_input_item(PNG)) == "invalid_param"  # PNG labelled JPEG
    assert hint_of(lambda: image_input_item(JPEG, mime="image/png")) == "invalid_param"
    assert hint_of(lambda: image_input_item(JPEG, detail="max")) == "invalid_param"  # type: ignore[arg-type]
    assert hint_of(lambda: image_input_item(JPEG, text=3)) == "invalid_param"  # type: ignore[arg-type]


def test_text_and_function_items() -> None:
    assert user_text_item("hi") == {
        "type": "message",
        "role": "user",
        "content": [{"type": "input_text", "text": "hi"}],
    }
    assert assistant_text_item("hello")["content"] == [{"type": "output_text", "text": "hello"}]
    assert function_call_output_item("call_1", '{"temp": 21}') == {
        "type": "function_call_output",
        "call_id": "call_1",
        "output": '{"temp": 21}',
    }
    assert function_call_output_item("call_1", "")["output"] == ""
    for item in (
        user_text_item(""),
        system_text_item("sys"),
        assistant_text_item("a"),
        function_call_output_item("call_1", "ok"),
    ):
        sdk_check(conversation_item_create(item))
    event = conversation_item_create(user_text_item("x"), previous_item_id="root", event_id="e1")
    assert event == {
        "type": "conversation.item.create",
        "event_id": "e1",
        "previous_item_id": "root",
        "item": user_text_item("x"),
    }
    sdk_check(event)
    assert hint_of(lambda: function_call_output_item("call_1", {"temp": 21})) == "invalid_param"  # type: ignore[arg-type]
    assert hint_of(lambda: function_call_output_item("", "x")) == "invalid_param"
    assert hint_of(lambda: user_text_item(None)) == "invalid_param"  # type: ignore[arg-type]
    assert hint_of(lambda: conversation_item_create(item_reference("i"))) == "invalid_param"
    assert hint_of(lambda: conversation_item_create({"role": "user"})) == "invalid_param"


# -- usage ------------------------------------------------------------------------------------

FULL_USAGE = {
    "total_tokens": 300,
    "input_tokens": 200,
    "output_tokens": 100,
    "input_token_details": {
        "text_tokens": 50,
        "audio_tokens": 140,
        "image_tokens": 10,
        "cached_tokens": 64,
        "cached_tokens_details": {"text_tokens": 32, "audio_tokens": 30, "image_tokens": 2},
    },
    "output_token_details": {"text_tokens": 20, "audio_tokens": 80},
}


def test_flatten_realtime_usage() -> None:
    assert flatten_realtime_usage(FULL_USAGE) == {
        "total_tokens": 300,
        "input_tokens": 200,
        "output_tokens": 100,
        "input_text_tokens": 50,
        "input_audio_tokens": 140,
        "input_image_tokens": 10,
        "input_cached_tokens": 64,
        "cached_text_tokens": 32,
        "cached_audio_tokens": 30,
        "cached_image_tokens": 2,
        "output_text_tokens": 20,
        "output_audio_tokens": 80,
        "output_image_tokens": 0,
    }
    zeros = flatten_realtime_usage(None)
    assert set(zeros) == set(RealtimeUsage.FIELDS) and not any(zeros.values())
    assert flatten_realtime_usage({}) == zeros
    malformed = {
        "total_tokens": None,
        "input_tokens": "12",
        "output_tokens": True,
        "input_token_details": None,
        "output_token_details": {"audio_tokens": -3, "text_tokens": 4.0},
    }
    assert flatten_realtime_usage(malformed) == zeros


def test_realtime_usage_sums() -> None:
    one = RealtimeUsage.from_usage(FULL_USAGE)
    two = one + one
    assert two.total_tokens == 600 and two.cached_audio_tokens == 60
    assert sum([one, one, one], RealtimeUsage()).as_dict()["output_audio_tokens"] == 240
    assert RealtimeUsage() + one == one
    with pytest.raises(TypeError):
        one + 1


# -- properties: everything valid here is valid for the SDK --------------------------------------

VOICES = ["alloy", "ash", "ballad", "coral", "echo", "sage", "shimmer", "verse", "marin", "cedar"]
FORMATS = [
    "pcm",
    "pcmu",
    "pcma",
    "audio/pcm",
    "audio/pcmu",
    "audio/pcma",
    "pcm16",
    "g711_ulaw",
    "g711_alaw",
]
NAMES = st.text("abcdefghijklmnopqrstuvwxyz_-0123456789", min_size=1, max_size=12)
TEXT = st.text(max_size=20)
SMALL_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=6,
)


def _opt(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


server_vads = st.builds(
    ServerVAD,
    threshold=_opt(st.floats(0, 1)),
    prefix_padding_ms=_opt(st.integers(0, 2000)),
    silence_duration_ms=_opt(st.integers(0, 5000)),
    idle_timeout_ms=_opt(st.integers(5000, 30000)),
    create_response=_opt(st.booleans()),
    interrupt_response=_opt(st.booleans()),
)
semantic_vads = st.builds(
    SemanticVAD,
    eagerness=_opt(st.sampled_from(["low", "medium", "high", "auto"])),
    create_response=_opt(st.booleans()),
    interrupt_response=_opt(st.booleans()),
)
transcriptions = st.builds(
    InputTranscription,
    model=_opt(st.sampled_from(["whisper-1", "gpt-4o-transcribe", "gpt-transcribe", "my-model"])),
    language=_opt(st.sampled_from(["en", "fr", "de"])),
    prompt=_opt(TEXT),
    languages=_opt(st.lists(st.sampled_from(["en", "fr"]), min_size=1, max_size=2)),
    keywords=_opt(st.lists(st.text(min_size=1, max_size=8), max_size=3)),
    delay=_opt(st.sampled_from(["minimal", "low", "medium", "high", "xhigh"])),
)
noise = st.builds(
    NoiseReduction,
    type=_opt(st.sampled_from(["near_field", "far_field"])),
    strength=_opt(st.floats(0, 2)),
)
tool_lists = st.lists(
    st.builds(
        function_tool,
        NAMES,
        _opt(st.just(WEATHER)),
        description=_opt(TEXT),
        strict=_opt(st.booleans()),
    ),
    max_size=3,
    unique_by=lambda t: t.name,
)


@st.composite
def configs(draw: st.DrawFn) -> RealtimeConfig:
    tools = draw(_opt(tool_lists))
    choices: list[Any] = [None, "auto", "none"]
    if tools is None or tools:
        choices.append("required")
    if tools:
        choices.extend(t.name for t in tools)
    return RealtimeConfig(
        model=draw(_opt(st.sampled_from(["gpt-realtime", "gpt-realtime-mini", "gpt-realtime-2"]))),
        voice=draw(_opt(st.sampled_from(VOICES) | st.builds(CustomVoice, id=NAMES))),
        output_modalities=draw(_opt(st.sampled_from(["audio", "text", ["audio"], ["text"]]))),
        input_format=draw(_opt(st.sampled_from(FORMATS))),
        output_format=draw(_opt(st.sampled_from(FORMATS))),
        turn_detection=draw(_opt(st.just(OFF) | server_vads | semantic_vads)),
        transcription=draw(_opt(st.just(OFF) | transcriptions)),
        noise_reduction=draw(
            _opt(st.just(OFF) | st.sampled_from(["near_field", "far_field"]) | noise)
        ),
        tools=tools,
        tool_choice=draw(st.sampled_from(choices)),
        instructions=draw(_opt(TEXT)),
        max_output_tokens=draw(_opt(st.integers(1, 4096) | st.just("inf"))),
        speed=draw(_opt(st.floats(0.25, 1.5))),
        truncation=draw(
            _opt(
                st.sampled_from(["auto", "disabled"])
                | st.builds(
                    RetentionRatio,
                    retention_ratio=st.floats(0, 1),
                    post_instructions_tokens=_opt(st.integers(1, 100_000)),
                )
            )
        ),
        tracing=draw(
            _opt(
                st.just("auto")
                | st.just(OFF)
                | st.builds(
                    Tracing,
                    workflow_name=_opt(NAMES),
                    group_id=_opt(NAMES),
                    metadata=_opt(st.dictionaries(NAMES, SMALL_JSON, max_size=2)),
                )
            )
        ),
        reasoning_effort=draw(_opt(st.sampled_from(["minimal", "low", "medium", "high", "xhigh"]))),
        parallel_tool_calls=draw(_opt(st.booleans())),
        include=draw(_opt(st.just(["item.input_audio_transcription.logprobs"]) | st.just([]))),
        prompt=draw(
            _opt(
                st.fixed_dictionaries(
                    {"id": st.just("pmpt_1")},
                    optional={
                        "version": st.just("3"),
                        "variables": st.dictionaries(NAMES, TEXT, max_size=2),
                    },
                )
            )
        ),
        temperature=draw(_opt(st.floats(0, 2))),
    )


NULLABLE_PATHS = {
    ("audio", "input", "noise_reduction"),
    ("audio", "input", "transcription"),
    ("audio", "input", "turn_detection"),
    ("tracing",),
}


def _null_paths(value: Any, path: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    if value is None:
        return {path}
    found: set[tuple[str, ...]] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            found |= _null_paths(item, (*path, key))
    elif isinstance(value, list):
        for item in value:
            found |= _null_paths(item, path)
    return found


def _apply(state: dict[str, Any], update: Mapping[str, Any], path: tuple[str, ...] = ()) -> None:
    """The server's update semantics: present keys replace, audio objects merge."""
    for key, value in update.items():
        here = (*path, key)
        if here in {("audio",), ("audio", "input"), ("audio", "output")}:
            _apply(state.setdefault(key, {}), value, here)
        else:
            state[key] = value


@given(configs())
def test_every_valid_config_is_valid_for_the_sdk(config: RealtimeConfig) -> None:
    built = session_update(config, event_id="evt")
    sdk_check(built.body)
    session = built.body["session"]
    # the only nulls are the ones chosen with OFF
    nulls = _null_paths(session)
    assert all(p in NULLABLE_PATHS or p[:2] == ("tracing", "metadata") for p in nulls)
    chosen = {
        ("audio", "input", name)
        for name in ("noise_reduction", "transcription", "turn_detection")
        if getattr(config, name) is OFF
    } | ({("tracing",)} if config.tracing is OFF else set())
    assert {p for p in nulls if p in NULLABLE_PATHS} == chosen
    # temperature is never sent, always reported
    assert "temperature" not in session
    assert ("temperature" in {d.name for d in built.dropped_params}) == (
        config.temperature is not None
    )


@given(configs(), configs())
def test_diff_applied_to_old_gives_new(old: RealtimeConfig, new: RealtimeConfig) -> None:
    if old.model is not None and new.model is not None and old.model != new.model:
        assert hint_of(lambda: session_update_diff(old, new)) == "model_immutable"
        return
    if old.tracing not in (None, OFF) and new.tracing is not None and new.tracing != old.tracing:
        assert hint_of(lambda: session_update_diff(old, new)) == "tracing_immutable"
        return
    diff = session_update_diff(old, new)
    sdk_check(diff.body)
    via_diff = _session(session_update(old).body)
    _apply(via_diff, _session(diff.body))
    via_full = _session(session_update(old).body)
    _apply(via_full, _session(session_update(new).body))
    assert via_diff == via_full
    # and the diff never re-sends what did not change
    again = _session(session_update(new).body)
    assert _session(session_update_diff(new, new).body) == {}
    assert _session(session_update_diff(RealtimeConfig(), new).body) == again


@given(
    tools=_opt(tool_lists),
    modality=_opt(st.sampled_from(["audio", "text"])),
    voice=_opt(st.sampled_from(VOICES)),
    fmt=_opt(st.sampled_from(FORMATS)),
    tokens=_opt(st.integers(1, 4096) | st.just("inf")),
    metadata=_opt(
        st.dictionaries(st.text(min_size=1, max_size=64), st.text(max_size=40), max_size=16)
    ),
    conversation=_opt(st.sampled_from(["auto", "none"])),
    items=_opt(
        st.lists(
            st.sampled_from(
                [user_text_item("u"), system_text_item("s"), function_call_output_item("c", "o")]
            ),
            max_size=3,
        )
    ),
    instructions=_opt(TEXT),
)
def test_every_valid_response_is_valid_for_the_sdk(
    tools: Any,
    modality: Any,
    voice: Any,
    fmt: Any,
    tokens: Any,
    metadata: Any,
    conversation: Any,
    items: Any,
    instructions: Any,
) -> None:
    built = response_options(
        tools=tools,
        tool_choice=tools[0].name if tools else None,
        output_modalities=modality,
        voice=voice,
        output_format=fmt,
        max_output_tokens=tokens,
        metadata=metadata,
        conversation=conversation,
        input=items,
        instructions=instructions,
    )
    assert None not in _flatten_values(built.body)
    parsed = sdk_check(response_create_event(built, event_id="r1"))
    assert isinstance(parsed, ResponseCreateEvent)


def _flatten_values(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [v for item in value.values() for v in _flatten_values(item)]
    if isinstance(value, list):
        return [v for item in value for v in _flatten_values(item)]
    return [value]

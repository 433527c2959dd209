"""EnergyVAD: exact segment positions on synthetic signals, chunking invariance, table totality."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from openai_sansio.audio._errors import AudioError
from openai_sansio.audio.vad import (
    _TRANSITIONS,
    EnergyVAD,
    SpeechEnd,
    SpeechEvent,
    SpeechStart,
    VADState,
    _Input,
    segments,
)

RATE = 16000
W = 160  # 10 ms at 16 kHz


def _tone(n: int, level_db: float, *, offset: int = 0, rate: int = RATE) -> np.ndarray:
    """A 997 Hz sine whose RMS is `level_db` dBFS (full scale 1.0), as float64."""
    amplitude = math.sqrt(2.0) * 10 ** (level_db / 20.0)
    t = np.arange(offset, offset + n)
    return amplitude * np.sin(2 * np.pi * 997 * t / rate)


def _signal(total: int, bursts: list[tuple[int, int, float]], *, rate: int = RATE) -> np.ndarray:
    """Silence with 997 Hz bursts ``(start, end, level_db)``, as int16."""
    x = np.zeros(total)
    for start, end, level in bursts:
        x[start:end] = _tone(end - start, level, offset=start, rate=rate)
    return np.round(x * 32767).astype(np.int16)


def _run(vad: EnergyVAD, x: np.ndarray, cuts: list[int]) -> list[SpeechEvent]:
    events: list[SpeechEvent] = []
    bounds = [0, *sorted(cuts), len(x)]
    for a, b in itertools.pairwise(bounds):
        events += vad.push(x[a:b])
    return events + vad.flush()


def test_one_burst_on_window_boundaries_gives_exact_positions() -> None:
    x = _signal(RATE * 3, [(8000, 24000, -20.0)])
    events = _run(EnergyVAD(RATE), x, [])
    assert events == [
        SpeechStart(8000, 500.0),
        SpeechEnd(start_sample=8000, end_sample=24000, start_ms=500.0, end_ms=1500.0),
    ]
    assert segments(x, RATE) == [(8000, 24000)]


def test_unaligned_burst_snaps_to_the_windows_it_touches() -> None:
    # 110 of 160 samples of the first and last windows carry the tone: both are voiced.
    x = _signal(RATE * 3, [(8050, 23950, -20.0)])
    assert segments(x, RATE) == [(8000, 24000)]


def test_several_bursts_have_absolute_positions() -> None:
    bursts = [(1600, 6400, -25.0), (16000, 17600, -10.0), (32000, 40000, -30.0)]
    x = _signal(48000, bursts)
    assert segments(x, RATE) == [(s, e) for s, e, _ in bursts]


def test_levels_below_the_threshold_are_silence() -> None:
    x = _signal(RATE * 2, [(4000, 20000, -46.0)])
    assert segments(x, RATE) == []
    assert segments(x, RATE, threshold_db=-50.0) == [(4000, 20000)]


def test_threshold_is_rms_dbfs() -> None:
    """A constant of 0.01 full scale is exactly -40 dBFS RMS: voiced at -40, not at -39.9."""
    x = np.full(RATE, 0.01, dtype=np.float64)
    assert segments(x, RATE, threshold_db=-40.0) == [(0, RATE)]
    assert segments(x, RATE, threshold_db=-39.9) == []


def test_min_speech_filters_a_short_click() -> None:
    x = _signal(RATE * 2, [(8000, 8000 + 80 * 16, -6.0)])  # 80 ms < 100 ms
    assert segments(x, RATE) == []
    assert segments(x, RATE, min_speech_ms=80.0) == [(8000, 9280)]
    # Exactly min_speech_ms of voiced windows is enough.
    y = _signal(RATE * 2, [(8000, 8000 + 100 * 16, -6.0)])
    assert segments(y, RATE) == [(8000, 9600)]


def test_hangover_bridges_a_short_gap_but_not_a_long_one() -> None:
    short_gap = _signal(RATE * 3, [(1600, 9600, -20.0), (9600 + 200 * 16, 24000, -20.0)])
    assert segments(short_gap, RATE) == [(1600, 24000)]
    long_gap = _signal(RATE * 3, [(1600, 9600, -20.0), (9600 + 400 * 16, 24000, -20.0)])
    assert segments(long_gap, RATE) == [(1600, 9600), (9600 + 6400, 24000)]
    # A gap of exactly hangover_ms ends the segment.
    exact = _signal(RATE * 3, [(1600, 9600, -20.0), (9600 + 300 * 16, 24000, -20.0)])
    assert segments(exact, RATE) == [(1600, 9600), (14400, 24000)]


def test_events_are_emitted_with_the_documented_latency() -> None:
    x = _signal(RATE * 2, [(3200, 12800, -20.0)])
    vad = EnergyVAD(RATE)
    emitted: list[tuple[int, SpeechEvent]] = []
    for i in range(0, len(x), W):  # one window per push: the push index is the latency
        emitted += [(i + W, e) for e in vad.push(x[i : i + W])]
    assert [(when, type(e)) for when, e in emitted] == [
        (3200 + 100 * 16, SpeechStart),  # confirmed after min_speech_ms
        (12800 + 300 * 16, SpeechEnd),  # closed after hangover_ms
    ]
    assert emitted[0][1] == SpeechStart(3200, 200.0)


def test_flush_closes_an_open_segment_and_uses_the_partial_window() -> None:
    x = _signal(10_000, [(2000, 10_000, -20.0)])  # 10000 is not a multiple of 160
    vad = EnergyVAD(RATE)
    events = vad.push(x)
    assert events == [SpeechStart(1920, 120.0)]  # the window [1920, 2080) is mostly tone
    assert vad.in_speech and vad.state is VADState.SPEECH
    assert vad.position == 10_000
    assert vad.flush() == [SpeechEnd(1920, 10_000, 120.0, 625.0)]
    assert vad.state is VADState.SILENCE and vad.flush() == []
    # The detector continues after a flush with absolute positions.
    more = vad.push(_signal(4800, [(0, 3200, -20.0)])) + vad.flush()
    assert more == [SpeechStart(10_000, 625.0), SpeechEnd(10_000, 13_200, 625.0, 825.0)]


def test_flush_drops_an_unconfirmed_run_and_confirms_a_long_enough_one() -> None:
    vad = EnergyVAD(RATE)
    assert vad.push(_signal(RATE, [(RATE - 50 * 16, RATE, -20.0)])) == []
    assert vad.state is VADState.MAYBE_SPEECH
    assert vad.flush() == []
    vad = EnergyVAD(RATE, min_speech_ms=100.0)
    x = _signal(1600 + 1590, [(1600, 3190, -20.0)])  # 99.4 ms of tone, last window partial
    assert vad.push(x) == []
    assert vad.flush() == []
    vad = EnergyVAD(RATE, min_speech_ms=99.0)
    assert vad.push(x) == []
    assert vad.flush() == [SpeechStart(1600, 100.0), SpeechEnd(1600, 3190, 100.0, 199.375)]


def test_zero_min_speech_and_zero_hangover() -> None:
    x = _signal(RATE, [(1600, 1760, -20.0), (1920, 2080, -20.0)])
    assert segments(x, RATE, min_speech_ms=0.0, hangover_ms=0.0) == [(1600, 1760), (1920, 2080)]
    # A 10 ms gap ends speech at a 10 ms hangover and is bridged by a 20 ms one.
    assert segments(x, RATE, min_speech_ms=0.0, hangover_ms=10.0) == [(1600, 1760), (1920, 2080)]
    assert segments(x, RATE, min_speech_ms=0.0, hangover_ms=20.0) == [(1600, 2080)]


@pytest.mark.parametrize("rate", [8000, 16000, 24000, 44100, 48000])
def test_other_rates_and_window_sizes(rate: int) -> None:
    w = round(rate * 0.02)
    x = _signal(rate * 2, [(10 * w, 60 * w, -20.0)], rate=rate)
    assert segments(x, rate, window_ms=20.0) == [(10 * w, 60 * w)]


def test_float32_and_int16_agree() -> None:
    rng = np.random.default_rng(7)
    x = _signal(RATE * 4, [(3000, 9000, -35.0), (20000, 21000, -20.0), (30000, 60000, -41.0)])
    x = (x + rng.integers(-40, 40, size=len(x))).astype(np.int16)
    f = (x.astype(np.float32) / np.float32(32768.0)).astype(np.float32)
    for threshold in (-50.0, -45.0, -41.0, -40.0, -36.0):
        a = _run(EnergyVAD(RATE, threshold_db=threshold), x, [5000, 5001, 33333])
        b = _run(EnergyVAD(RATE, threshold_db=threshold), f, [])
        assert a == b


def test_stereo_input() -> None:
    left = _signal(RATE * 2, [(3200, 16000, -20.0)])
    right = _signal(RATE * 2, [(8000, 24000, -20.0)])
    stereo = np.stack([left, right], axis=1)
    assert stereo.shape == (RATE * 2, 2)
    # Power is averaged over both channels: one channel at -20 dBFS is -23 dBFS overall.
    assert segments(stereo, RATE, channels=2) == [(3200, 24000)]
    assert segments(stereo.reshape(-1), RATE, channels=2) == [(3200, 24000)]
    # At -22 dBFS only the overlap, where both channels carry the tone, is loud enough.
    assert segments(stereo, RATE, channels=2, threshold_db=-22.0) == [(8000, 16000)]
    both = np.stack([left, left], axis=1)
    assert segments(both, RATE, channels=2) == segments(left, RATE)
    vad = EnergyVAD(RATE, channels=2)
    assert _run(vad, stereo, [1, 777, 9000]) == _run(EnergyVAD(RATE, channels=2), stereo, [])


# --- chunking invariance and an independent reference -------------------------------------


def _reference(pattern: list[bool], m: int, h: int) -> list[tuple[int, int]]:
    """Segments in windows from a voiced pattern, by run-length reasoning (no state table)."""
    runs = [(i, i + len(items)) for i, items in _grouped(pattern) if items[0]]
    out: list[tuple[int, int]] = []
    cur: tuple[int, int] | None = None
    for s, e in runs:
        if cur is not None and s - cur[1] < h:
            cur = (cur[0], e)
            continue
        if cur is not None:
            out.append(cur)
        cur = (s, e) if e - s >= m else None
    if cur is not None:
        out.append(cur)
    return out


def _grouped(pattern: list[bool]) -> list[tuple[int, list[bool]]]:
    groups: list[tuple[int, list[bool]]] = []
    i = 0
    for _, g in itertools.groupby(pattern):
        items = list(g)
        groups.append((i, items))
        i += len(items)
    return groups


@given(
    pattern=st.lists(st.booleans(), min_size=0, max_size=120),
    m=st.integers(min_value=0, max_value=6),
    h=st.integers(min_value=0, max_value=6),
    cuts=st.lists(st.integers(min_value=0, max_value=120 * W), max_size=8),
)
def test_any_pattern_matches_the_reference_under_any_chunking(
    pattern: list[bool], m: int, h: int, cuts: list[int]
) -> None:
    x = np.zeros(len(pattern) * W)
    for i, voiced in enumerate(pattern):
        if voiced:
            x[i * W : (i + 1) * W] = _tone(W, -20.0, offset=i * W)
    pcm = np.round(x * 32767).astype(np.int16)
    params = {"min_speech_ms": m * 10.0, "hangover_ms": h * 10.0}
    whole = _run(EnergyVAD(RATE, **params), pcm, [])
    split = _run(EnergyVAD(RATE, **params), pcm, [c for c in cuts if c <= len(pcm)])
    assert split == whole
    expected = _reference(pattern, max(m, 1), h)
    ends = [e for e in whole if isinstance(e, SpeechEnd)]
    assert [(e.start_sample, e.end_sample) for e in ends] == [(s * W, e * W) for s, e in expected]
    starts = [e for e in whole if isinstance(e, SpeechStart)]
    assert [s.sample for s in starts] == [e.start_sample for e in ends]
    assert all(isinstance(a, SpeechStart) for a in whole[::2])
    assert all(e.start_ms == e.start_sample / 16 and e.end_ms == e.end_sample / 16 for e in ends)


@given(
    data=st.data(),
    channels=st.sampled_from([1, 2]),
    n=st.integers(min_value=0, max_value=8000),
    as_float=st.booleans(),
)
def test_random_noise_any_chunking_gives_identical_events(
    data: st.DataObject, channels: int, n: int, as_float: bool
) -> None:
    rng = np.random.default_rng(n)
    # Noise bursts around the threshold so windows flip often.
    env = np.repeat(rng.choice([0.0, 0.005, 0.02, 0.3], size=n // 97 + 1), 97)[:n]
    x = rng.standard_normal((n, channels)) * env[:, None]
    samples = (
        x.astype(np.float32) if as_float else np.clip(x * 32767, -32768, 32767).astype(np.int16)
    )
    cuts = data.draw(st.lists(st.integers(min_value=0, max_value=n), max_size=10))
    params = {"channels": channels, "min_speech_ms": 20.0, "hangover_ms": 30.0}
    whole = _run(EnergyVAD(RATE, **params), samples, [])
    assert _run(EnergyVAD(RATE, **params), samples, cuts) == whole
    # One sample at a time, for a short prefix.
    head = samples[: min(n, 700)]
    one = _run(EnergyVAD(RATE, **params), head, list(range(1, len(head))))
    assert one == _run(EnergyVAD(RATE, **params), head, [])


# --- the table and the edges ----------------------------------------------------------------


def test_the_transition_table_covers_every_reachable_pair() -> None:
    for state in VADState:
        assert (state, _Input.VOICED) in _TRANSITIONS
        assert (state, _Input.UNVOICED) in _TRANSITIONS
    assert _TRANSITIONS[(VADState.MAYBE_SPEECH, _Input.CONFIRMED)][0] is VADState.SPEECH
    assert _TRANSITIONS[(VADState.HANGOVER, _Input.EXPIRED)][0] is VADState.SILENCE
    assert len(_TRANSITIONS) == 10


def test_reset_forgets_everything() -> None:
    vad = EnergyVAD(RATE)
    vad.push(_signal(5000, [(0, 5000, -20.0)]))
    assert vad.in_speech and vad.position == 5000
    vad.reset()
    assert vad.state is VADState.SILENCE and vad.position == 0 and vad.flush() == []


def test_properties_in_samples() -> None:
    vad = EnergyVAD(44100, window_ms=10.0, min_speech_ms=100.0, hangover_ms=300.0)
    assert (vad.window, vad.min_speech_samples, vad.hangover_samples) == (441, 4410, 13230)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"rate": 0},
        {"rate": 16000.0},
        {"rate": 16000, "channels": 0},
        {"rate": 16000, "window_ms": 0.01},
        {"rate": 16000, "window_ms": math.nan},
        {"rate": 16000, "threshold_db": math.inf},
        {"rate": 16000, "min_speech_ms": -1.0},
        {"rate": 16000, "hangover_ms": math.nan},
    ],
)
def test_bad_parameters_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(AudioError):
        EnergyVAD(**kwargs)  # type: ignore[arg-type]


def test_bad_input_is_refused() -> None:
    vad = EnergyVAD(RATE, channels=2)
    with pytest.raises(AudioError, match="int16 or float32"):
        vad.push(np.zeros(4, dtype=np.int32))
    with pytest.raises(AudioError, match="whole number"):
        vad.push(np.zeros(3, dtype=np.int16))
    with pytest.raises(AudioError, match=r"\(n, 2\)"):
        vad.push(np.zeros((4, 3), dtype=np.int16))
    assert vad.position == 0

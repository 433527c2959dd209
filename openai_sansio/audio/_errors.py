"""The one exception type of the audio layer.

`AudioError` subclasses `ValueError`: every audio failure is bad input (a wrong dtype or
shape, a byte count that is not a whole number of samples, a WAV encoding we do not read),
never an I/O or protocol condition, so callers may catch either.
"""

from __future__ import annotations

__all__ = ["AudioError"]


class AudioError(ValueError):
    """Invalid audio input: the message says what was expected and what arrived."""

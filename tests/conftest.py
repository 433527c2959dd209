"""Shared pytest configuration.

Hypothesis profiles: ``ci`` is fixed and reproducible (derandomized, 100 examples), ``dev``
explores more (300 random examples). Pick one with ``HYPOTHESIS_PROFILE=ci`` (default ``dev``).
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    max_examples=100,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", max_examples=300, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

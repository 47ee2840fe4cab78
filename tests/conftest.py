"""Fixtures every test directory shares: the live API-server factory, registered once.

Property tests have no time limit per example: the suite runs on shared 2-core machines, where
a wall-clock deadline fails on load, not on a wrong answer. Their example counts bound them.
"""

from __future__ import annotations

from hypothesis import settings

from tests.support.live import envtest_binaries, start_live_cluster

settings.register_profile("posture", deadline=None)
settings.load_profile("posture")

__all__ = ["envtest_binaries", "start_live_cluster"]

"""Fixtures every test directory shares: the live API-server factory, registered once."""

from __future__ import annotations

from tests.support.live import envtest_binaries, start_live_cluster

__all__ = ["envtest_binaries", "start_live_cluster"]

"""What the tests share: one way to run the CLI, in-memory snapshots, one set of builders.

* :func:`run` — ``posture ARGV`` through the real entry point, returning (exit code, stdout,
  stderr);
* :func:`snapshot_of` — objects (dicts or YAML text) → the Snapshot the converter makes of
  them, without writing files;
* :mod:`tests.support.builders` — the raw API objects scenarios are made of (each returns a
  dict, as the API serves it) and the small base cluster the finding scenarios start from.
"""

from __future__ import annotations

from tests.support.cli import EXAMPLE, ROOT, run
from tests.support.snapshots import snapshot_of

__all__ = ["EXAMPLE", "ROOT", "run", "snapshot_of"]

"""posture: who can really talk to whom on a Calico cluster.

The library is the command line without the printing::

    import posture

    report = posture.check(posture.load_snapshot(["examples/cluster"]))
    print(posture.render(report, "table"))

:func:`load_snapshot` reads manifests or a snapshot file, :func:`read_cluster` a live cluster;
:func:`check` runs the one pipeline the CLI runs (same Snapshot and options, same report);
:func:`explain` answers for one path; :func:`render` gives any ``-o`` format. Every failure a
caller can cause is a :class:`PostureError` with a one-line message and an exit code.
"""

from __future__ import annotations

from posture._version import __version__
from posture.errors import PostureError
from posture.findings.model import Finding, Severity
from posture.model.snapshot import Snapshot
from posture.pipeline import CheckOptions, Explanation, check, explain
from posture.report.formats import render
from posture.report.model import Report
from posture.sources import ClusterOptions, ConvertOptions, load_snapshot, read_cluster

__all__ = [
    "CheckOptions",
    "ClusterOptions",
    "ConvertOptions",
    "Explanation",
    "Finding",
    "PostureError",
    "Report",
    "Severity",
    "Snapshot",
    "__version__",
    "check",
    "explain",
    "load_snapshot",
    "read_cluster",
    "render",
]

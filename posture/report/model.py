"""The Report: what one run found, in a shape every renderer reads."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from posture.findings.invariants.model import InvariantResult
from posture.findings.model import Finding, Severity
from posture.model.coverage import Coverage

if TYPE_CHECKING:
    from posture.report.changes import Changes

SCHEMA_VERSION = "v1alpha3"
API_VERSION = f"posture.dev/{SCHEMA_VERSION}"


class MeasureStatus(enum.Enum):
    PASSED = "passed"
    FAILED = "failed"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Measure:
    id: str
    title: str
    status: MeasureStatus
    check_ids: tuple[str, ...]
    finding_ids: tuple[str, ...] = ()
    reason: str = ""


MEASURES: tuple[tuple[str, str], ...] = (
    ("cluster-default-deny", "Cluster-wide default-deny for both directions, as one global policy"),
    ("node-services-closed", "Node services closed to pods"),
    ("lateral-movement-contained", "Lateral movement contained"),
    ("encryption-everywhere", "Encryption on every node"),
)


@dataclass(frozen=True, slots=True)
class ReachRow:
    """Allowed paths between sets of groups, for renderers that draw reachability: every
    pair of ``src`` × ``dst`` groups that holds endpoint pairs is allowed ``allowed``.

    Groups are pods by namespace, node groups, outside ranges. A row stands for one block of
    the model (sources and destinations decided alike), so the rows grow with blocks and
    groups, never with their pairs: an open cluster of a thousand namespaces is a few rows.
    Pair counts are per row, and per group of each end (``src_pairs``: pairs from each source
    group to the row's destinations; ``dst_pairs`` likewise)."""

    src: tuple[str, ...]
    src_kind: str  # pod | host | external
    dst: tuple[str, ...]
    dst_kind: str
    relation: str  # same-node | other-node | -
    allowed: str  # e.g. "TCP 80,443; UDP 53" or "all traffic"
    encryption: str  # encrypted | unencrypted | local
    pairs: int  # endpoint pairs the row stands for
    unencrypted_pairs: int
    src_pairs: tuple[int, ...] = ()
    dst_pairs: tuple[int, ...] = ()


def merge_groups(
    groups: tuple[str, ...], counts: tuple[int, ...]
) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """A row end's groups sorted, each once, with the pair counts of repeated ones summed
    (``counts`` empty: not known, and not known after)."""
    merged: dict[str, int] = {}
    for k, g in enumerate(groups):
        merged[g] = merged.get(g, 0) + (counts[k] if counts else 0)
    order = sorted(merged)
    return tuple(order), tuple(merged[g] for g in order) if counts else ()


def add_counts(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...]:
    """Per-group pair counts of two rows over the same groups, summed (none when either
    row has none)."""
    if not a or not b:
        return ()
    return tuple(x + y for x, y in zip(a, b, strict=True))


@dataclass(frozen=True)
class Report:
    tool_version: str
    source: str
    cluster: str
    context: str
    generated_at: str
    coverage: Coverage
    findings: tuple[Finding, ...]
    checklist: tuple[Measure, ...]
    stats: dict[str, int] = field(default_factory=dict)
    suppressed: tuple[Finding, ...] = ()
    reach: tuple[ReachRow, ...] = ()
    # Why each suppressed finding was suppressed (finding id -> "origin: reason"), so a
    # suppression is always shown with its justification, never silently.
    suppression_notes: dict[str, str] = field(default_factory=dict)
    # What changed since a baseline report (``check --baseline``); None without one.
    changes: Changes | None = None
    # Each organisation invariant checked (``--invariants``) with its offending pairs.
    invariants: tuple[InvariantResult, ...] = ()
    # What the input lacked for the measures (no pod, no node, …) and how to get it; a report
    # with gaps is incomplete: its measures are not evaluated, never passed.
    input_gaps: tuple[str, ...] = ()
    # Pods read but not analysed (no node, no IP, finished), by reason: (reason, pods).
    dropped_pods: tuple[tuple[str, int], ...] = ()
    # Suppressions (file entries, annotations) that matched no finding: typos or risks gone.
    suppression_warnings: tuple[str, ...] = ()
    # The checks `posture fix` closes, so that the report can say where to start.
    fix_checks: frozenset[str] = frozenset()

    def summary(self) -> dict[str, int]:
        out = {s.value: 0 for s in Severity}
        for f in self.findings:
            out[f.severity.value] += 1
        return out

    def at_or_above(self, threshold: Severity) -> list[Finding]:
        return [f for f in self.findings if f.severity.at_least(threshold)]

"""``check(source) -> Report``: the pipeline shared by the CLI, the CronJob and the benchmark.

Stages: load (source → Snapshot), model (indexes), classes, reachability, findings, report.
A ``timer`` callback receives each stage's name when it ends, so callers can measure without
the pipeline knowing about clocks or memory.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from posture import __version__
from posture.engine.index import Index
from posture.findings.base import Analysis, Finding, Registry, run_rules
from posture.model.snapshot import Snapshot
from posture.reachability.classes import build_classes
from posture.reachability.matrix import Relation, build_matrix
from posture.report.model import MEASURES, Measure, MeasureStatus, ReachRow, Report
from posture.sources.base import Source

Timer = Callable[[str], None]

# Kinds whose absence from coverage makes a measure's verdict unknowable.
_MEASURE_KINDS = {
    "cluster-default-deny": ("GlobalNetworkPolicy", "NetworkPolicy", "Pod", "Tier"),
    "node-services-closed": ("HostEndpoint", "FelixConfiguration", "Node", "GlobalNetworkPolicy"),
    "lateral-movement-contained": ("GlobalNetworkPolicy", "NetworkPolicy", "Pod"),
    "encryption-everywhere": ("FelixConfiguration", "Node"),
}


@dataclass(frozen=True, slots=True)
class CheckOptions:
    now: Callable[[], datetime] = lambda: datetime.now(UTC)


def _noop(_: str) -> None:
    return None


def analyse(snapshot: Snapshot, timer: Timer = _noop, today: date | None = None) -> Analysis:
    index = Index(snapshot)
    timer("model")
    analysis = Analysis(snapshot, index, today)
    classes = build_classes(index)
    timer("classes")
    analysis.__dict__["matrix"] = build_matrix(index, classes)
    timer("reachability")
    return analysis


def checklist(
    report_findings: list[Finding], snapshot: Snapshot, registry: Registry
) -> tuple[Measure, ...]:
    out = []
    unknown_kinds = {k.kind for k in snapshot.coverage.unknown}
    for measure_id, title in MEASURES:
        check_ids = tuple(r.info.id for r in registry if r.info.measure == measure_id)
        found = [f for f in report_findings if f.check_id in check_ids]
        missing = sorted(unknown_kinds & set(_MEASURE_KINDS.get(measure_id, ())))
        if found:
            status, reason = MeasureStatus.FAILED, f"{len(found)} finding(s)"
        elif missing:
            status, reason = MeasureStatus.UNKNOWN, f"could not read: {', '.join(missing)}"
        elif not check_ids:
            status, reason = MeasureStatus.UNKNOWN, "no check evaluates this measure yet"
        else:
            status, reason = MeasureStatus.PASSED, ""
        out.append(
            Measure(measure_id, title, status, check_ids, tuple(f.id for f in found), reason)
        )
    return tuple(out)


def check(
    source: Source,
    *,
    registry: Registry,
    options: CheckOptions | None = None,
    timer: Timer = _noop,
) -> Report:
    opts = options or CheckOptions()
    snapshot = source.load()
    timer("load")
    return check_snapshot(snapshot, registry=registry, options=opts, timer=timer)


def check_snapshot(
    snapshot: Snapshot,
    *,
    registry: Registry,
    options: CheckOptions | None = None,
    timer: Timer = _noop,
) -> Report:
    opts = options or CheckOptions()
    analysis = analyse(snapshot, timer, opts.now().date())
    return report_from(analysis, registry=registry, options=opts, timer=timer)


def report_from(
    analysis: Analysis,
    *,
    registry: Registry,
    options: CheckOptions | None = None,
    timer: Timer = _noop,
) -> Report:
    """Run the rules on an analysis already made (``posture fix`` reuses it)."""
    opts = options or CheckOptions()
    snapshot = analysis.snapshot
    findings = run_rules(registry, analysis)
    timer("findings")
    matrix = analysis.matrix
    stats = {
        "namespaces": len(snapshot.namespaces),
        "pods": len(snapshot.pods),
        "workloadEndpoints": len(analysis.index.wep_pods),
        "nodes": len(snapshot.nodes),
        "policies": len(snapshot.policies),
        "stagedPolicies": len(snapshot.staged_policies),
        "hostEndpoints": len(snapshot.host_endpoints),
        "endpointClasses": len(matrix.classes),
        "reachabilityCells": len(matrix.cells),
    }
    universe = analysis.index.universe
    reach = tuple(
        ReachRow(
            src=c.src.name,
            src_kind=c.src.kind.value,
            src_namespace=c.src.namespace,
            dst=c.dst.name,
            dst_kind=c.dst.kind.value,
            dst_namespace=c.dst.namespace,
            relation=c.relation.value,
            allowed=c.allowed.describe(universe),
            encryption=c.encryption.value,
            pairs=c.pairs,
            unencrypted_pairs=0
            if c.relation is Relation.SAME_NODE
            else c.pairs - c.encrypted_pairs,
        )
        for c in matrix.allowed_cells()
    )
    generated = snapshot.generated_at or opts.now().strftime("%Y-%m-%dT%H:%M:%SZ")
    return Report(
        tool_version=__version__,
        source=snapshot.source,
        cluster=snapshot.cluster,
        context=snapshot.context,
        generated_at=generated,
        coverage=snapshot.coverage,
        findings=tuple(findings),
        checklist=checklist(findings, snapshot, registry),
        stats=stats,
        reach=reach,
    )


def incomplete(report: Report) -> bool:
    """Some kind could not be read (forbidden, failed): the report cannot be trusted whole."""
    return not report.coverage.complete

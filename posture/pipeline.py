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
from posture.findings.invariants.evaluate import MEASURE as INVARIANTS_MEASURE
from posture.findings.invariants.evaluate import MEASURE_TITLE as INVARIANTS_TITLE
from posture.findings.invariants.evaluate import RULES as INVARIANT_RULES
from posture.findings.invariants.evaluate import evaluate, refinement
from posture.findings.invariants.model import Invariant, InvariantResult
from posture.model.snapshot import Snapshot
from posture.reachability.classes import NO_REFINEMENT, Refinement, build_classes
from posture.reachability.matrix import Relation, build_matrix
from posture.reachability.query import Reach
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
    # Organisation invariants (``--invariants``), checked on the same model as the findings.
    invariants: tuple[Invariant, ...] = ()


def _noop(_: str) -> None:
    return None


def analyse(
    snapshot: Snapshot,
    timer: Timer = _noop,
    today: date | None = None,
    refine: Refinement = NO_REFINEMENT,
) -> Analysis:
    index = Index(snapshot)
    timer("model")
    analysis = Analysis(snapshot, index, today)
    classes = build_classes(index, refine)
    timer("classes")
    analysis.__dict__["matrix"] = build_matrix(index, classes)
    timer("reachability")
    return analysis


def checklist(
    report_findings: list[Finding],
    snapshot: Snapshot,
    registry: Registry,
    *,
    invariants: bool = False,
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
    if invariants:
        out.append(_invariants_measure(report_findings))
    return tuple(out)


def _invariants_measure(report_findings: list[Finding]) -> Measure:
    """Shown only when invariants were given: without them there is nothing to hold."""
    check_ids = tuple(info.id for info in INVARIANT_RULES.values())
    found = [f for f in report_findings if f.check_id in check_ids]
    status = MeasureStatus.FAILED if found else MeasureStatus.PASSED
    reason = f"{len(found)} finding(s)" if found else ""
    return Measure(
        INVARIANTS_MEASURE,
        INVARIANTS_TITLE,
        status,
        check_ids,
        tuple(f.id for f in found),
        reason,
    )


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
    refine = refinement(opts.invariants)
    analysis = analyse(snapshot, timer, opts.now().date(), refine)
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
    results: list[InvariantResult] = []
    if opts.invariants:
        broken, results = evaluate(analysis, Reach(analysis.matrix), opts.invariants)
        findings = sorted([*findings, *broken], key=lambda f: (-f.severity.rank, f.check_id, f.id))
        timer("invariants")
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
        checklist=checklist(findings, snapshot, registry, invariants=bool(opts.invariants)),
        stats=stats,
        reach=reach,
        invariants=tuple(results),
    )


def incomplete(report: Report) -> bool:
    """Some kind could not be read (forbidden, failed): the report cannot be trusted whole."""
    return not report.coverage.complete

"""``check(snapshot, options) -> Report``: the one pipeline, shared by the CLI, the CronJob,
the benchmark and library callers; ``explain`` answers one question about one path.

Stages: model (indexes), classes, reachability, findings, suppressions and baseline; loading
(``posture.sources``) comes before, rendering (``posture.report``) after.
A ``timer`` callback receives each stage's name when it ends, so callers can measure without
the pipeline knowing about clocks or memory.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any

from posture._version import __version__
from posture.engine.explain import ExplainedPath, Explanation, resolve_endpoint
from posture.engine.explain import explain as explain_path
from posture.engine.index import Index
from posture.findings.invariants.evaluate import MEASURE as INVARIANTS_MEASURE
from posture.findings.invariants.evaluate import MEASURE_TITLE as INVARIANTS_TITLE
from posture.findings.invariants.evaluate import RULES as INVARIANT_RULES
from posture.findings.invariants.evaluate import evaluate, refinement
from posture.findings.invariants.model import Invariant, InvariantResult
from posture.findings.model import Finding
from posture.findings.registry import Analysis, Registry, run_rules
from posture.findings.rules import default_registry
from posture.findings.rules.default_deny import EXCLUDED_BY_DESIGN
from posture.history import diff_against
from posture.model.inputs import InputGaps, input_gaps
from posture.model.snapshot import Snapshot
from posture.reachability.chains import default_open
from posture.reachability.classes import NO_REFINEMENT, Refinement, build_classes
from posture.reachability.matrix import build_matrix
from posture.reachability.query import Reach
from posture.reachability.usage import rule_usage
from posture.remediation import FIX_CHECKS
from posture.report.model import MEASURES, Measure, MeasureStatus, Report
from posture.report.outside import merge_outside
from posture.report.reach_summary import reach_summary
from posture.sources.base import gc_paused
from posture.suppressions import Rule, apply_suppressions

__all__ = [
    "CheckOptions",
    "ExplainedPath",
    "Explanation",
    "analyse",
    "check",
    "explain",
    "report_from",
    "resolve_endpoint",
]

Timer = Callable[[str], None]

# Kinds whose absence from coverage makes a measure's verdict unknowable.
_MEASURE_KINDS = {
    "cluster-default-deny": ("GlobalNetworkPolicy", "NetworkPolicy", "Pod", "Tier"),
    "node-services-closed": ("HostEndpoint", "FelixConfiguration", "Node", "GlobalNetworkPolicy"),
    "lateral-movement-contained": ("GlobalNetworkPolicy", "NetworkPolicy", "Pod"),
    "encryption-everywhere": ("FelixConfiguration", "Node"),
}
# Checks whose findings explain a measure rather than fail it (deliberate, documented choices).
EXPLAINS_MEASURE = frozenset({EXCLUDED_BY_DESIGN.id})
# Measures whose subjects include nodes: with no Node read they have nothing to judge.
_NEEDS_NODES = ("node-services-closed", "encryption-everywhere")


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class CheckOptions:
    """Everything besides the Snapshot that changes a report.

    ``now`` is the clock (UTC): it dates the report and decides which suppressions have
    expired and which versions are past their end of life. ``suppressions`` are accepted risks
    from files (annotations travel in the Snapshot); ``baseline`` is a previous report
    (``check -o json``, parsed) to compare with; ``invariants`` the organisation's own rules
    (``--invariants``), checked on the same model as the findings; ``registry`` the rules
    (default: all built-in).
    """

    now: Callable[[], datetime] = _utc_now
    suppressions: tuple[Rule, ...] = ()
    baseline: Mapping[str, Any] | None = None
    invariants: tuple[Invariant, ...] = ()
    registry: Registry | None = None

    def rules(self) -> Registry:
        return self.registry if self.registry is not None else default_registry()


def _noop(_: str) -> None:
    return None


def analyse(
    snapshot: Snapshot,
    timer: Timer = _noop,
    today: date | None = None,
    refine: Refinement = NO_REFINEMENT,
) -> Analysis:
    """The model, the classes, the reachability matrix and the shared chain analyses: one
    value every rule reads. ``today`` defaults to the UTC date, as ``check``'s clock."""
    index = Index(snapshot)
    timer("model")
    classes = build_classes(index, refine)
    timer("classes")
    matrix = build_matrix(index, classes)
    timer("reachability")
    # The shared chain analyses: their time is reported with the findings stage that reads them.
    return Analysis(
        snapshot=snapshot,
        index=index,
        matrix=matrix,
        today=today or _utc_now().date(),
        default_open=default_open(index, matrix.classes),
        rule_usage=rule_usage(index, matrix.classes),
    )


def _not_evaluated(measure_id: str, gaps: InputGaps) -> str:
    """Why a measure has no subjects to judge ('' when it has): pods for every measure, nodes
    too for the node and encryption measures."""
    lacking = []
    if gaps.no_pods:
        lacking.append("pods with a node and an IP")
    if gaps.no_nodes and measure_id in _NEEDS_NODES:
        lacking.append("nodes")
    return f"not evaluated: no {' and no '.join(lacking)} in the input" if lacking else ""


def input_gaps_of(snapshot: Snapshot) -> InputGaps:
    return input_gaps(snapshot.pods, len(snapshot.nodes), snapshot.controllers)


def checklist(
    report_findings: list[Finding],
    snapshot: Snapshot,
    registry: Registry,
    *,
    invariants: bool = False,
) -> tuple[Measure, ...]:
    out = []
    unknown_kinds = {k.kind for k in snapshot.coverage.unknown}
    gaps = input_gaps_of(snapshot)
    for measure_id, title in MEASURES:
        check_ids = tuple(r.info.id for r in registry if r.info.measure == measure_id)
        in_measure = [f for f in report_findings if f.check_id in check_ids]
        # A deliberate, documented choice (the system namespaces a default-deny leaves out)
        # explains the measure instead of failing it.
        notes = [
            f"{f.title}: {', '.join(s.name for s in f.subjects)}"
            for f in in_measure
            if f.check_id in EXPLAINS_MEASURE
        ]
        found = [f for f in in_measure if f.check_id not in EXPLAINS_MEASURE]
        missing = sorted(unknown_kinds & set(_MEASURE_KINDS.get(measure_id, ())))
        not_evaluated = _not_evaluated(measure_id, gaps)
        if found:
            status, reason = MeasureStatus.FAILED, f"{len(found)} finding(s)"
        elif not_evaluated:
            status, reason = MeasureStatus.UNKNOWN, not_evaluated
        elif missing:
            status, reason = MeasureStatus.UNKNOWN, f"could not read: {', '.join(missing)}"
        elif not check_ids:
            status, reason = MeasureStatus.UNKNOWN, "no check evaluates this measure yet"
        else:
            status, reason = MeasureStatus.PASSED, ""
        if notes and status is not MeasureStatus.UNKNOWN:
            reason = "; ".join(filter(None, [reason, *sorted(set(notes))]))
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


def explain(snapshot: Snapshot, src: str, dst: str, port: str | None = None) -> Explanation:
    """Why ``src`` can or cannot reach ``dst`` on ``port``: every deciding step
    (:func:`posture.engine.explain.explain`), with the garbage collector paused as for
    ``check`` (building the index over a large snapshot otherwise triggers full passes)."""
    with gc_paused():
        return explain_path(snapshot, src, dst, port)


def check(
    snapshot: Snapshot, options: CheckOptions | None = None, *, timer: Timer = _noop
) -> Report:
    """The report on ``snapshot``: analysis, findings, measures, then the accepted risks
    (suppression files and the Snapshot's annotations) and the comparison with a baseline.

    This is the one path: the CLI, the CronJob and library callers all get their report here,
    so the same Snapshot and options give the same report everywhere. The cyclic garbage
    collector is paused meanwhile, as for reading (:func:`~posture.sources.base.gc_paused`): the
    model's many objects hold no cycles, and its passes over them cost a quarter of the time."""
    opts = options or CheckOptions()
    now = opts.now()
    with gc_paused():
        analysis = analyse(snapshot, timer, now.date(), refinement(opts.invariants))
        report = report_from(analysis, options=replace(opts, now=lambda: now), timer=timer)
    report = apply_suppressions(
        report, opts.suppressions, today=now.date(), annotations=snapshot.posture_annotations
    )
    if opts.baseline is not None:
        report = replace(report, changes=diff_against(dict(opts.baseline), report))
    return report


def report_from(
    analysis: Analysis, *, options: CheckOptions | None = None, timer: Timer = _noop
) -> Report:
    """Run the rules on an analysis already made (``posture fix`` reuses it); no suppressions,
    no baseline: what the rules found, as they found it."""
    opts = options or CheckOptions()
    registry = opts.rules()
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
        "reachabilityBlocks": len(matrix.blocks),
    }
    reach = merge_outside(reach_summary(matrix, analysis.index.universe))
    timer("summary")
    generated = snapshot.generated_at or opts.now().strftime("%Y-%m-%dT%H:%M:%SZ")
    gaps = input_gaps_of(snapshot)
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
        input_gaps=gaps.lines(),
        dropped_pods=gaps.dropped,
        fix_checks=FIX_CHECKS,
    )


def incomplete(report: Report) -> bool:
    """Some kind could not be read (forbidden, failed), or the input lacked what the measures
    judge (no pod, no node): the report cannot be trusted whole."""
    return not report.coverage.complete or bool(report.input_gaps)

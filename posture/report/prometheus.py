"""Prometheus text exposition (format 0.0.4), for a node-exporter textfile or a Pushgateway push.

Labels stay low-cardinality on purpose: check, severity, measure, namespace, relation — never a
pod, an IP or a run id, which would make every CronJob run a new time series. The
last-success timestamp comes from the report's own ``generatedAt`` so the renderer stays pure.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime

from posture.report.model import MeasureStatus, Report


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(labels: dict[str, str]) -> str:
    if not labels:
        return ""
    return "{" + ",".join(f'{k}="{_escape(v)}"' for k, v in labels.items()) + "}"


def _metric(
    name: str, help_text: str, samples: Iterable[tuple[dict[str, str], float]]
) -> list[str]:
    lines = [f"# HELP {name} {help_text}", f"# TYPE {name} gauge"]
    for labels, value in samples:
        text = str(int(value)) if float(value).is_integer() else repr(float(value))
        lines.append(f"{name}{_labels(labels)} {text}")
    return lines


def _epoch(generated_at: str) -> float:
    try:
        return datetime.fromisoformat(generated_at).timestamp()
    except ValueError:
        return 0.0


def render_prometheus(report: Report) -> str:
    by_check = Counter((f.check_id, f.severity.value) for f in report.findings)
    # Every check the checklist knows gets a per-check series (0 when clean), so an alert on
    # it sees the check recover instead of the series vanishing.
    per_check = Counter(f.check_id for f in report.findings)
    for check_id in {c for m in report.checklist for c in m.check_ids}:
        per_check[check_id] += 0
    suppressed = Counter((f.check_id, f.severity.value) for f in report.suppressed)
    to_nodes: Counter[str] = Counter()
    unencrypted: Counter[str] = Counter()
    for r in report.reach:
        if r.src_kind == "pod" and r.dst_kind == "host" and r.allowed == "all traffic":
            for ns, n in zip(r.src, r.src_pairs, strict=True):
                to_nodes[ns] += n
        if r.unencrypted_pairs:
            unencrypted[r.relation] += r.unencrypted_pairs
    lines: list[str] = []
    lines += _metric(
        "posture_findings",
        "Findings by check and severity (suppressed ones excluded).",
        (({"check": c, "severity": s}, n) for (c, s), n in sorted(by_check.items())),
    )
    lines += _metric(
        "posture_check_findings",
        "Findings by check, 0 for checks that found nothing.",
        (({"check": c}, n) for c, n in sorted(per_check.items())),
    )
    lines += _metric(
        "posture_findings_by_severity",
        "Findings by severity.",
        (({"severity": s}, n) for s, n in report.summary().items()),
    )
    lines += _metric(
        "posture_findings_suppressed",
        "Suppressed findings by check and severity.",
        (({"check": c, "severity": s}, n) for (c, s), n in sorted(suppressed.items())),
    )
    lines += _metric(
        "posture_measure_status",
        "Checklist measures: 1 for the measure's current status.",
        (
            ({"measure": m.id, "status": st.value}, 1 if m.status is st else 0)
            for m in report.checklist
            for st in MeasureStatus
        ),
    )
    lines += _metric(
        "posture_paths_unrestricted_to_nodes",
        "Pod-to-node endpoint pairs allowed on every protocol and port, by source namespace.",
        (({"namespace": ns}, n) for ns, n in sorted(to_nodes.items())),
    )
    lines += _metric(
        "posture_paths_unencrypted",
        "Allowed endpoint pairs whose traffic leaves the node unencrypted, by relation.",
        (({"relation": rel}, n) for rel, n in sorted(unencrypted.items())),
    )
    if report.invariants:
        lines += _metric(
            "posture_invariant_violations",
            "Endpoint pairs breaking each organisation invariant (0 = it holds).",
            (({"rule": r.name}, r.violations) for r in report.invariants),
        )
    lines += _metric(
        "posture_check_coverage_ratio",
        "Share of resource kinds read completely (1 = everything could be read).",
        [({}, round(report.coverage.ratio(), 4))],
    )
    lines += _metric(
        "posture_last_success_timestamp_seconds",
        "When the report was generated (Unix time).",
        [({}, _epoch(report.generated_at))],
    )
    lines += _metric(
        "posture_info",
        "The posture version that wrote these metrics.",
        [({"version": report.tool_version}, 1)],
    )
    return "\n".join(lines) + "\n"

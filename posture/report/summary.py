"""A few lines for a job log: what was read, how long it took, the measures and the findings.

A CronJob's log is where an operator looks first; the full report goes to a file. These lines
say enough to know whether to open it: counts per kind read (with pages), coverage, the
measures passed and failed, findings by severity, and the time and peak memory of the run.
"""

from __future__ import annotations

from collections import Counter

from posture.model.coverage import ReadStatus
from posture.report.model import MeasureStatus, Report


def _plural(n: int, noun: str, plural: str = "") -> str:
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"


def render_summary(report: Report, *, seconds: float | None = None, peak_mb: float = 0) -> str:
    """The summary block; ``seconds`` and ``peak_mb`` describe the run when the caller knows."""
    lines = [f"posture {report.tool_version} summary: {report.cluster or report.source}"]
    kinds = [k for k in report.coverage.kinds if k.status is ReadStatus.READ and k.count]
    names = Counter(k.kind for k in kinds)
    # NetworkPolicy is both Kubernetes' and Calico's: the group tells them apart.
    read = [
        (k.kind if names[k.kind] == 1 else f"{k.kind} ({k.api_group or 'core'})")
        + f" {k.count:,}"
        + (f" ({_plural(k.pages, 'page')})" if k.pages > 1 else "")
        for k in kinds
    ]
    lines.append("  read: " + (", ".join(read) or "nothing"))
    unknown = [f"{k.kind} ({k.status.value})" for k in report.coverage.unknown]
    lines.append(
        "  coverage: " + ("complete" if not unknown else "INCOMPLETE: " + ", ".join(unknown))
    )
    s = report.stats
    lines.append(
        f"  analysed: {_plural(s.get('pods', 0), 'pod')}, {_plural(s.get('nodes', 0), 'node')}, "
        f"{_plural(s.get('policies', 0), 'policy', 'policies')} → "
        f"{_plural(s.get('endpointClasses', 0), 'endpoint class', 'endpoint classes')}"
    )
    marks = dict.fromkeys(MeasureStatus, 0)
    for m in report.checklist:
        marks[m.status] += 1
    lines.append(
        f"  measures: {marks[MeasureStatus.PASSED]} passed, {marks[MeasureStatus.FAILED]} failed, "
        f"{marks[MeasureStatus.UNKNOWN]} not evaluated"
    )
    by_severity = ", ".join(f"{n} {sev}" for sev, n in report.summary().items() if n)
    lines.append(
        f"  findings: {by_severity or 'none'}"
        + (f"; {len(report.suppressed)} suppressed" if report.suppressed else "")
    )
    if seconds is not None:
        run = f"  run: {seconds:.1f} s"
        lines.append(run + (f", peak memory {peak_mb:.0f} MB" if peak_mb else ""))
    return "\n".join(lines) + "\n"

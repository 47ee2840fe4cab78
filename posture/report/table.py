"""The terminal report: measures checklist, summary by severity, findings grouped by check.

Readable at 100 columns; colour only when asked for (the CLI decides from NO_COLOR and the
terminal), so the renderer stays a pure function.
"""

from __future__ import annotations

import textwrap

from tabulate import tabulate

from posture.findings.model import Severity
from posture.report.model import MeasureStatus, Report

WIDTH = 100
_MARK = {MeasureStatus.PASSED: "PASS", MeasureStatus.FAILED: "FAIL", MeasureStatus.UNKNOWN: "----"}
_COLOUR = {
    Severity.CRITICAL: "\033[1;31m",
    Severity.HIGH: "\033[31m",
    Severity.MEDIUM: "\033[33m",
    Severity.LOW: "\033[36m",
    Severity.INFO: "\033[2m",
}
_RESET = "\033[0m"


def _wrap(text: str, indent: str) -> str:
    return textwrap.fill(text, WIDTH, initial_indent=indent, subsequent_indent=indent)


def render_table(report: Report, *, color: bool = False, wide: bool = False) -> str:
    lines: list[str] = []
    where = report.cluster or report.source
    lines.append(f"posture {report.tool_version} — {where} — {report.generated_at}")
    s = report.stats

    def count(key: str, noun: str, plural: str = "") -> str:
        n = s.get(key, 0)
        return f"{n} {noun if n == 1 else plural or noun + 's'}"

    lines.append(
        f"{count('pods', 'pod')} ({count('workloadEndpoints', 'workload endpoint')}), "
        f"{count('nodes', 'node')}, {count('policies', 'policy', 'policies')}, "
        f"{count('hostEndpoints', 'host endpoint')} → "
        f"{count('endpointClasses', 'endpoint class', 'endpoint classes')}"
    )
    if not report.coverage.complete:
        lines.append("")
        lines.append("COVERAGE INCOMPLETE — verdicts that depend on these kinds are unknown:")
        for k in report.coverage.unknown:
            lines.append(f"  {k.kind} ({k.api_group or 'core'}): {k.status.value}: {k.reason}")
    if report.dropped_pods and not report.input_gaps:
        dropped = sum(n for _, n in report.dropped_pods)
        reasons = ", ".join(f"{n} {reason}" for reason, n in report.dropped_pods)
        lines.append(
            _wrap(f"{dropped} pod{'s' if dropped != 1 else ''} not analysed: {reasons}", "")
        )
    if report.input_gaps:
        lines.append("")
        lines.append("INPUT INCOMPLETE — measures without subjects are not evaluated:")
        for gap in report.input_gaps:
            lines.append(_wrap(gap, "  "))
    lines.append("")
    lines.append("Measures")
    for m in report.checklist:
        reason = f" — {m.reason}" if m.reason else ""
        lines.append(f"  [{_MARK[m.status]}] {m.title}{reason}")
    lines.append("")
    summary = report.summary()
    lines.append(
        "Findings: "
        + ", ".join(f"{n} {sev}" for sev, n in summary.items() if n)
        + ("" if report.findings else "none")
        + (f"; {len(report.suppressed)} suppressed" if report.suppressed else "")
        + (" (input incomplete: see above)" if report.input_gaps else "")
    )
    rows = []
    for f in report.findings:
        sev = f.severity.value.upper()
        if color:
            sev = f"{_COLOUR[f.severity]}{sev}{_RESET}"
        rows.append([sev, f.check_id, textwrap.shorten(f.title, 70 if not wide else 120)])
    if rows:
        lines.append(tabulate(rows, headers=["SEVERITY", "CHECK", "TITLE"], tablefmt="plain"))
    for f in report.findings:
        lines.append("")
        lines.append(f"{f.check_id} [{f.severity.value}] {f.title}")
        lines.append(_wrap(f.message, "  "))
        if f.because:
            lines.append("  because:")
            for b in f.because[: (None if wide else 6)]:
                lines.append(_wrap(b, "    "))
        if f.remediation:
            lines.append(_wrap("fix: " + f.remediation, "  "))
    return "\n".join(lines) + "\n"

"""The terminal report, read top-down: what was read, the measures, one row per finding with
its subject, a "start here" block (what `posture fix` closes, what remains to do by hand),
then details.

At default verbosity the details are one line per critical or high finding (``-o wide`` shows
every finding with its evidence and fix); ``--check`` and ``--min-severity`` choose which
findings are shown (``--fail-on`` alone decides the exit code). Rows are plain and unshortened
when stdout is not a terminal, so that grep and diff see whole lines; colour only when the CLI
asks for it, so the renderer stays a pure function.
"""

from __future__ import annotations

import fnmatch
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

from tabulate import tabulate

from posture.findings.model import Finding, Severity, Subject
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
# Checks whose findings are many small, independent hygiene items: one table row per check.
_SUMMARISED_PREFIX = "PST-HYG-"
_PLAIN_KINDS = {"Pod", "Node", "Namespace"}  # said in lower case; others keep their Kind


@dataclass(frozen=True, slots=True)
class TableOptions:
    color: bool = False
    wide: bool = False
    terminal: bool = False  # stdout is a terminal: shorten rows to fit
    min_severity: Severity = Severity.INFO
    checks: tuple[str, ...] = ()  # check ids or globs to show; () = all


def _wrap(text: str, indent: str) -> str:
    return textwrap.fill(text, WIDTH, initial_indent=indent, subsequent_indent=indent)


def _plural(n: int, noun: str, plural: str = "") -> str:
    return f"{n} {noun if n == 1 else plural or noun + 's'}"


def describe_subjects(subjects: Sequence[Subject], *, most: int = 0) -> str:
    """``"pods a/x, b/y; node worker-1"``: each kind once, with its names (only a count when
    there are more than ``most`` of a kind, if ``most`` is given)."""
    by_kind: dict[str, list[str]] = {}
    for s in subjects:
        by_kind.setdefault(s.kind, []).append(f"{s.namespace}/{s.name}" if s.namespace else s.name)
    parts = []
    for kind, names in by_kind.items():
        noun = kind.lower() if kind in _PLAIN_KINDS else kind
        if len(names) > 1:
            noun += "ies" if noun.endswith("y") else "s"
            noun = noun.replace("yies", "ies")
        if most and len(names) > most:
            parts.append(f"{len(names)} {noun}")
        else:
            parts.append(f"{noun} {', '.join(names)}")
    return "; ".join(parts) or "-"


def shown(report: Report, options: TableOptions) -> list[Finding]:
    """The findings the filters select, in report order."""
    return [
        f
        for f in report.findings
        if f.severity.at_least(options.min_severity)
        and (not options.checks or any(fnmatch.fnmatchcase(f.check_id, c) for c in options.checks))
    ]


def _rows(findings: list[Finding], options: TableOptions) -> list[list[str]]:
    def cut(text: str, width: int) -> str:
        return textwrap.shorten(text, width, placeholder=" …") if options.terminal else text

    rows = []
    summarised: set[str] = set()
    for f in findings:
        same = [g for g in findings if g.check_id == f.check_id]
        summarise = (
            f.check_id.startswith(_SUMMARISED_PREFIX) and len(same) > 1 and not options.checks
        )
        if summarise and f.check_id in summarised:
            continue
        sev = f.severity.value.upper()
        if options.color:
            sev = f"{_COLOUR[f.severity]}{sev}{_RESET}"
        if summarise:
            summarised.add(f.check_id)
            subject = _plural(len({s for g in same for s in g.subjects}), "object")
            title = f"{f.headline} ({len(same)} findings: --check {f.check_id} lists them)"
        else:
            subject, title = describe_subjects(f.subjects, most=2), f.title
        # The subject is a summary (details list every one); the title is cut on a terminal only.
        subject = textwrap.shorten(subject, 46, placeholder=" …")
        rows.append([sev, f.check_id, subject, cut(title, 120 if options.wide else 60)])
    return rows


def _start_here(report: Report, findings: list[Finding]) -> list[str]:
    closed = [f for f in findings if f.check_id in report.fix_checks]
    left = [f for f in findings if f.check_id not in report.fix_checks]
    lines = ["", "Start here"]
    step = 1
    if closed:
        ids = ", ".join(sorted({f.check_id for f in closed}))
        lines.append(
            _wrap(
                f"{step}. `posture fix > fix.yaml` closes {_plural(len(closed), 'finding')} "
                f"({ids}): review the file, apply it as its header says, check again.",
                "  ",
            )
        )
        step += 1
    if left:
        lines.append(f"  {step}. {_plural(len(left), 'finding')} remain, to fix by hand:")
        by_fix: dict[str, list[Finding]] = {}
        for f in left:
            by_fix.setdefault(f.remediation or "(see details)", []).append(f)
        for fix, fs in by_fix.items():
            ids = ", ".join(dict.fromkeys(f.check_id for f in fs))
            lines.append("     " + textwrap.shorten(f"{ids}: {fix}", WIDTH - 5, placeholder=" …"))
        step += 1
    lines.append(
        f"  {step}. `posture explain SRC DST` shows the evidence of one path; "
        "`-o wide` every finding in full."
    )
    return lines


def _details(findings: list[Finding], full: bool) -> list[str]:
    lines: list[str] = []
    if not full:
        top = [f for f in findings if f.severity.at_least(Severity.HIGH)]
        if top:
            lines += ["", "Critical and high findings (-o wide or --check ID for the evidence)"]
        for f in top:
            lines.append(f"{f.id} [{f.severity.value}] {f.headline}")
            first = f.message.split("\n", 1)[0]
            lines.append("  " + textwrap.shorten(first, WIDTH - 2, placeholder=" …"))
        return lines
    for f in findings:
        lines.append("")
        lines.append(f"{f.id} [{f.severity.value}] {f.title}")
        lines.append(_wrap("subject: " + describe_subjects(f.subjects), "  "))
        for part in f.message.split("\n"):
            lines.append(_wrap(part, "  "))
        if f.because:
            lines.append("  because:")
            for b in f.because:
                lines.append(_wrap(b, "    "))
        if f.remediation:
            lines.append(_wrap("fix: " + f.remediation, "  "))
    return lines


def render_table(report: Report, options: TableOptions | None = None) -> str:
    opts = options or TableOptions()
    lines: list[str] = []
    where = report.cluster or report.source
    lines.append(f"posture {report.tool_version} — {where} — {report.generated_at}")
    s = report.stats

    def count(key: str, noun: str, plural: str = "") -> str:
        return _plural(s.get(key, 0), noun, plural)

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
        lines.append(_wrap(f"{_plural(dropped, 'pod')} not analysed: {reasons}", ""))
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
    findings = shown(report, opts)
    hidden = len(report.findings) - len(findings)
    lines.append(
        "Findings: "
        + ", ".join(f"{n} {sev}" for sev, n in summary.items() if n)
        + ("" if report.findings else "none")
        + (f"; {len(report.suppressed)} suppressed" if report.suppressed else "")
        + (f"; {hidden} not shown (--check/--min-severity)" if hidden else "")
        + (" (input incomplete: see above)" if report.input_gaps else "")
    )
    rows = _rows(findings, opts)
    if rows:
        lines.append(
            tabulate(rows, headers=["SEVERITY", "CHECK", "SUBJECT", "TITLE"], tablefmt="plain")
        )
    if findings:
        lines += _start_here(report, findings)
        lines += _details(findings, full=opts.wide or bool(opts.checks))
    return "\n".join(lines) + "\n"

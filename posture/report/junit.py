"""JUnit XML, for CI systems that show test results (Jenkins, GitLab, Azure Pipelines).

One ``testsuite`` per checklist measure, one ``testcase`` per finding (a failure) or per check
without findings (a pass); a measure that could not be evaluated is a skipped test, and so is a
suppressed finding (with its reason), so CI shows what was not checked instead of a green lie.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from posture.findings.model import Finding
from posture.report.model import MeasureStatus, Report


def _case(suite: ET.Element, classname: str, name: str) -> ET.Element:
    return ET.SubElement(suite, "testcase", {"classname": classname, "name": name, "time": "0"})


def _finding_name(f: Finding) -> str:
    subjects = ", ".join(str(s) for s in f.subjects[:3])
    more = f" (+{len(f.subjects) - 3})" if len(f.subjects) > 3 else ""
    return f"{f.check_id} {subjects}{more}".strip() + f" [{f.id}]"


def _failure_text(f: Finding) -> str:
    lines = [f.message, *(f"because: {b}" for b in f.because)]
    if f.remediation:
        lines.append(f"fix: {f.remediation}")
    return "\n".join(lines)


def render_junit(report: Report) -> str:
    root = ET.Element("testsuites", {"name": "posture"})
    measured: set[str] = set()
    groups: list[tuple[str, str, tuple[str, ...], str]] = [
        (m.id, m.title, m.check_ids, m.reason if m.status is MeasureStatus.UNKNOWN else "")
        for m in report.checklist
    ]
    for m in report.checklist:
        measured.update(m.check_ids)
    other = sorted({f.check_id for f in (*report.findings, *report.suppressed)} - measured)
    if other:
        groups.append(("other", "Other checks", tuple(other), ""))
    totals = {"tests": 0, "failures": 0, "skipped": 0}
    for suite_id, title, check_ids, unknown_reason in groups:
        suite = ET.SubElement(root, "testsuite", {"name": suite_id, "timestamp": ""})
        ET.SubElement(
            ET.SubElement(suite, "properties"), "property", {"name": "title", "value": title}
        )
        counts = {"tests": 0, "failures": 0, "skipped": 0}
        if unknown_reason and not check_ids:
            case = _case(suite, suite_id, suite_id)
            ET.SubElement(case, "skipped", {"message": unknown_reason})
            counts["tests"] += 1
            counts["skipped"] += 1
        for check_id in check_ids:
            failing = [f for f in report.findings if f.check_id == check_id]
            suppressed = [f for f in report.suppressed if f.check_id == check_id]
            for f in failing:
                case = _case(suite, check_id, _finding_name(f))
                failure = ET.SubElement(
                    case, "failure", {"type": f.severity.value, "message": f.title}
                )
                failure.text = _failure_text(f)
                counts["failures"] += 1
            for f in suppressed:
                case = _case(suite, check_id, _finding_name(f))
                note = report.suppression_notes.get(f.id, "")
                ET.SubElement(case, "skipped", {"message": f"suppressed: {note}"})
                counts["skipped"] += 1
            if not failing and not suppressed:
                case = _case(suite, check_id, check_id)
                if unknown_reason:
                    ET.SubElement(case, "skipped", {"message": unknown_reason})
                    counts["skipped"] += 1
            counts["tests"] += max(1, len(failing) + len(suppressed))
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
        suite.set("errors", "0")
        suite.set("timestamp", report.generated_at)
    for key, value in totals.items():
        root.set(key, str(value))
    root.set("errors", "0")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"

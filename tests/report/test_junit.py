"""JUnit XML parsed with xml.etree: counts add up and every finding is a failure."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from posture.report.formats import Format, render
from posture.report.model import Report


def test_junit_parses_and_counts_failures(report: Report) -> None:
    root = ET.fromstring(render(report, Format.JUNIT))
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites][: len(report.checklist)] == [
        m.id for m in report.checklist
    ]
    failures = root.findall(".//testcase/failure")
    assert len(failures) == len(report.findings) == int(root.get("failures", "-1"))
    for suite in suites:
        cases = suite.findall("testcase")
        assert int(suite.get("tests", "-1")) == len(cases)
        assert int(suite.get("failures", "-1")) == len(suite.findall("testcase/failure"))
        assert int(suite.get("skipped", "-1")) == len(suite.findall("testcase/skipped"))
    assert {f.get("type") for f in failures} <= {"critical", "high", "medium", "low", "info"}

"""``RuleInfo.finding``: a check's findings carry its id, title, severity and remediation
unless one finding needs its own."""

from __future__ import annotations

from posture.findings.model import RuleInfo, Severity, Subject

INFO = RuleInfo("PST-X-001", Severity.HIGH, "Something open", "measure", "Close it.")


def test_a_finding_takes_the_checks_defaults() -> None:
    f = INFO.finding("a message", subjects=(Subject("Namespace", "a"),), count=3)
    assert (f.check_id, f.title, f.severity, f.remediation) == (
        "PST-X-001",
        "Something open",
        Severity.HIGH,
        "Close it.",
    )
    assert (f.message, f.count) == ("a message", 3)
    assert f.id.startswith("PST-X-001-")


def test_a_finding_may_say_otherwise() -> None:
    f = INFO.finding("m", title="Something open (egress)", severity=Severity.LOW, remediation="")
    assert (f.title, f.severity, f.remediation) == ("Something open (egress)", Severity.LOW, "")

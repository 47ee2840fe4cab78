"""One finding per check and root cause.

Rules find gaps per endpoint class, per node group, per outside range: boundaries the operator
never sees. Findings of one check that share the severity, the headline (the title before its
first ``:``, which names the situation, e.g. "(own node)"), the remedy and the root cause the rule
recorded in ``key_extra`` (the deciding policy or rule, the services reached) are one finding:
its subjects, evidence and count are the union of the parts, and every part's message is kept, one
per line, so nothing is lost.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from posture.findings.model import Finding


def _key(f: Finding) -> tuple[str, str, str, str, str]:
    return (f.check_id, f.severity.value, f.headline, f.remediation, f.key_extra)


def merge_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Merge the parts of each root cause, in first-seen order."""
    groups: dict[tuple[str, str, str, str, str], list[Finding]] = {}
    for f in findings:
        groups.setdefault(_key(f), []).append(f)
    return [parts[0] if len(parts) == 1 else _merged(parts) for parts in groups.values()]


def _title(headline: str, parts: list[Finding]) -> str:
    """The headline with the parts' details when they are few and short ("DNS (53/TCP),
    DNS (53/UDP)"), else the headline alone (the message lists every part)."""
    details = list(dict.fromkeys(p.title[len(headline) + 2 :] for p in parts))
    joined = ", ".join(details)
    return f"{headline}: {joined}" if all(details) and len(joined) <= 50 else headline


def _merged(parts: list[Finding]) -> Finding:
    first = parts[0]
    titles = {p.title for p in parts}
    paths = {p.path for p in parts}
    encrypted = {p.encrypted for p in parts}
    return replace(
        first,
        title=first.title if len(titles) == 1 else _title(first.headline, parts),
        message="\n".join(dict.fromkeys(p.message for p in parts)),
        subjects=tuple(sorted({s for p in parts for s in p.subjects}, key=str)),
        path=first.path if len(paths) == 1 else None,
        encrypted=first.encrypted
        if len(encrypted) == 1
        else "false"
        if "false" in encrypted
        else "unknown",
        because=tuple(dict.fromkeys(b for p in parts for b in p.because)),
        count=sum(p.count for p in parts),
    )

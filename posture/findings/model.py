"""What a check reports: severity, subjects, the path, the evidence, the finding's stable id.

Plain frozen values; rules build them (``RuleInfo.finding``), renderers read them.
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from posture.engine.verdict import Stage, Step


class Severity(enum.Enum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        return _RANK[self]

    def at_least(self, other: Severity) -> bool:
        return self.rank >= other.rank


_RANK = {
    Severity.INFO: 0,
    Severity.LOW: 1,
    Severity.MEDIUM: 2,
    Severity.HIGH: 3,
    Severity.CRITICAL: 4,
}


@dataclass(frozen=True, slots=True, order=True)
class Subject:
    """An ObjectReference-like pointer at what a finding is about."""

    kind: str
    name: str
    namespace: str = ""
    api_version: str = ""

    def __str__(self) -> str:
        return (
            f"{self.kind} {self.namespace}/{self.name}"
            if self.namespace
            else (f"{self.kind} {self.name}")
        )


@dataclass(frozen=True, slots=True)
class PathInfo:
    src: str
    dst: str
    protocols: str  # e.g. "TCP 10250; UDP *"
    relation: str = ""  # same-node / other-node / -


@dataclass(frozen=True, slots=True)
class Finding:
    check_id: str
    severity: Severity
    title: str
    message: str
    subjects: tuple[Subject, ...] = ()
    path: PathInfo | None = None
    encrypted: str = "unknown"  # true | false | unknown | n/a
    because: tuple[str, ...] = ()
    remediation: str = ""
    count: int = 0  # affected endpoints (or pairs), for grouping
    # The root cause within the check (the deciding policy or rule, the services reached):
    # findings of one check and headline differ by it, and are merged when it is equal.
    key_extra: str = ""

    @property
    def headline(self) -> str:
        """The title without its per-part detail (what follows the first ``": "``)."""
        return self.title.split(": ", 1)[0]

    @property
    def id(self) -> str:
        """Stable across runs and across unrelated changes: a hash of the check, the headline,
        the subjects (objects by kind, namespace and name) and the root cause. Never of the
        path's labels (pod-group labels, outside-range boundaries, class numbering), which move
        when an unrelated pod, namespace or network set is added."""
        h = hashlib.sha256()
        h.update(self.check_id.encode())
        h.update(f"|{self.headline}".encode())
        for s in sorted(self.subjects):
            h.update(f"|{s.kind}/{s.namespace}/{s.name}".encode())
        h.update(f"|{self.key_extra}".encode())
        return f"{self.check_id}-{h.hexdigest()[:12]}"


def steps_text(steps: Iterable[Step]) -> tuple[str, ...]:
    return tuple(s.describe() for s in steps)


def assumption_note(steps: Iterable[Step]) -> str:
    """A sentence naming what the verdict takes for granted (its ``assumption`` steps, e.g. a
    host endpoint that names an interface but no expectedIPs, §5.1), or "" when nothing: an
    operator must not read a verdict that rests on a guess as a fact."""
    notes = list(
        dict.fromkeys(f"{s.subject}: {s.note}" for s in steps if s.stage is Stage.ASSUMPTION)
    )
    if not notes:
        return ""
    return (
        f" This verdict rests on an assumption ({'; '.join(notes)}); give the host endpoint "
        "expectedIPs to make it exact."
    )


@dataclass(frozen=True, slots=True)
class RuleInfo:
    id: str
    severity: Severity  # default severity; a finding may carry another
    title: str
    measure: str  # the checklist measure it belongs to
    remediation: str = ""

    def finding(
        self,
        message: str,
        *,
        title: str | None = None,
        severity: Severity | None = None,
        subjects: tuple[Subject, ...] = (),
        path: PathInfo | None = None,
        encrypted: str = "unknown",
        because: tuple[str, ...] = (),
        remediation: str | None = None,
        count: int = 0,
        key_extra: str = "",
        steps: Iterable[Step] | None = None,
    ) -> Finding:
        """A finding of this check: its id, and its title, severity and remediation unless this
        one finding needs its own (a direction in the title, a severity by exposure).

        ``steps`` (the deciding path) become the evidence, and any assumption among them is
        said in the message too (:func:`assumption_note`)."""
        if steps is not None:
            steps = tuple(steps)
            because = because or steps_text(steps)
            message += assumption_note(steps)
        return Finding(
            check_id=self.id,
            severity=self.severity if severity is None else severity,
            title=self.title if title is None else title,
            message=message,
            subjects=subjects,
            path=path,
            encrypted=encrypted,
            because=because,
            remediation=self.remediation if remediation is None else remediation,
            count=count,
            key_extra=key_extra,
        )

"""What was read and what could not be: the honest-completeness record of a Snapshot."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class ReadStatus(enum.Enum):
    """How reading one resource kind ended."""

    READ = "read"  # listed completely
    FORBIDDEN = "forbidden"  # RBAC denied the list
    ABSENT = "absent"  # the API (CRD / group) is not served: the kind cannot exist here
    FAILED = "failed"  # timeout, server error, broken response
    NOT_REQUESTED = "not-requested"  # the source cannot provide it (e.g. manifests without it)


@dataclass(frozen=True, slots=True)
class KindCoverage:
    """The outcome of reading one kind. ``reason`` is a one-line explanation when not READ."""

    kind: str
    api_group: str
    status: ReadStatus
    count: int = 0
    pages: int = 0
    reason: str = ""

    @property
    def complete(self) -> bool:
        # ABSENT is complete knowledge: the API is not served, so no such object exists.
        return self.status in (ReadStatus.READ, ReadStatus.ABSENT, ReadStatus.NOT_REQUESTED)


@dataclass(frozen=True, slots=True)
class Coverage:
    """Coverage of every kind posture asked for."""

    kinds: tuple[KindCoverage, ...] = field(default_factory=tuple)

    @property
    def unknown(self) -> tuple[KindCoverage, ...]:
        """Kinds whose contents are unknown (forbidden, failed): verdicts depending on them are
        not trustworthy."""
        return tuple(k for k in self.kinds if not k.complete)

    @property
    def complete(self) -> bool:
        return not self.unknown

    def ratio(self) -> float:
        if not self.kinds:
            return 1.0
        return sum(1 for k in self.kinds if k.complete) / len(self.kinds)

"""The Source interface and the raw inventory every source produces.

Each source (manifest files, snapshot file, live cluster) gathers raw API objects — plain
dicts exactly as the Kubernetes API serves them, each carrying ``apiVersion`` and ``kind`` —
plus a coverage record, into a :class:`RawInventory`. One converter
(:func:`posture.sources.convert.build_snapshot`) turns that into the frozen
:class:`~posture.model.snapshot.Snapshot`, so every source yields the same model for the
same objects.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from posture.model.coverage import Coverage
from posture.model.meta import SourceLocation

if TYPE_CHECKING:
    from posture.model.snapshot import Snapshot

RawObject = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Provenance:
    """Where a snapshot came from: a description (path or cluster), context and time."""

    source: str
    cluster: str = ""
    context: str = ""
    generated_at: str = ""  # RFC 3339; empty for offline manifests
    server_version: str = ""
    # Felix settings read from the calico-node DaemonSet environment (FELIX_* variables),
    # which override FelixConfiguration. Name (upper case, without FELIX_) -> value.
    felix_env: tuple[tuple[str, str], ...] = ()
    calico_api: str = ""  # "projectcalico.org/v3", "crd.projectcalico.org/v1" or "" (not found)


@dataclass(slots=True)
class RawInventory:
    """Raw objects plus where each came from, and which kinds were (not) read."""

    objects: list[RawObject] = field(default_factory=list)
    locations: list[SourceLocation] = field(default_factory=list)
    coverage: Coverage = field(default_factory=Coverage)
    provenance: Provenance = field(default_factory=lambda: Provenance(source=""))
    # Conversion work a source did ahead, as objects arrived: id(object) -> (that object, what
    # the converter would work out of it alone); see convert_workload.Prepared.
    prepared: dict[int, tuple[RawObject, Any]] = field(default_factory=dict)

    def add(self, obj: RawObject, location: SourceLocation) -> None:
        self.objects.append(obj)
        self.locations.append(location)


class Source(Protocol):
    """Anything that can produce one Snapshot."""

    def load(self) -> Snapshot:
        """Read everything and return the Snapshot; raise a PostureError on failure."""
        ...


@contextmanager
def gc_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused, for reading and converting a whole cluster.

    Parsing pages of JSON and keeping what posture uses of each allocates millions of dicts
    and lists that live on, so the collector keeps running and every full pass walks all that
    was kept so far: half the CPU time of reading 20,000 live pods and of converting them
    (docs/performance.md, "Live cluster"). Those objects hold no reference cycles, so reference
    counting alone frees what is dropped; the collector is switched back on (if it was on)
    afterwards, whatever happens."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()

"""Sources: the only I/O that builds a Snapshot (manifests, snapshot files, live clusters).

:func:`load_snapshot` and :func:`read_cluster` are the two ways in, for the CLI and for library
callers alike; both end in the one converter, so the same objects give the same Snapshot.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from posture.errors import InputError
from posture.model.snapshot import Snapshot
from posture.sources.base import RawInventory, gc_paused
from posture.sources.convert import ConvertOptions, build_snapshot
from posture.sources.manifests import ManifestSource
from posture.sources.snapshot_file import SnapshotFileSource, is_snapshot_file

if TYPE_CHECKING:
    from posture.sources.cluster import ClusterSource

__all__ = [
    "ClusterOptions",
    "ConvertOptions",
    "cluster_source",
    "load_snapshot",
    "offline_source",
    "read_cluster",
]


def offline_source(
    paths: Sequence[Path], options: ConvertOptions | None = None
) -> ManifestSource | SnapshotFileSource:
    """The source for ``--from PATH``: a snapshot file, or manifest files/directories."""
    if not paths:
        raise InputError("--from: give a manifest file, directory or snapshot file")
    if len(paths) == 1 and is_snapshot_file(paths[0]):
        return SnapshotFileSource(paths[0], options)
    return ManifestSource(list(paths), options)


def load_snapshot(paths: Sequence[str | Path], options: ConvertOptions | None = None) -> Snapshot:
    """Manifest files and directories, or one snapshot file → the Snapshot.

    Raises :class:`~posture.errors.InputError` naming file, object and field on bad input.
    The garbage collector is paused meanwhile, as for a live cluster (:func:`gc_paused`)."""
    with gc_paused():
        return offline_source([Path(p) for p in paths], options).load()


@dataclass(frozen=True, slots=True)
class ClusterOptions:
    """How to reach a live cluster: kubectl's names (kubeconfig, context, in-cluster account).

    ``in_cluster=None`` picks the pod's service account only when no kubeconfig is found.
    ``progress`` receives finished lines (one per kind); ``tick`` a running count per page."""

    kubeconfig: str | None = None
    context: str | None = None
    in_cluster: bool | None = None
    chunk_size: int = 500
    request_timeout: float = 30.0
    timeout: float = 300.0
    progress: Callable[[str], None] | None = None
    tick: Callable[[str], None] | None = None


def cluster_source(options: ClusterOptions) -> ClusterSource:
    """The live source; the kubernetes client is imported only when a cluster is read."""
    from posture.sources.cluster import ClusterSource

    return ClusterSource(
        kubeconfig=options.kubeconfig,
        context=options.context,
        in_cluster=options.in_cluster,
        chunk_size=options.chunk_size,
        request_timeout=options.request_timeout,
        timeout=options.timeout,
        progress=options.progress,
        tick=options.tick,
    )


def read_cluster(
    options: ClusterOptions | None = None, convert: ConvertOptions | None = None
) -> Snapshot:
    """Read a live cluster through its API server → the Snapshot.

    Raises :class:`~posture.errors.SourceError` (exit code 3) when it cannot be read."""
    with gc_paused():
        inventory: RawInventory = cluster_source(options or ClusterOptions()).read_inventory()
        return build_snapshot(inventory, convert)

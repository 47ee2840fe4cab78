"""Sources: the only I/O that builds a Snapshot (manifests, snapshot files, live clusters)."""

from __future__ import annotations

from pathlib import Path

from posture.errors import InputError
from posture.sources.convert import ConvertOptions
from posture.sources.manifests import ManifestSource
from posture.sources.snapshot_file import SnapshotFileSource, is_snapshot_file


def offline_source(
    paths: list[Path], options: ConvertOptions | None = None
) -> ManifestSource | SnapshotFileSource:
    """The source for ``--from PATH``: a snapshot file, or manifest files/directories."""
    if not paths:
        raise InputError("--from: give a manifest file, directory or snapshot file")
    if len(paths) == 1 and is_snapshot_file(paths[0]):
        return SnapshotFileSource(paths[0], options)
    return ManifestSource(paths, options)

"""Versioned JSON snapshot files: the raw objects a source read, its provenance and coverage.

Storing raw objects (not the model) keeps the file format independent of posture's internals
and makes a snapshot replay exactly what the live cluster returned. ``.gz`` names are gzipped.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from posture.errors import InputError
from posture.files import write_atomic
from posture.model.coverage import Coverage, KindCoverage, ReadStatus
from posture.model.meta import SourceLocation
from posture.model.snapshot import Snapshot
from posture.sources.base import Provenance, RawInventory
from posture.sources.convert import ConvertOptions, build_snapshot
from posture.sources.sanitise import sanitise

API_VERSION = "posture.dev/v1alpha1"
KIND = "Snapshot"
SCHEMA_VERSION = 1


def is_snapshot_file(path: Path) -> bool:
    if not path.is_file():
        return False
    if path.name.endswith(".gz"):
        return True
    if path.suffix != ".json":
        return False
    with path.open("rb") as fh:
        head = fh.read(512)
    return b'"kind": "Snapshot"' in head or b'"kind":"Snapshot"' in head


def to_document(inv: RawInventory) -> dict[str, Any]:
    """The file's content: provenance, coverage and the objects, sanitised (see
    :mod:`posture.sources.sanitise`)."""
    prov = asdict(inv.provenance)
    prov["felix_env"] = dict(inv.provenance.felix_env)
    kept = [o for o in (sanitise(obj) for obj in inv.objects) if o is not None]
    return {
        "apiVersion": API_VERSION,
        "kind": KIND,
        "schemaVersion": SCHEMA_VERSION,
        "metadata": prov,
        "coverage": [{**asdict(k), "status": k.status.value} for k in inv.coverage.kinds],
        "objects": kept,
    }


def write_snapshot(inv: RawInventory, path: Path) -> int:
    """Write atomically (honouring the umask); returns the number of objects kept."""
    # apiVersion and kind first, so the kind can be recognised from the first bytes.
    doc = to_document(inv)
    data = json.dumps(doc, separators=(",", ":")).encode()
    if path.name.endswith(".gz"):
        data = gzip.compress(data, mtime=0)
    write_atomic(path, data)
    return len(doc["objects"])


def read_snapshot(path: Path) -> RawInventory:
    try:
        raw = path.read_bytes()
        if path.name.endswith(".gz"):
            raw = gzip.decompress(raw)
        doc = json.loads(raw)
    except (OSError, EOFError, gzip.BadGzipFile) as e:
        raise InputError(f"{path}: cannot read snapshot: {e}") from None
    except json.JSONDecodeError as e:
        raise InputError(f"{path}:{e.lineno}:{e.colno}: malformed snapshot JSON: {e.msg}") from None
    if not isinstance(doc, dict) or doc.get("kind") != KIND:
        raise InputError(f"{path}: not a posture snapshot (kind must be {KIND})")
    if doc.get("apiVersion") != API_VERSION:
        raise InputError(
            f"{path}: apiVersion: unsupported {doc.get('apiVersion')!r} "
            f"(this posture reads {API_VERSION})"
        )
    meta = doc.get("metadata") or {}
    try:
        prov = Provenance(
            source=str(meta.get("source") or path),
            cluster=str(meta.get("cluster") or ""),
            context=str(meta.get("context") or ""),
            generated_at=str(meta.get("generated_at") or ""),
            server_version=str(meta.get("server_version") or ""),
            felix_env=tuple(sorted((meta.get("felix_env") or {}).items())),
            calico_api=str(meta.get("calico_api") or ""),
        )
        coverage = Coverage(
            tuple(
                KindCoverage(
                    kind=str(c["kind"]),
                    api_group=str(c.get("api_group") or ""),
                    status=ReadStatus(c["status"]),
                    count=int(c.get("count") or 0),
                    pages=int(c.get("pages") or 0),
                    reason=str(c.get("reason") or ""),
                )
                for c in doc.get("coverage") or []
            )
        )
    except (KeyError, ValueError, TypeError) as e:
        raise InputError(f"{path}: metadata/coverage: malformed ({e})") from None
    objects = doc.get("objects")
    if not isinstance(objects, list):
        raise InputError(f"{path}: objects: must be a list")
    inv = RawInventory(provenance=prov, coverage=coverage)
    for i, obj in enumerate(objects):
        inv.add(obj, SourceLocation(f"{path}#objects[{i}]"))
    return inv


class SnapshotFileSource:
    def __init__(self, path: Path, options: ConvertOptions | None = None) -> None:
        self.path = path
        self.options = options

    def read_inventory(self) -> RawInventory:
        return read_snapshot(self.path)

    def load(self) -> Snapshot:
        return build_snapshot(self.read_inventory(), self.options)

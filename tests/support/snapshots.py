"""Objects → Snapshot in memory, through the converter every source uses."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import yaml

from posture.model.snapshot import Snapshot
from posture.sources.convert import ConvertOptions, build_snapshot
from posture.sources.manifests import inventory_of

Obj = dict[str, Any]
Doc = Mapping[str, Any] | str | Iterable[Mapping[str, Any]]


def objects_of(*docs: Doc) -> list[Obj]:
    """Dicts, YAML text (possibly several documents) or iterables of dicts → a flat list."""
    out: list[Obj] = []
    for item in docs:
        if isinstance(item, str):
            out.extend(d for d in yaml.safe_load_all(item) if d)
        elif isinstance(item, Mapping):
            out.append(dict(item))
        else:
            out.extend(dict(o) for o in item)
    return out


def snapshot_of(*docs: Doc, options: ConvertOptions | None = None) -> Snapshot:
    """The Snapshot of exactly these objects, as ``posture check --from`` would build it from
    a manifest holding them (locations name ``<memory>`` and the object's position)."""
    return build_snapshot(inventory_of(objects_of(*docs), "<memory>"), options)

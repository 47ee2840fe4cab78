"""YAML/JSON manifests as a source: files or directories, multi-document files, ``kind: List``
(the output of ``kubectl get -o yaml``), top-level arrays (``calicoctl get -o json``). Every
object keeps its file and line for errors and explanations."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import yaml

from posture.errors import InputError
from posture.model.coverage import Coverage
from posture.model.meta import SourceLocation
from posture.model.snapshot import Snapshot
from posture.sources.base import Provenance, RawInventory
from posture.sources.convert import ConvertOptions, build_snapshot, manifest_coverage
from posture.sources.snapshot_file import is_snapshot_file, read_snapshot

MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")

try:  # libyaml is several times faster on large manifests
    _Loader: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[assignment]
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _Loader = yaml.SafeLoader


STDIN = Path("-")  # ``--from -``: manifests piped in (``kustomize build … | posture check``)

# Files that are inputs of a renderer, not manifests: Helm's chart metadata and Kustomize's
# kustomization (the names ``kustomize build`` looks for, in kustomize's konfig/general.go).
_HELM_CHART = "Chart.yaml"
_KUSTOMIZATION_NAMES = frozenset({"kustomization.yaml", "kustomization.yml", "Kustomization"})


def _render_hint(path: Path) -> str | None:
    """What to run first when ``path`` is a Helm chart or a Kustomization rather than
    manifests."""
    if path.name == _HELM_CHART:
        return (
            f"{path}: a Helm chart, not manifests: render it first, e.g. "
            f"`helm template RELEASE {path.parent} | posture check --from -`"
        )
    if path.name in _KUSTOMIZATION_NAMES:
        return (
            f"{path}: a Kustomization, not manifests: render it first, e.g. "
            f"`kustomize build {path.parent} | posture check --from -`"
        )
    return None


def manifest_files(path: Path) -> list[Path]:
    """The manifest files under ``path`` in a stable order (a file is itself). A Helm chart or
    a Kustomization among them is an error saying how to render it."""
    if path.is_dir():
        found = sorted(
            p
            for p in path.rglob("*")
            if p.is_file()
            and (p.suffix in MANIFEST_SUFFIXES or p.name in _KUSTOMIZATION_NAMES)
            and not p.name.startswith(".")
        )
    elif path.is_file():
        found = [path]
    else:
        raise InputError(f"{path}: no such file or directory")
    for p in found:
        hint = _render_hint(p)
        if hint:
            raise InputError(hint)
    return found


def _template_hint(path: Path, text: str) -> str:
    """A YAML error in a file holding Go template actions is a Helm template."""
    if "{{" in text and "}}" in text:
        return (
            "; it holds template actions ({{ … }}): a Helm template? Render the chart first, "
            "e.g. `helm template RELEASE CHART | posture check --from -`"
        )
    return ""


def _documents(path: Path, text: str) -> Iterator[tuple[Any, int, list[int]]]:
    """Yield (document, line, item lines) for each YAML document."""
    loader = _Loader(text)
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                continue
            line = node.start_mark.line + 1
            item_lines: list[int] = []
            if isinstance(node, yaml.SequenceNode):  # calicoctl's array of objects and lists
                item_lines = [v.start_mark.line + 1 for v in node.value]
            elif isinstance(node, yaml.MappingNode):
                for key, value in node.value:
                    if getattr(key, "value", None) == "items" and isinstance(
                        value, yaml.SequenceNode
                    ):
                        item_lines = [v.start_mark.line + 1 for v in value.value]
            yield loader.construct_document(node), line, item_lines
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        raise InputError(
            f"{where}: malformed YAML: {e.problem or e.context}{_template_hint(path, text)}"
        ) from None
    except yaml.YAMLError as e:
        raise InputError(f"{path}: malformed YAML: {e}{_template_hint(path, text)}") from None
    finally:
        loader.dispose()


def _add(inv: RawInventory, doc: Any, loc: SourceLocation, item_lines: list[int]) -> None:
    if doc is None:
        return
    if isinstance(doc, list):
        # ``calicoctl get -o json|yaml`` prints one result alone and several as a top-level
        # array of objects and lists (calicoctl/calicoctl/commands/common/printer.go).
        for i, item in enumerate(doc):
            line = item_lines[i] if i < len(item_lines) else loc.line
            _add(inv, item, SourceLocation(loc.origin, line), [])
        return
    if not isinstance(doc, dict):
        raise InputError(
            f"{loc}: expected a Kubernetes object (a mapping), got {type(doc).__name__}"
        )
    kind = doc.get("kind")
    if kind == "Kustomization" and str(doc.get("apiVersion", "")).startswith("kustomize."):
        raise InputError(
            f"{loc}: a Kustomization, not manifests: render it first, e.g. "
            "`kustomize build DIR | posture check --from -`"
        )
    if isinstance(kind, str) and kind.endswith("List") and "items" in doc:
        items = doc.get("items") or []
        if not isinstance(items, list):
            raise InputError(f"{loc}: {kind}.items must be a list")
        for i, item in enumerate(items):
            line = item_lines[i] if i < len(item_lines) else loc.line
            item_loc = SourceLocation(loc.origin, line)
            if isinstance(item, dict) and "kind" not in item and kind != "List":
                # e.g. PodList from the API: items carry no kind
                item = {
                    "kind": kind.removesuffix("List"),
                    "apiVersion": doc.get("apiVersion"),
                    **item,
                }
            _add(inv, item, item_loc, [])
        return
    inv.add(doc, loc)


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396 JSON merge patch: how a later manifest for the same object updates an earlier
    one (what ``kubectl apply`` of the later file does to a custom resource)."""
    if not isinstance(patch, dict):
        return patch
    out = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


def _identity(obj: dict[str, Any]) -> tuple[str, str, str, str]:
    meta = obj.get("metadata") or {}
    group = str(obj.get("apiVersion") or "").rsplit("/", 1)[0]
    return (group, str(obj.get("kind")), str(meta.get("namespace") or ""), str(meta.get("name")))


def _merge_duplicates(inv: RawInventory) -> RawInventory:
    """Objects that appear more than once (e.g. ``--from cluster/ --from fix.yaml``) are applied
    in order, each a merge patch on the previous; the first location is kept."""
    index: dict[tuple[str, str, str, str], int] = {}
    objects: list[dict[str, Any]] = []
    locations: list[SourceLocation] = []
    for obj, loc in zip(inv.objects, inv.locations, strict=True):
        if not isinstance(obj, dict):
            objects.append(obj)
            locations.append(loc)
            continue
        key = _identity(obj)
        if key in index:
            objects[index[key]] = merge_patch(objects[index[key]], obj)
            continue
        index[key] = len(objects)
        objects.append(obj)
        locations.append(loc)
    return RawInventory(objects, locations, inv.coverage, inv.provenance)


def read_manifests(paths: list[Path]) -> RawInventory:
    """Manifests, in order; a snapshot file among them contributes its objects as a layer
    (``--from snapshot.json --from proposed/``: today's cluster with a change applied)."""
    inv = RawInventory(provenance=Provenance(source=", ".join(str(p) for p in paths)))
    snapshots: list[RawInventory] = []
    for root in paths:
        if is_snapshot_file(root):
            snap = read_snapshot(root)
            for obj, loc in zip(snap.objects, snap.locations, strict=True):
                inv.add(obj, loc)
            snapshots.append(snap)
            continue
        if root == STDIN:
            for doc, line, item_lines in _documents(Path("<stdin>"), _stdin_text()):
                _add(inv, doc, SourceLocation("<stdin>", line), item_lines)
            continue
        for f in manifest_files(root):
            try:
                text = f.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as e:
                raise InputError(f"{f}: cannot read: {e}") from None
            if f.suffix == ".json":
                try:
                    doc = json.loads(text)
                except json.JSONDecodeError as e:
                    raise InputError(f"{f}:{e.lineno}:{e.colno}: malformed JSON: {e.msg}") from None
                _add(inv, doc, SourceLocation(str(f), 1), [])
                continue
            for doc, line, item_lines in _documents(f, text):
                _add(inv, doc, SourceLocation(str(f), line), item_lines)
    inv = _merge_duplicates(inv)
    inv.coverage = _layered_coverage(manifest_coverage(inv), snapshots)
    return inv


def _stdin_text() -> str:
    """Standard input as text (YAML or JSON: a JSON document is also YAML)."""
    if sys.stdin is None or sys.stdin.isatty():
        raise InputError(
            "--from -: nothing piped in (e.g. `kustomize build DIR | posture check --from -`)"
        )
    try:
        return sys.stdin.buffer.read().decode("utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"<stdin>: cannot read: {e}") from None


def _layered_coverage(files: Coverage, snapshots: list[RawInventory]) -> Coverage:
    """What a snapshot could not read stays unknown when manifests are laid over it: a
    proposed change does not make a forbidden kind known."""
    unknown = {(k.kind, k.api_group): k for s in snapshots for k in s.coverage.unknown}
    if not unknown:
        return files
    kinds = [unknown.pop((k.kind, k.api_group), k) for k in files.kinds]
    return Coverage(tuple(sorted([*kinds, *unknown.values()], key=lambda k: (k.kind, k.api_group))))


def inventory_of(docs: Iterable[Any], origin: str) -> RawInventory:
    """Objects already parsed (dicts, or Lists of them) → the inventory a manifest file holding
    them in this order would give; ``origin`` names them in messages."""
    inv = RawInventory(provenance=Provenance(source=origin))
    for i, doc in enumerate(docs):
        _add(inv, doc, SourceLocation(origin, i + 1), [])
    inv = _merge_duplicates(inv)
    inv.coverage = manifest_coverage(inv)
    return inv


class ManifestSource:
    """Manifest files or directories."""

    def __init__(self, paths: list[Path], options: ConvertOptions | None = None) -> None:
        self.paths = paths
        self.options = options

    def read_inventory(self) -> RawInventory:
        return read_manifests(self.paths)

    def load(self) -> Snapshot:
        return build_snapshot(self.read_inventory(), self.options)

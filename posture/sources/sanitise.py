"""What a snapshot file keeps: only what posture uses, never secrets.

Snapshot files get attached to tickets and kept in CI artefacts, so they must not carry what a
cluster's objects hold besides network facts: container environment values (passwords and
tokens are often set there), commands and arguments, volumes, the
``kubectl.kubernetes.io/last-applied-configuration`` annotation (a full copy of the object as
applied, env included), ``managedFields``, Secrets and ConfigMaps. The one exception is the
``FELIX_*`` environment of containers: Felix reads its settings from there (calico-node's
DaemonSet), and they decide verdicts.

Everything the converter reads survives: a sanitised snapshot gives the same Snapshot and the
same report as the objects it came from (tested).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from posture.model.inputs import CONTROLLER_KINDS

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
# Kinds posture never reads whose contents are secrets or configuration of anything.
DROPPED_KINDS = frozenset({"Secret", "ConfigMap"})
_POD_SPEC_KEYS = (
    "nodeName",
    "hostNetwork",
    "serviceAccountName",
    "serviceAccount",
    "containers",
    "initContainers",
)
_POD_STATUS_KEYS = ("phase", "podIP", "podIPs", "hostIP", "hostIPs")
_CONTAINER_KEYS = ("name", "image", "ports")

SUMMARY = (
    "kept only what posture uses: no Secrets or ConfigMaps, no container env except FELIX_* "
    "settings, no commands, arguments or volumes, no last-applied-configuration annotations "
    "or managedFields"
)


def _metadata(meta: Any) -> Any:
    if not isinstance(meta, Mapping):
        return meta
    out = {k: v for k, v in meta.items() if k != "managedFields"}
    annotations = meta.get("annotations")
    if isinstance(annotations, Mapping):
        out["annotations"] = {k: v for k, v in annotations.items() if k != LAST_APPLIED}
    return out


def _felix_env(env: Any) -> list[Any]:
    if not isinstance(env, list):
        return []
    return [
        e
        for e in env
        if isinstance(e, Mapping) and str(e.get("name", "")).upper().startswith("FELIX_")
    ]


def _container(c: Any) -> Any:
    if not isinstance(c, Mapping):
        return c
    out = {k: c[k] for k in _CONTAINER_KEYS if k in c}
    env = _felix_env(c.get("env"))
    if env:
        out["env"] = env
    return out


def _pod_spec(spec: Any) -> Any:
    if not isinstance(spec, Mapping):
        return spec
    out = {k: spec[k] for k in _POD_SPEC_KEYS if k in spec}
    for key in ("containers", "initContainers"):
        if isinstance(out.get(key), list):
            out[key] = [_container(c) for c in out[key]]
    return out


def _template(spec: Any) -> Any:
    """A controller's spec reduced to its pod template's metadata and sanitised pod spec."""
    if not isinstance(spec, Mapping):
        return spec
    if "jobTemplate" in spec:  # CronJob
        return {"jobTemplate": {"spec": _template((spec.get("jobTemplate") or {}).get("spec"))}}
    out: dict[str, Any] = {k: spec[k] for k in ("selector",) if k in spec}
    template = spec.get("template")
    if isinstance(template, Mapping):
        out["template"] = {
            "metadata": _metadata(template.get("metadata")),
            "spec": _pod_spec(template.get("spec")),
        }
    return out


def _kept(obj: Any, metadata: Callable[[Mapping[str, Any]], Any]) -> Any | None:
    """The object with ``metadata`` applied to its metadata and its spec and status reduced to
    what the converter reads, or None when the whole object is left out."""
    if not isinstance(obj, Mapping):
        return obj
    kind = obj.get("kind")
    if kind in DROPPED_KINDS:
        return None
    out = dict(obj)
    meta = obj.get("metadata")
    if isinstance(meta, Mapping):
        out["metadata"] = metadata(meta)
    if kind == "Pod":
        out["spec"] = _pod_spec(obj.get("spec"))
        status = obj.get("status")
        if isinstance(status, Mapping):
            out["status"] = {k: status[k] for k in _POD_STATUS_KEYS if k in status}
    elif kind in CONTROLLER_KINDS:
        out["spec"] = _template(obj.get("spec"))
        out.pop("status", None)
    return out


def sanitise(obj: Any) -> Any | None:
    """The object as a snapshot keeps it, or None when the whole object is left out."""
    return _kept(obj, _metadata)


# Metadata the converter reads; everything else (uid, resourceVersion, timestamps, owner
# references, managedFields) is dropped from live pages.
_KEPT_METADATA = ("name", "namespace", "labels", "annotations")


def _kept_annotation(key: str) -> bool:
    """Annotations the converter reads: Calico's (node addresses, pod IPs, v1 metadata) and
    posture's own suppressions."""
    return "projectcalico.org/" in key or key.startswith("posture.dev/")


def _slim_metadata(meta: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: meta[k] for k in _KEPT_METADATA if k in meta}
    annotations = out.get("annotations")
    if isinstance(annotations, Mapping):
        kept = {k: v for k, v in annotations.items() if _kept_annotation(str(k))}
        if kept:
            out["annotations"] = kept
        else:
            del out["annotations"]
    return out


def slim(obj: Any) -> Any | None:
    """What the live source keeps of one listed object: what :func:`sanitise` keeps, with only
    the metadata and annotations the converter reads. Applied to each page as it arrives, so
    that memory follows the model rather than the raw API objects (a served pod is several KB
    of JSON; the fields posture uses are a few hundred bytes).

    One pass that builds the kept dict directly: this runs for every pod of the cluster."""
    return _kept(obj, _slim_metadata)

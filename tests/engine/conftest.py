"""Helpers for the table-driven semantic scenarios in ``test_scenarios.py``.

A scenario is a small cluster (the base cluster in ``data/base-cluster.yaml`` plus the
scenario's own manifests) and a list of checks. Each check asks ``pipeline.explain`` (what
``posture explain`` runs) and compares its JSON rendering with the expected verdict, including
the step that decided it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from posture import pipeline
from posture.errors import PostureError
from posture.model.snapshot import Snapshot
from posture.report.reach import render_explanation
from posture.sources.convert import ConvertOptions
from tests.support import snapshot_of

BASE_CLUSTER = Path(__file__).parent / "data" / "base-cluster.yaml"

# Fields of an explain step that a check may name; "note" is matched as a substring.
STEP_FIELDS = frozenset({"stage", "subject", "tier", "policy", "rule", "action", "note"})


@dataclass(frozen=True)
class Check:
    """One ``posture explain SRC DST --port PORT`` query and what it must say.

    ``decided_by`` holds expected fields of the deciding step: for a denied verdict the last
    step (the one that dropped the traffic); for an allowed verdict the last step of
    ``decided_by["stage"]`` when a stage is given, else the last step. ``also`` lists further
    steps that must appear somewhere on the path (e.g. the Pass that led to the decision).
    """

    src: str
    dst: str
    port: str | None
    allowed: bool
    decided_by: dict[str, Any]
    encryption: str | None = None
    endpoint_to_host: str | None = None
    also: tuple[dict[str, Any], ...] = ()
    absent: tuple[dict[str, Any], ...] = ()  # steps that must NOT appear on the path

    def describe(self) -> str:
        port = f" {self.port}" if self.port else ""
        e2h = f" (endpoint-to-host {self.endpoint_to_host})" if self.endpoint_to_host else ""
        return f"{self.src} -> {self.dst}{port}{e2h}"


@dataclass(frozen=True)
class Scenario:
    id: str
    cite: str  # section(s) of calico-semantics.md and, where useful, the Calico source path
    objects: str  # YAML manifests added to (or replacing objects of) the base cluster
    checks: list[Check] = field(default_factory=list)


def _identity(obj: dict[str, Any]) -> tuple[str, str, str, str]:
    meta = obj.get("metadata") or {}
    group = str(obj.get("apiVersion") or "").rsplit("/", 1)[0]
    return (group, str(obj.get("kind")), str(meta.get("namespace") or ""), str(meta.get("name")))


def cluster_objects(extra: str) -> list[dict[str, Any]]:
    """The base cluster with ``extra`` laid over it (same group/kind/namespace/name replaces)."""
    merged: dict[tuple[str, str, str, str], dict[str, Any]] = {}
    for text in (BASE_CLUSTER.read_text(encoding="utf-8"), extra):
        for doc in yaml.safe_load_all(text):
            if doc:
                merged[_identity(doc)] = doc
    return list(merged.values())


def scenario_snapshot(extra: str, endpoint_to_host: str | None) -> Snapshot:
    """The scenario's cluster converted in memory, as ``--from`` (and ``--endpoint-to-host``)
    would convert it from a file."""
    return snapshot_of(cluster_objects(extra), options=ConvertOptions(endpoint_to_host))


def explain(snapshot: Snapshot, check: Check) -> dict[str, Any]:
    """``pipeline.explain`` for ``check``, as the JSON document ``posture explain -o json``
    prints (the CLI path itself is covered by tests/test_cli.py)."""
    try:
        answer = pipeline.explain(snapshot, check.src, check.dst, check.port)
    except PostureError as e:
        raise AssertionError(f"explain {check.describe()}: {e.message}") from None
    doc: dict[str, Any] = json.loads(render_explanation(answer, "json"))
    return doc


def _step_matches(step: dict[str, Any], expected: dict[str, Any]) -> bool:
    for key, value in expected.items():
        if key == "note":
            if str(value) not in str(step.get("note", "")):
                return False
        elif step.get(key) != value:
            return False
    return True


def _fmt_steps(steps: list[dict[str, Any]]) -> str:
    lines = []
    for s in steps:
        where = " ".join(
            str(x)
            for x in (
                f"tier={s['tier']}" if s["tier"] else "",
                s["policy"],
                f"rule {s['rule']}" if s["rule"] is not None else "",
            )
            if x
        )
        note = f"  ({s['note']})" if s["note"] else ""
        lines.append(f"    [{s['stage']}] {s['subject']}: {where} -> {s['action']}{note}")
    return "\n".join(lines)


def deciding_step(verdict: dict[str, Any], check: Check) -> dict[str, Any] | None:
    steps: list[dict[str, Any]] = verdict["steps"]
    if not steps:
        return None
    stage = check.decided_by.get("stage")
    if verdict["allowed"] and stage is not None:
        candidates = [s for s in steps if s["stage"] == stage]
        return candidates[-1] if candidates else None
    return steps[-1]


def verdict_problems(doc: dict[str, Any], check: Check) -> list[str]:
    """Everything about ``doc`` that contradicts ``check`` (empty when it holds)."""
    unknown = set(check.decided_by) - STEP_FIELDS
    if unknown:
        return [f"decided_by names unknown step fields {sorted(unknown)}"]
    verdicts: list[dict[str, Any]] = doc["verdicts"]
    if check.port is not None and len(verdicts) != 1:
        return [f"expected one verdict for {check.port}, got {len(verdicts)}"]
    if not verdicts:
        return ["no verdict at all"]
    problems = []
    for v in verdicts:
        trail = _fmt_steps(v["steps"])
        if v["allowed"] is not check.allowed:
            want = "allowed" if check.allowed else "denied"
            got = "allowed" if v["allowed"] else "denied"
            problems.append(f"{v['flows']}: expected {want}, got {got}\n{trail}")
            continue
        step = deciding_step(v, check)
        if step is None or not _step_matches(step, check.decided_by):
            problems.append(
                f"{v['flows']}: deciding step does not match {check.decided_by}\n{trail}"
            )
        for extra in check.also:
            if not any(_step_matches(s, extra) for s in v["steps"]):
                problems.append(f"{v['flows']}: no step matches {extra}\n{trail}")
        for banned in check.absent:
            if any(_step_matches(s, banned) for s in v["steps"]):
                problems.append(f"{v['flows']}: unexpected step matching {banned}\n{trail}")
        if check.encryption is not None and v["encryption"] != check.encryption:
            problems.append(
                f"{v['flows']}: expected encryption {check.encryption}, got {v['encryption']}"
            )
    return problems


def scenario_failures(scenario: Scenario) -> str:
    """Every check of a scenario that does not hold, one per line ('' when all hold): each
    check is asked through ``posture explain -o json`` on the scenario's cluster (one
    snapshot per DefaultEndpointToHostAction the checks use)."""
    snapshots = {
        e2h: scenario_snapshot(scenario.objects, e2h)
        for e2h in {check.endpoint_to_host for check in scenario.checks}
    }
    failures: list[str] = []
    for check in scenario.checks:
        doc = explain(snapshots[check.endpoint_to_host], check)
        failures.extend(f"{check.describe()}: {p}" for p in verdict_problems(doc, check))
    return f"{scenario.id} [{scenario.cite}]\n" + "\n".join(failures) if failures else ""

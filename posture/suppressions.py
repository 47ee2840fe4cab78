"""Suppressions: accepted risks, from annotations or a config file, always with a reason.

Two sources of rules:

* annotations on a Namespace or workload — ``posture.dev/ignore: PST-NODE-001,PST-DENY-001``
  with ``posture.dev/ignore-reason`` and optionally ``posture.dev/ignore-until: YYYY-MM-DD``;
* a YAML file (``--suppressions FILE``): a list of ``{check, namespace?, name?, kind?, id?,
  reason, expires?}`` where ``check``, ``namespace``, ``name`` and ``id`` are globs; ``id``
  matches a finding's own id (``PST-NODE-001-0123456789ab``), for accepting exactly one finding.

A finding is suppressed only when *every* subject it names is covered by a rule for its check
(a finding about five namespaces stays open if one of them is not exempted): suppressing must
never hide something nobody accepted. A finding about who reaches which nodes (pods or
namespaces reaching node services) is accepted from either side: every source covered ("the
monitoring namespace may scrape kubelets") or every node covered ("these nodes' exposure is
accepted"). A rule or annotation that suppresses nothing is reported as a warning, since it is
usually a typo or a risk that went away. Suppressed findings move to ``Report.suppressed`` with
their reason and are counted in the summary. A rule past its expiry date, or an annotation
without a reason, suppresses nothing and becomes a finding itself (``PST-SUP-001``/``002``), so
an accepted risk comes back to the table when its acceptance runs out.

Everything here is pure: the date and the annotations are parameters (the converter carries
the annotations into the Snapshot; ``pipeline.check`` passes them in).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import fnmatch
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from posture.errors import ConfigError
from posture.findings.model import Finding, Severity, Subject
from posture.model.snapshot import AnnotationIndex
from posture.report.model import Measure, Report

IGNORE = "posture.dev/ignore"
IGNORE_REASON = "posture.dev/ignore-reason"
IGNORE_UNTIL = "posture.dev/ignore-until"
EXPIRED_CHECK = "PST-SUP-001"
UNJUSTIFIED_CHECK = "PST-SUP-002"


@dataclass(frozen=True, slots=True)
class Rule:
    check: str  # glob over check ids
    reason: str
    origin: str  # where the rule was written, for the report: "file.yaml#3", "Namespace shop"
    namespace: str | None = None  # glob; None = any
    name: str | None = None  # glob over subject names; None = any
    kind: str | None = None  # subject kind; None = any
    expires: dt.date | None = None
    id: str | None = None  # glob over finding ids; such a rule matches ids, never subjects

    def describe(self) -> str:
        scope = ", ".join(
            f"{k} {v}"
            for k, v in (
                ("id", self.id),
                ("namespace", self.namespace),
                ("kind", self.kind),
                ("name", self.name),
            )
            if v is not None
        )
        return f"{self.origin} ({self.check}{'; ' + scope if scope else ''})"

    def covers(self, check_id: str, subject: Subject | None) -> bool:
        if not fnmatch.fnmatchcase(check_id, self.check):
            return False
        if subject is None:  # a finding without subjects: only unscoped rules cover it
            return self.namespace is None and self.name is None and self.kind is None
        if self.kind is not None and subject.kind != self.kind:
            return False
        ns = subject.name if subject.kind == "Namespace" else subject.namespace
        if self.namespace is not None and not fnmatch.fnmatchcase(ns, self.namespace):
            return False
        if self.name is not None:
            if subject.kind == "Namespace" and self.namespace is not None:
                return False  # a rule for named objects in a namespace does not cover the namespace
            if not fnmatch.fnmatchcase(subject.name, self.name):
                return False
        return True


def _date(value: Any, where: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ConfigError(f"{where}: expected a date YYYY-MM-DD, got {value!r}") from None


def parse_rules(doc: Any, origin: str) -> list[Rule]:
    """The config file's content → rules; ConfigError naming the entry and field otherwise."""
    if doc is None:
        return []
    if isinstance(doc, dict) and "suppressions" in doc:
        doc = doc["suppressions"]
    if not isinstance(doc, list):
        raise ConfigError(f"{origin}: expected a list of suppressions")
    rules = []
    for i, entry in enumerate(doc):
        where = f"{origin}: suppressions[{i}]"
        if not isinstance(entry, dict):
            raise ConfigError(f"{where}: expected a mapping")
        unknown = set(entry) - {"check", "namespace", "name", "kind", "reason", "expires", "id"}
        if unknown:
            raise ConfigError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
        finding_id = _opt(entry.get("id"))
        check = entry.get("check", "*" if finding_id else None)
        if not isinstance(check, str) or not check.strip():
            raise ConfigError(
                f"{where}.check: required (a check id such as PST-NODE-001), or give the "
                "finding's id"
            )
        if finding_id is not None and any(entry.get(k) is not None for k in _SCOPES):
            raise ConfigError(f"{where}.id: an id rule takes no namespace, name or kind")
        reason = entry.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            raise ConfigError(f"{where}.reason: required — say why this risk is accepted")
        expires = entry.get("expires")
        rules.append(
            Rule(
                check=check.strip(),
                reason=reason.strip(),
                origin=f"{origin}#{i}",
                namespace=_opt(entry.get("namespace")),
                name=_opt(entry.get("name")),
                kind=_opt(entry.get("kind")),
                expires=None if expires is None else _date(expires, f"{where}.expires"),
                id=finding_id,
            )
        )
    return rules


_SCOPES = ("namespace", "name", "kind")


def _opt(value: Any) -> str | None:
    return None if value is None else str(value)


def load_rules(path: Path) -> list[Rule]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise ConfigError(f"{path}: cannot read suppressions: {e.strerror or e}") from None
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise ConfigError(f"{path}: malformed YAML: {str(e).splitlines()[0]}") from None
    return parse_rules(doc, str(path))


def rules_from_annotations(index: AnnotationIndex) -> tuple[list[Rule], list[Finding]]:
    """Annotation rules, plus findings for annotations that cannot count (no reason, bad date)."""
    rules: list[Rule] = []
    problems: list[Finding] = []
    for (kind, ns, name), ann in sorted(index.items()):
        checks = [c.strip() for c in ann.get(IGNORE, "").split(",") if c.strip()]
        subject = Subject(kind=kind, name=name, namespace=ns)
        origin = f"{kind} {ns + '/' if ns else ''}{name}"
        reason = ann.get(IGNORE_REASON, "").strip()
        if not checks:
            continue
        if not reason:
            problems.append(
                Finding(
                    check_id=UNJUSTIFIED_CHECK,
                    severity=Severity.LOW,
                    title="Suppression without a reason is ignored",
                    message=f"{origin} asks to ignore {', '.join(checks)} but has no "
                    f"{IGNORE_REASON} annotation, so the findings stay open.",
                    subjects=(subject,),
                    remediation=f"Add {IGNORE_REASON} saying why the risk is accepted.",
                )
            )
            continue
        until: dt.date | None = None
        if IGNORE_UNTIL in ann:
            try:
                until = dt.date.fromisoformat(ann[IGNORE_UNTIL].strip())
            except ValueError:
                until = dt.date.min  # unreadable date: treated as expired, reported below
        for check in checks:
            if kind == "Namespace":
                rules.append(Rule(check, reason, origin, namespace=name, expires=until))
            else:
                rules.append(
                    Rule(check, reason, origin, namespace=ns, name=name, kind=kind, expires=until)
                )
    return rules, problems


def _expired_finding(rule: Rule) -> Finding:
    scope = " ".join(
        part
        for part in (
            f"namespace {rule.namespace}" if rule.namespace else "",
            f"{rule.kind or 'object'} {rule.name}" if rule.name else "",
        )
        if part
    )
    return Finding(
        check_id=EXPIRED_CHECK,
        severity=Severity.LOW,
        title="Suppression expired",
        message=f"The suppression of {rule.check}{' for ' + scope if scope else ''} "
        f"({rule.origin}) expired on {rule.expires}; its findings are reported again. "
        f"Reason given: {rule.reason}",
        subjects=(Subject(kind="Suppression", name=rule.origin),),
        remediation="Fix the underlying finding, or renew the suppression with a new date.",
        key_extra=f"{rule.check}|{rule.namespace}|{rule.name}|{rule.expires}",
    )


def _note(rule: Rule) -> str:
    until = f" (until {rule.expires})" if rule.expires else ""
    return f"{rule.origin}: {rule.reason}{until}"


def _covering(f: Finding, active: list[Rule]) -> list[Rule]:
    """The rules that together accept ``f`` ([] when it stays open)."""
    by_id = next(
        (
            r
            for r in active
            if r.id is not None
            and fnmatch.fnmatchcase(f.id, r.id)
            and fnmatch.fnmatchcase(f.check_id, r.check)
        ),
        None,
    )
    if by_id is not None:
        return [by_id]
    scoped = [r for r in active if r.id is None]
    subjects: list[Subject | None] = list(f.subjects) or [None]
    nodes: list[Subject | None] = [s for s in subjects if s is not None and s.kind == "Node"]
    sources: list[Subject | None] = [s for s in subjects if s is None or s.kind != "Node"]
    # Who reaches which nodes: either side accepted is enough; otherwise every subject.
    sides: list[list[Subject | None]] = [sources, nodes] if nodes and sources else [subjects]
    for side in sides:
        covering = [next((r for r in scoped if r.covers(f.check_id, s)), None) for s in side]
        if all(covering):
            return [r for r in covering if r is not None]
    return []


def apply_suppressions(
    report: Report,
    rules: Iterable[Rule],
    *,
    today: dt.date,
    annotations: AnnotationIndex | None = None,
) -> Report:
    """Move covered findings to ``report.suppressed``; add findings for expired rules; warn
    about rules that suppressed nothing."""
    active: list[Rule] = []
    extra: list[Finding] = []
    ann_rules, problems = rules_from_annotations(annotations or {})
    extra.extend(problems)
    seen_expired: set[str] = set()
    for rule in [*rules, *ann_rules]:
        if rule.expires is not None and rule.expires < today:
            f = _expired_finding(rule)
            if f.id not in seen_expired:
                seen_expired.add(f.id)
                extra.append(f)
        else:
            active.append(rule)
    kept: list[Finding] = []
    suppressed = list(report.suppressed)
    notes = dict(report.suppression_notes)
    used: set[int] = set()
    for f in report.findings:
        covering = _covering(f, active)
        if covering:
            suppressed.append(f)
            used.update(id(r) for r in covering)
            notes[f.id] = "; ".join(dict.fromkeys(_note(r) for r in covering))
        else:
            kept.append(f)
    kept.extend(extra)
    kept.sort(key=lambda f: (-f.severity.rank, f.check_id, f.id))
    gone = {f.id for f in suppressed}
    checklist = tuple(_without(m, gone) for m in report.checklist)
    unmatched = tuple(
        dict.fromkeys(
            f"suppression {r.describe()} matched no finding" for r in active if id(r) not in used
        )
    )
    return dataclasses.replace(
        report,
        findings=tuple(kept),
        suppressed=tuple(suppressed),
        suppression_notes=notes,
        checklist=checklist,
        suppression_warnings=report.suppression_warnings + unmatched,
    )


def _without(m: Measure, gone: set[str]) -> Measure:
    """A measure keeps its status (a suppressed risk is still a risk) but says what was accepted."""
    hidden = [i for i in m.finding_ids if i in gone]
    if not hidden:
        return m
    remaining = tuple(i for i in m.finding_ids if i not in gone)
    reason = f"{len(remaining)} finding(s), {len(hidden)} suppressed"
    return dataclasses.replace(m, finding_ids=remaining, reason=reason)

"""Helpers for the finding scenarios: a ``check`` fixture that writes the scenario's manifests
(the base cluster of :mod:`tests.support.builders` plus the scenario's objects) to a temporary
directory, runs the whole pipeline on them (as ``posture check --from DIR`` does) and returns
the report; and small readers of the findings.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import pytest

from posture import pipeline
from posture.findings.model import Finding, PathInfo
from posture.model.snapshot import Snapshot
from posture.pipeline import CheckOptions
from posture.report.model import Report
from posture.sources import offline_source
from tests.support.builders import BASE, Obj, write_cluster
from tests.support.snapshots import Doc

# The day the scenarios are judged on (end-of-life dates): fixed so that tests do not rot.
TODAY = datetime(2026, 11, 27, tzinfo=UTC)


def run_check(snapshot: Snapshot, today: datetime = TODAY) -> Report:
    """The pipeline after loading, with every built-in rule, judged on ``today``."""
    return pipeline.check(snapshot, CheckOptions(now=lambda: today))


class LoadFn(Protocol):
    def __call__(
        self, *extra: Doc, base: Iterable[Obj] = BASE, drop: Iterable[str] = ()
    ) -> Snapshot: ...


class CheckFn(Protocol):
    def __call__(
        self,
        *extra: Doc,
        base: Iterable[Obj] = BASE,
        drop: Iterable[str] = (),
        today: datetime = TODAY,
    ) -> Report: ...


@pytest.fixture
def load(tmp_path: Path) -> LoadFn:
    """Writes the scenario's manifests to a fresh directory and loads them as
    ``posture check --from DIR`` does."""
    counter = itertools.count()

    def run(*extra: Doc, base: Iterable[Obj] = BASE, drop: Iterable[str] = ()) -> Snapshot:
        directory = write_cluster(
            tmp_path / f"cluster-{next(counter)}", *extra, base=base, drop=drop
        )
        return offline_source([directory]).load()

    return run


@pytest.fixture
def check(load: LoadFn) -> CheckFn:
    def run(
        *extra: Doc,
        base: Iterable[Obj] = BASE,
        drop: Iterable[str] = (),
        today: datetime = TODAY,
    ) -> Report:
        return run_check(load(*extra, base=base, drop=drop), today)

    return run


# --- reading findings -------------------------------------------------------------------------


def of(report: Report, check_id: str) -> list[Finding]:
    return [f for f in report.findings if f.check_id == check_id]


def one(
    report: Report, check_id: str, where: Callable[[Finding], bool] = lambda f: True
) -> Finding:
    """The single finding of ``check_id`` that satisfies ``where``."""
    hits = [f for f in of(report, check_id) if where(f)]
    assert len(hits) == 1, f"expected one {check_id}, got {[f.title for f in of(report, check_id)]}"
    return hits[0]


def ids(report: Report) -> set[str]:
    return {f.check_id for f in report.findings}


def subjects(f: Finding) -> set[str]:
    return {str(s) for s in f.subjects}


def titled(suffix: str) -> Callable[[Finding], bool]:
    """Selects findings whose title ends with ``suffix`` (e.g. a direction in parentheses)."""
    return lambda f: f.title.endswith(suffix)


def path_of(f: Finding) -> PathInfo:
    assert f.path is not None, f"{f.check_id} has no path"
    return f.path


def because(f: Finding) -> str:
    return "\n".join(f.because)

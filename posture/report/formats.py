"""Every ``-o`` format and its renderer, in one table the CLI dispatches through.

Renderers are pure functions of the Report (plus ``RenderOptions`` for the terminal's colour);
the CLI decides colour from ``NO_COLOR`` and the terminal, and writes the text. The test suite
checks that every member of :class:`Format` has a renderer, so a new format cannot be half-added.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass

from posture.findings.model import Severity
from posture.report.changes import render_changes_table
from posture.report.dot import render_dot
from posture.report.html_render import render_html
from posture.report.json_render import render_json, render_yaml
from posture.report.junit import render_junit
from posture.report.model import Report
from posture.report.policyreport import render_openreports, render_policyreport
from posture.report.prometheus import render_prometheus
from posture.report.sarif import render_sarif
from posture.report.table import TableOptions, render_table


class Format(enum.Enum):
    TABLE = "table"
    WIDE = "wide"
    JSON = "json"
    YAML = "yaml"
    SARIF = "sarif"
    JUNIT = "junit"
    POLICYREPORT = "policyreport"
    OPENREPORTS = "openreports"
    PROMETHEUS = "prometheus"
    DOT = "dot"
    HTML = "html"


@dataclass(frozen=True, slots=True)
class RenderOptions:
    color: bool = False
    terminal: bool = False  # stdout is a terminal (the table shortens its rows)
    min_severity: Severity = Severity.INFO  # what the table shows (not the exit code)
    checks: tuple[str, ...] = ()
    dot_scope: str = "all"  # what the DOT graph draws (posture.report.dot.SCOPES)


Renderer = Callable[[Report, RenderOptions], str]


def _table(wide: bool) -> Renderer:
    def render(report: Report, options: RenderOptions) -> str:
        text = render_table(
            report,
            TableOptions(
                color=options.color,
                wide=wide,
                terminal=options.terminal,
                min_severity=options.min_severity,
                checks=options.checks,
            ),
        )
        if report.changes is not None:
            text += "\n" + render_changes_table(report.changes)
        return text

    return render


def _plain(fn: Callable[[Report], str]) -> Renderer:
    return lambda report, _options: fn(report)


RENDERERS: dict[Format, Renderer] = {
    Format.TABLE: _table(wide=False),
    Format.WIDE: _table(wide=True),
    Format.JSON: _plain(render_json),
    Format.YAML: _plain(render_yaml),
    Format.SARIF: _plain(render_sarif),
    Format.JUNIT: _plain(render_junit),
    Format.POLICYREPORT: _plain(render_policyreport),
    Format.OPENREPORTS: _plain(render_openreports),
    Format.PROMETHEUS: _plain(render_prometheus),
    Format.DOT: lambda report, options: render_dot(report, options.dot_scope),
    Format.HTML: _plain(render_html),
}

CHOICES = tuple(f.value for f in Format)


def render(report: Report, fmt: Format | str, options: RenderOptions | None = None) -> str:
    return RENDERERS[Format(fmt)](report, options or RenderOptions())

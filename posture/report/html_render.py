"""One self-contained HTML page: checklist, findings and pictures of who reaches whom.

Everything is inline (CSS and SVG; no JavaScript, no external fonts or libraries) so the file
works offline and can be attached to a ticket. Pictures come from ``report.reach``:

* namespace × namespace heat map — endpoint pairs allowed from pods of one namespace to pods
  of another (darker = more pairs);
* pod group × node heat map — darkest where a pod group may open *any* connection to a node,
  lighter where only some ports are open;
* the encrypted / unencrypted / node-local split of allowed endpoint pairs.
"""

from __future__ import annotations

from collections import defaultdict
from html import escape

from posture.report.model import MeasureStatus, Report
from posture.report.svg import EMPTY, SCALE, heatmap, shade, stacked_bar

HEAT_ALL_TRAFFIC = SCALE[-1]  # the colour of "any connection" cells (tests look for it)
HEAT_SOME_PORTS = SCALE[2]

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;margin:24px;
color:#222;max-width:1300px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #ddd}
.meta{color:#666;font-size:13px}
table{border-collapse:collapse;font-size:14px}td,th{padding:4px 10px;text-align:left;
border-bottom:1px solid #eee;vertical-align:top}
.badge{display:inline-block;min-width:52px;text-align:center;border-radius:3px;padding:1px 6px;
font-weight:600;font-size:12px;color:#fff}
.passed{background:#1a9850}.failed{background:#d7301f}.unknown{background:#888}
.critical{background:#67000d}.high{background:#d7301f}.medium{background:#f39c12}
.low{background:#4a90c2}.info{background:#999}
.warn{background:#fff3cd;border:1px solid #f0c36d;padding:8px 12px;margin:12px 0}
details{margin:6px 0 10px}summary{cursor:pointer}
.because{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px;color:#444}
svg text{font-size:11px;fill:#333}svg .legend{font-size:12px}
.legend span{display:inline-block;width:12px;height:12px;margin:0 4px 0 12px;vertical-align:-1px}
"""


def _checklist(report: Report) -> str:
    rows = []
    for m in report.checklist:
        rows.append(
            f'<tr><td><span class="badge {m.status.value}">{m.status.value.upper()}</span></td>'
            f"<td>{escape(m.title)}</td><td>{escape(m.reason)}</td></tr>"
        )
    return "<table>" + "".join(rows) + "</table>"


def _findings(report: Report) -> str:
    if not report.findings:
        return "<p>No findings.</p>"
    parts = []
    for f in report.findings:
        because = "".join(f"<li>{escape(b)}</li>" for b in f.because)
        fix = f"<p><b>Fix:</b> {escape(f.remediation)}</p>" if f.remediation else ""
        parts.append(
            f'<details><summary><span class="badge {f.severity.value}">'
            f"{f.severity.value.upper()}</span> <code>{escape(f.check_id)}</code> "
            f"{escape(f.title)}</summary><p>{escape(f.message)}</p>"
            f'<ul class="because">{because}</ul>{fix}<p class="meta">id {escape(f.id)}</p>'
            "</details>"
        )
    return "".join(parts)


def _suppressed(report: Report) -> str:
    if not report.suppressed:
        return ""
    rows = "".join(
        f"<tr><td><code>{escape(f.check_id)}</code></td><td>{escape(f.title)}</td>"
        f"<td>{escape(report.suppression_notes.get(f.id, ''))}</td></tr>"
        for f in report.suppressed
    )
    return f"<h2>Suppressed ({len(report.suppressed)})</h2><table>{rows}</table>"


def namespace_heatmap(report: Report) -> str:
    pairs: dict[tuple[str, str], int] = defaultdict(int)
    for r in report.reach:
        if r.src_kind == "pod" and r.dst_kind == "pod":
            pairs[(r.src_namespace, r.dst_namespace)] += r.pairs
    namespaces = sorted({n for k in pairs for n in k})
    if not namespaces:
        return "<p>No pod-to-pod path is allowed.</p>"
    top = max(pairs.values())
    cells = {
        k: (shade(v, top), f"{k[0]} → {k[1]}: {v} endpoint pair(s) allowed")
        for k, v in pairs.items()
    }
    return heatmap(namespaces, namespaces, cells, title="namespace to namespace reachability")


def node_heatmap(report: Report) -> str:
    cells: dict[tuple[str, str], tuple[str, str]] = {}
    groups: set[str] = set()
    nodes: set[str] = set()
    for r in report.reach:
        if r.src_kind != "pod":
            continue
        groups.add(r.src)
        if r.dst_kind != "host":
            continue
        nodes.add(r.dst)
        key = (r.src, r.dst)
        everything = r.allowed == "all traffic"
        if everything or key not in cells:
            colour = HEAT_ALL_TRAFFIC if everything else HEAT_SOME_PORTS
            cells[key] = (colour, f"{r.src} → {r.dst} ({r.relation}): {r.allowed}")
    if not groups:
        return "<p>No pods.</p>"
    legend = (
        f'<p class="legend meta"><span style="background:{HEAT_ALL_TRAFFIC}"></span>any '
        f'connection<span style="background:{HEAT_SOME_PORTS}"></span>some ports'
        f'<span style="background:{EMPTY};border:1px solid #ccc"></span>nothing</p>'
    )
    return legend + heatmap(
        sorted(groups), sorted(nodes), cells, title="pod group to node reachability"
    )


def encryption_split(report: Report) -> str:
    encrypted = unencrypted = local = 0
    for r in report.reach:
        if r.relation == "same-node" or r.encryption == "local":
            local += r.pairs
        else:
            unencrypted += r.unencrypted_pairs
            encrypted += max(0, r.pairs - r.unencrypted_pairs)
    return stacked_bar(
        [("encrypted", encrypted), ("unencrypted", unencrypted), ("local", local)],
        title="allowed endpoint pairs by encryption",
    )


def render_html(report: Report) -> str:
    summary = report.summary()
    counts = ", ".join(f"{n} {s}" for s, n in summary.items() if n) or "none"
    coverage = ""
    if not report.coverage.complete:
        kinds = ", ".join(f"{k.kind} ({k.status.value})" for k in report.coverage.unknown)
        coverage = (
            f'<div class="warn"><b>Coverage incomplete</b>: {escape(kinds)} — verdicts that '
            "depend on these kinds are unknown.</div>"
        )
    failed = sum(1 for m in report.checklist if m.status is MeasureStatus.FAILED)
    title = f"posture report — {report.cluster or report.source}"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title><style>{_CSS}</style></head>
<body>
<h1>{escape(title)}</h1>
<p class="meta">generated {escape(report.generated_at)} by posture {escape(report.tool_version)}
 · findings: {escape(counts)} · suppressed: {len(report.suppressed)}
 · measures failed: {failed}/{len(report.checklist)}</p>
{coverage}
<h2>Measures</h2>
{_checklist(report)}
<h2>Findings ({len(report.findings)})</h2>
{_findings(report)}
{_suppressed(report)}
<h2>Namespace to namespace</h2>
<p class="meta">Endpoint pairs allowed from pods of a namespace (row) to pods of another
(column); darker is more.</p>
<div id="ns-heatmap">{namespace_heatmap(report)}</div>
<h2>Pod groups to nodes</h2>
<div id="node-heatmap">{node_heatmap(report)}</div>
<h2>Encryption</h2>
<p class="meta">Allowed endpoint pairs: between nodes encrypted or not, and node-local.</p>
<div id="encryption">{encryption_split(report)}</div>
</body></html>
"""

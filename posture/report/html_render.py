"""One self-contained HTML page: where to start, checklist, findings and pictures of who
reaches whom.

It stays readable at any size: a "top things to fix" box first; heat maps keep only the rows and
columns with something allowed, the riskiest first (a namespace that reaches nothing is not a
row of empty cells); printing opens every finding's details.

Everything is inline (CSS and SVG; no JavaScript, no external fonts or libraries) so the file
works offline and can be attached to a ticket. Pictures come from ``report.reach``:

* namespace × namespace heat map — endpoint pairs allowed from pods of one namespace to pods
  of another (darker = more pairs);
* namespace × node-group heat map — darkest where a pod group may open *any* connection to a node,
  lighter where only some ports are open;
* the encrypted / unencrypted / node-local split of allowed endpoint pairs.
"""

from __future__ import annotations

from collections import defaultdict
from html import escape

from posture.report.model import MeasureStatus, Report
from posture.report.svg import EMPTY, SCALE, heatmap, stacked_bar

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
#top-fix{border:2px solid #d7301f;border-radius:4px;padding:8px 16px;margin:16px 0}
#top-fix h2{border:0;margin:4px 0}#top-fix li{margin:4px 0}
@media print{details::details-content{content-visibility:visible;display:block}
details>*{display:block}#top-fix{break-inside:avoid}svg{max-width:100%;height:auto}}
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
            f"{escape(f.title)}</summary>"
            + "".join(f"<p>{escape(part)}</p>" for part in f.message.split("\n"))
            + f'<ul class="because">{because}</ul>{fix}<p class="meta">id {escape(f.id)}</p>'
            "</details>"
        )
    return "".join(parts)


TOP = 5


def _top_box(report: Report) -> str:
    """The few findings to act on first (the report is sorted by severity), and what
    ``posture fix`` closes of them."""
    if not report.findings:
        return ""
    items = []
    for f in report.findings[:TOP]:
        fix = f" — <i>{escape(f.remediation.split('. ')[0])}</i>" if f.remediation else ""
        items.append(
            f'<li><span class="badge {f.severity.value}">{f.severity.value.upper()}</span> '
            f"<code>{escape(f.check_id)}</code> {escape(f.title)}{fix}</li>"
        )
    closes = sorted({f.check_id for f in report.findings if f.check_id in report.fix_checks})
    fixable = (
        f"<p><code>posture fix</code> writes what closes {escape(', '.join(closes))}.</p>"
        if closes
        else ""
    )
    more = len(report.findings) - TOP
    rest = f'<p class="meta">{_plural(more, "more finding")} below.</p>' if more > 0 else ""
    box = f"<h2>Top things to fix</h2><ol>{''.join(items)}</ol>{fixable}{rest}"
    return f'<div id="top-fix">{box}</div>'


def _suppressed(report: Report) -> str:
    if not report.suppressed:
        return ""
    rows = "".join(
        f"<tr><td><code>{escape(f.check_id)}</code></td><td>{escape(f.title)}</td>"
        f"<td>{escape(report.suppression_notes.get(f.id, ''))}</td></tr>"
        for f in report.suppressed
    )
    return f"<h2>Suppressed ({len(report.suppressed)})</h2><table>{rows}</table>"


def _plural(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


HEAT_MAX = 40  # rows and columns a heat map keeps (the heaviest); the rest is counted


def _pod_heatmap(report: Report, dst_kind: str, title: str, none: str) -> str:
    """Pod namespaces (rows) × destination groups (columns): any connection or some ports.
    Rows and columns are ordered by the pairs they hold (any connection weighs most) and
    capped at :data:`HEAT_MAX` each."""
    row_risk: dict[str, int] = defaultdict(int)
    col_risk: dict[str, int] = defaultdict(int)
    rows = [r for r in report.reach if r.src_kind == "pod" and r.dst_kind == dst_kind and r.pairs]
    for r in rows:
        weight = 1_000_000 if r.allowed == "all traffic" else 1
        for ends, counts, risk in ((r.src, r.src_pairs, row_risk), (r.dst, r.dst_pairs, col_risk)):
            # Rows without per-group counts (pod to pod) weigh their groups alike.
            even = (r.pairs // len(ends),) * len(ends)
            for name, n in zip(ends, counts or even, strict=True):
                risk[name] += weight * max(n, 1)
    if not rows:
        return none
    names = sorted(row_risk, key=lambda k: (-row_risk[k], k))
    cols = sorted(col_risk, key=lambda k: (-col_risk[k], k))
    shown_rows, shown_cols = set(names[:HEAT_MAX]), set(cols[:HEAT_MAX])
    cells: dict[tuple[str, str], tuple[str, str]] = {}
    for r in rows:
        everything = r.allowed == "all traffic"
        for s in r.src:
            if s not in shown_rows:
                continue
            for d in r.dst:
                key = (s, d)
                if d in shown_cols and (everything or key not in cells):
                    colour = HEAT_ALL_TRAFFIC if everything else HEAT_SOME_PORTS
                    cells[key] = (colour, f"{s} → {d} ({r.relation}): {r.allowed}")
    legend = (
        f'<p class="legend meta"><span style="background:{HEAT_ALL_TRAFFIC}"></span>any '
        f'connection<span style="background:{HEAT_SOME_PORTS}"></span>some ports'
        f'<span style="background:{EMPTY};border:1px solid #ccc"></span>nothing</p>'
    )
    hidden = max(0, len(names) - HEAT_MAX) + max(0, len(cols) - HEAT_MAX)
    more = (
        f'<p class="meta">{_plural(hidden, "more row or column")} with fewer pairs not shown.</p>'
        if hidden
        else ""
    )
    return legend + heatmap(names[:HEAT_MAX], cols[:HEAT_MAX], cells, title=title) + more


def namespace_heatmap(report: Report) -> str:
    return _pod_heatmap(
        report,
        "pod",
        "namespace to namespace reachability",
        "<p>No pod-to-pod path is allowed.</p>",
    )


def node_heatmap(report: Report) -> str:
    return _pod_heatmap(
        report,
        "host",
        "namespace to node reachability",
        "<p>No pod may open a connection to a node.</p>",
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
{_top_box(report)}
<h2>Measures</h2>
{_checklist(report)}
<h2>Findings ({len(report.findings)})</h2>
{_findings(report)}
{_suppressed(report)}
<h2>Namespace to namespace</h2>
<p class="meta">Endpoint pairs allowed from pods of a namespace (row) to pods of another
(column); darker is more.</p>
<div id="ns-heatmap">{namespace_heatmap(report)}</div>
<h2>Namespaces to nodes</h2>
<p class="meta">Only namespaces whose pods may open a connection to a node, riskiest first.</p>
<div id="node-heatmap">{node_heatmap(report)}</div>
<h2>Encryption</h2>
<p class="meta">Allowed endpoint pairs: between nodes encrypted or not, and node-local.</p>
<div id="encryption">{encryption_split(report)}</div>
</body></html>
"""

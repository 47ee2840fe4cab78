"""The command line: the only place that prints, exits or reads the environment.

Exit codes: 0 clean; 1 findings at or above --fail-on; 2 usage or input error; 3 the cluster
could not be read or the data is incomplete: kinds unread, or no pod or node to judge (unless
--allow-incomplete); 4 internal error.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from posture import sources
from posture._version import __version__
from posture.errors import ConfigError, PostureError
from posture.files import write_atomic
from posture.findings.model import Severity
from posture.history import diff_documents, load_report, where
from posture.model.coverage import KindCoverage, ReadStatus
from posture.model.snapshot import Snapshot
from posture.pipeline import CheckOptions, analyse, check, explain, incomplete, report_from
from posture.report.changes import render_diff
from posture.report.formats import CHOICES, RenderOptions, render
from posture.report.model import Report
from posture.report.preflight import denied_lines, render_preflight
from posture.report.reach import ReachFilter, iter_reach, render_explanation
from posture.report.summary import render_summary
from posture.sources import ClusterOptions, load_snapshot, offline_source, read_cluster
from posture.sources.base import RawInventory
from posture.sources.convert import ConvertOptions, build_snapshot
from posture.sources.invariants import load_invariants
from posture.suppressions import load_rules

if TYPE_CHECKING:
    from posture.publish import Targets
    from posture.sources.cluster import ClusterSource

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_INCOMPLETE, EXIT_INTERNAL = 0, 1, 2, 3, 4

EPILOG = """exit codes:
  0  ran fully; nothing at or above --fail-on
  1  findings at or above --fail-on (default: high)
  2  usage or input error (bad flag, malformed manifest, invalid selector)
  3  the cluster could not be read, coverage is incomplete, or the input has no pod or
     no node to judge (unless --allow-incomplete)
  4  internal error
"""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise ConfigError(f"{self.prog}: {message}")


def _add_cluster_flags(g: argparse._ArgumentGroup) -> None:
    """kubectl's names for reaching a cluster (docs: conventions of the CLI)."""
    g.add_argument("--kubeconfig", default=None, help="kubeconfig file (default: $KUBECONFIG)")
    g.add_argument("--context", default=None, help="kubeconfig context")
    g.add_argument(
        "--in-cluster",
        action="store_true",
        default=None,
        help="use the pod's service account (detected automatically)",
    )
    g.add_argument(
        "--request-timeout", type=float, default=30.0, help="seconds per API request (default 30)"
    )
    g.add_argument(
        "--timeout",
        type=float,
        default=300.0,
        help="seconds for reading the whole cluster (default 300)",
    )


def _add_input(p: argparse.ArgumentParser, *, namespace: bool = True) -> None:
    g = p.add_argument_group("input")
    g.add_argument(
        "--from",
        dest="from_",
        action="append",
        type=Path,
        metavar="PATH",
        help="manifest file or directory, a snapshot file, or - for manifests on stdin "
        "(repeatable); without it, read the live cluster",
    )
    if namespace:
        g.add_argument(
            "-n",
            "--namespace",
            default=None,
            help="namespace of namespaced objects in --from manifests that name none "
            "(as kubectl apply -n; default: 'default', with a warning)",
        )
    _add_cluster_flags(g)
    g.add_argument("--chunk-size", type=int, default=500, help="LIST page size (default 500)")
    g.add_argument(
        "--endpoint-to-host",
        choices=["ACCEPT", "DROP", "RETURN"],
        type=str.upper,
        default=os.environ.get("POSTURE_ENDPOINT_TO_HOST") or None,
        help="override Felix's DefaultEndpointToHostAction (by default read from "
        "FelixConfiguration / calico-node env; assumed ACCEPT when not visible)",
    )
    g.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    g.add_argument("--no-progress", action="store_true", help="no progress on stderr")


def _add_cluster_input(p: argparse.ArgumentParser) -> None:
    """The live-cluster subset of the input flags, for commands that make no sense offline."""
    _add_cluster_flags(p.add_argument_group("input"))


def _add_publish(p: argparse.ArgumentParser) -> None:
    """Where an in-cluster run hands its results on (see posture.publish and docs/deploy.md).

    The defaults come from the environment so that the deploy/ components only add env entries
    to the CronJob instead of rewriting its command."""
    g = p.add_argument_group("publishing")
    g.add_argument(
        "--post-url",
        default=os.environ.get("POSTURE_POST_URL") or None,
        metavar="URL",
        help="POST the JSON report to this URL (default: $POSTURE_POST_URL)",
    )
    g.add_argument(
        "--post-token-file",
        type=Path,
        default=os.environ.get("POSTURE_POST_TOKEN_FILE") or None,
        metavar="FILE",
        help="bearer token for --post-url, e.g. a mounted Secret key "
        "(default: $POSTURE_POST_TOKEN_FILE; or the token itself in $POSTURE_POST_TOKEN)",
    )
    g.add_argument(
        "--pushgateway",
        default=os.environ.get("POSTURE_PUSHGATEWAY") or None,
        metavar="URL",
        help="push the metrics (-o prometheus) to this Prometheus Pushgateway "
        "(default: $POSTURE_PUSHGATEWAY)",
    )
    g.add_argument(
        "--pushgateway-job",
        default=os.environ.get("POSTURE_PUSHGATEWAY_JOB") or "posture",
        metavar="JOB",
        help="the Pushgateway job (group) the push replaces (default: posture)",
    )
    g.add_argument(
        "--publish-policyreport",
        action="store_true",
        default=os.environ.get("POSTURE_PUBLISH_POLICYREPORT") == "1",
        help="create or replace the ClusterPolicyReport 'posture' (wgpolicyk8s.io/v1alpha2) in "
        "the cluster read (needs deploy/optional/policyreport's RBAC)",
    )
    g.add_argument(
        "--publish-configmap",
        default=os.environ.get("POSTURE_CONFIGMAP") or None,
        metavar="NAME",
        help="keep the summary and the JSON report (bounded) in this ConfigMap of posture's "
        "namespace (default: $POSTURE_CONFIGMAP; needs deploy/optional/configmap's RBAC)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="posture",
        description="Who can really talk to whom on a Calico cluster.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    # Same answer as `posture version`: scripts and image builds ask with the flag.
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    c = sub.add_parser(
        "check",
        help="full report: measures, findings, evidence",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_input(c)
    c.add_argument(
        "-o",
        "--output",
        default=os.environ.get("POSTURE_OUTPUT", "table"),
        choices=CHOICES,
        help="output format: " + ", ".join(CHOICES),
    )
    c.add_argument("--output-file", type=Path, help="write the report here (atomically)")
    c.add_argument(
        "--fail-on",
        default=os.environ.get("POSTURE_FAIL_ON", "high"),
        choices=[s.value for s in Severity],
        help="exit 1 when a finding is at or above this severity (default high)",
    )
    c.add_argument("--exit-zero", action="store_true", help="exit 0 even with findings")
    c.add_argument(
        "--min-severity",
        default="info",
        choices=[s.value for s in Severity],
        help="table: show only findings at or above this severity (the exit code still "
        "follows --fail-on)",
    )
    c.add_argument(
        "--check",
        action="append",
        default=[],
        metavar="ID",
        help="table: show only this check's findings, in full (repeatable; globs such as "
        "PST-NODE-* work)",
    )
    c.add_argument(
        "--summary",
        action="store_true",
        default=os.environ.get("POSTURE_SUMMARY") == "1",
        help="also print a summary (counts read, coverage, measures, findings, time and peak "
        "memory) to stderr: the job log's lines when the report goes to a file",
    )
    c.add_argument(
        "--dot-scope",
        default="all",
        metavar="SCOPE",
        help="-o dot: draw only edges to or from nodes (nodes), between namespaces "
        "(namespaces) or touching one namespace (namespace=NAME); default all",
    )
    c.add_argument(
        "--allow-incomplete",
        action="store_true",
        help="do not exit 3 when some kinds could not be read or the input has no pod or no "
        "node to judge (the report then marks those measures not evaluated)",
    )
    c.add_argument(
        "--baseline",
        type=Path,
        metavar="OLD.json",
        help="a previous `check -o json` report: show findings new/fixed and paths "
        "opened/closed since then",
    )
    c.add_argument(
        "--suppressions",
        type=Path,
        metavar="FILE",
        help="YAML list of {check, namespace?, name?, kind?, id?, reason, expires?} accepted "
        "risks (id: one finding's id); entries that match nothing are warned about",
    )
    c.add_argument(
        "--invariants",
        type=Path,
        action="append",
        default=[Path(p) for p in os.environ.get("POSTURE_INVARIANTS", "").split(os.pathsep) if p],
        metavar="FILE",
        help="organisation invariants (kind Invariants, or a ConfigMap holding them) that must "
        "hold; a broken one is a PST-INV finding (repeatable, added to $POSTURE_INVARIANTS; "
        "see docs/invariants.md)",
    )
    _add_publish(c)

    r = sub.add_parser("reach", help="reachability between endpoint groups")
    _add_input(r, namespace=False)  # --namespace stays free for filtering the rows shown
    r.add_argument("-o", "--output", default="table", choices=["table", "json", "tsv"])
    r.add_argument(
        "--expand",
        action="store_true",
        help="one row per (source endpoint, destination endpoint), streamed",
    )
    r.add_argument("--src", help="only sources in this namespace, pod (ns/name) or node")
    r.add_argument("--dst", help="only destinations in this namespace, pod (ns/name) or node")
    r.add_argument("--namespace", dest="reach_namespace", help="only paths with an end here")

    e = sub.add_parser("explain", help="why SRC can or cannot reach DST")
    e.add_argument("src", help="namespace/pod, node/NAME or an IP address")
    e.add_argument("dst", help="namespace/pod, node/NAME or an IP address")
    e.add_argument(
        "--port",
        help="N or N-M (TCP, as in NetworkPolicy), N/PROTO (443/TCP, 53/UDP, 8/ICMP), a "
        "protocol (UDP, IPIP), or an IP protocol number as proto/N or N/IP "
        "(default: everything)",
    )
    _add_input(e)
    e.add_argument("-o", "--output", default="table", choices=["table", "json"])
    e.add_argument(
        "--exit-code",
        action="store_true",
        help="exit 1 when the traffic asked about is denied (no part of it allowed on any "
        "path; ask with --port for one port), 0 when allowed: for scripts and CI",
    )

    s = sub.add_parser(
        "snapshot",
        help="write what was read into a snapshot file (sanitised: no env values, no secrets)",
        description="Write the objects read into a versioned JSON snapshot that `--from` "
        "reads back. Sanitised, because snapshots get shared: it keeps only what posture "
        "uses, with no Secrets or ConfigMaps, no container env except FELIX_* settings, no "
        "commands, arguments or volumes, no last-applied-configuration annotations or "
        "managedFields.",
    )
    _add_input(s)
    s.add_argument(
        "-o",
        "--output-file",
        dest="output_file",
        type=Path,
        required=True,
        help="snapshot file (.json, or .json.gz for gzip)",
    )

    d = sub.add_parser("diff", help="what changed between two `check -o json` reports")
    d.add_argument("old", type=Path, help="the older report (JSON)")
    d.add_argument("new", type=Path, help="the newer report (JSON)")
    d.add_argument("-o", "--output", default="table", choices=["table", "json", "yaml"])
    d.add_argument("--output-file", type=Path, help="write the diff here (atomically)")

    f = sub.add_parser(
        "fix", help="write one YAML file of Calico resources that closes the gaps found"
    )
    _add_input(f)
    f.add_argument("-o", "--output-file", type=Path, help="where to write it (default: stdout)")
    f.add_argument(
        "--dry-run", action="store_true", help="print to stdout even when --output-file is given"
    )

    pf = sub.add_parser(
        "preflight",
        help="check that the current user may read everything posture needs (RBAC)",
        epilog="exit codes:\n  0  every permission allowed\n  3  something is denied, "
        "or the cluster could not be reached\n",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_cluster_input(pf)

    sub.add_parser("version", help="print the version")
    return parser


def _progress(args: argparse.Namespace) -> Callable[[str], None] | None:
    """Finished lines on stderr (one per kind and per stage), only on a terminal."""
    if args.quiet or args.no_progress or not sys.stderr.isatty():
        return None

    def line(text: str) -> None:
        sys.stderr.write(f"\r\033[K{text}\n")  # replaces a pending progress bar

    return line


def _ticker(args: argparse.Namespace) -> Callable[[str], None] | None:
    """A one-line progress bar, rewritten in place while a long list is paged."""
    if _progress(args) is None:
        return None
    spinner = "|/-\\"
    state = {"n": 0}

    def tick(text: str) -> None:
        state["n"] += 1
        sys.stderr.write(f"\r\033[K{spinner[state['n'] % 4]} {text}")
        sys.stderr.flush()

    return tick


def cluster_options(args: argparse.Namespace, *, progress: bool = True) -> ClusterOptions:
    """The cluster-connection flags (and, where wanted, the progress callbacks)."""
    return ClusterOptions(
        kubeconfig=args.kubeconfig,
        context=args.context,
        in_cluster=args.in_cluster,
        chunk_size=getattr(args, "chunk_size", 500),
        request_timeout=args.request_timeout,
        timeout=args.timeout,
        progress=_progress(args) if progress else None,
        tick=_ticker(args) if progress else None,
    )


def cluster_source(args: argparse.Namespace, *, progress: bool = False) -> ClusterSource:
    """The live source the flags describe: for reading, publishing and preflight alike."""
    return sources.cluster_source(cluster_options(args, progress=progress))


def _inventory(args: argparse.Namespace) -> RawInventory:
    if args.from_:
        return offline_source(list(args.from_)).read_inventory()
    return cluster_source(args, progress=True).read_inventory()


def _snapshot(args: argparse.Namespace) -> Snapshot:
    """``--from PATH`` or the live cluster → the Snapshot, with progress on a terminal."""
    convert = ConvertOptions(
        endpoint_to_host=args.endpoint_to_host, namespace=getattr(args, "namespace", None)
    )
    if not args.from_:
        return read_cluster(cluster_options(args), convert)
    snapshot = load_snapshot(args.from_, convert)
    for warning in snapshot.warnings:
        print(f"posture: warning: {warning}", file=sys.stderr)
    progress = _progress(args)
    if progress is not None:  # the live source prints its own per-kind lines
        for k in snapshot.coverage.kinds:
            progress(_kind_line(k))
    return snapshot


def _write(text: str, path: Path | None) -> None:
    if path is None:
        sys.stdout.write(text)
        return
    write_atomic(path, text.encode("utf-8"))


def _render(
    report: Report,
    fmt: str,
    path: Path | None = None,
    *,
    min_severity: Severity = Severity.INFO,
    checks: tuple[str, ...] = (),
    dot_scope: str = "all",
) -> str:
    # Colour only for a terminal, and never when NO_COLOR is set (https://no-color.org).
    terminal = path is None and sys.stdout.isatty()
    color = terminal and not os.environ.get("NO_COLOR")
    options = RenderOptions(
        color=color,
        terminal=terminal,
        min_severity=min_severity,
        checks=checks,
        dot_scope=dot_scope,
    )
    return render(report, fmt, options)


def _kind_line(k: KindCoverage) -> str:
    pages = f" in {k.pages} page{'s' if k.pages != 1 else ''}" if k.pages else ""
    status = "" if k.status is ReadStatus.READ else f" ({k.status.value}: {k.reason})"
    group = f".{k.api_group}" if k.api_group else ""
    return f"posture: {k.kind}{group}: {k.count:,}{pages}{status}"


# What runs after each stage, so that the progress line names the running stage.
_NEXT_STAGE = {
    "load": "building the model",
    "model": "grouping endpoints into classes",
    "classes": "computing reachability",
    "reachability": "running the checks",
    "findings": "writing the report",
    "invariants": "writing the report",
}


def _stage_timer(
    progress: Callable[[str], None] | None, tick: Callable[[str], None] | None = None
) -> Callable[[str], None]:
    """A finished line per stage, then one rewritten line naming the stage now running."""
    started = time.monotonic()

    def timer(stage: str) -> None:
        if progress is not None:
            progress(f"posture: {stage} done ({time.monotonic() - started:.2f}s)")
        if tick is not None and stage in _NEXT_STAGE:
            tick(f"posture: {_NEXT_STAGE[stage]}…")

    return timer


def _now() -> datetime:
    """The clock; ``SOURCE_DATE_EPOCH`` (reproducible-builds.org) pins it for repeatable reports."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not epoch:
        return datetime.now(UTC)
    try:
        return datetime.fromtimestamp(int(epoch), UTC)
    except (ValueError, OverflowError):
        raise ConfigError(
            f"$SOURCE_DATE_EPOCH: expected seconds since 1970, got {epoch!r}"
        ) from None


def check_options(args: argparse.Namespace) -> CheckOptions:
    """The small inputs of ``check``, read first so a bad path fails before the expensive part."""
    baseline = load_report(args.baseline) if args.baseline else None
    rules = tuple(load_rules(args.suppressions)) if args.suppressions else ()
    invariants = load_invariants(args.invariants)
    now = _now()
    return CheckOptions(
        now=lambda: now, suppressions=rules, baseline=baseline, invariants=invariants
    )


def cmd_check(args: argparse.Namespace) -> int:
    started = time.monotonic()
    options = check_options(args)
    targets = _publish_setup(args)
    timer = _stage_timer(_progress(args), _ticker(args))
    tick = _ticker(args)
    if tick is not None and args.from_:
        tick(f"posture: reading {', '.join(str(p) for p in args.from_)}…")
    snapshot = _snapshot(args)
    timer("load")
    report = check(snapshot, options, timer=timer)
    for warning in report.suppression_warnings:
        print(f"posture: warning: {warning}", file=sys.stderr)
    text = _render(
        report,
        args.output,
        args.output_file,
        min_severity=Severity(args.min_severity),
        checks=tuple(args.check),
        dot_scope=args.dot_scope,
    )
    _write(text, args.output_file)
    if args.summary:
        from posture.publish import peak_mb

        print(
            render_summary(report, seconds=time.monotonic() - started, peak_mb=peak_mb()),
            end="",
            file=sys.stderr,
        )
    _publish(args, report, text if args.output == "json" else None, targets)
    timer("report")
    return _exit_code(args, report)


def _exit_code(args: argparse.Namespace, report: Report) -> int:
    if incomplete(report) and not args.allow_incomplete:
        if not report.coverage.complete:
            names = ", ".join(k.kind for k in report.coverage.unknown)
            print(
                f"posture: coverage incomplete ({names}); exit 3 (use --allow-incomplete)",
                file=sys.stderr,
            )
        if report.input_gaps:
            print(
                f"posture: input incomplete: {'; '.join(report.input_gaps)}; the measures "
                "were not evaluated; exit 3 (use --allow-incomplete)",
                file=sys.stderr,
            )
        return EXIT_INCOMPLETE
    if args.exit_zero:
        return EXIT_OK
    if report.at_or_above(Severity(args.fail_on)):
        return EXIT_FINDINGS
    return EXIT_OK


def _publish_setup(args: argparse.Namespace) -> Targets:
    """The publishing targets, checked before the cluster is read (posture.publish)."""
    from posture import publish

    if args.publish_policyreport and args.from_:
        raise ConfigError("--publish-policyreport writes to the cluster read: not with --from")
    if args.publish_configmap and args.from_:
        raise ConfigError("--publish-configmap writes to the cluster read: not with --from")
    return publish.targets(
        post_url=args.post_url,
        token_file=args.post_token_file,
        env_token=os.environ.get("POSTURE_POST_TOKEN", ""),
        pushgateway=args.pushgateway,
        pushgateway_job=args.pushgateway_job,
        timeout=args.request_timeout,
    )


def _publish(
    args: argparse.Namespace, report: Report, json_text: str | None, targets: Targets
) -> None:
    """Hand the report on after it was written: a failure to publish fails the run (exit 3)
    but never loses the report already written to --output-file."""
    from posture import publish

    def done(line: str) -> None:
        if not args.quiet:
            print(f"posture: {line}", file=sys.stderr)

    publish.deliver(
        targets,
        json_body=lambda: json_text if json_text is not None else render(report, "json"),
        metrics=lambda: render(report, "prometheus"),
        done=done,
    )
    if args.publish_policyreport:
        from posture.report.policyreport import policyreport_dict

        verb = cluster_source(args).publish(policyreport_dict(report), "clusterpolicyreports")
        done(f"{verb} ClusterPolicyReport posture")
    if args.publish_configmap:
        from posture.publish import latest_configmap, own_namespace

        body = json_text if json_text is not None else render(report, "json")
        cm = latest_configmap(args.publish_configmap, own_namespace(), render_summary(report), body)
        verb = cluster_source(args).publish(cm, "configmaps")
        done(f"{verb} ConfigMap {args.publish_configmap}")


def cmd_preflight(args: argparse.Namespace) -> int:
    """Every permission posture needs here, allowed or denied (SelfSubjectAccessReview); exit 3
    when something is denied, naming it, so an RBAC gap shows before a partial report does."""
    checks = cluster_source(args).preflight()
    sys.stdout.write(render_preflight(checks))
    problems = denied_lines(checks)
    for line in problems:
        print(line, file=sys.stderr)
    return EXIT_INCOMPLETE if problems else EXIT_OK


def cmd_reach(args: argparse.Namespace) -> int:
    analysis = analyse(_snapshot(args))
    keep = ReachFilter(args.src, args.dst, args.reach_namespace)
    for chunk in iter_reach(
        analysis.matrix, analysis.index.universe, fmt=args.output, expand=args.expand, keep=keep
    ):
        sys.stdout.write(chunk)
    return EXIT_OK


def cmd_explain(args: argparse.Namespace) -> int:
    explanation = explain(_snapshot(args), args.src, args.dst, args.port)
    sys.stdout.write(render_explanation(explanation, args.output))
    if args.exit_code and not any(v.allowed for p in explanation.paths for _, v in p.parts):
        return EXIT_FINDINGS
    return EXIT_OK


def cmd_diff(args: argparse.Namespace) -> int:
    old, new = load_report(args.old), load_report(args.new)
    _write(render_diff(diff_documents(old, new), where(new), args.output), args.output_file)
    return EXIT_OK


def cmd_snapshot(args: argparse.Namespace) -> int:
    from posture.sources.sanitise import SUMMARY as SANITISED
    from posture.sources.snapshot_file import write_snapshot

    inv = _inventory(args)
    build_snapshot(inv)  # validate before writing
    kept = write_snapshot(inv, args.output_file)
    if not args.quiet:
        print(f"posture: wrote {args.output_file} ({kept:,} objects; {SANITISED})", file=sys.stderr)
    return EXIT_OK


def cmd_fix(args: argparse.Namespace) -> int:
    from posture.remediation import plan_fix

    analysis = analyse(_snapshot(args))
    report = report_from(analysis)
    plan = plan_fix(analysis, report.findings)
    if report.input_gaps:
        print(f"posture: input incomplete: {'; '.join(report.input_gaps)}", file=sys.stderr)
    if plan.empty:
        if report.input_gaps:  # nothing found in nothing read is not "nothing to fix"
            return EXIT_INCOMPLETE
        print("posture: nothing for `posture fix` to close", file=sys.stderr)
        return EXIT_OK
    snap = analysis.snapshot
    _write(plan.render(snap.cluster or snap.source), None if args.dry_run else args.output_file)
    if args.output_file and not args.dry_run:
        print(
            f"posture: wrote {args.output_file} (closes {', '.join(plan.addressed)}); "
            "review it, then run:",
            file=sys.stderr,
        )
        for command in plan.commands(str(args.output_file)):
            print(f"  {command}", file=sys.stderr)
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.version or args.command == "version":
            print(f"posture {__version__}")
            return EXIT_OK
        if args.command is None:
            parser.print_help(sys.stderr)
            return EXIT_USAGE
        handler = {
            "check": cmd_check,
            "reach": cmd_reach,
            "explain": cmd_explain,
            "snapshot": cmd_snapshot,
            "diff": cmd_diff,
            "fix": cmd_fix,
            "preflight": cmd_preflight,
        }[args.command]
        return handler(args)
    except PostureError as e:
        print(f"posture: error: {e.message}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print("posture: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as e:
        print(
            f"posture: internal error: {type(e).__name__}: {e} "
            "(please report this with the input that caused it)",
            file=sys.stderr,
        )
        return EXIT_INTERNAL

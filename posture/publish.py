"""Deliver a finished report where a CronJob cannot keep it: an HTTP endpoint or a Pushgateway.

A CronJob's pod is gone minutes after it ran, so an in-cluster run hands its results on: the JSON
report POSTed to a collector (with a bearer token from a mounted Secret), the metrics pushed to a
Prometheus Pushgateway (Prometheus cannot scrape a pod that no longer exists). This module only
moves bytes that the CLI already rendered: it imports neither the report nor the sources, so it
sits beside them in the layering and any renderer can feed it.

Every failure becomes one line. What is wrong in the invocation and visible before sending (a URL
without scheme or host, an unreadable token file) is a :class:`~posture.errors.ConfigError`
(exit 2); whatever the far end did (refused, timed out, rejected the token, answered 5xx) is a
:class:`~posture.errors.SourceError` (exit 3), like an unreachable API server. Tokens never appear
in a message, nor do credentials embedded in a URL. There are no retries: the CronJob's next run
(or its ``backoffLimit``) is the retry, and a publishing step that silently waits minutes is worse
than one that fails fast and shows up in the Job's status.
"""

from __future__ import annotations

import base64
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import requests

from posture.errors import ConfigError, SourceError

USER_AGENT = "posture"
# The Prometheus text exposition format; the Pushgateway parses the body by this content type.
PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8"
_BODY_EXCERPT = 200


def _redact(url: str) -> str:
    """The URL without ``user:password@``, safe to print (also when it does not parse)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url.rsplit("@", 1)[-1] if "@" in url else url
    if "@" not in parts.netloc:
        return url
    netloc = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def check_url(url: str, what: str) -> str:
    """``url`` if it is an absolute http(s) URL, else a ConfigError naming the flag (``what``).

    Checked before the cluster is read, so that a typo fails in a second rather than after a
    five-minute read of a large cluster.
    """
    try:
        parts = urlsplit(url)
        port = parts.port  # raises ValueError for a non-numeric or out-of-range port
    except ValueError as e:
        raise ConfigError(f"{what} {_redact(url)!r}: invalid URL ({e})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            f"{what} {_redact(url)!r}: expected an absolute http:// or https:// URL"
        ) from None
    del port
    return url


def read_token(path: Path) -> str:
    """The bearer token in ``path`` (a mounted Secret key), without the trailing newline that
    ``kubectl create secret --from-file`` keeps; one-line ConfigError when unusable."""
    try:
        token = path.read_text(encoding="utf-8").strip()
    except OSError as e:
        raise ConfigError(f"{path}: cannot read the token file: {e.strerror or e}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: the token file is not UTF-8 text") from None
    return check_token(token, str(path))


def check_token(token: str, origin: str) -> str:
    """``token`` if it can go into an ``Authorization`` header (one printable line, not empty)."""
    if not token:
        raise ConfigError(f"{origin}: the bearer token is empty")
    if any(c.isspace() or not c.isprintable() for c in token):
        raise ConfigError(f"{origin}: the bearer token contains whitespace or control characters")
    return token


def _excerpt(resp: requests.Response) -> str:
    text = " ".join(resp.text.split())
    if len(text) > _BODY_EXCERPT:
        text = text[: _BODY_EXCERPT - 3] + "..."
    return f": {text}" if text else ""


def _send(
    method: str,
    url: str,
    *,
    body: bytes,
    headers: dict[str, str],
    timeout: float,
    doing: str,
) -> requests.Response:
    """One request; every outcome other than 2xx becomes a one-line posture error."""
    shown = _redact(url)
    try:
        with requests.Session() as session:
            resp = session.request(
                method,
                url,
                data=body,
                headers={"User-Agent": USER_AGENT, **headers},
                timeout=timeout,
                allow_redirects=False,  # never replay a bearer token to another location
            )
    except requests.exceptions.SSLError as e:
        raise SourceError(
            f"TLS connection to {shown} failed while {doing} ({_reason(e)}); "
            "set REQUESTS_CA_BUNDLE to the receiver's CA bundle"
        ) from None
    except requests.exceptions.Timeout:
        raise SourceError(f"no answer from {shown} within {timeout:g}s while {doing}") from None
    except requests.exceptions.ConnectionError as e:
        raise SourceError(
            f"cannot connect to {shown} ({_reason(e)}) while {doing}; "
            "is the URL right and the receiver up?"
        ) from None
    except requests.exceptions.RequestException as e:  # invalid header, too many redirects, ...
        raise SourceError(f"{doing} to {shown} failed: {_reason(e)}") from None
    if resp.status_code in (401, 403):
        raise SourceError(
            f"{shown} rejected the request ({resp.status_code} {resp.reason}) while {doing}: "
            "check the bearer token (--post-token-file or $POSTURE_POST_TOKEN)"
        )
    if not 200 <= resp.status_code <= 299:
        raise SourceError(
            f"{shown} answered HTTP {resp.status_code} {resp.reason} while {doing}{_excerpt(resp)}"
        )
    return resp


def _reason(exc: BaseException) -> str:
    """The innermost cause of a requests/urllib3 error (``Connection refused``), not the
    three-line repr of connection pools that ``str(exc)`` gives."""
    text = str(exc)
    match = re.search(r"\[Errno -?\d+\] ([^'\")\]]+)", text)
    if match:
        return match.group(1).strip()
    text = " ".join(text.split())
    return text[:160] or type(exc).__name__


def post_json(url: str, body: str, token: str | None, timeout: float) -> int:
    """POST the JSON report ``body`` to ``url`` (``Authorization: Bearer`` when a token is given);
    returns the HTTP status. Redirects are not followed, so the token goes only where it was meant.
    """
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    resp = _send(
        "POST",
        check_url(url, "--post-url"),
        body=body.encode("utf-8"),
        headers=headers,
        timeout=timeout,
        doing="posting the report",
    )
    return resp.status_code


def pushgateway_url(base: str, job: str) -> str:
    """``base``/metrics/job/``job``: the group a push replaces. A job name containing ``/`` uses
    the Pushgateway's ``@base64`` form, since it cannot be a path segment."""
    if not job:
        raise ConfigError("the Pushgateway job name is empty")
    if "/" in job:
        segment = "job@base64/" + base64.urlsafe_b64encode(job.encode()).decode().rstrip("=")
    else:
        segment = "job/" + quote(job, safe="")
    return check_url(base, "--pushgateway").rstrip("/") + "/metrics/" + segment


def push_gateway(url: str, job: str, text: str, timeout: float) -> int:
    """Replace the metrics of group ``job`` on the Pushgateway at ``url`` with ``text`` (the
    Prometheus text format); returns the HTTP status.

    PUT, not POST: a PUT replaces every metric of the group, so a finding fixed since the last run
    disappears instead of lingering with its old value.
    """
    if text and not text.endswith("\n"):
        text += "\n"  # the exposition format requires the last line to end with a newline
    resp = _send(
        "PUT",
        pushgateway_url(url, job),
        body=text.encode("utf-8"),
        headers={"Content-Type": PROMETHEUS_TEXT},
        timeout=timeout,
        doing="pushing metrics to the Pushgateway",
    )
    return resp.status_code


# --- the latest results in a ConfigMap (deploy/optional/configmap) ---------------------------

SERVICE_ACCOUNT_NAMESPACE = "/var/run/secrets/kubernetes.io/serviceaccount/namespace"
# A ConfigMap holds at most 1 MiB (etcd's request limit is a little more); the summary and the
# JSON report together stay well below, and a larger report is replaced by a note pointing at
# the volume, where the full report always is.
CONFIGMAP_REPORT_LIMIT = 768 * 1024


def own_namespace() -> str:
    """posture's namespace: ``$POSTURE_NAMESPACE``, else the pod's service account's."""
    given = os.environ.get("POSTURE_NAMESPACE", "").strip()
    if given:
        return given
    try:
        return Path(SERVICE_ACCOUNT_NAMESPACE).read_text(encoding="utf-8").strip() or "posture"
    except OSError:
        return "posture"


def latest_configmap(
    name: str, namespace: str, summary: str, report_json: str, limit: int = CONFIGMAP_REPORT_LIMIT
) -> dict[str, Any]:
    """The ConfigMap ``kubectl -n posture get cm NAME -o yaml`` shows: ``summary`` (text) and
    ``report.json``, the full JSON report when it fits in ``limit`` bytes, else a small JSON
    object saying how large it was and that the volume keeps it (bounded size, never a cut
    document that a parser would choke on)."""
    size = len(report_json.encode("utf-8"))
    if size <= limit:
        report = report_json
    else:
        report = json.dumps(
            {
                "truncated": True,
                "bytes": size,
                "limit": limit,
                "note": "the full report is on the reports volume (latest.json)",
            }
        )
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": {"app.kubernetes.io/name": "posture"},
        },
        "data": {"summary": summary, "report.json": report},
    }


def peak_mb() -> float:
    """This process's peak resident set size so far (``VmHWM``), 0 where /proc has none."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


@dataclass(frozen=True, slots=True)
class Targets:
    """Where a finished report goes: checked (URLs, token) before the cluster is read, so that a
    typo or a missing Secret fails in a second, not after the whole read."""

    post_url: str | None = None
    token: str | None = None  # bearer token for post_url
    pushgateway: str | None = None
    pushgateway_job: str = "posture"
    timeout: float = 30.0


def targets(
    *,
    post_url: str | None,
    token_file: Path | None,
    env_token: str,
    pushgateway: str | None,
    pushgateway_job: str,
    timeout: float,
) -> Targets:
    """The publishing flags → checked :class:`Targets`; ConfigError naming the flag otherwise.
    ``env_token`` is ``$POSTURE_POST_TOKEN`` (a token file wins over it)."""
    if pushgateway:
        pushgateway_url(pushgateway, pushgateway_job)
    if post_url:
        check_url(post_url, "--post-url")
    elif token_file:
        raise ConfigError("--post-token-file needs --post-url")
    token: str | None = None
    if post_url and token_file:
        token = read_token(token_file)
    elif post_url and env_token.strip():
        token = check_token(env_token.strip(), "$POSTURE_POST_TOKEN")
    return Targets(post_url, token, pushgateway, pushgateway_job, timeout)


def deliver(
    targets: Targets,
    *,
    json_body: Callable[[], str],
    metrics: Callable[[], str],
    done: Callable[[str], None],
) -> None:
    """POST the JSON report and push the metrics where ``targets`` say (each rendered only when
    needed), telling ``done`` after each step, so a later failure does not hide an earlier
    success."""
    if targets.post_url:
        status = post_json(targets.post_url, json_body(), targets.token, targets.timeout)
        done(f"posted the report ({status})")
    if targets.pushgateway:
        status = push_gateway(
            targets.pushgateway, targets.pushgateway_job, metrics(), targets.timeout
        )
        done(f"pushed metrics to the Pushgateway ({status})")

"""The live-cluster source: list everything posture needs from a running API server.

This is the only module of posture that imports ``kubernetes``. The package is used for what is
hard to get right (kubeconfig merging, contexts, exec credential plugins, in-cluster service
accounts, TLS set-up); the LIST calls themselves go straight through the urllib3 pool that the
``ApiClient`` configured, returning raw JSON: typed models cost about twice the time on large
clusters, and the generated ``call_api`` signature changed across the client versions posture
supports (its ``_preload_content`` flag is gone since kubernetes-client 35).

Every kind ends with a coverage record: a denied list is FORBIDDEN (unknown, never an empty
list), a kind the server does not serve is ABSENT, and a list that kept failing is FAILED.
Failures that make the whole read meaningless (unreachable server, bad certificate, rejected
credentials, broken kubeconfig, overall deadline) raise :class:`~posture.errors.SourceError`
with one line saying what failed and what to do. :func:`translate_error` is the single place
where exceptions of ``kubernetes`` and ``urllib3`` become posture errors.
"""

from __future__ import annotations

import json
import os
import random
import ssl
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import urllib3
from kubernetes import client as k8s_client
from kubernetes import config as _k8s_config

from posture.errors import SourceError
from posture.model.coverage import Coverage, KindCoverage, ReadStatus
from posture.model.meta import SourceLocation
from posture.sources import convert_felix, convert_workload, paging
from posture.sources.base import Provenance, RawInventory, RawObject, gc_paused
from posture.sources.convert_policy import Where
from posture.sources.discovery import (
    KUBERNETES_KINDS,
    KindSpec,
    ServedResource,
    absent_reason,
    calico_specs,
    choose_calico_api,
    group_version_path,
    parse_group_list,
    parse_resource_list,
)
from posture.sources.sanitise import slim

if TYPE_CHECKING:
    from posture.model.snapshot import Snapshot

# Typed as Any: the loaders are untyped in some supported client versions and typed in others.
k8s_config: Any = _k8s_config

Progress = Callable[[str], None]

MAX_ATTEMPTS = 5  # per request, for 429 / 5xx / read timeouts
MAX_LIST_RESTARTS = 2  # per kind, when a continue token expires (410 Gone)
MAX_BACKOFF = 8.0  # seconds
SERVICE_ACCOUNT_TOKEN = "/var/run/secrets/kubernetes.io/serviceaccount/token"


class _KindFailure(SourceError):
    """A failure confined to one request: the kind's coverage records it, the read goes on."""

    status = ReadStatus.FAILED


class _Forbidden(_KindFailure):
    status = ReadStatus.FORBIDDEN


class _NotServed(_KindFailure):
    status = ReadStatus.ABSENT


class _Expired(_KindFailure):
    """410 Gone: the continue token outlived etcd's compaction; the list must restart."""

    pages = 0  # pages read before the one that expired


class _Conflict(_KindFailure):
    """409: the object already exists (create) or changed meanwhile (update)."""


class _Transient(_KindFailure):
    """Worth retrying: throttled (429), server error (5xx), no answer in time."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def _one_line(text: object, limit: int = 300) -> str:
    """Collapse whitespace so that a message never spans lines; cut very long ones."""
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 3] + "..."


def _server_message(body: str | bytes | None) -> str:
    """The ``message`` of a Kubernetes ``Status`` body, or the start of the raw body."""
    if not body:
        return ""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    try:
        status = json.loads(text)
    except ValueError:
        return _one_line(text, 200)
    return _one_line(status.get("message", "") if isinstance(status, dict) else text, 200)


def _retry_after(headers: Any) -> float | None:
    """Seconds from a ``Retry-After`` header (the API server sends whole seconds)."""
    value = headers.get("Retry-After") if headers is not None else None
    try:
        return min(max(float(value), 0.0), 60.0) if value is not None else None
    except ValueError:
        return None


def translate_error(exc: BaseException, *, doing: str, server: str) -> SourceError:
    """Turn any exception met while configuring or calling the API server into a posture error.

    Per-kind outcomes come back as private subclasses (forbidden, not served, expired, transient)
    that the reader records in coverage; everything else is a plain SourceError ending the read.
    ``doing`` says what was attempted ("listing pods (page 3)").
    """
    if isinstance(exc, SourceError):
        return exc
    if isinstance(exc, k8s_client.ApiException):
        status = int(exc.status or 0)
        detail = _server_message(exc.body) or _one_line(exc.reason or "")
        if status == 0:  # the client wraps TLS failures as status 0
            return SourceError(
                f"TLS connection to {server} failed while {doing} ({_one_line(detail, 160)}); "
                "check the kubeconfig's certificate-authority and client certificate"
            )
        if status == 401:
            return SourceError(
                f"{server} rejected the credentials (401 Unauthorized) while {doing}: the token "
                "or client certificate is invalid or expired; refresh the kubeconfig's credentials"
            )
        if status == 403:
            return _Forbidden(detail or f"forbidden (403) while {doing}")
        if status == 404:
            return _NotServed(f"not found while {doing}: {detail}")
        if status == 409:
            return _Conflict(f"conflict (409) while {doing}: {detail}")
        if status == 410:
            return _Expired(f"list expired (410 Gone) while {doing}: {detail}")
        if status == 429 or status >= 500:
            return _Transient(f"HTTP {status} while {doing}: {detail}", _retry_after(exc.headers))
        return _KindFailure(f"HTTP {status} while {doing}: {detail}")
    if isinstance(exc, urllib3.exceptions.MaxRetryError) and exc.reason is not None:
        return translate_error(exc.reason, doing=doing, server=server)
    if isinstance(exc, urllib3.exceptions.SSLError | ssl.SSLError):
        return SourceError(
            f"TLS connection to {server} failed ({_one_line(exc, 160)}); check the kubeconfig's "
            "certificate-authority (or the server's certificate)"
        )
    if isinstance(exc, urllib3.exceptions.ReadTimeoutError | TimeoutError):
        return _Transient(f"no answer from {server} in time while {doing}")
    if isinstance(
        exc, urllib3.exceptions.NewConnectionError | urllib3.exceptions.ConnectTimeoutError
    ):
        reason = _one_line(str(exc).rsplit(": ", 1)[-1], 120)
        return SourceError(
            f"cannot connect to {server} ({reason}); is the cluster up and the kubeconfig's "
            "server address right?"
        )
    if isinstance(exc, urllib3.exceptions.ProtocolError):
        return _Transient(f"connection to {server} broke while {doing}: {_one_line(exc, 160)}")
    if isinstance(exc, urllib3.exceptions.LocationValueError):
        return SourceError(f"invalid server address {server!r} in the kubeconfig")
    if isinstance(exc, k8s_config.ConfigException):
        return SourceError(f"{doing} failed: {_one_line(exc, 200)}")
    if isinstance(exc, ValueError):  # includes json.JSONDecodeError
        return _KindFailure(f"unreadable answer from {server} while {doing}: {_one_line(exc, 120)}")
    if isinstance(exc, OSError):  # e.g. a certificate file or exec plugin that does not exist
        return SourceError(f"{doing} failed: {_one_line(exc, 200)}")
    return SourceError(f"{doing} failed: {type(exc).__name__}: {_one_line(exc, 200)}")


class _Api:
    """One API server connection with posture's retry, per-request timeout and deadline policy."""

    def __init__(
        self, api_client: Any, *, request_timeout: float, deadline: float, timeout: float
    ) -> None:
        self.api_client = api_client
        self.host: str = str(api_client.configuration.host)
        self.request_timeout = request_timeout
        self.deadline = deadline
        self.timeout = timeout

    def get(self, path: str, query: Sequence[tuple[str, str]] = (), *, doing: str) -> Any:
        return self.parse(self._call("GET", path, query, None, doing), doing=doing)

    def get_raw(self, path: str, query: Sequence[tuple[str, str]] = (), *, doing: str) -> bytes:
        """The answer's bytes, unparsed (pages of a list: see :class:`_PageReader`)."""
        return self._call("GET", path, query, None, doing)

    def post(self, path: str, body: RawObject, *, doing: str) -> Any:
        return self.parse(self._call("POST", path, (), body, doing), doing=doing)

    def put(self, path: str, body: RawObject, *, doing: str) -> Any:
        return self.parse(self._call("PUT", path, (), body, doing), doing=doing)

    def parse(self, data: bytes, *, doing: str) -> Any:
        """An answer's JSON; an unreadable one fails its kind, like any other bad answer."""
        try:
            return json.loads(data)
        except ValueError as exc:
            raise translate_error(exc, doing=doing, server=self.host) from None

    def _call(
        self,
        method: str,
        path: str,
        query: Sequence[tuple[str, str]],
        body: RawObject | None,
        doing: str,
    ) -> bytes:
        """One request with retries on transient failures, within the overall deadline."""
        for attempt in range(MAX_ATTEMPTS):
            remaining = self.deadline - time.monotonic()
            if remaining <= 0:
                raise self._deadline_error(doing)
            try:
                return self._exchange(
                    method, path, query, body, min(self.request_timeout, remaining)
                )
            except Exception as exc:  # translated just below: one place decides what it means
                err = translate_error(exc, doing=doing, server=self.host)
                if not isinstance(err, _Transient) or attempt == MAX_ATTEMPTS - 1:
                    raise err from None
                delay = err.retry_after
                if delay is None:
                    delay = min(MAX_BACKOFF, 0.25 * 2**attempt) * random.uniform(0.8, 1.2)
                if time.monotonic() + delay >= self.deadline:
                    raise self._deadline_error(doing) from None
                time.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _exchange(
        self,
        method: str,
        path: str,
        query: Sequence[tuple[str, str]],
        body: RawObject | None,
        timeout: float,
    ) -> bytes:
        """One HTTP exchange on the ApiClient's pool (TLS, client certs, proxy already set);
        bearer tokens come from ``auth_settings()``, which also runs token-refresh hooks."""
        cfg = self.api_client.configuration
        headers = {"Accept": "application/json", **self.api_client.default_headers}
        for auth in cfg.auth_settings().values():
            if auth.get("in") == "header" and auth.get("value"):
                headers[auth["key"]] = auth["value"]
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(body).encode()
        url = self.host + path + (f"?{urlencode(list(query))}" if query else "")
        resp = self.api_client.rest_client.pool_manager.request(
            method,
            url,
            body=data,
            headers=headers,
            timeout=urllib3.Timeout(total=timeout),
            retries=urllib3.Retry(total=1, connect=1, read=0, status=0, redirect=0, other=0),
            preload_content=True,
        )
        if not 200 <= resp.status <= 299:
            raise _api_exception(resp)
        return bytes(resp.data)

    def _deadline_error(self, doing: str) -> SourceError:
        return SourceError(
            f"gave up after the overall timeout of {self.timeout:g}s while {doing}; "
            "raise the timeout if the cluster is large or slow"
        )


def _api_exception(resp: Any) -> Exception:
    """An ``ApiException`` carrying status, body and headers (for Retry-After)."""
    exc = k8s_client.ApiException(status=resp.status, reason=resp.reason)
    exc.body = resp.data
    exc.headers = resp.headers
    return exc


class ClusterSource:
    """Reads a live cluster through its API server (kubeconfig, context or in-cluster account).

    ``in_cluster=None`` picks the pod's service account only when no kubeconfig is given or
    found, like kubectl. ``timeout`` bounds the whole read; ``request_timeout`` each request.
    """

    def __init__(
        self,
        *,
        kubeconfig: str | None,
        context: str | None,
        in_cluster: bool | None = None,
        chunk_size: int = 500,
        request_timeout: float = 30,
        timeout: float = 300,
        progress: Progress | None = None,
        tick: Progress | None = None,
    ) -> None:
        if chunk_size < 1:
            raise SourceError(f"page size must be at least 1, got {chunk_size}")
        self.kubeconfig = kubeconfig
        self.context = context
        self.in_cluster = in_cluster
        self.chunk_size = chunk_size
        self.request_timeout = request_timeout
        self.timeout = timeout
        self.progress: Progress = progress or (lambda _line: None)
        # Called after every page with a running count: a progress bar's source on a terminal.
        self.tick: Progress = tick or (lambda _line: None)
        self._cluster_name = ""
        self._context_name = ""

    def load(self) -> Snapshot:
        """Read the cluster and convert it with the converter every source shares."""
        from posture.sources.convert import build_snapshot

        with gc_paused():
            return build_snapshot(self.read_inventory())

    # --- configuration -------------------------------------------------------------------

    def _kubeconfig_paths(self) -> str:
        """The kubeconfig path list to load (``:``-separated like ``$KUBECONFIG``), checked to
        exist so that a typo gets a clear message rather than "no configuration found"."""
        given = self.kubeconfig or os.environ.get("KUBECONFIG", "")
        paths = [p for p in given.split(os.pathsep) if p] or [os.path.expanduser("~/.kube/config")]
        if not any(os.path.isfile(os.path.expanduser(p)) for p in paths):
            origin = (
                "--kubeconfig" if self.kubeconfig else "$KUBECONFIG" if given else "default path"
            )
            raise SourceError(
                f"kubeconfig not found: {os.pathsep.join(paths)} ({origin}); pass --kubeconfig, "
                "set KUBECONFIG, or run inside a pod with a service account"
            )
        return os.pathsep.join(os.path.expanduser(p) for p in paths)

    def _use_in_cluster(self) -> bool:
        if self.in_cluster is not None:
            return self.in_cluster
        if self.kubeconfig or os.environ.get("KUBECONFIG"):
            return False
        if os.path.isfile(os.path.expanduser("~/.kube/config")):
            return False
        return os.path.isfile(SERVICE_ACCOUNT_TOKEN) and "KUBERNETES_SERVICE_HOST" in os.environ

    def _connect(self, deadline: float) -> _Api:
        """Build the ApiClient from kubeconfig or the in-cluster account; never a traceback."""
        cfg = k8s_client.Configuration()
        doing = "loading the kubeconfig"
        try:
            if self._use_in_cluster():
                doing = "loading the pod's service account (in-cluster configuration)"
                k8s_config.load_incluster_config(client_configuration=cfg)
                self._cluster_name, self._context_name = "in-cluster", ""
            else:
                paths = self._kubeconfig_paths()
                doing = f"loading kubeconfig {paths}"
                contexts, current = k8s_config.list_kube_config_contexts(paths)
                names = [str(c.get("name", "")) for c in contexts or ()]
                chosen = self.context or str((current or {}).get("name", ""))
                if chosen not in names:
                    what = f"no context named {chosen!r}" if chosen else "no current context"
                    raise SourceError(
                        f"kubeconfig {paths} has {what} (contexts: {', '.join(names) or 'none'});"
                        " pick one with --context"
                    )
                entry = next(c for c in contexts if c.get("name") == chosen)
                self._context_name = chosen
                self._cluster_name = str((entry.get("context") or {}).get("cluster", ""))
                k8s_config.load_kube_config(
                    config_file=paths,
                    context=chosen,
                    client_configuration=cfg,
                    persist_config=False,
                )
            api_client = k8s_client.ApiClient(configuration=cfg)
        except Exception as exc:  # config loading raises many types; all end up one-line
            raise translate_error(exc, doing=doing, server=str(cfg.host)) from None
        return _Api(
            api_client,
            request_timeout=self.request_timeout,
            deadline=deadline,
            timeout=self.timeout,
        )

    # --- discovery -----------------------------------------------------------------------

    def _discover(
        self, api: _Api
    ) -> tuple[str, dict[str, tuple[str, ...]], dict[str, dict[str, ServedResource] | str]]:
        """Served groups, the Calico API to use, and the resources of each group-version posture
        reads (or, for a group-version that could not be discovered, the reason why)."""
        try:
            groups = parse_group_list(api.get("/apis", doing="discovering API groups"))
        except _Forbidden as exc:  # discovery is open to every authenticated user
            who = "an anonymous user" if "system:anonymous" in exc.message else "this user"
            raise SourceError(
                f"{api.host} refused API discovery to {who} ({exc.message}); check the "
                "kubeconfig's credentials (a failing exec credential plugin sends none)"
            ) from None
        groups[""] = ("v1",)
        calico_api = choose_calico_api(groups)
        wanted = {s.api_version for s in KUBERNETES_KINDS}
        if calico_api:
            wanted.add(calico_api)
        served: dict[str, dict[str, ServedResource] | str] = {}
        for gv in sorted(wanted):
            group, _, version = gv.rpartition("/")
            if version not in groups.get(group, ()):
                served[gv] = {}
                continue
            try:
                body = api.get(group_version_path(gv), doing=f"discovering {gv}")
                served[gv] = parse_resource_list(body)
            except _NotServed:
                served[gv] = {}
            except _KindFailure as exc:  # e.g. Calico's aggregated API server is down (503)
                served[gv] = f"discovery of {gv} failed: {exc.message}"
        return calico_api, groups, served

    # --- reading -------------------------------------------------------------------------

    def read_inventory(self) -> RawInventory:
        """List every kind posture needs; see the module docstring for what each outcome means.
        The garbage collector is paused meanwhile (:func:`~posture.sources.base.gc_paused`)."""
        deadline = time.monotonic() + self.timeout
        api = self._connect(deadline)
        try:
            with gc_paused():
                version = api.get("/version", doing="reading the server version")
                calico_api, groups, served = self._discover(api)
                inventory = RawInventory()
                coverage: list[KindCoverage] = []
                for spec in (*KUBERNETES_KINDS, *calico_specs(calico_api)):
                    coverage.append(
                        self._read_kind(api, spec, calico_api, groups, served, inventory)
                    )
        finally:
            api.api_client.close()
        inventory.coverage = Coverage(tuple(coverage))
        inventory.provenance = Provenance(
            source=api.host,
            cluster=self._cluster_name,
            context=self._context_name,
            generated_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            server_version=str(version.get("gitVersion", "")) if isinstance(version, dict) else "",
            felix_env=tuple(sorted((convert_felix.felix_env(inventory.objects) or {}).items())),
            calico_api=calico_api,
        )
        return inventory

    def _read_kind(
        self,
        api: _Api,
        spec: KindSpec,
        calico_api: str,
        groups: dict[str, tuple[str, ...]],
        served: dict[str, dict[str, ServedResource] | str],
        inventory: RawInventory,
    ) -> KindCoverage:
        """List one kind into ``inventory`` and say how it went (also on the progress line)."""
        group_label = spec.group or "core"
        resources = served.get(spec.api_version, {})
        if isinstance(resources, str):
            outcome = KindCoverage(spec.kind, group_label, ReadStatus.FAILED, reason=resources)
        elif spec.plural not in resources:
            reason = absent_reason(spec, calico_api, groups)
            outcome = KindCoverage(spec.kind, group_label, ReadStatus.ABSENT, reason=reason)
        else:
            try:
                items, pages, prepared = self._list(api, spec)
            except _KindFailure as exc:
                outcome = KindCoverage(spec.kind, group_label, exc.status, reason=exc.message)
            else:
                inventory.prepared.update(prepared)
                for item in items:
                    meta = item.get("metadata") or {}
                    path = spec.object_path(meta.get("namespace", ""), meta.get("name", ""))
                    inventory.add(item, SourceLocation(api.host + path))
                outcome = KindCoverage(
                    spec.kind, group_label, ReadStatus.READ, count=len(items), pages=pages
                )
        if outcome.status is ReadStatus.READ:
            plural = "" if outcome.pages == 1 else "s"
            self.progress(f"{spec.label}: {outcome.count:,} in {outcome.pages} page{plural}")
        else:
            self.progress(f"{spec.label}: {outcome.status.value} ({outcome.reason})")
        return outcome

    def _list(self, api: _Api, spec: KindSpec) -> tuple[list[RawObject], int, _Prepared]:
        """All objects of one kind, paginated; restarted from scratch when the continue token
        expires, because pages from two different snapshots of etcd must not be mixed."""
        restarts = 0
        while True:
            try:
                return self._list_once(api, spec)
            except _Expired as exc:
                restarts += 1
                if restarts > MAX_LIST_RESTARTS:
                    raise _KindFailure(
                        f"list kept expiring ({restarts} tries); use a larger page size: {exc}"
                    ) from None
                self.progress(f"{spec.label}: list expired after {exc.pages} pages; restarting")

    def _list_once(self, api: _Api, spec: KindSpec) -> tuple[list[RawObject], int, _Prepared]:
        """One pass over the pages (:func:`~posture.sources.paging.pages`: the next page is
        requested while this one is parsed and trimmed); each page is reduced to what posture
        uses (:func:`~posture.sources.sanitise.slim`) and dropped before the next is taken.
        Pods are also converted as far as they can be alone (:func:`_prepare`)."""

        def doing(number: int) -> str:
            return f"listing {spec.label} (page {number})"

        def fetch(token: str, number: int) -> bytes:
            query = [("limit", str(self.chunk_size))]
            if token:
                query.append(("continue", token))
            if spec.field_selector:
                query.append(("fieldSelector", spec.field_selector))
            try:
                return api.get_raw(spec.collection_path(), query, doing=doing(number))
            except _Expired as exc:
                exc.pages = number - 1
                raise

        def parse(data: bytes, number: int) -> Any:
            body = api.parse(data, doing=doing(number))
            if not isinstance(body, dict):
                raise _KindFailure(f"unreadable answer from {api.host} while {doing(number)}")
            return body

        items: list[RawObject] = []
        prepared: _Prepared = {}
        pods = spec.kind == "Pod" and not spec.group
        number = 0
        try:
            for body in paging.pages(fetch, parse):
                number += 1
                start = len(items)
                for item in body.get("items") or ():
                    item["apiVersion"] = spec.api_version  # LIST items carry neither field
                    item["kind"] = spec.kind
                    kept = slim(item)
                    if kept is not None:
                        items.append(kept)
                more = bool(paging.continue_token(body.get("metadata")))
                del body  # the page's raw objects go before the next page is taken
                if pods:
                    _prepare(items[start:], prepared)
                if more:
                    self.tick(f"{spec.label}: {len(items):,} so far, page {number}")
        except paging.TokenMismatch as exc:
            raise _KindFailure(f"unreadable answer from {api.host} while listing: {exc}") from None
        return items, number, prepared

    # --- permissions ---------------------------------------------------------------------

    def publish(self, obj: RawObject, plural: str) -> str:
        """Create or replace one object (the report as a ClusterPolicyReport, the latest summary
        as a ConfigMap in posture's namespace): POST, and on 409 read its resourceVersion and
        PUT. Returns "created" or "replaced". Needs only create, get and update on that one
        resource (deploy/optional/policyreport, deploy/optional/configmap).
        """
        api = self._connect(time.monotonic() + self.timeout)
        group_version = str(obj.get("apiVersion") or "")
        meta = obj.get("metadata") or {}
        name, namespace = str(meta.get("name") or ""), str(meta.get("namespace") or "")
        if not group_version or not name:
            raise SourceError("publish: the object needs an apiVersion and a metadata.name")
        root = f"/apis/{group_version}" if "/" in group_version else f"/api/{group_version}"
        base = f"{root}{f'/namespaces/{namespace}' if namespace else ''}/{plural}"
        try:
            api.post(base, obj, doing=f"creating {plural}/{name}")
            return "created"
        except _Conflict:
            pass
        except _KindFailure as e:
            raise SourceError(f"cannot publish {plural}/{name}: {e}") from None
        try:
            current = api.get(f"{base}/{name}", doing=f"reading {plural}/{name}")
            version = (current.get("metadata") or {}).get("resourceVersion", "")
            body = {**obj, "metadata": {**obj["metadata"], "resourceVersion": version}}
            api.put(f"{base}/{name}", body, doing=f"replacing {plural}/{name}")
        except _KindFailure as e:
            raise SourceError(f"cannot publish {plural}/{name}: {e}") from None
        return "replaced"

    def preflight(self) -> list[tuple[str, str, str, bool]]:
        """Ask the server (SelfSubjectAccessReview) whether the current user may list every kind
        posture reads here: (verb, group, resource, allowed), so missing RBAC shows up front."""
        api = self._connect(time.monotonic() + self.timeout)
        try:
            calico_api, _groups, served = self._discover(api)
            results: list[tuple[str, str, str, bool]] = []
            for spec in (*KUBERNETES_KINDS, *calico_specs(calico_api)):
                resources = served.get(spec.api_version)
                if _is_calico(spec) and not calico_api:
                    continue
                if isinstance(resources, dict) and spec.plural not in resources:
                    continue  # not served: nothing to be allowed to read
                review = api.post(
                    "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
                    {
                        "apiVersion": "authorization.k8s.io/v1",
                        "kind": "SelfSubjectAccessReview",
                        "spec": {
                            "resourceAttributes": {
                                "verb": "list",
                                "group": spec.group,
                                "resource": spec.plural,
                            }
                        },
                    },
                    doing=f"checking permission to list {spec.label}",
                )
                allowed = bool((review.get("status") or {}).get("allowed"))
                results.append(("list", spec.group, spec.plural, allowed))
            return results
        finally:
            api.api_client.close()


_Prepared = dict[int, tuple[RawObject, convert_workload.PodFacts]]


def _prepare(pods: list[RawObject], prepared: _Prepared) -> None:
    """Convert pods as far as each can be alone (everything but the labels inherited from
    namespace and service account, which are read after the pods), while the next page is
    on its way: the converter then finds the facts in ``RawInventory.prepared``. A pod whose
    conversion fails is left to the converter, which reports it as it always does."""
    for pod in pods:
        try:
            facts = convert_workload.pod_facts(pod, _nowhere)
        except Exception:  # the converter meets it again and says what is wrong, and where
            continue
        prepared[id(pod)] = (pod, facts)


def _nowhere() -> Where:
    return Where("")


def _is_calico(spec: KindSpec) -> bool:
    return spec.group in ("projectcalico.org", "crd.projectcalico.org")

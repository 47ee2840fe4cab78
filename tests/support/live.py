"""A real etcd + kube-apiserver for the live-source tests, started and stopped by pytest.

Why not a mocked client: what matters here (pagination and continue tokens, RBAC denials,
discovery of CRD groups, status codes, TLS and token failures) is behaviour of the real server.
Binaries come from ``$KUBEBUILDER_ASSETS`` or the cache ``scripts/envtest`` fills; without them
the live tests skip (or fail, when ``POSTURE_LIVE_REQUIRED=1``, as CI sets it).

Everything listens on 127.0.0.1 only, on free ports, with a fresh etcd data dir and a fresh PKI
per server. The two session fixtures here (``envtest_binaries``, ``start_live_cluster``) are
registered once for the whole suite by ``tests/conftest.py``; tests/live and tests/deploy start
the servers they need from the same factory.
"""

from __future__ import annotations

import ctypes
import json
import os
import re
import signal
import socket
import ssl
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

REPO = Path(__file__).resolve().parents[2]
CRDS = REPO / "tests" / "data" / "crds"
# Static bearer-token users; RBAC for all but the admin is granted by the tests themselves.
TOKEN_USERS = ("admin", "nobody", "partial", "reader")
STARTUP_TIMEOUT = 90.0


def find_binaries() -> tuple[Path | None, str]:
    """The directory holding kube-apiserver and etcd, or None and why not."""
    candidates = []
    if os.environ.get("KUBEBUILDER_ASSETS"):
        candidates.append(Path(os.environ["KUBEBUILDER_ASSETS"]))
    cache = os.environ.get("POSTURE_ENVTEST_DIR") or os.path.expanduser("~/.cache/posture-envtest")
    candidates.append(Path(cache) / "bin")
    for path in candidates:
        if all(os.access(path / b, os.X_OK) for b in ("kube-apiserver", "etcd")):
            return path, ""
    tried = ", ".join(str(c) for c in candidates)
    return None, f"no kube-apiserver + etcd in {tried}; run scripts/envtest (about 9 min once)"


def _free_ports(count: int) -> list[int]:
    """Ports the kernel considers free right now (all sockets held open until all are chosen)."""
    socks = [socket.socket() for _ in range(count)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [int(s.getsockname()[1]) for s in socks]
    finally:
        for s in socks:
            s.close()


def _die_with_parent() -> None:
    """Child pre-exec hook: SIGKILL the server if pytest dies, so nothing outlives the session."""
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def plural(kind: str) -> str:
    """Resource name of a kind (enough for every kind these tests create)."""
    lower = kind.lower()
    return lower[:-1] + "ies" if lower.endswith("y") else lower + "s"


class Kube:
    """Minimal admin client for setting up test data (plain HTTP via requests, client cert)."""

    def __init__(self, server: str, ca: Path, cert: Path, key: Path) -> None:
        self.server = server
        self.http = requests.Session()
        self.http.trust_env = False  # REQUESTS_CA_BUNDLE would override verify; no proxies
        self.http.verify = str(ca)
        self.http.cert = (str(cert), str(key))

    def path(self, api_version: str, kind: str, namespace: str = "", name: str = "") -> str:
        base = f"/apis/{api_version}" if "/" in api_version else f"/api/{api_version}"
        ns = f"/namespaces/{namespace}" if namespace else ""
        return f"{base}{ns}/{plural(kind)}" + (f"/{name}" if name else "")

    def request(self, method: str, path: str, body: Any = None, **headers: str) -> Any:
        resp = self.http.request(method, self.server + path, json=body, headers=headers, timeout=30)
        if resp.status_code >= 300:
            raise AssertionError(f"{method} {path}: HTTP {resp.status_code}: {resp.text[:500]}")
        return resp.json()

    def create(self, obj: dict[str, Any]) -> Any:
        meta = obj["metadata"]
        path = self.path(obj["apiVersion"], obj["kind"], meta.get("namespace", ""))
        return self.request("POST", path, obj)

    def create_all(self, objs: list[dict[str, Any]]) -> None:
        for obj in objs:
            self.create(obj)

    def patch_status(self, obj: dict[str, Any], status: dict[str, Any]) -> Any:
        """Pods stay Pending without a kubelet: set IPs through the status subresource."""
        meta = obj["metadata"]
        path = self.path(obj["apiVersion"], obj["kind"], meta.get("namespace", ""), meta["name"])
        return self.request(
            "PATCH",
            f"{path}/status",
            {"status": status},
            **{"Content-Type": "application/merge-patch+json"},
        )

    def list_names(self, api_version: str, kind: str) -> list[str]:
        """Ground truth: ``namespace/name`` of every object of a kind (one unpaginated LIST)."""
        items = self.request("GET", self.path(api_version, kind))["items"]
        return sorted(
            f"{i['metadata'].get('namespace', '')}/{i['metadata']['name']}" for i in items
        )

    def install_crds(self, folder: Path) -> None:
        """Create every CRD in ``folder`` and wait until discovery serves all of them."""
        wanted: dict[str, set[str]] = {}
        for file in sorted(folder.glob("*.yaml")):
            for doc in yaml.safe_load_all(file.read_text()):
                if doc:
                    self.request(
                        "POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", doc
                    )
                    spec = doc["spec"]
                    gv = f"{spec['group']}/{spec['versions'][0]['name']}"
                    wanted.setdefault(gv, set()).add(spec["names"]["plural"])
        deadline = time.monotonic() + 60
        for gv, plurals in wanted.items():
            while True:
                resp = self.http.get(f"{self.server}/apis/{gv}", timeout=10)
                served = {r["name"] for r in resp.json().get("resources", [])} if resp.ok else set()
                if plurals <= served:
                    break
                if time.monotonic() > deadline:
                    raise AssertionError(f"CRDs of {gv} not served after 60s: {plurals - served}")
                time.sleep(0.2)


@dataclass
class LiveCluster:
    """One running API server and the credentials the tests use against it."""

    name: str
    server: str
    workdir: Path
    ca_file: Path
    etcd_url: str
    admin_kubeconfig: Path  # client certificate in system:masters
    token_kubeconfigs: dict[str, Path]  # user -> kubeconfig with that user's bearer token
    tokens: dict[str, str]
    kube: Kube
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    startup_seconds: float = 0.0

    @property
    def token_kubeconfig(self) -> Path:
        """A token user without any permission."""
        return self.token_kubeconfigs["nobody"]

    def kubeconfig_with(
        self,
        path: Path,
        *,
        token: str = "",
        ca_file: Path | None = None,
        server: str = "",
        context: str = "live",
    ) -> Path:
        """A kubeconfig variant (other token, CA or server) for failure tests."""
        write_kubeconfig(
            path,
            server or self.server,
            ca_file or self.ca_file,
            context,
            {"token": token or self.tokens["admin"]},
            names=(f"cluster-{context}", f"user-{context}"),
        )
        return path

    def stop(self) -> None:
        for proc in reversed(self.processes):
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)


def write_kubeconfig(
    path: Path,
    server: str,
    ca: Path,
    context: str,
    user: dict[str, str],
    names: tuple[str, str] = ("envtest", "user"),
) -> None:
    """A one-context kubeconfig; ``names`` are the cluster and user entry names."""
    cluster_name, user_name = names
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {"name": cluster_name, "cluster": {"server": server, "certificate-authority": str(ca)}}
        ],
        "users": [{"name": user_name, "user": user}],
        "contexts": [{"name": context, "context": {"cluster": cluster_name, "user": user_name}}],
        "current-context": context,
    }
    path.write_text(yaml.safe_dump(config))


def _wait(what: str, ready: Callable[[], bool], proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while not ready():
        if proc.poll() is not None:
            tail = " | ".join(log.read_text(errors="replace").splitlines()[-5:])
            raise RuntimeError(f"{what} exited with {proc.returncode}; log {log}: {tail}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} not ready after {STARTUP_TIMEOUT:g}s; see {log}")
        time.sleep(0.1)


def _http_ok(url: str, context: ssl.SSLContext | None = None, token: str = "") -> str:
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(req, timeout=2, context=context) as resp:
            return str(resp.read().decode())
    except OSError:
        return ""


def _apiserver_minor(binary: Path) -> int:
    out = subprocess.run([binary, "--version"], capture_output=True, text=True, check=True).stdout
    match = re.search(r"v1\.(\d+)", out)
    return int(match.group(1)) if match else 0


def start_cluster(binaries: Path, workdir: Path, name: str) -> LiveCluster:
    """etcd + kube-apiserver on fresh loopback ports and data; returns once /readyz says ok."""
    started = time.monotonic()
    pki = workdir / "pki"
    subprocess.run([REPO / "scripts" / "envtest-certs", pki], check=True)
    tokens = {user: os.urandom(16).hex() for user in TOKEN_USERS}
    (pki / "tokens.csv").write_text(
        "".join(
            f"{tok},posture-{user},uid-{user}{',system:masters' if user == 'admin' else ''}\n"
            for user, tok in tokens.items()
        )
    )
    etcd_port, peer_port, api_port = _free_ports(3)
    procs: list[subprocess.Popen[bytes]] = []

    def spawn(args: list[str | Path], log: Path) -> subprocess.Popen[bytes]:
        with log.open("wb") as out:
            proc = subprocess.Popen(
                args, stdout=out, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent
            )
        procs.append(proc)
        return proc

    etcd_url = f"http://127.0.0.1:{etcd_port}"
    peer_url = f"http://127.0.0.1:{peer_port}"
    etcd = spawn(
        [
            binaries / "etcd",
            "--name",
            "envtest",
            "--data-dir",
            workdir / "etcd",
            "--listen-client-urls",
            etcd_url,
            "--advertise-client-urls",
            etcd_url,
            "--listen-peer-urls",
            peer_url,
            "--initial-advertise-peer-urls",
            peer_url,
            "--initial-cluster",
            f"envtest={peer_url}",
            "--initial-cluster-state",
            "new",
        ],
        workdir / "etcd.log",
    )
    try:
        _wait(
            "etcd",
            lambda: '"health":"true"' in _http_ok(f"{etcd_url}/health"),
            etcd,
            workdir / "etcd.log",
        )
        args: list[str | Path] = [
            binaries / "kube-apiserver",
            f"--etcd-servers={etcd_url}",
            "--bind-address=127.0.0.1",
            "--advertise-address=127.0.0.1",
            f"--secure-port={api_port}",
            f"--tls-cert-file={pki / 'apiserver.crt'}",
            f"--tls-private-key-file={pki / 'apiserver.key'}",
            f"--client-ca-file={pki / 'ca.crt'}",
            f"--token-auth-file={pki / 'tokens.csv'}",
            "--authorization-mode=RBAC",
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
            f"--service-account-key-file={pki / 'sa.pub'}",
            f"--service-account-signing-key-file={pki / 'sa.key'}",
            "--service-cluster-ip-range=10.96.0.0/12",
            # No controller-manager here to create service-account tokens for pods.
            "--disable-admission-plugins=ServiceAccount",
            "--endpoint-reconciler-type=none",
            "--allow-privileged=true",
            "--profiling=false",
            f"--cert-dir={workdir / 'apiserver-certs'}",
        ]
        if 0 < _apiserver_minor(binaries / "kube-apiserver") < 24:
            args.append("--insecure-port=0")  # 1.20 would otherwise also listen on :8080
        apiserver = spawn(args, workdir / "apiserver.log")
        server = f"https://127.0.0.1:{api_port}"
        tls = ssl.create_default_context(cafile=str(pki / "ca.crt"))
        _wait(
            "kube-apiserver",
            lambda: _http_ok(f"{server}/readyz", tls, tokens["admin"]) == "ok",
            apiserver,
            workdir / "apiserver.log",
        )
    except BaseException:
        for proc in procs:
            proc.kill()
        raise
    kubeconfigs: dict[str, Path] = {}
    for user, tok in tokens.items():
        kubeconfigs[user] = workdir / f"kubeconfig-{user}"
        write_kubeconfig(kubeconfigs[user], server, pki / "ca.crt", name, {"token": tok})
    admin = workdir / "kubeconfig-admin-cert"
    write_kubeconfig(
        admin,
        server,
        pki / "ca.crt",
        name,
        {"client-certificate": str(pki / "admin.crt"), "client-key": str(pki / "admin.key")},
    )
    return LiveCluster(
        name=name,
        server=server,
        workdir=workdir,
        ca_file=pki / "ca.crt",
        etcd_url=etcd_url,
        admin_kubeconfig=admin,
        token_kubeconfigs=kubeconfigs,
        tokens=tokens,
        kube=Kube(server, pki / "ca.crt", pki / "admin.crt", pki / "admin.key"),
        processes=procs,
        startup_seconds=time.monotonic() - started,
    )


@pytest.fixture(scope="session")
def envtest_binaries() -> Path:
    path, reason = find_binaries()
    if path is None:
        if os.environ.get("POSTURE_LIVE_REQUIRED") == "1":
            pytest.fail(f"live tests required but {reason}")
        pytest.skip(reason)
    return path


@pytest.fixture(scope="session")
def start_live_cluster(
    envtest_binaries: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[[str], LiveCluster]]:
    """Factory: start one more API server (each call a separate etcd + kube-apiserver)."""
    clusters: list[LiveCluster] = []

    def start(name: str) -> LiveCluster:
        cluster = start_cluster(envtest_binaries, tmp_path_factory.mktemp(f"live-{name}"), name)
        clusters.append(cluster)
        return cluster

    yield start
    for cluster in clusters:
        cluster.stop()


def dump(obj: Any) -> str:
    """Compact JSON for assertion messages."""
    return json.dumps(obj, sort_keys=True)[:2000]

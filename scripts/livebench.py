"""``scripts/bench --live PODS``: posture reading a real API server that holds a large cluster.

Starts the test suite's etcd + kube-apiserver (``tests/live/conftest.py``: loopback only, fresh
data), installs Calico's ``projectcalico.org/v3`` CRDs, loads the cluster that
``scripts/benchgen.py`` generates for the size (pods, nodes, services, Kubernetes and Calico
policies, tiers, network sets, host endpoints, IP pool, Felix configuration), then measures in
fresh processes, each ``--runs`` times:

- ``posture check`` from the cluster (``-o json`` to a file, as the CronJob runs it): wall time,
  peak RSS (``VmHWM``), requests and response bytes;
- the floor: the same kinds listed raw, page by page with the same page size and the same HTTP
  stack, each page parsed as JSON and dropped (no conversion, nothing kept);
- the same floor with Python's garbage collector paused, as posture pauses it while reading
  (``posture.sources.base.gc_paused``): parsing alone then costs about half the CPU, so this is
  the lower floor, and the figures give posture's ratio to both.

Wall times are medians over the runs, because the machine may be shared; peak RSS is the largest
of the runs; CPU seconds (user + system) are each measuring process's own, and the load average
is read before and after, so that a figure taken on a busy machine says so.

Pods are loaded the way a real cluster serves them (an image, env, resources, probes, a token
volume, owner references; status with conditions and container statuses set through the status
subresource, as a kubelet would), so raw pages are as heavy as real ones.
Loading uses a bounded number of concurrent requests (``--load-workers``), to loopback only.
The server's data directory is on ``/dev/shm`` when there is one: etcd syncs every write to
disk, which made loading 20,000 pods take 22 minutes on a disk and 3 on tmpfs; reads are served
from memory either way.
"""

from __future__ import annotations

import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from benchgen import Generator, Size  # noqa: E402

Obj = dict[str, Any]
PAGE_SIZE = 500


def live_size(pods: int) -> Size:
    """Nodes and policies in the proportions of the bench's sizes (40 pods a node, one policy
    for 20 pods), unless overridden."""
    return Size(pods, max(4, pods // 40), max(20, pods // 20))


# --- making the objects look like what an API server serves ----------------------------------


def _realistic_pod(pod: Obj, index: int) -> tuple[Obj, Obj]:
    """The pod to create and the status to set: the generator's network facts plus what a real
    pod carries and posture does not use."""
    meta = pod["metadata"]
    app = meta.get("labels", {}).get("app") or meta.get("labels", {}).get("k8s-app") or "app"
    meta.setdefault("annotations", {}).update(
        {
            "prometheus.io/scrape": "true",
            "kubectl.kubernetes.io/restartedAt": "2025-01-01T00:00:00Z",
            "checksum/config": f"{index:064x}",
        }
    )
    meta["ownerReferences"] = [
        {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "name": f"{app}-{index % 97:05d}",
            "uid": f"00000000-0000-0000-0000-{index:012d}",
            "controller": True,
            "blockOwnerDeletion": True,
        }
    ]
    spec = pod["spec"]
    for c in spec.get("containers", []):
        c["image"] = f"registry.example.com/{app}:1.{index % 7}.3"
        c["env"] = [{"name": f"SETTING_{i}", "value": f"value-{i}-{index}"} for i in range(8)]
        c["resources"] = {
            "requests": {"cpu": "100m", "memory": "128Mi"},
            "limits": {"cpu": "500m", "memory": "512Mi"},
        }
        c["readinessProbe"] = {"httpGet": {"path": "/ready", "port": 8080}, "periodSeconds": 10}
        c["livenessProbe"] = {"httpGet": {"path": "/live", "port": 8080}, "periodSeconds": 10}
        c["volumeMounts"] = [
            {
                "name": "token",
                "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
                "readOnly": True,
            }
        ]
    spec["volumes"] = [
        {
            "name": "token",
            "secret": {"secretName": f"{app}-token-{index % 89:05d}", "defaultMode": 420},
        }
    ]
    status = dict(pod.pop("status", {}))
    pod_ip = status.get("podIP", "")
    started = "2025-01-01T00:00:00Z"
    status.update(
        {
            "phase": "Running",
            "qosClass": "Burstable",
            "startTime": started,
            "conditions": [
                {"type": t, "status": "True", "lastTransitionTime": started}
                for t in ("Initialized", "Ready", "ContainersReady", "PodScheduled")
            ],
            "containerStatuses": [
                {
                    "name": c["name"],
                    "image": c["image"],
                    "imageID": f"registry.example.com/{app}@sha256:{index:064x}",
                    "containerID": f"containerd://{index:064x}",
                    "ready": True,
                    "started": True,
                    "restartCount": 0,
                    "state": {"running": {"startedAt": started}},
                }
                for c in spec.get("containers", [])
            ],
        }
    )
    if pod_ip and spec.get("hostNetwork"):
        status.setdefault("hostIP", pod_ip)
    return pod, status


def _plural(kind: str) -> str:
    lower = kind.lower()
    return lower[:-1] + "ies" if lower.endswith("y") else lower + "s"


def _path(obj: Obj) -> str:
    api = str(obj["apiVersion"])
    base = f"/apis/{api}" if "/" in api else f"/api/{api}"
    ns = obj["metadata"].get("namespace", "")
    return base + (f"/namespaces/{ns}" if ns else "") + "/" + _plural(str(obj["kind"]))


# --- loading -----------------------------------------------------------------------------------


class Loader:
    """POSTs objects with a bounded pool of threads, one HTTP session each (client certificate
    of the suite's admin), and sets pod and node status through the status subresource."""

    def __init__(self, server: str, ca: Path, cert: Path, key: Path, workers: int) -> None:
        self.server = server
        self.auth = (str(ca), (str(cert), str(key)))
        self.workers = workers
        self.local = threading.local()

    def _session(self) -> requests.Session:
        session: requests.Session | None = getattr(self.local, "session", None)
        if session is None:
            session = requests.Session()
            session.trust_env = False  # loopback only: no proxies, no CA override
            session.verify, session.cert = self.auth
            self.local.session = session
        return session

    def _send(self, method: str, path: str, body: Obj, content_type: str) -> None:
        for attempt in range(5):
            resp = self._session().request(
                method,
                self.server + path,
                data=json.dumps(body),
                headers={"Content-Type": content_type},
                timeout=60,
            )
            if resp.status_code == 409 and method == "POST":
                return  # already there (kube-system, default)
            if resp.status_code < 300:
                return
            if resp.status_code in (429, 500, 503, 504) and attempt < 4:
                time.sleep(0.5 * 2**attempt)
                continue
            raise RuntimeError(f"{method} {path}: HTTP {resp.status_code}: {resp.text[:300]}")

    def _create(self, item: tuple[Obj, Obj | None]) -> None:
        obj, status = item
        self._send("POST", _path(obj), obj, "application/json")
        if status:
            name = obj["metadata"]["name"]
            self._send(
                "PATCH",
                f"{_path(obj)}/{name}/status",
                {"status": status},
                "application/merge-patch+json",
            )

    def load(self, objects: list[Obj]) -> None:
        """Namespaces and tiers first (others live in them), then everything at once."""
        first = [o for o in objects if o["kind"] in ("Namespace", "Tier")]
        declared = {o["metadata"]["name"] for o in first if o["kind"] == "Namespace"}
        used = {o["metadata"].get("namespace", "") for o in objects} - declared - {""}
        first += [
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": n}} for n in sorted(used)
        ]
        rest = [o for o in objects if o["kind"] not in ("Namespace", "Tier")]
        items: list[tuple[Obj, Obj | None]] = []
        for i, obj in enumerate(rest):
            if obj["kind"] == "Pod":
                items.append(_realistic_pod(obj, i))
            elif obj["kind"] == "Node":
                items.append((obj, obj.get("status")))
            else:
                items.append((obj, None))
        with ThreadPoolExecutor(self.workers) as pool:
            list(pool.map(self._create, [(o, None) for o in first]))
            list(pool.map(self._create, items, chunksize=16))


# --- measuring (fresh processes) ---------------------------------------------------------------


def _peak_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _count_exchanges() -> dict[str, int]:
    """Count requests and response bytes of the live source (the benchmark's own tap)."""
    from posture.sources import cluster

    counts = {"requests": 0, "bytes": 0}
    original = cluster._Api._exchange

    def counted(self: Any, *args: Any, **kwargs: Any) -> bytes:
        data: bytes = original(self, *args, **kwargs)
        counts["requests"] += 1
        counts["bytes"] += len(data)
        return data

    cluster._Api._exchange = counted  # type: ignore[method-assign]
    return counts


def child_posture(kubeconfig: str, out: str) -> Obj:
    """``posture check`` from the cluster, as the CronJob runs it."""
    counts = _count_exchanges()
    from posture.cli import main

    rc = main(["check", "--kubeconfig", kubeconfig, "-o", "json", "--output-file", out, "-q"])
    report = json.loads(Path(out).read_text())
    summary = report["summary"]
    return {
        "exitCode": rc,
        "peakMB": round(_peak_mb(), 1),
        "pods": summary["stats"].get("pods"),
        "findings": summary["findings"],
        "complete": report["coverage"]["complete"],
        **counts,
    }


def child_raw(kubeconfig: str, paused: bool = False) -> Obj:
    """The floor: every kind posture reads, listed page by page, each page parsed and dropped;
    ``paused``: with the garbage collector paused throughout."""
    if paused:
        gc.disable()
    counts = _count_exchanges()
    from posture.sources.cluster import ClusterSource
    from posture.sources.discovery import KUBERNETES_KINDS, calico_specs

    source = ClusterSource(kubeconfig=kubeconfig, context=None, chunk_size=PAGE_SIZE)
    api = source._connect(time.monotonic() + 600)
    calico_api, _groups, served = source._discover(api)
    objects = 0
    for spec in (*KUBERNETES_KINDS, *calico_specs(calico_api)):
        resources = served.get(spec.api_version)
        if not isinstance(resources, dict) or spec.plural not in resources:
            continue
        token = ""
        while True:
            query = [("limit", str(PAGE_SIZE))] + ([("continue", token)] if token else [])
            if spec.field_selector:
                query.append(("fieldSelector", spec.field_selector))
            body = api.get(spec.collection_path(), query, doing="raw list")
            objects += len(body.get("items") or ())
            token = str((body.get("metadata") or {}).get("continue") or "")
            del body
            if not token:
                break
    api.api_client.close()
    return {"objects": objects, "peakMB": round(_peak_mb(), 1), **counts}


def _run_child(mode: str, kubeconfig: Path, out: Path) -> Obj:
    before = os.times()
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, __file__, "--child", mode, str(kubeconfig), str(out)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONHASHSEED": "0"},
    )
    wall = time.perf_counter() - started
    after = os.times()
    if proc.returncode != 0:
        raise RuntimeError(f"{mode} run failed ({proc.returncode}): {proc.stderr[-2000:]}")
    cpu = (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )
    return {**json.loads(proc.stdout.strip().splitlines()[-1]), "seconds": wall, "cpu": cpu}


def _summary(runs: list[Obj]) -> Obj:
    return {
        "medianSeconds": round(statistics.median(r["seconds"] for r in runs), 3),
        "secondsEach": [round(r["seconds"], 3) for r in runs],
        "medianCpuSeconds": round(statistics.median(r["cpu"] for r in runs), 3),
        "peakMB": max(r["peakMB"] for r in runs),
        "requests": runs[-1]["requests"],
        "bytes": runs[-1]["bytes"],
        **{
            k: runs[-1][k]
            for k in ("exitCode", "pods", "findings", "complete", "objects")
            if k in runs[-1]
        },
    }


def _scratch() -> str | None:
    """Where the server keeps its data: tmpfs when the machine has one (see the docstring)."""
    shm = Path("/dev/shm")
    return str(shm) if shm.is_dir() and os.access(shm, os.W_OK) else None


def _load_average() -> float:
    return round(os.getloadavg()[0], 2)


@contextmanager
def _server(workdir: Path) -> Iterator[Any]:
    from tests.live.conftest import CRDS, find_binaries, start_cluster

    binaries, reason = find_binaries()
    if binaries is None:
        raise SystemExit(f"bench --live: {reason}")
    cluster = start_cluster(binaries, workdir, "bench-live")
    try:
        cluster.kube.install_crds(CRDS / "projectcalico.org")
        yield cluster
    finally:
        cluster.stop()


def run_live(size: Size, seed: int, runs: int, workers: int, shape: str) -> Obj:
    """Load the cluster into a fresh API server and measure; the result as a JSON-able dict."""
    objects = Generator(size, seed, shape).build()
    pods = sum(1 for o in objects if o["kind"] == "Pod")
    with (
        tempfile.TemporaryDirectory(prefix="posture-livebench-", dir=_scratch()) as tmp,
        _server(Path(tmp) / "server") as cluster,
    ):
        pki = cluster.ca_file.parent
        loader = Loader(
            cluster.server, cluster.ca_file, pki / "admin.crt", pki / "admin.key", workers
        )
        started = time.perf_counter()
        loader.load(objects)
        load_seconds = time.perf_counter() - started
        del objects
        kubeconfig = cluster.token_kubeconfigs["admin"]
        load_before = _load_average()
        raw, paused, posture = [], [], []
        for _ in range(runs):  # interleaved, so that all see the same machine load
            raw.append(_run_child("raw", kubeconfig, Path(tmp) / "unused"))
            paused.append(_run_child("raw-gc-paused", kubeconfig, Path(tmp) / "unused"))
            posture.append(_run_child("posture", kubeconfig, Path(tmp) / "report.json"))
        load_after = _load_average()
    result: Obj = {
        "pods": pods,
        "nodes": size.nodes,
        "policies": size.policies,
        "shape": shape,
        "seed": seed,
        "runs": runs,
        "loadSeconds": round(load_seconds, 1),
        "loadAverage": [load_before, load_after],
        "raw": _summary(raw),
        "rawGcPaused": _summary(paused),
        "posture": _summary(posture),
    }
    for key, floor in (("wallRatio", "raw"), ("wallRatioGcPaused", "rawGcPaused")):
        result[key] = round(result["posture"]["medianSeconds"] / result[floor]["medianSeconds"], 2)
    return result


def table(result: Obj) -> str:
    raw, paused, posture = result["raw"], result["rawGcPaused"], result["posture"]
    lines = [
        f"live cluster: {result['pods']:,} pods, {result['nodes']:,} nodes, "
        f"{result['policies']:,} policies (shape {result['shape']}, seed {result['seed']}); "
        f"loaded in {result['loadSeconds']:.0f} s",
        f"wall and CPU: medians of {result['runs']} runs; peak RSS: largest VmHWM of the runs; "
        f"load average {result['loadAverage'][0]:.2f} before, {result['loadAverage'][1]:.2f} "
        "after (2 cores: above 1.5 the machine was shared)",
        f"{'run':<18}{'wall s':>9}{'CPU s':>9}{'peak MB':>9}{'requests':>10}{'MB read':>9}",
    ]
    rows = (("raw list (floor)", raw), ("raw, GC paused", paused), ("posture check", posture))
    for name, row in rows:
        lines.append(
            f"{name:<18}{row['medianSeconds']:>9.2f}{row['medianCpuSeconds']:>9.2f}"
            f"{row['peakMB']:>9.1f}{row['requests']:>10}{row['bytes'] / 1e6:>9.1f}"
        )
    lines.append(
        f"posture / floor: {result['wallRatio']:.2f}x wall ({result['wallRatioGcPaused']:.2f}x "
        f"the GC-paused floor); each run (s): raw {raw['secondsEach']}, GC paused "
        f"{paused['secondsEach']}, posture {posture['secondsEach']}"
    )
    return "\n".join(lines)


def child_main(argv: list[str]) -> int:
    """Entry point of the measuring processes: ``--child raw|posture KUBECONFIG OUT``."""
    mode, kubeconfig, out = argv
    if mode == "posture":
        result = child_posture(kubeconfig, out)
    else:
        result = child_raw(kubeconfig, paused=mode == "raw-gc-paused")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        sys.exit(child_main(sys.argv[2:]))
    raise SystemExit("run through scripts/bench --live PODS")

"""deploy/ checked by the real API server, the Kubernetes schemas, and by running it.

- Namespace, ServiceAccount, ClusterRole, ClusterRoleBinding and PVC: server-side dry-run on the
  live kube-apiserver (admission and validation of a real server).
- The CronJob is ``batch/v1``, which the 1.20 test server does not serve: it is validated against
  the Kubernetes 1.37 JSON schemas of ``kubernetes-validate`` (strict: unknown fields fail), and
  its job template is dry-run on the server as the identical ``batch/v1beta1`` CronJob.
- The ClusterRole is bound to a real ServiceAccount whose token comes from the TokenRequest API;
  with it posture reads a complete report, preflight finds everything allowed, and the CronJob's
  own shell command writes reports that ``posture diff`` reads.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import time
import tomllib
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from posture.cli import main
from posture.model.coverage import ReadStatus
from posture.sources.cluster import ClusterSource
from posture.sources.discovery import CALICO_V1, CALICO_V3, KUBERNETES_KINDS, calico_specs
from tests.support.live import LiveCluster, write_kubeconfig

from .conftest import DEPLOY, REPO, find, kustomize

SCHEMA_VERSION = "1.37.0"
RBAC = "rbac.authorization.k8s.io/v1"
SA_PATH = "/api/v1/namespaces/posture/serviceaccounts"
# Binaries the CronJob's command runs (posture from the venv, sh/date/cp/mv from the system).
VENV_BIN = Path(sys.executable).parent


# --- static: the rendered manifests -------------------------------------------------------


def test_kustomization_renders_every_manifest(rendered: list[dict[str, Any]]) -> None:
    kinds = sorted(f"{o['kind']}/{o['metadata']['name']}" for o in rendered)
    assert kinds == [
        "ClusterRole/posture-reader",
        "ClusterRoleBinding/posture-reader",
        "CronJob/posture",
        "Namespace/posture",
        "NetworkPolicy/posture",
        "PersistentVolumeClaim/posture-reports",
        "ServiceAccount/posture",
    ]
    listed = {p.name for p in DEPLOY.glob("*.yaml")} - {"kustomization.yaml"}
    text = (DEPLOY / "kustomization.yaml").read_text()
    assert all(f"- {name}" in text for name in listed), listed


@pytest.mark.parametrize(
    "components", [[], ["post", "pushgateway", "policyreport", "invariants", "configmap"]]
)
def test_schema_valid_for_kubernetes_1_37(components: list[str], tmp_path: Path) -> None:
    """Every object (with and without the optional components) against the strict schemas."""
    objs = render_with(components, tmp_path)
    for obj in objs:
        try:
            kubernetes_validate.validate(obj, SCHEMA_VERSION, strict=True)
        except kubernetes_validate.ValidationError as e:
            raise AssertionError(f"{obj['kind']}/{obj['metadata']['name']}: {e.message}") from None
        except kubernetes_validate.SchemaNotFoundError:
            assert obj["apiVersion"].startswith("wgpolicyk8s.io/"), obj["kind"]


def render_with(components: list[str], tmp_path: Path) -> list[dict[str, Any]]:
    """deploy/ plus optional components, through a kustomization beside it (relative paths:
    kustomize refuses absolute ones)."""
    if not components:
        return kustomize(DEPLOY)
    rel = os.path.relpath(DEPLOY, tmp_path)
    lines = ["apiVersion: kustomize.config.k8s.io/v1beta1", "kind: Kustomization"]
    lines += ["resources:", f"  - {rel}", "components:"]
    lines += [f"  - {rel}/optional/{c}" for c in components]
    (tmp_path / "kustomization.yaml").write_text("\n".join(lines) + "\n")
    return kustomize(tmp_path)


def test_optional_components_only_add_env_and_volumes(tmp_path: Path) -> None:
    objs = render_with(["post", "pushgateway"], tmp_path)
    pod = find(objs, "CronJob")["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    env = {e["name"]: e.get("value") for e in pod["containers"][0]["env"]}
    assert env["POSTURE_POST_TOKEN_FILE"] == "/var/run/secrets/posture-post/token"
    assert env["POSTURE_POST_URL"].startswith("https://")
    assert env["POSTURE_PUSHGATEWAY"].startswith("http://")
    assert env["POSTURE_REPORTS_DIR"] == "/reports"  # the base env survives the patch
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert volumes["post-token"]["secret"]["secretName"] == "posture-post-token"
    base = find(kustomize(DEPLOY), "CronJob")
    assert (
        pod["containers"][0]["command"]
        == (base["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["command"])
    )


def test_invariants_component_mounts_a_configmap_posture_reads(tmp_path: Path) -> None:
    objs = render_with(["invariants"], tmp_path)
    cm = next(o for o in objs if o["kind"] == "ConfigMap")
    assert cm["metadata"]["namespace"] == "posture"
    assert cm["metadata"]["name"].startswith("posture-invariants-")  # hash suffix per content
    pod = find(objs, "CronJob")["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    container = pod["containers"][0]
    env = {e["name"]: e.get("value") for e in container["env"]}
    mount = next(m for m in container["volumeMounts"] if m["name"] == "invariants")
    volume = next(v for v in pod["volumes"] if v["name"] == "invariants")
    assert volume["configMap"]["name"] == cm["metadata"]["name"]  # kustomize kept them in step
    assert mount["readOnly"] is True
    assert env["POSTURE_INVARIANTS"] == f"{mount['mountPath']}/invariants.yaml"
    # The file as mounted (the ConfigMap's data key) is what posture reads from that env var.
    mounted = tmp_path / "invariants.yaml"
    mounted.write_text(cm["data"]["invariants.yaml"])
    example = str(REPO / "examples" / "cluster")
    argv = ["check", "--from", example, "-o", "prometheus", "--exit-zero"]
    rc = main([*argv, "--invariants", str(mounted)])
    assert rc == 0


def test_cronjob_is_restricted_and_bounded(rendered: list[dict[str, Any]]) -> None:
    cron = find(rendered, "CronJob")
    spec = cron["spec"]
    assert cron["apiVersion"] == "batch/v1"
    assert spec["concurrencyPolicy"] == "Forbid"
    assert spec["successfulJobsHistoryLimit"] >= 1
    assert spec["failedJobsHistoryLimit"] >= 1
    job = spec["jobTemplate"]["spec"]
    assert 0 < job["activeDeadlineSeconds"] <= 3600
    pod = job["template"]["spec"]
    assert pod["serviceAccountName"] == "posture"
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] > 0
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    (container,) = pod["containers"]
    sc = container["securityContext"]
    assert sc["readOnlyRootFilesystem"] is True
    assert sc["allowPrivilegeEscalation"] is False
    assert sc["capabilities"] == {"drop": ["ALL"]}
    assert sc["seccompProfile"] == {"type": "RuntimeDefault"}
    assert {"cpu", "memory"} <= set(container["resources"]["requests"])
    assert {"cpu", "memory"} <= set(container["resources"]["limits"])
    # Writable places are volumes only: the report PVC and an emptyDir for /tmp.
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert volumes[mounts["/reports"]]["persistentVolumeClaim"]["claimName"] == "posture-reports"
    assert "emptyDir" in volumes[mounts["/tmp"]]
    script = container["command"][2]
    assert "posture check --in-cluster -o json --output-file" in script
    assert "--exit-zero" in script
    assert image_ref(rendered) == f"registry.example.com/posture:{package_version()}"


def package_version() -> str:
    text = (REPO / "pyproject.toml").read_text()
    return str(tomllib.loads(text)["project"]["version"])


def test_kustomize_images_set_the_reference_at_the_package_version(tmp_path: Path) -> None:
    text = (DEPLOY / "kustomization.yaml").read_text()
    (entry,) = yaml.safe_load(text)["images"]
    assert entry == {
        "name": "posture",
        "newName": "registry.example.com/posture",
        "newTag": package_version(),
    }
    # What `kustomize edit set image` writes is what the CronJob then runs (digest pinned).
    digest = "sha256:" + "ab" * 32
    lines = [
        "apiVersion: kustomize.config.k8s.io/v1beta1",
        "kind: Kustomization",
        f"resources: [{os.path.relpath(DEPLOY, tmp_path)}]",
        f"images: [{{name: registry.example.com/posture, newName: reg.internal/posture, "
        f"digest: '{digest}'}}]",
    ]
    (tmp_path / "kustomization.yaml").write_text("\n".join(lines) + "\n")
    assert image_ref(kustomize(tmp_path)) == f"reg.internal/posture@{digest}"


def image_ref(objs: list[dict[str, Any]]) -> str:
    pod = find(objs, "CronJob")["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return str(pod["containers"][0]["image"])


def needed_permissions() -> set[tuple[str, str]]:
    """(group, resource) of every kind posture lists, in either Calico API (discovery.py)."""
    specs = (*KUBERNETES_KINDS, *calico_specs(CALICO_V3), *calico_specs(CALICO_V1))
    needed = {(s.group, s.plural) for s in specs}
    needed.discard(("crd.projectcalico.org", "profiles"))  # served only by the v3 API
    return needed


def test_clusterrole_is_exactly_what_posture_reads(rendered: list[dict[str, Any]]) -> None:
    role = find(rendered, "ClusterRole")
    granted: set[tuple[str, str]] = set()
    for rule in role["rules"]:
        assert sorted(rule["verbs"]) == ["get", "list"], rule  # no watch, no write
        assert "resourceNames" not in rule
        assert "nonResourceURLs" not in rule
        for group in rule["apiGroups"]:
            for resource in rule["resources"]:
                assert "*" not in (group, resource)
                granted.add((group, resource))
    assert not {r for _, r in granted} & {"secrets", "configmaps"}
    tiered = {
        ("projectcalico.org", f"tier.{p}")
        for p in (
            "globalnetworkpolicies",
            "networkpolicies",
            "stagedglobalnetworkpolicies",
            "stagednetworkpolicies",
        )
    }
    assert granted == needed_permissions() | tiered


def test_containerfile_builds_what_the_cronjob_expects() -> None:
    """No container runtime here: check the promises the manifests rely on, statically."""
    text = (REPO / "Containerfile").read_text()
    instructions = [line.split(None, 1) for line in text.splitlines() if line and line[0] != "#"]
    froms = [rest for op, *rest in instructions if op == "FROM"]
    assert all(r[0].startswith("python:3.11-slim") for r in froms)
    (user,) = [rest[0] for op, *rest in instructions if op == "USER"]
    uid, gid = user.split(":")
    assert uid.isdigit()  # runAsNonRoot can only verify a numeric UID
    assert int(uid) > 0
    assert gid.isdigit()
    assert ["ENTRYPOINT", '["posture"]'] in instructions
    for op, *rest in instructions:
        if op == "COPY" and not rest[0].startswith("--from"):
            *sources, _dest = rest[0].split()
            assert all((REPO / s).exists() for s in sources), sources


# --- live: the API server -----------------------------------------------------------------


def dry_run(cluster: LiveCluster, obj: dict[str, Any]) -> Any:
    meta = obj["metadata"]
    path = cluster.kube.path(obj["apiVersion"], obj["kind"], meta.get("namespace", ""))
    return cluster.kube.request("POST", path + "?dryRun=All", obj)


def install(cluster: LiveCluster, objs: list[dict[str, Any]]) -> None:
    """Create the Namespace, ServiceAccount and RBAC of deploy/ for real (once per server)."""
    for obj in objs:
        if obj["kind"] in ("Namespace", "ServiceAccount", "ClusterRole", "ClusterRoleBinding"):
            meta = obj["metadata"]
            path = cluster.kube.path(obj["apiVersion"], obj["kind"], meta.get("namespace", ""))
            resp = cluster.kube.http.get(f"{cluster.server}{path}/{meta['name']}", timeout=30)
            if resp.status_code == 404:
                cluster.kube.create(obj)


@pytest.mark.live
def test_server_side_dry_run(
    deploy_v1_cluster: LiveCluster, rendered: list[dict[str, Any]]
) -> None:
    cluster = deploy_v1_cluster
    namespace = find(rendered, "Namespace")
    assert dry_run(cluster, namespace)["metadata"]["name"] == "posture"
    install(cluster, [namespace])  # namespaced objects need their namespace to exist
    for obj in rendered:
        if obj["kind"] in ("Namespace", "CronJob"):
            continue
        echoed = dry_run(cluster, obj)
        assert echoed["kind"] == obj["kind"]
        assert echoed["metadata"]["name"] == obj["metadata"]["name"]
    # The 1.20 server has CronJob only as batch/v1beta1, whose spec is the same: it validates
    # the schedule, the job template and the pod's security context.
    cron = copy.deepcopy(find(rendered, "CronJob"))
    cron["apiVersion"] = "batch/v1beta1"
    echoed = dry_run(cluster, cron)
    pod = echoed["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert pod["containers"][0]["securityContext"]["readOnlyRootFilesystem"] is True
    broken = copy.deepcopy(cron)
    broken["spec"]["schedule"] = "every hour"
    resp = cluster.kube.http.post(
        f"{cluster.server}{cluster.kube.path('batch/v1beta1', 'CronJob', 'posture')}?dryRun=All",
        json=broken,
        timeout=30,
    )
    assert resp.status_code == 422, resp.text  # the dry-run really validates


def service_account_token(cluster: LiveCluster, name: str) -> str:
    """A token for ServiceAccount posture/``name`` from the TokenRequest API, as the kubelet
    would mount it in the CronJob's pod."""
    body = {
        "apiVersion": "authentication.k8s.io/v1",
        "kind": "TokenRequest",
        "spec": {"expirationSeconds": 3600},
    }
    resp = cluster.kube.request("POST", f"{SA_PATH}/{name}/token", body)
    return str(resp["status"]["token"])


def sa_kubeconfig(cluster: LiveCluster, token: str, path: Path) -> Path:
    write_kubeconfig(path, cluster.server, cluster.ca_file, "posture-sa", {"token": token})
    return path


@pytest.fixture(scope="session")
def deployed(
    deploy_v1_cluster: LiveCluster, rendered: list[dict[str, Any]]
) -> tuple[LiveCluster, str]:
    """deploy/'s Namespace, ServiceAccount and RBAC on the v1 server; the SA's token."""
    install(deploy_v1_cluster, rendered)
    return deploy_v1_cluster, service_account_token(deploy_v1_cluster, "posture")


@pytest.fixture(scope="session")
def partial_sa(deployed: tuple[LiveCluster, str], rendered: list[dict[str, Any]]) -> str:
    """A second ServiceAccount bound to deploy/'s ClusterRole minus Calico hostendpoints."""
    cluster, _ = deployed
    role = copy.deepcopy(find(rendered, "ClusterRole"))
    role["metadata"]["name"] = "posture-reader-partial"
    for rule in role["rules"]:
        if rule["apiGroups"] == ["crd.projectcalico.org"]:
            rule["resources"].remove("hostendpoints")
    binding = copy.deepcopy(find(rendered, "ClusterRoleBinding"))
    binding["metadata"]["name"] = "posture-reader-partial"
    binding["roleRef"]["name"] = "posture-reader-partial"
    binding["subjects"][0]["name"] = "posture-partial"
    sa = copy.deepcopy(find(rendered, "ServiceAccount"))
    sa["metadata"]["name"] = "posture-partial"
    cluster.kube.create_all([sa, role, binding])
    return service_account_token(cluster, "posture-partial")


@pytest.mark.live
@pytest.mark.parametrize("flavour", ["v1", "v3"])
def test_clusterrole_alone_reads_a_complete_report(
    flavour: str,
    request: pytest.FixtureRequest,
    rendered: list[dict[str, Any]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    cluster: LiveCluster = request.getfixturevalue(f"deploy_{flavour}_cluster")
    install(cluster, rendered)
    token = service_account_token(cluster, "posture")
    kubeconfig = sa_kubeconfig(cluster, token, tmp_path / "kubeconfig")
    inv = ClusterSource(kubeconfig=str(kubeconfig), context=None).read_inventory()
    statuses = {(k.kind, k.api_group): k.status for k in inv.coverage.kinds}
    assert set(statuses.values()) <= {ReadStatus.READ, ReadStatus.ABSENT}, statuses
    assert inv.coverage.complete
    assert inv.provenance.calico_api == (CALICO_V1 if flavour == "v1" else CALICO_V3)
    # Namespaces are readable: the deploy's own namespace is among them.
    assert any(o["kind"] == "Namespace" and o["metadata"]["name"] == "posture" for o in inv.objects)
    report = tmp_path / "report.json"
    rc = main(
        ["check", "--kubeconfig", str(kubeconfig), "-o", "json", "--output-file", str(report)]
    )
    err = capsys.readouterr().err
    assert rc != 3, err
    doc = json.loads(report.read_text())
    assert doc["kind"] == "PostureReport"
    assert doc["coverage"]["complete"] is True


@pytest.mark.live
def test_preflight_with_the_service_account_allows_everything(
    deployed: tuple[LiveCluster, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cluster, token = deployed
    rc = main(["preflight", "--kubeconfig", str(sa_kubeconfig(cluster, token, tmp_path / "k"))])
    out, err = capsys.readouterr()
    assert rc == 0, err
    assert err == ""
    lines = out.splitlines()
    assert lines[0].split() == ["VERB", "GROUP", "RESOURCE", "ACCESS"]
    assert len(lines) == 1 + 21  # 9 Kubernetes kinds served by 1.20 + 12 Calico v1 CRDs
    assert all(line.split()[-1] == "allowed" for line in lines[1:])
    assert ["list", "(core)", "pods", "allowed"] in [line.split() for line in lines]


@pytest.mark.live
def test_preflight_names_the_missing_permission(
    deployed: tuple[LiveCluster, str],
    partial_sa: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    cluster, _ = deployed
    rc = main(
        ["preflight", "--kubeconfig", str(sa_kubeconfig(cluster, partial_sa, tmp_path / "k"))]
    )
    out, err = capsys.readouterr()
    assert rc == 3
    assert ["list", "crd.projectcalico.org", "hostendpoints", "DENIED"] in [
        line.split() for line in out.splitlines()
    ]
    assert err.splitlines() == [
        "posture: missing permission: verb=list group=crd.projectcalico.org resource=hostendpoints",
        "posture: 1 of 21 permissions denied; grant them (deploy/clusterrole.yaml has the full "
        "list) or expect exit 3 from check",
    ]


@pytest.mark.live
def test_preflight_unreachable_server_exits_3(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, deploy_v1_cluster: LiveCluster
) -> None:
    bad = deploy_v1_cluster.kubeconfig_with(tmp_path / "k", server="https://127.0.0.1:1")
    rc = main(["preflight", "--kubeconfig", str(bad), "--timeout", "5"])
    err = capsys.readouterr().err
    assert rc == 3
    assert err.startswith("posture: error: cannot connect to https://127.0.0.1:1")


# --- live: the CronJob's own command ------------------------------------------------------

SITECUSTOMIZE = '''
"""Test shim: the pod's service-account mount, moved to $POSTURE_TEST_SA_DIR."""
import os

_sa = os.environ.get("POSTURE_TEST_SA_DIR")
if _sa:
    from kubernetes.config import incluster_config

    import posture.sources.cluster as _cluster

    incluster_config.SERVICE_TOKEN_FILENAME = os.path.join(_sa, "token")
    incluster_config.SERVICE_CERT_FILENAME = os.path.join(_sa, "ca.crt")
    _cluster.SERVICE_ACCOUNT_TOKEN = os.path.join(_sa, "token")
'''


def run_cronjob(
    cluster: LiveCluster,
    rendered: list[dict[str, Any]],
    token: str,
    reports: Path,
    work: Path,
    **env: str,
) -> subprocess.CompletedProcess[str]:
    """The CronJob's container command, verbatim, with the container's env, as the pod runs it.

    What differs from the pod is only where things are: the service-account token and CA are
    put where $POSTURE_TEST_SA_DIR says (a sitecustomize shim points the client there, as the
    kubelet's mount would), the report volume is a temporary directory, and ``posture`` is the
    one in this virtualenv.
    """
    pod = find(rendered, "CronJob")["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    container = pod["containers"][0]
    sa = work / "serviceaccount"
    sa.mkdir(exist_ok=True)
    (sa / "token").write_text(token)
    (sa / "ca.crt").write_bytes(cluster.ca_file.read_bytes())
    shim = work / "shim"
    shim.mkdir(exist_ok=True)
    (shim / "sitecustomize.py").write_text(SITECUSTOMIZE)
    (work / "tmp").mkdir(exist_ok=True)
    host, port = cluster.server.removeprefix("https://").rsplit(":", 1)
    full_env = {e["name"]: e["value"] for e in container["env"]}
    full_env.update(
        POSTURE_REPORTS_DIR=str(reports),
        HOME=str(work / "tmp"),
        TMPDIR=str(work / "tmp"),
        PATH=f"{VENV_BIN}:/usr/bin:/bin",
        PYTHONPATH=str(shim),
        POSTURE_TEST_SA_DIR=str(sa),
        KUBERNETES_SERVICE_HOST=host,
        KUBERNETES_SERVICE_PORT=port,
        **env,
    )
    return subprocess.run(
        [*container["command"], *container.get("args", [])],
        env=full_env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.live
def test_cronjob_command_keeps_a_history_that_posture_diff_reads(
    deployed: tuple[LiveCluster, str],
    rendered: list[dict[str, Any]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    cluster, token = deployed
    reports = tmp_path / "reports"
    reports.mkdir()
    # Older runs on the volume, beyond what is kept (names sort by time).
    for stamp in ("20200101T000000Z", "20200102T000000Z", "20200103T000000Z"):
        (reports / f"report-{stamp}.json").write_text("{}")

    first = run_cronjob(cluster, rendered, token, reports, tmp_path, POSTURE_KEEP_REPORTS="3")
    assert first.returncode == 0, first.stderr
    assert "first report; nothing to compare yet" in first.stdout
    latest = json.loads((reports / "latest.json").read_text())
    assert latest["kind"] == "PostureReport"
    assert not (reports / "previous.json").exists()

    # At least one second passes, so that the second report gets a name of its own.
    time.sleep(1.1)
    second = run_cronjob(cluster, rendered, token, reports, tmp_path, POSTURE_KEEP_REPORTS="3")
    assert second.returncode == 0, second.stderr
    assert "changes since the previous report:" in second.stdout
    assert (reports / "previous.json").read_text() != ""
    assert json.loads((reports / "previous.json").read_text()) == latest

    kept = sorted(p.name for p in reports.glob("report-*.json"))
    assert len(kept) == 3
    assert kept[0] == "report-20200103T000000Z.json"  # the two oldest were pruned
    newest = reports / kept[-1]
    assert newest.read_bytes() == (reports / "latest.json").read_bytes()
    assert not list(reports.glob(".*"))  # no temporary files left behind

    # What the job log shows is what `posture diff` says about the two files on the volume.
    rc = main(["diff", str(reports / "previous.json"), str(reports / "latest.json")])
    out = capsys.readouterr().out
    assert rc == 0
    assert out.strip()
    assert out.strip() in second.stdout


@pytest.mark.live
def test_cronjob_command_with_missing_rbac_fails_and_keeps_latest(
    deployed: tuple[LiveCluster, str],
    partial_sa: str,
    rendered: list[dict[str, Any]],
    tmp_path: Path,
) -> None:
    cluster, token = deployed
    reports = tmp_path / "reports"
    reports.mkdir()
    ok = run_cronjob(cluster, rendered, token, reports, tmp_path)
    assert ok.returncode == 0, ok.stderr
    before = (reports / "latest.json").read_bytes()
    time.sleep(1.1)
    failed = run_cronjob(cluster, rendered, partial_sa, reports, tmp_path)
    assert failed.returncode == 3  # the Job fails: visible in `kubectl get jobs`
    assert "coverage incomplete (HostEndpoint)" in failed.stderr
    assert "posture check exited 3; latest.json unchanged" in failed.stderr
    assert (reports / "latest.json").read_bytes() == before
    (incomplete,) = reports.glob("report-*.failed.json")
    assert json.loads(incomplete.read_text())["kind"] == "PostureReport"


@pytest.mark.live
def test_cronjob_job_log_shows_the_measures_and_counts(
    deployed: tuple[LiveCluster, str], rendered: list[dict[str, Any]], tmp_path: Path
) -> None:
    cluster, token = deployed
    reports = tmp_path / "reports"
    reports.mkdir()
    job = run_cronjob(cluster, rendered, token, reports, tmp_path)
    assert job.returncode == 0, job.stderr
    log = job.stdout + job.stderr
    latest = json.loads((reports / "latest.json").read_text())
    pods = latest["summary"]["stats"]["pods"]
    assert "  read: " in log
    assert f"Pod {pods:,}" in log
    assert "  coverage: complete" in log
    measures = latest["checklist"]
    passed = sum(1 for m in measures if m["status"] == "passed")
    failed = sum(1 for m in measures if m["status"] == "failed")
    assert f"  measures: {passed} passed, {failed} failed" in log
    assert f"  analysed: {pods} pod" in log
    assert "  findings: " in log
    assert "peak memory" in log


def _can(cluster: LiveCluster, verb: str, namespace: str, name: str = "") -> bool:
    """SubjectAccessReview for the posture ServiceAccount on ConfigMaps."""
    attrs = {"verb": verb, "resource": "configmaps", "namespace": namespace}
    if name:
        attrs["name"] = name
    review = cluster.kube.request(
        "POST",
        "/apis/authorization.k8s.io/v1/subjectaccessreviews",
        {
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SubjectAccessReview",
            "spec": {
                "user": "system:serviceaccount:posture:posture",
                "groups": ["system:serviceaccounts", "system:serviceaccounts:posture"],
                "resourceAttributes": attrs,
            },
        },
    )
    return bool(review["status"].get("allowed"))


def _granted(cluster: LiveCluster, verb: str, namespace: str, name: str = "") -> bool:
    """``_can``, waiting up to 10 s for a grant: new Roles and RoleBindings reach the API
    server's authorizer through its informers, a moment after they are created (on a busy
    machine the first review can come before them)."""
    deadline = time.monotonic() + 10
    while not _can(cluster, verb, namespace, name):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


@pytest.mark.live
def test_configmap_component_keeps_the_latest_results_bounded(
    deployed: tuple[LiveCluster, str], tmp_path: Path
) -> None:
    cluster, token = deployed
    (tmp_path / "render").mkdir()
    objs = render_with(["configmap"], tmp_path / "render")
    role, binding = find(objs, "Role"), find(objs, "RoleBinding")
    assert role["metadata"]["namespace"] == binding["metadata"]["namespace"] == "posture"
    assert not [o for o in objs if o["kind"] == "ClusterRole" and "latest" in o["metadata"]["name"]]
    cluster.kube.create_all([role, binding])
    assert _granted(cluster, "create", "posture")
    assert _granted(cluster, "update", "posture", "posture-latest")
    assert not _can(cluster, "update", "posture", "other")
    assert not _can(cluster, "create", "app")  # namespace-scoped: nowhere else
    assert not _can(cluster, "get", "kube-system", "posture-latest")

    reports = tmp_path / "reports"
    reports.mkdir()
    first = run_cronjob(cluster, objs, token, reports, tmp_path)
    assert first.returncode == 0, first.stderr
    assert "posture: created ConfigMap posture-latest" in first.stderr
    time.sleep(1.1)
    second = run_cronjob(cluster, objs, token, reports, tmp_path)
    assert second.returncode == 0, second.stderr
    assert "posture: replaced ConfigMap posture-latest" in second.stderr

    cm = cluster.kube.request("GET", "/api/v1/namespaces/posture/configmaps/posture-latest")
    assert set(cm["data"]) == {"summary", "report.json"}
    assert "  coverage: complete" in cm["data"]["summary"]
    assert cm["data"]["summary"] in second.stderr  # the job log's lines, kept
    assert json.loads(cm["data"]["report.json"]) == json.loads(
        (reports / "latest.json").read_text()
    )
    assert len(json.dumps(cm["data"]).encode()) < 1024 * 1024

"""Input shapes real users have: calicoctl array exports, WorkloadEndpoint exports, objects of
API groups posture does not read, namespace-less objects and ``-n``, manifests on stdin, and
Helm charts / Kustomizations that need rendering first."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from posture.sources.convert import ConvertOptions
from tests.support import EXAMPLE, run, snapshot_of
from tests.support.builders import namespace, node, pod

Obj = dict[str, Any]


def example_objects() -> list[Obj]:
    """The example cluster's objects, Lists flattened."""
    out: list[Obj] = []
    for f in sorted(Path(EXAMPLE).glob("*.yaml")):
        for doc in yaml.safe_load_all(f.read_text()):
            if not doc:
                continue
            if str(doc.get("kind", "")).endswith("List"):
                out.extend(doc["items"])
            else:
                out.append(doc)
    return out


def is_calico(obj: Obj) -> bool:
    return str(obj.get("apiVersion", "")).startswith("projectcalico.org/")


def is_workload(obj: Obj) -> bool:
    """Pods Calico makes a WorkloadEndpoint of (§1.3: scheduled, not hostNetwork, an IP)."""
    spec = obj.get("spec") or {}
    return (
        obj["kind"] == "Pod"
        and not spec.get("hostNetwork")
        and bool(spec.get("nodeName"))
        and bool((obj.get("status") or {}).get("podIP"))
    )


def workload_endpoint(p: Obj) -> Obj:
    """The WorkloadEndpoint Calico makes of a Pod, as ``calicoctl get wep -o yaml`` prints it
    (libcalico-go/lib/backend/k8s/conversion/workload_endpoint_default.go: the pod's labels
    plus projectcalico.org/namespace, orchestrator and serviceaccount; ipNetworks /32; profiles
    kns.<ns> and ksa.<ns>.<sa>; named container ports only)."""
    meta, spec, status = p["metadata"], p["spec"], p["status"]
    ns = meta.get("namespace", "default")
    sa = spec.get("serviceAccountName", "default")
    ips = [i["ip"] for i in status.get("podIPs") or [{"ip": status["podIP"]}]]
    ports = [
        {
            "name": cp["name"],
            "protocol": cp.get("protocol", "TCP"),
            "port": cp["containerPort"],
            "hostPort": cp.get("hostPort", 0),
        }
        for c in spec.get("containers", [])
        for cp in c.get("ports") or []
        if cp.get("name")
    ]
    labels = {
        **(meta.get("labels") or {}),
        "projectcalico.org/namespace": ns,
        "projectcalico.org/orchestrator": "k8s",
        "projectcalico.org/serviceaccount": sa,
    }
    return {
        "apiVersion": "projectcalico.org/v3",
        "kind": "WorkloadEndpoint",
        "metadata": {
            "name": f"{spec['nodeName']}-k8s-{meta['name']}-eth0",
            "namespace": ns,
            "labels": labels,
        },
        "spec": {
            "orchestrator": "k8s",
            "node": spec["nodeName"],
            "pod": meta["name"],
            "endpoint": "eth0",
            "serviceAccountName": sa,
            "ipNetworks": [f"{ip}/{128 if ':' in ip else 32}" for ip in ips],
            "profiles": [f"kns.{ns}", f"ksa.{ns}.{sa}"],
            "interfaceName": f"cali{abs(hash(meta['name'])) % 10**11:011d}",
            **({"ports": ports} if ports else {}),
        },
    }


def report(
    capsys: pytest.CaptureFixture[str], *paths: Path | str, kinds: bool = True
) -> tuple[Obj, str]:
    """The JSON report without its metadata (and, with ``kinds=False``, without the per-kind
    counts of what was read: an export of other kinds reads other kinds)."""
    argv = ["check", "-o", "json", "--allow-incomplete"]
    for p in paths:
        argv += ["--from", str(p)]
    rc, out, err = run(capsys, *argv)
    assert rc in (0, 1), err
    doc = json.loads(out)
    doc.pop("metadata")
    if not kinds:
        assert doc["coverage"].pop("kinds")
    return doc, err


def write(path: Path, docs: list[Obj] | Obj, *, as_json: bool = False) -> Path:
    path.write_text(json.dumps(docs, indent=1) if as_json else yaml.safe_dump_all([docs]))
    return path


# --- calicoctl exports and WorkloadEndpoints (acceptance) --------------------------------------


def test_calicoctl_json_array_export_gives_the_same_report(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """``calicoctl get gnp,netpol,... -o json`` prints several results as a top-level array of
    objects and lists (calicoctl/calicoctl/commands/common/printer.go)."""
    objs = example_objects()
    calico = [o for o in objs if is_calico(o)]
    policies = [o for o in calico if o["kind"] == "GlobalNetworkPolicy"]
    export: list[Obj] = [
        {
            "apiVersion": "projectcalico.org/v3",
            "kind": "GlobalNetworkPolicyList",
            "items": policies,
        },
        *(o for o in calico if o["kind"] != "GlobalNetworkPolicy"),
    ]
    (tmp_path / "k8s").mkdir()
    write(
        tmp_path / "k8s" / "objects.yaml",
        {"kind": "List", "apiVersion": "v1", "items": [o for o in objs if not is_calico(o)]},
    )
    write(tmp_path / "calico.json", export, as_json=True)
    assert policies
    assert len(export) > 1
    expected, _ = report(capsys, EXAMPLE)
    got, _ = report(capsys, tmp_path / "k8s", tmp_path / "calico.json")
    assert got == expected


def test_workload_endpoint_export_gives_the_same_report_as_the_pods(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Every Pod Calico makes an endpoint of, replaced by that WorkloadEndpoint (a calicoctl
    YAML List export), gives the same snapshot pods and the same report."""
    objs = example_objects()
    weps = [workload_endpoint(o) for o in objs if is_workload(o)]
    rest = [o for o in objs if not is_workload(o)]
    assert len(weps) >= 5
    write(tmp_path / "rest.yaml", {"kind": "List", "apiVersion": "v1", "items": rest})
    wep_list = {"apiVersion": "projectcalico.org/v3", "kind": "WorkloadEndpointList", "items": weps}
    write(tmp_path / "weps.yaml", wep_list)
    assert snapshot_of(rest, weps).pods == snapshot_of(objs).pods
    expected, _ = report(capsys, EXAMPLE, kinds=False)
    got, _ = report(capsys, tmp_path / "rest.yaml", tmp_path / "weps.yaml", kinds=False)
    assert got == expected


WEB = pod(
    "shop",
    "web",
    "n1",
    "10.244.1.5",
    {"app": "web"},
    ports=[{"name": "http", "containerPort": 8080}],
)


@pytest.mark.parametrize(
    ("case", "objects", "expected"),
    [
        (
            "a WorkloadEndpoint alone is the pod",
            [workload_endpoint(WEB)],
            [("shop", "web", ("10.244.1.5",), "n1", ("http",))],
        ),
        (
            "negative: the Pod wins over its own WorkloadEndpoint (no duplicate)",
            [
                WEB,
                {
                    **workload_endpoint(WEB),
                    "spec": {**workload_endpoint(WEB)["spec"], "node": "n9"},
                },
            ],
            [("shop", "web", ("10.244.1.5",), "n1", ("http",))],
        ),
        (
            "etcd-datastore endpoint: workload name, several networks",
            [
                {
                    "apiVersion": "projectcalico.org/v3",
                    "kind": "WorkloadEndpoint",
                    "metadata": {
                        "name": "n2-k8s-db-eth0",
                        "namespace": "data",
                        "labels": {"app": "db"},
                    },
                    "spec": {
                        "node": "n2",
                        "workload": "db",
                        "ipNetworks": ["10.244.2.7/32", "fd00::7/128"],
                    },
                }
            ],
            [("data", "db", ("10.244.2.7", "fd00::7"), "n2", ())],
        ),
    ],
)
def test_workload_endpoints(case: str, objects: list[Obj], expected: list[Any]) -> None:
    snap = snapshot_of(namespace("shop"), node("n1", "192.168.0.1"), *objects)
    got = [
        (p.namespace, p.name, p.ips, p.node, tuple(x.name for x in p.named_ports))
        for p in snap.pods
    ]
    assert got == expected, case
    assert all(p.labels.get("projectcalico.org/orchestrator") == "k8s" for p in snap.pods)


@pytest.mark.parametrize(
    ("case", "spec", "field"),
    [
        # libcalico-go/lib/validator/v3: ipNetworks "omitempty,dive,net"; ports port "gt=0".
        (
            "an ipNetworks entry that is not a network",
            {"ipNetworks": ["10.0.0.300/32"]},
            "spec.ipNetworks[0]",
        ),
        ("ipNetworks not a list", {"ipNetworks": "10.0.0.1/32"}, "spec.ipNetworks"),
        ("a port 0", {"ports": [{"name": "p", "protocol": "TCP", "port": 0}]}, "spec.ports[0]"),
        (
            "a bad protocol",
            {"ports": [{"name": "p", "protocol": "TCPX", "port": 80}]},
            "spec.ports[0]",
        ),
    ],
)
def test_invalid_workload_endpoints_are_input_errors(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, case: str, spec: Obj, field: str
) -> None:
    wep = {
        "apiVersion": "projectcalico.org/v3",
        "kind": "WorkloadEndpoint",
        "metadata": {"name": "w", "namespace": "shop"},
        "spec": {"node": "n1", "pod": "w", **spec},
    }
    f = write(tmp_path / "wep.yaml", wep)
    rc, _, err = run(capsys, "check", "--from", str(f))
    assert rc == 2, case
    assert f"{f}:1: WorkloadEndpoint shop/w: {field}:" in err, err


# --- top-level arrays -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "text", "names"),
    [
        ("JSON array of objects", json.dumps([namespace("a"), namespace("b")]), ["a", "b"]),
        (
            "JSON array of a list and an object",
            json.dumps(
                [
                    {"apiVersion": "v1", "kind": "NamespaceList", "items": [namespace("a")]},
                    namespace("b"),
                ]
            ),
            ["a", "b"],
        ),
        ("YAML array", "- {apiVersion: v1, kind: Namespace, metadata: {name: a}}\n", ["a"]),
        ("empty array", "[]\n", []),
    ],
)
def test_top_level_arrays(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, case: str, text: str, names: list[str]
) -> None:
    from posture.sources import load_snapshot

    f = tmp_path / ("in.json" if text.startswith("[") and text != "[]\n" else "in.yaml")
    f.write_text(text)
    got = [n.name for n in load_snapshot([f]).namespaces]
    assert got == names, case


def test_a_scalar_in_an_array_names_its_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    f = tmp_path / "in.yaml"
    f.write_text("- {apiVersion: v1, kind: Namespace, metadata: {name: a}}\n- 42\n")
    rc, _, err = run(capsys, "check", "--from", str(f))
    assert rc == 2
    assert f"{f}:2: expected a Kubernetes object (a mapping), got int" in err


# --- API groups posture does not read ---------------------------------------------------------

GATEWAY = {
    "apiVersion": "networking.istio.io/v1beta1",
    "kind": "Gateway",
    "metadata": {"name": "gw", "namespace": "shop"},
    "spec": {"servers": [{"port": {"number": 80}}]},
}


def test_istio_gateway_next_to_policies_checks_with_one_warning(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Acceptance: a directory holding an Istio Gateway next to policies checks, with a warning
    naming what was skipped; the report is the one without the Gateway."""
    d = tmp_path / "cluster"
    d.mkdir()
    for f in Path(EXAMPLE).glob("*.yaml"):
        (d / f.name).write_text(f.read_text())
    routes = {**GATEWAY, "kind": "VirtualService", "metadata": {"name": "vs", "namespace": "shop"}}
    write(d / "istio.yaml", GATEWAY)
    (d / "istio2.yaml").write_text(
        yaml.safe_dump_all([routes, {**routes, "metadata": {"name": "vs2"}}])
    )
    got, err = report(capsys, d, kinds=False)
    expected, _ = report(capsys, EXAMPLE, kinds=False)
    assert got == expected
    warnings = [line for line in err.splitlines() if "warning" in line]
    assert warnings == [
        "posture: warning: skipped 3 objects of API groups posture does not read: "
        "Gateway.networking.istio.io (1), VirtualService.networking.istio.io (2)"
    ]


@pytest.mark.parametrize(
    ("case", "obj", "message"),
    [
        (
            "negative: an unknown kind in the core group is a typo, not a CRD",
            {"apiVersion": "v1", "kind": "Pdo", "metadata": {"name": "x"}},
            "unknown kind 'Pdo' (v1)",
        ),
        (
            "negative: an unknown kind in Calico's group",
            {
                "apiVersion": "projectcalico.org/v3",
                "kind": "GlobalNetworkPolicys",
                "metadata": {"name": "x"},
            },
            "unknown Calico kind 'GlobalNetworkPolicys'",
        ),
    ],
)
def test_unknown_kinds_of_groups_posture_reads_are_errors(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, case: str, obj: Obj, message: str
) -> None:
    f = write(tmp_path / "x.yaml", obj)
    rc, _, err = run(capsys, "check", "--from", str(f))
    assert rc == 2, case
    assert message in err


@pytest.mark.parametrize(
    "obj",
    [
        {
            "apiVersion": "route.openshift.io/v1",
            "kind": "Route",
            "metadata": {"name": "r", "namespace": "a"},
        },
        {
            "apiVersion": "k8s.cni.cncf.io/v1",
            "kind": "NetworkAttachmentDefinition",
            "metadata": {"name": "m"},
        },
        {"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachine", "metadata": {"name": "vm"}},
        {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}},
    ],
)
def test_other_api_groups_are_skipped_with_a_warning(obj: Obj) -> None:
    snap = snapshot_of(namespace("a"), obj)
    group = obj["apiVersion"].rsplit("/", 1)[0]
    assert snap.warnings == (
        f"skipped 1 object of API groups posture does not read: {obj['kind']}.{group} (1)",
    )
    assert [n.name for n in snap.namespaces] == ["a"]


# --- namespace-less namespaced objects --------------------------------------------------------

BARE_POD = pod("x", "web", "n1", "10.244.1.5", {"app": "web"})
del BARE_POD["metadata"]["namespace"]
BARE_NP = {
    "apiVersion": "networking.k8s.io/v1",
    "kind": "NetworkPolicy",
    "metadata": {"name": "deny"},
    "spec": {"podSelector": {}, "policyTypes": ["Ingress"]},
}


@pytest.mark.parametrize(
    ("case", "options", "namespace_", "warned"),
    [
        ("without -n: default, with a warning", None, "default", True),
        ("with -n: that namespace, no warning", ConvertOptions(namespace="shop"), "shop", False),
    ],
)
def test_namespace_less_objects(
    case: str, options: ConvertOptions | None, namespace_: str, warned: bool
) -> None:
    """kubectl apply puts a namespaced object that names none in ``-n`` or the context's
    namespace (``default``)."""
    snap = snapshot_of(BARE_POD, BARE_NP, options=options)
    assert [(p.namespace, p.name) for p in snap.pods] == [(namespace_, "web")], case
    assert [(p.namespace, p.ref.name) for p in snap.policies] == [(namespace_, "deny")]
    assert snap.pods[0].labels["projectcalico.org/namespace"] == namespace_
    assert namespace_ in [n.name for n in snap.namespaces]
    if warned:
        assert len(snap.warnings) == 1
        assert snap.warnings[0].startswith(
            "2 namespaced objects without metadata.namespace assumed in namespace default "
            "(give -n/--namespace as for kubectl): Pod web (<memory>:1), NetworkPolicy deny"
        )
    else:
        assert snap.warnings == ()


def test_namespaced_objects_that_name_one_and_cluster_objects_are_left_alone() -> None:
    """Negative: a namespace given in the object wins over -n; cluster-scoped kinds get none."""
    gnp = {
        "apiVersion": "projectcalico.org/v3",
        "kind": "GlobalNetworkPolicy",
        "metadata": {"name": "g"},
        "spec": {},
    }
    snap = snapshot_of(
        pod("pay", "api", "n1", "10.244.1.6", {}), gnp, options=ConvertOptions(namespace="shop")
    )
    assert [(p.namespace, p.name) for p in snap.pods] == [("pay", "api")]
    assert snapshot_of(gnp, namespace("a")).warnings == ()


def test_namespace_flag_on_the_command_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    f = tmp_path / "app.yaml"
    f.write_text(yaml.safe_dump_all([namespace("shop"), node("n1", "192.168.0.1"), BARE_POD]))
    rc, _, err = run(
        capsys, "explain", "shop/web", "node/n1", "-n", "shop", "--from", str(f), "-o", "json"
    )
    assert rc == 0, err
    assert "warning" not in err
    rc, _, err = run(capsys, "explain", "default/web", "node/n1", "--from", str(f), "-o", "json")
    assert rc == 0, err
    assert "posture: warning: 1 namespaced object without metadata.namespace" in err


# --- stdin, Helm and Kustomize ----------------------------------------------------------------


def test_manifests_from_stdin_give_the_same_report(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``kustomize build … | posture check --from -``: documents on stdin as from files."""
    text = "".join("---\n" + f.read_text() for f in sorted(Path(EXAMPLE).glob("*.yaml")))
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(text.encode())))
    got, _ = report(capsys, "-")
    expected, _ = report(capsys, EXAMPLE)
    assert got == expected


def test_stdin_locations_name_stdin(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    text = "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\napiVersion: v1\nkind: Pod\n"
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(text.encode())))
    rc, _, err = run(capsys, "check", "--from", "-")
    assert rc == 2
    assert "<stdin>:5: Pod: metadata.name is required" in err


HELM_TEMPLATE = """apiVersion: v1
kind: Service
metadata:
  name: {{ include "app.fullname" . }}
spec:
  ports:
  {{- range .Values.ports }}
  - port: {{ . }}
  {{- end }}
"""


@pytest.mark.parametrize(
    ("case", "files", "hint"),
    [
        (
            "a Helm template",
            {"templates/service.yaml": HELM_TEMPLATE},
            "a Helm template? Render the chart first, e.g. "
            "`helm template RELEASE CHART | posture check --from -`",
        ),
        (
            "a Helm chart directory",
            {
                "Chart.yaml": "apiVersion: v2\nname: app\nversion: 0.1.0\n",
                "values.yaml": "ports: [80]\n",
            },
            "Chart.yaml: a Helm chart, not manifests: render it first, e.g. `helm template RELEASE",
        ),
        (
            "a Kustomization directory",
            {
                "kustomization.yaml": "resources: [app.yaml]\n",
                "app.yaml": "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n",
            },
            "kustomization.yaml: a Kustomization, not manifests: render it first, e.g. "
            "`kustomize build",
        ),
        (
            "a Kustomization under another name",
            {
                "base.yaml": "apiVersion: kustomize.config.k8s.io/v1beta1\n"
                "kind: Kustomization\nresources: []\n"
            },
            "base.yaml:1: a Kustomization, not manifests: render it first",
        ),
    ],
)
def test_renderer_inputs_get_a_hint(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, case: str, files: dict[str, str], hint: str
) -> None:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    rc, _, err = run(capsys, "check", "--from", str(tmp_path))
    assert rc == 2, case
    assert hint in err, err
    assert len(err.strip().splitlines()) == 1  # one line, no traceback


def test_plain_yaml_error_gets_no_helm_hint(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Negative: a malformed manifest without template actions is just malformed."""
    f = tmp_path / "bad.yaml"
    f.write_text("apiVersion: v1\nkind: [Namespace\n")
    rc, _, err = run(capsys, "check", "--from", str(f))
    assert rc == 2
    assert "malformed YAML" in err
    assert "Helm" not in err

"""WorkloadEndpoints keep the profiles they list when those are not Kubernetes' own pair, and
endpoints of other orchestrators get the labels Calico gives them (calico-semantics §1.3, §3.3;
libcalico-go ``lib/apis/v3/workloadendpoint.go``, ``lib/clientv3/workloadendpoint.go``
``updateLabelsForStorage``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support import run, snapshot_of

Obj = dict[str, Any]


def wep(name: str, ns: str = "tenant-a", labels: dict[str, str] | None = None, **spec: Any) -> Obj:
    return {
        "apiVersion": "projectcalico.org/v3",
        "kind": "WorkloadEndpoint",
        "metadata": {"name": f"n1-x-{name}-eth0", "namespace": ns, "labels": labels or {}},
        "spec": {"node": "n1", "workload": name, "ipNetworks": ["10.244.1.9/32"], **spec},
    }


PROFILE: Obj = {
    "apiVersion": "projectcalico.org/v3",
    "kind": "Profile",
    "metadata": {"name": "sg-web"},
    "spec": {"labelsToApply": {"sg": "web", "role": "from-profile"}},
}


def test_kubernetes_pair_of_profiles_is_the_default() -> None:
    (pod,) = snapshot_of(
        wep("a", orchestrator="k8s", profiles=["kns.tenant-a", "ksa.tenant-a.default"])
    ).pods
    assert pod.profiles is None
    assert pod.profile_names == ("kns.tenant-a", "ksa.tenant-a.default")
    assert pod.labels["projectcalico.org/orchestrator"] == "k8s"
    assert pod.labels["pcns.projectcalico.org/name"] == "tenant-a"


def test_other_orchestrator_keeps_its_profiles_and_labels() -> None:
    (pod,) = snapshot_of(
        wep("vm", labels={"role": "own"}, orchestrator="openstack", profiles=["sg-web"]), PROFILE
    ).pods
    assert pod.profile_names == ("sg-web",)
    assert dict(pod.labels) == {
        "role": "own",  # own labels win over the profile's
        "sg": "web",
        "projectcalico.org/namespace": "tenant-a",
        "projectcalico.org/orchestrator": "openstack",
    }


def test_other_orchestrator_without_profiles_has_none() -> None:
    (pod,) = snapshot_of(wep("vm", orchestrator="cni")).pods
    assert pod.profile_names == ()


def test_kubernetes_endpoint_listing_other_profiles_keeps_them() -> None:
    (pod,) = snapshot_of(wep("a", profiles=["kns.tenant-a", "extra"])).pods
    assert pod.profile_names == ("kns.tenant-a", "extra")


@pytest.mark.parametrize("profiles", ["sg-web", [""], [1]])
def test_profiles_that_are_not_a_list_of_names_are_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, profiles: Any
) -> None:
    f = tmp_path / "in.yaml"
    f.write_text(yaml.safe_dump(wep("vm", orchestrator="openstack", profiles=profiles)))
    rc, out, err = run(capsys, "check", "--from", str(f))
    assert rc == 2
    assert out == ""
    assert "WorkloadEndpoint tenant-a/n1-x-vm-eth0: spec.profiles" in err
    assert len(err.strip().splitlines()) == 1

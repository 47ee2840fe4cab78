"""Manifest and snapshot-file sources: formats, line numbers, and one-line errors."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from posture.errors import InputError
from posture.sources import offline_source
from posture.sources.manifests import read_manifests
from posture.sources.snapshot_file import read_snapshot, write_snapshot

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "cluster"

NS = "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n"


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def test_multi_document_file_keeps_lines(tmp_path: Path) -> None:
    p = write(tmp_path, "m.yaml", NS + "---\n" + NS.replace("name: a", "name: b"))
    inv = read_manifests([p])
    assert [o["metadata"]["name"] for o in inv.objects] == ["a", "b"]
    assert [loc.line for loc in inv.locations] == [1, 5]


def test_kind_list_items_and_their_lines(tmp_path: Path) -> None:
    text = (
        "apiVersion: v1\nkind: List\nitems:\n"
        "- apiVersion: v1\n  kind: Namespace\n  metadata: {name: a}\n"
        "- apiVersion: v1\n  kind: Namespace\n  metadata: {name: b}\n"
    )
    inv = read_manifests([write(tmp_path, "l.yaml", text)])
    assert [o["metadata"]["name"] for o in inv.objects] == ["a", "b"]
    assert [loc.line for loc in inv.locations] == [4, 7]


def test_typed_list_from_the_api_fills_kind(tmp_path: Path) -> None:
    doc = {"apiVersion": "v1", "kind": "NamespaceList", "items": [{"metadata": {"name": "a"}}]}
    inv = read_manifests([write(tmp_path, "l.json", json.dumps(doc))])
    assert inv.objects[0]["kind"] == "Namespace"


def test_directory_is_read_recursively_in_order(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    write(tmp_path, "b.yaml", NS.replace("name: a", "name: b"))
    write(tmp_path / "sub", "a.yml", NS)
    write(tmp_path, "notes.txt", "ignored")
    inv = read_manifests([tmp_path])
    assert [o["metadata"]["name"] for o in inv.objects] == ["b", "a"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("kind: Namespace\nmetadata: {name: [a\n", "m.yaml:3:1: malformed YAML"),
        ("- just\n- a list\n", "m.yaml:1: expected a Kubernetes object"),
        ("apiVersion: v1\nkind: Namespace\nmetadata: {}\n", "metadata.name is required"),
        (
            # a CRD's kind is skipped with a warning (test_input_shapes); a core one is a typo
            "apiVersion: v1\nkind: Widget\nmetadata: {name: w}\n",
            "m.yaml:1: unknown kind 'Widget' (v1)",
        ),
        (
            "apiVersion: projectcalico.org/v3\nkind: Gadget\nmetadata: {name: w}\n",
            "unknown Calico kind 'Gadget'",
        ),
    ],
)
def test_bad_input_is_one_line_naming_the_place(tmp_path: Path, text: str, expected: str) -> None:
    p = write(tmp_path, "m.yaml", text)
    with pytest.raises(InputError) as err:
        offline_source([p]).load()
    assert expected in str(err.value)
    assert "\n" not in str(err.value)


def test_invalid_selector_names_file_object_field_and_column(tmp_path: Path) -> None:
    text = (
        "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\n"
        "metadata: {name: broken}\nspec:\n  selector: app = 'x'\n"
    )
    p = write(tmp_path, "p.yaml", text)
    with pytest.raises(InputError) as err:
        offline_source([p]).load()
    msg = str(err.value)
    assert msg.startswith(f"{p}:1: GlobalNetworkPolicy broken: spec.selector:")
    assert "column" in msg
    assert "\n" not in msg


def test_unknown_rule_field_is_an_error(tmp_path: Path) -> None:
    text = (
        "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {name: p}\n"
        "spec:\n  ingress:\n  - action: Allow\n    sorce: {nets: [10.0.0.0/8]}\n"
    )
    with pytest.raises(InputError, match=r"spec\.ingress\[0\]\.sorce: unknown rule field"):
        offline_source([write(tmp_path, "p.yaml", text)]).load()


def test_missing_path() -> None:
    with pytest.raises(InputError, match="no such file or directory"):
        offline_source([Path("/nonexistent/posture")]).load()


@pytest.mark.parametrize("name", ["snap.json", "snap.json.gz"])
def test_snapshot_round_trip_gives_the_same_snapshot(tmp_path: Path, name: str) -> None:
    inv = read_manifests([EXAMPLE])
    target = tmp_path / name
    write_snapshot(inv, target)
    if name.endswith(".gz"):
        assert gzip.decompress(target.read_bytes()).startswith(b"{")
    again = read_snapshot(target)
    assert again.objects == inv.objects
    assert offline_source([target]).load() == offline_source([EXAMPLE]).load()


def test_snapshot_with_wrong_api_version(tmp_path: Path) -> None:
    p = write(tmp_path, "s.json", json.dumps({"kind": "Snapshot", "apiVersion": "x/v9"}))
    with pytest.raises(InputError, match="apiVersion: unsupported"):
        read_snapshot(p)

"""``posture reach``: --src/--dst/--namespace filters and streamed --expand output."""

from __future__ import annotations

import json

import pytest

from posture import load_snapshot
from posture.pipeline import analyse
from posture.report.reach import ReachFilter, iter_reach
from tests.support import EXAMPLE, run


def _paths(capsys: pytest.CaptureFixture[str], *argv: str) -> list[dict[str, str]]:
    rc, out, _ = run(capsys, "reach", "--from", EXAMPLE, "-o", "json", *argv)
    assert rc == 0
    paths: list[dict[str, str]] = json.loads(out)["paths"]
    return paths


def test_filters_keep_only_the_named_ends(capsys: pytest.CaptureFixture[str]) -> None:
    every = _paths(capsys, "--expand")
    shop = _paths(capsys, "--expand", "--src", "shop")
    assert shop
    assert {p["src"].split("/")[0] for p in shop} == {"shop"}
    assert shop == [p for p in every if p["src"].startswith("shop/")]
    to_node = _paths(capsys, "--expand", "--dst", "worker-2")
    assert to_node
    assert {p["dst"] for p in to_node} == {"worker-2"}
    one = _paths(capsys, "--expand", "--src", "shop/db-0")
    assert one
    assert {p["src"] for p in one} == {"shop/db-0"}
    payments = _paths(capsys, "--expand", "--namespace", "payments")
    assert payments
    assert all("payments/" in p["src"] + p["dst"] for p in payments)
    assert len(payments) < len(every)
    grouped = _paths(capsys, "--namespace", "payments")
    assert all("payments" in p["src"] + p["dst"] for p in grouped)


def test_expanded_output_is_streamed_row_by_row() -> None:
    analysis = analyse(load_snapshot([EXAMPLE]))
    m, u = analysis.matrix, analysis.index.universe
    chunks = iter_reach(m, u, fmt="json", expand=True, keep=ReachFilter())
    rows = sum(1 for c in chunks if c.lstrip(",\n").startswith("    {"))
    text = "".join(iter_reach(m, u, fmt="json", expand=True))
    assert rows == len(json.loads(text)["paths"]) > 10
    table = list(iter_reach(m, u, fmt="table", expand=True))
    assert len(table) == rows + 1  # a header, then one chunk per row
    assert table[0].split("\t")[:2] == ["SRC", "DST"]


@pytest.mark.parametrize("expand", [False, True])
def test_reach_tsv_is_a_header_and_one_tab_separated_line_per_path(
    capsys: pytest.CaptureFixture[str], expand: bool
) -> None:
    extra = ["--expand"] if expand else []
    rc, out, _ = run(capsys, "reach", "--from", EXAMPLE, "-o", "tsv", "--src", "monitoring", *extra)
    assert rc == 0
    lines = out.splitlines()
    header = lines[0].split("\t")
    assert header[:2] == ["SRC", "DST"]
    assert len(lines) > 2
    assert all(len(line.split("\t")) == len(header) for line in lines[1:])
    assert all("monitoring" in line.split("\t")[0] for line in lines[1:])
    rc, out, _ = run(capsys, "reach", "--from", EXAMPLE, "-o", "tsv", "--src", "no-such-ns", *extra)
    assert out.splitlines() == [lines[0]]  # nothing allowed: the header alone

"""The HTML report: self-contained, and drawn by headless Chromium with the heat maps visible."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from posture.pipeline import check
from posture.report.formats import Format, render
from posture.report.html_render import HEAT_ALL_TRAFFIC
from posture.report.model import Report
from posture.report.svg import EMPTY
from posture.sources import load_snapshot
from posture.sources.convert import ConvertOptions

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def test_html_is_self_contained(report: Report) -> None:
    page = render(report, Format.HTML)
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page
    # No external assets: the only URL allowed is the SVG namespace.
    urls = set(re.findall(r"(?:src|href)=\"([^\"]+)\"", page))
    assert urls == set()
    assert "http://www.w3.org/2000/svg" in page
    assert page.count('class="heatmap"') == 2
    for f in report.findings:
        assert f.check_id in page


def _rgb(colour: str) -> tuple[int, int, int]:
    return (int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16))


def _chromium(page: Path, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("chromium missing in CI: scripts/test installs it")
        pytest.skip("chromium not installed (scripts/test installs it)")
    return subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}",
            *args,
            page.as_uri(),
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_html_renders_in_headless_chromium(report: Report, tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    page.write_text(render(report, Format.HTML), encoding="utf-8")
    png = tmp_path / "report.png"
    _chromium(page, tmp_path, f"--screenshot={png}", "--window-size=1400,3000")
    assert png.stat().st_size > 20_000
    image = Image.open(png).convert("RGB")
    assert image.size == (1400, 3000)
    target = _rgb(HEAT_ALL_TRAFFIC)
    colours = {c: n for n, c in image.getcolors(1 << 24) or []}
    hot = colours.get(target, 0)
    # At least a few full heat-map cells (24×24 px each) in the "any connection" colour.
    assert hot > 4 * 24 * 24, hot
    assert len(colours) > 50  # text and pictures, not a blank page


# --- readable at scale: only rows with something allowed, a "top things to fix" box -----------

BENCH = Path(__file__).resolve().parents[2] / "scripts" / "bench"


def _heat_rows(page: str) -> dict[str, list[tuple[str, int]]]:
    """Each heat map's rows (by its title) with how many non-empty cells each row has."""
    maps: dict[str, list[tuple[str, int]]] = {}
    for svg in re.findall(r'<svg[^>]*class="heatmap".*?</svg>', page, re.S):
        title = re.search(r"<title>([^<]*)</title>", svg)
        assert title is not None
        rows = []
        for part in re.split(r'(?=<text[^>]*class="row")', svg)[1:]:
            label = re.search(r'class="row"[^>]*>([^<]*)<', part)
            assert label is not None
            filled = [c for c in re.findall(r'<rect[^>]*fill="(#[0-9a-f]{6})"', part) if c != EMPTY]
            rows.append((label.group(1), len(filled)))
        maps[title.group(1)] = rows
    return maps


@pytest.fixture(scope="module")
def medium_page(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The HTML report of the generated 20,000-pod cluster (scripts/bench --size medium)."""
    keep = tmp_path_factory.mktemp("medium") / "medium.json"
    subprocess.run(
        [sys.executable, str(BENCH), "--size", "medium", "--keep", str(keep), "--no-run"],
        check=True,
        capture_output=True,
        timeout=600,
    )
    snapshot = load_snapshot([keep], ConvertOptions())
    assert len(snapshot.pods) == 20_000
    return render(check(snapshot), Format.HTML)


def test_medium_cluster_html_is_small_and_its_heat_maps_have_no_empty_row(medium_page: str) -> None:
    assert len(medium_page.encode()) < 2_000_000
    maps = _heat_rows(medium_page)
    assert set(maps) == {"namespace to namespace reachability", "namespace to node reachability"}
    for title, rows in maps.items():
        assert rows, title
        empty = [label for label, filled in rows if not filled]
        assert not empty, (title, empty)
    assert 'id="top-fix"' in medium_page


def test_heat_map_rows_are_sorted_by_risk(report: Report) -> None:
    rows = _heat_rows(render(report, Format.HTML))["namespace to node reachability"]
    hot = [label for label, _ in rows]
    # Namespaces that may open any connection to a node come before those with some ports.
    page = render(report, Format.HTML)
    svg = re.search(r'<svg[^>]*aria-label="namespace to node reachability".*?</svg>', page, re.S)
    assert svg is not None
    any_rows = [r for r in hot if f'fill="{HEAT_ALL_TRAFFIC}"><title>{r} →' in svg.group(0)]
    assert hot[: len(any_rows)] == any_rows


@pytest.mark.parametrize("which", ["example", "medium"])
def test_rendered_page_has_the_top_box_and_no_empty_heat_map_row(
    which: str, report: Report, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """What Chromium renders (its DOM after layout, and a screenshot): the "top things to fix"
    box is there and visible, and no heat-map row lacks an allowed cell."""
    text = (
        render(report, Format.HTML)
        if which == "example"
        else request.getfixturevalue("medium_page")
    )
    page = tmp_path / f"{which}.html"
    page.write_text(text, encoding="utf-8")
    dom = _chromium(page, tmp_path, "--dump-dom").stdout
    assert '<div id="top-fix"><h2>Top things to fix</h2><ol><li>' in dom
    for title, rows in _heat_rows(dom).items():
        assert all(filled for _, filled in rows), title
    png = tmp_path / f"{which}.png"
    _chromium(page, tmp_path, f"--screenshot={png}", "--window-size=1400,1200")
    image = Image.open(png).convert("RGB")
    # The box's red frame is drawn near the top of the page (first screen).
    frame = _rgb("#d7301f")
    top = image.crop((0, 0, 1400, 500))
    assert sum(n for n, c in top.getcolors(1 << 24) or [] if c == frame) > 500

"""The HTML report: self-contained, and drawn by headless Chromium with the heat maps visible."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from posture.report.formats import Format, render
from posture.report.html_render import HEAT_ALL_TRAFFIC
from posture.report.model import Report

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


def test_html_renders_in_headless_chromium(report: Report, tmp_path: Path) -> None:
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("chromium missing in CI: scripts/test installs it")
        pytest.skip("chromium not installed (scripts/test installs it)")
    page = tmp_path / "report.html"
    page.write_text(render(report, Format.HTML), encoding="utf-8")
    png = tmp_path / "report.png"
    assert CHROMIUM is not None
    subprocess.run(
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
            f"--screenshot={png}",
            "--window-size=1400,2000",
            page.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    assert png.stat().st_size > 20_000
    image = Image.open(png).convert("RGB")
    assert image.size == (1400, 2000)
    target = _rgb(HEAT_ALL_TRAFFIC)
    colours = {c: n for n, c in image.getcolors(1 << 24) or []}
    hot = colours.get(target, 0)
    # At least a few full heat-map cells (24×24 px each) in the "any connection" colour.
    assert hot > 4 * 24 * 24, hot
    assert len(colours) > 50  # text and pictures, not a blank page

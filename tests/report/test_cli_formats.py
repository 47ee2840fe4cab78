"""The CLI side of the formats: every -o value, byte-stable output, NO_COLOR, progress lines."""

from __future__ import annotations

import io
import re
import sys
from pathlib import Path

import pytest

from posture.cli import main
from posture.report.formats import Format
from tests.support import EXAMPLE


def _check(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    rc = main(["check", "--from", EXAMPLE, "--exit-zero", *argv])
    out, err = capsys.readouterr()
    return rc, out, err


@pytest.mark.parametrize("fmt", [f.value for f in Format])
def test_every_format_is_byte_stable_apart_from_the_timestamp(
    capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    """Two runs on the same input differ at most in the run's time (manifests carry none)."""
    rc, first, err = _check(capsys, "-o", fmt)
    assert rc == 0
    assert err == ""
    _, second, _ = _check(capsys, "-o", fmt)
    assert first

    # Only the generation time may differ: as an RFC 3339 string or as epoch seconds.
    def blank(text: str) -> str:
        text = re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", "<time>", text)
        text = re.sub(r"(seconds:\s*)\d+", r"\1<time>", text)
        return re.sub(r"(timestamp\S*\s+)\d+(\.\d+)?(e\+\d+)?", r"\1<time>", text)

    assert blank(first) == blank(second)


def test_no_color_is_honoured_on_a_terminal(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    _, coloured, _ = _check(capsys)
    assert "\033[" in coloured
    monkeypatch.setenv("NO_COLOR", "1")
    _, plain, _ = _check(capsys)
    assert "\033[" not in plain


def test_progress_lines_go_to_stderr_only(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    _, out, err = _check(capsys, "-o", "json")
    assert out.startswith("{")
    # Each finished line first clears a pending progress bar (carriage return, erase line).
    raw = err.rstrip("\n").split("\n")  # not splitlines(): "\r" would split there too
    assert all(line.startswith("\r\033[K") for line in raw)
    lines = [line.removeprefix("\r\033[K") for line in raw]
    assert any(line.startswith("posture: Pod: ") for line in lines)
    for stage in ("load", "model", "classes", "reachability", "findings", "report"):
        assert any(f"posture: {stage} done (" in line for line in lines), stage
    # Between them one rewritten line (no newline) names the file read and the stage running.
    assert f"posture: reading {EXAMPLE}…\r\033[Kposture: DaemonSet.apps: " in err
    assert "posture: computing reachability…\r\033[Kposture: classes done (" not in err
    assert "posture: computing reachability…\r\033[Kposture: reachability done (" in err
    for flag in ("-q", "--no-progress"):
        _, _, quiet = _check(capsys, "-o", "json", flag)
        assert quiet == ""


def test_progress_off_when_stderr_is_not_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    assert not isinstance(sys.stderr, io.TextIOWrapper) or not sys.stderr.isatty()
    assert _check(capsys, "-o", "json")[2] == ""


def test_html_output_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    rc, out, _ = _check(capsys, "-o", "html", "--output-file", str(target))
    assert rc == 0
    assert out == ""
    text = target.read_text()
    assert "\033[" not in text
    assert text.startswith("<!DOCTYPE html>")

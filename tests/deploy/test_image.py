"""The image build, statically (no container engine here): the Containerfile installs exactly the
locked dependencies with their hashes, the lock matches pyproject's requirements, and the OCI
labels carry the package version."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.version import Version

REPO = Path(__file__).resolve().parents[2]
LOCK = REPO / "requirements.lock"


def _pyproject() -> dict[str, object]:
    return tomllib.loads((REPO / "pyproject.toml").read_text())["project"]  # type: ignore[no-any-return]


def locked() -> dict[str, tuple[str, list[str]]]:
    """name → (version, sha256 hashes) from requirements.lock (pip's hash-checking format)."""
    text = LOCK.read_text().replace("\\\n", " ")
    out: dict[str, tuple[str, list[str]]] = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        spec, *options = line.split()
        name, version = spec.split("==")
        hashes = [o.removeprefix("--hash=sha256:") for o in options]
        assert all(o.startswith("--hash=sha256:") for o in options), line
        out[name] = (version, hashes)
    return out


def test_every_locked_package_is_pinned_with_hashes() -> None:
    lock = locked()
    assert lock
    for name, (version, hashes) in lock.items():
        Version(version)  # an exact, valid version
        assert hashes, name
        assert all(re.fullmatch(r"[0-9a-f]{64}", h) for h in hashes), name


def test_the_lock_satisfies_every_requirement_of_pyproject() -> None:
    lock = locked()
    for text in _pyproject()["dependencies"]:  # type: ignore[attr-defined]
        req = Requirement(text)
        key = req.name.lower().replace("_", "-")
        assert key in lock, f"{req.name} is required but not locked"
        assert req.specifier.contains(lock[key][0]), f"{key}=={lock[key][0]} outside {req}"
    # The direct requirements' own dependencies are locked too (kubernetes → urllib3, ...).
    assert {"urllib3", "certifi", "six"} <= set(lock)


def test_containerfile_installs_the_lock_with_hashes_and_labels_the_version() -> None:
    text = (REPO / "Containerfile").read_text().replace("\\\n", " ")
    assert "COPY requirements.lock" in text
    install = next(line for line in text.splitlines() if "-r /tmp/requirements.lock" in line)
    assert "--require-hashes" in install
    # posture's own wheel adds nothing unlocked.
    assert re.search(r"pip install [^&]*--no-deps /wheels/\*\.whl", text)
    version = _pyproject()["version"]
    assert f"ARG VERSION={version}" in text
    assert 'org.opencontainers.image.version="${VERSION}"' in text
    assert 'org.opencontainers.image.source="${SOURCE}"' in text

"""Writing output files: atomically, with the permissions the user's umask asks for, and with a
one-line reason (exit 2) instead of a traceback when the path cannot be written.

Atomic means a temporary file in the target's directory renamed over the target, so a reader
(a dashboard, the CronJob's history) never sees half a report. ``mkstemp`` creates that file
with mode 0600 whatever the umask; the final file gets ``0666 & ~umask``, as ``open()`` would
have given it, so a group-readable report directory stays group-readable.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from posture.errors import PostureError


class OutputError(PostureError):
    """An output path that cannot be written: missing directory, no permission, full disk."""

    exit_code = 2


def _umask() -> int:
    """The process umask (reading it means setting it; restored at once)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _reason(path: Path, directory: Path, error: OSError) -> str:
    if not directory.is_dir():
        return f"cannot write {path}: directory {directory} does not exist"
    if path.is_dir():
        return f"cannot write {path}: it is a directory"
    return f"cannot write {path}: {error.strerror or type(error).__name__}"


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file and a rename; OutputError on failure
    (naming ``path``, never the temporary file)."""
    directory = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=directory)
    except OSError as e:
        raise OutputError(_reason(path, directory, e)) from None
    try:
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except OSError as e:
        Path(tmp).unlink(missing_ok=True)
        raise OutputError(_reason(path, directory, e)) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise

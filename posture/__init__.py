"""posture: who can really talk to whom on a Calico cluster.

Public API: :func:`check` runs the whole pipeline on a Source; :func:`load_snapshot` reads
manifests or a snapshot file.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]

"""``posture preflight``'s output (pure: the permission checks in, text out).

A check is ``(verb, group, resource, allowed)`` as the live source's SelfSubjectAccessReviews
answered it; the table goes to stdout, one line per denied permission to stderr.
"""

from __future__ import annotations

from collections.abc import Sequence

Check = tuple[str, str, str, bool]

_HEAD = ("VERB", "GROUP", "RESOURCE", "ACCESS")


def render_preflight(checks: Sequence[Check]) -> str:
    """Every permission, allowed or DENIED, in aligned columns."""
    rows = [(v, g or "(core)", r, "allowed" if ok else "DENIED") for v, g, r, ok in checks]
    width = [max([len(h), *(len(row[i]) for row in rows)]) for i, h in enumerate(_HEAD)]
    return "".join(
        "  ".join(c.ljust(w) for c, w in zip(row, width, strict=True)).rstrip() + "\n"
        for row in (_HEAD, *rows)
    )


def denied_lines(checks: Sequence[Check]) -> list[str]:
    """What to grant, one line per denied permission plus a summary; empty when all allowed."""
    denied = [(v, g, r) for v, g, r, ok in checks if not ok]
    if not denied:
        return []
    core = '""'  # the core group, spelled as in a ClusterRole's apiGroups
    lines = [
        f"posture: missing permission: verb={v} group={g or core} resource={r}"
        for v, g, r in denied
    ]
    lines.append(
        f"posture: {len(denied)} of {len(checks)} permissions denied; grant them "
        "(deploy/clusterrole.yaml has the full list) or expect exit 3 from check"
    )
    return lines

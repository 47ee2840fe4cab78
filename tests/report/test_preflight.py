"""``posture preflight``'s text: aligned columns on stdout, what to grant on stderr."""

from __future__ import annotations

from posture.report.preflight import denied_lines, render_preflight

CHECKS = [
    ("list", "", "pods", True),
    ("list", "crd.projectcalico.org", "globalnetworkpolicies", False),
]


def test_table_aligns_columns_and_names_the_core_group() -> None:
    assert render_preflight(CHECKS).splitlines() == [
        "VERB  GROUP                  RESOURCE               ACCESS",
        "list  (core)                 pods                   allowed",
        "list  crd.projectcalico.org  globalnetworkpolicies  DENIED",
    ]


def test_denied_permissions_are_named_as_a_clusterrole_spells_them() -> None:
    lines = denied_lines([("get", "", "nodes", False), *CHECKS])
    assert lines[:2] == [
        'posture: missing permission: verb=get group="" resource=nodes',
        "posture: missing permission: verb=list group=crd.projectcalico.org "
        "resource=globalnetworkpolicies",
    ]
    assert lines[2].startswith("posture: 2 of 3 permissions denied")
    assert denied_lines(CHECKS[:1]) == []

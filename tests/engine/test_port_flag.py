"""``--port`` as operators type it: a bare number is a TCP port, as a NetworkPolicy port
without ``protocol`` (Kubernetes API reference, NetworkPolicyPort: "protocol ... If not
specified, this field defaults to TCP") and ``kubectl expose --port`` / ``kubectl
port-forward`` read it; an IP protocol number only in an explicit form (``proto/4``, ``4/IP``)
or by name (``IPIP``, IANA protocol 4)."""

from __future__ import annotations

import json

import pytest

from posture.engine.flows import OTHER, Flows, Universe, parse_flow
from posture.model.net import PortSet
from tests.support import EXAMPLE, run

U = Universe.of([4])  # a universe that tells IP-in-IP apart, as one with IPIP pools does
TCP, UDP, ICMP, IPIP = 6, 17, 1, 4


@pytest.mark.parametrize(
    ("text", "protocol", "ports"),
    [
        ("443", TCP, "443"),
        (" 4 ", TCP, "4"),  # port 4 of TCP, not IP protocol 4
        ("8000-8080", TCP, "8000-8080"),
        ("80,443", TCP, "80,443"),
        ("443/TCP", TCP, "443"),
        ("53/udp", UDP, "53"),
        ("UDP", UDP, "*"),
        ("tcp", TCP, "*"),
        ("IPIP", IPIP, "*"),
        ("ipip", IPIP, "*"),
        ("proto/4", IPIP, "*"),
        ("4/IP", IPIP, "*"),
        ("4/ip", IPIP, "*"),
        ("proto/17", UDP, "*"),
        ("8/ICMP", ICMP, "2048-2303"),  # ICMP type 8, every code
    ],
)
def test_port_forms(text: str, protocol: int, ports: str) -> None:
    assert parse_flow(text, U) == Flows.single(protocol, PortSet.parse(ports))


def test_protocols_outside_the_universe_fall_into_other() -> None:
    assert parse_flow("proto/47", U) == Flows.single(OTHER, PortSet.FULL)
    assert parse_flow("GRE", U) == Flows.single(OTHER, PortSet.FULL)


@pytest.mark.parametrize(
    "text",
    [
        "4/PROTO",  # neither a protocol name nor IP
        "proto/IPIP",  # proto/ takes a number
        "proto/0",
        "proto/256",
        "256/IP",
        "70000",
        "x/TCP",
        "TCP/443",
        "",
    ],
)
def test_invalid_port_forms(text: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - the message is checked through the CLI
        parse_flow(text, U)


def _explain(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, object, str]:
    rc, out, err = run(capsys, "explain", *argv, "--from", EXAMPLE, "-o", "json")
    return rc, (json.loads(out) if rc == 0 else None), err


@pytest.mark.parametrize(
    ("bare", "explicit"),
    [("10250", "10250/TCP"), ("4", "4/TCP"), ("30000-30010", "30000-30010/TCP")],
)
def test_bare_port_means_tcp_through_explain(
    capsys: pytest.CaptureFixture[str], bare: str, explicit: str
) -> None:
    """The same answer, stage by stage, as the port written with TCP."""
    rc, got, err = _explain(capsys, "shop/db-0", "node/worker-2", "--port", bare)
    assert rc == 0, err
    _, expected, _ = _explain(capsys, "shop/db-0", "node/worker-2", "--port", explicit)
    assert got == expected


def test_ip_protocol_needs_the_explicit_form(capsys: pytest.CaptureFixture[str]) -> None:
    """Negative: ``--port 4`` is not ``--port proto/4``; ``proto/4``, ``4/IP`` and ``IPIP``
    agree."""
    _, tcp4, _ = _explain(capsys, "shop/db-0", "node/worker-2", "--port", "4")
    answers = [
        _explain(capsys, "shop/db-0", "node/worker-2", "--port", form)[1]
        for form in ("proto/4", "4/IP", "IPIP")
    ]
    assert answers[0] is not None
    assert answers[0] == answers[1] == answers[2]
    assert json.dumps(answers[0]) != json.dumps(tcp4)


def test_a_bad_port_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    rc, _, err = _explain(capsys, "shop/db-0", "node/worker-2", "--port", "4/PROTO")
    assert rc == 2
    assert err.startswith("posture: error: --port 4/PROTO:")

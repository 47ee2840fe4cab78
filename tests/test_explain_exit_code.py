"""``posture explain --exit-code``: 1 when the traffic asked about is denied, 0 when allowed."""

from __future__ import annotations

import pytest

from tests.support import EXAMPLE, run


@pytest.mark.parametrize(
    ("src", "dst", "port", "code", "verdict"),
    [
        ("monitoring/prometheus-0", "node/worker-1", "10250/TCP", 0, "ALLOWED"),
        ("shop/frontend-7f9c8d-0", "payments/ledger-0", "5432/TCP", 1, "DENIED"),
    ],
)
def test_exit_code_follows_the_verdict(
    capsys: pytest.CaptureFixture[str], src: str, dst: str, port: str, code: int, verdict: str
) -> None:
    rc, out, _ = run(capsys, "explain", src, dst, "--port", port, "--from", EXAMPLE, "--exit-code")
    assert rc == code
    assert out.splitlines()[1].startswith(verdict)
    # Without the flag, explain answers and exits 0 either way.
    assert run(capsys, "explain", src, dst, "--port", port, "--from", EXAMPLE)[0] == 0

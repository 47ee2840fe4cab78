"""`posture check --post-url/--pushgateway` against real HTTP servers on loopback.

The receivers are ``http.server`` instances in a thread: what matters is what really goes over
the wire (method, path, headers, body) and how real failures (refused connection, 401, 500,
redirect, no answer) come back as one line and an exit code, which a mocked ``requests`` would
not show. The metrics body is parsed by ``prometheus_client``'s own parser, as the Pushgateway
would parse it.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from posture.cli import main
from posture.publish import latest_configmap
from tests.support import EXAMPLE, run

TOKEN = "s3cr3t-t0ken.abc"


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """A loopback HTTP server that records every request and answers ``status``."""

    url: str
    requests: list[Seen] = field(default_factory=list)
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


class _QuietServer(ThreadingHTTPServer):
    """A receiver whose client gave up (the timeout tests) must not print a traceback from its
    handler thread: it would land in whichever test captures stderr next."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    rec = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            rec.requests.append(
                Seen(self.command, self.path, dict(self.headers.items()), self.rfile.read(length))
            )
            if rec.delay:
                time.sleep(rec.delay)
            self.send_response(rec.status)
            for name, value in rec.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(rec.body)))
            self.end_headers()
            self.wfile.write(rec.body)

        do_POST = do_PUT = do_GET = _handle

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = _QuietServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    rec.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield rec
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No proxy may intercept loopback requests; no publishing settings leak in."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    for name in (
        "POSTURE_POST_URL",
        "POSTURE_POST_TOKEN",
        "POSTURE_POST_TOKEN_FILE",
        "POSTURE_PUSHGATEWAY",
        "POSTURE_PUSHGATEWAY_JOB",
    ):
        monkeypatch.delenv(name, raising=False)


def check_example(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    return run(capsys, "check", "--from", EXAMPLE, *argv)


def reference(capsys: pytest.CaptureFixture[str], fmt: str) -> str:
    rc, out, _ = check_example(capsys, "--exit-zero", "-o", fmt)
    assert rc == 0
    return out


def without_time(doc: dict[str, Any]) -> dict[str, Any]:
    """The report without the time it was generated (two runs differ only there)."""
    meta = {k: v for k, v in doc["metadata"].items() if k != "generatedAt"}
    return {**doc, "metadata": meta}


def without_time_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if "timestamp" not in line]


def free_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_posts_the_json_report_with_a_bearer_token(
    capsys: pytest.CaptureFixture[str], receiver: Receiver, tmp_path: Path
) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")  # as `kubectl create secret --from-file` keeps it
    rc, out, err = check_example(
        capsys,
        "--exit-zero",
        "--post-url",
        receiver.url + "/api/reports?cluster=prod",
        "--post-token-file",
        str(token_file),
    )
    assert rc == 0, err
    assert "Measures" in out  # the table still goes to stdout
    assert len(receiver.requests) == 1
    seen = receiver.requests[0]
    assert (seen.method, seen.path) == ("POST", "/api/reports?cluster=prod")
    assert seen.headers["Authorization"] == f"Bearer {TOKEN}"
    assert seen.headers["Content-Type"] == "application/json"
    assert seen.headers["User-Agent"] == "posture"
    body = json.loads(seen.body)
    assert body["kind"] == "PostureReport"
    expected = json.loads(reference(capsys, "json"))
    assert without_time(body) == without_time(expected)
    assert "posted the report (200)" in err


def test_json_output_is_posted_as_written(
    capsys: pytest.CaptureFixture[str],
    receiver: Receiver,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With -o json the bytes posted are the bytes written; the token may come from the env."""
    monkeypatch.setenv("POSTURE_POST_TOKEN", TOKEN)
    monkeypatch.setenv("POSTURE_POST_URL", receiver.url + "/in")
    report = tmp_path / "r.json"
    rc, _, err = check_example(
        capsys, "--exit-zero", "-q", "-o", "json", "--output-file", str(report)
    )
    assert rc == 0, err
    assert err == ""  # -q: no "posted" line
    seen = receiver.requests[0]
    assert seen.body == report.read_bytes()
    assert seen.headers["Authorization"] == f"Bearer {TOKEN}"


def test_without_a_token_no_authorization_header(
    capsys: pytest.CaptureFixture[str], receiver: Receiver
) -> None:
    rc, _, _ = check_example(capsys, "--exit-zero", "--post-url", receiver.url)
    assert rc == 0
    assert "Authorization" not in receiver.requests[0].headers
    assert receiver.requests[0].path == "/"


def test_pushes_metrics_to_the_pushgateway(
    capsys: pytest.CaptureFixture[str], receiver: Receiver
) -> None:
    receiver.status = 200
    rc, _, err = check_example(capsys, "--exit-zero", "--pushgateway", receiver.url + "/")
    assert rc == 0, err
    seen = receiver.requests[0]
    assert (seen.method, seen.path) == ("PUT", "/metrics/job/posture")
    assert seen.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    assert "Authorization" not in seen.headers
    text = seen.body.decode()
    assert without_time_lines(text) == without_time_lines(reference(capsys, "prometheus"))
    assert text.endswith("\n")
    families = {f.name: f for f in text_string_to_metric_families(text)}
    assert "posture_findings" in families
    assert all(s.timestamp is None for f in families.values() for s in f.samples)
    assert "pushed metrics to the Pushgateway (200)" in err


def test_pushgateway_job_with_a_slash_uses_base64(
    capsys: pytest.CaptureFixture[str], receiver: Receiver
) -> None:
    receiver.status = 202  # the Pushgateway answers 202 Accepted (>= 1.3) or 200
    rc, _, _ = check_example(
        capsys, "--exit-zero", "--pushgateway", receiver.url, "--pushgateway-job", "prod/eu-1"
    )
    assert rc == 0
    assert receiver.requests[0].path == "/metrics/job@base64/cHJvZC9ldS0x"


def test_post_and_push_in_one_run(capsys: pytest.CaptureFixture[str], receiver: Receiver) -> None:
    rc, _, _ = check_example(
        capsys, "--exit-zero", "--post-url", receiver.url + "/r", "--pushgateway", receiver.url
    )
    assert rc == 0
    assert [(s.method, s.path) for s in receiver.requests] == [
        ("POST", "/r"),
        ("PUT", "/metrics/job/posture"),
    ]


def one_error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.startswith("posture: error:")]
    assert len(lines) == 1, err
    assert len(err.strip().splitlines()) == 1, err
    return lines[0]


def test_connection_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/api"
    report = tmp_path / "report.json"
    rc, _, err = check_example(
        capsys, "--exit-zero", "-o", "json", "--output-file", str(report), "--post-url", url
    )
    assert rc == 3
    line = one_error_line(err)
    assert f"cannot connect to {url} (Connection refused) while posting the report" in line
    assert report.is_file()  # the report written before publishing is kept


def test_rejected_token(
    capsys: pytest.CaptureFixture[str], receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    receiver.status = 401
    receiver.body = b'{"error": "bad token"}'
    monkeypatch.setenv("POSTURE_POST_TOKEN", TOKEN)
    rc, _, err = check_example(capsys, "--exit-zero", "--post-url", receiver.url + "/x")
    assert rc == 3
    line = one_error_line(err)
    assert "rejected the request (401 Unauthorized) while posting the report" in line
    assert "--post-token-file or $POSTURE_POST_TOKEN" in line
    assert TOKEN not in err


def test_server_error_shows_the_body(
    capsys: pytest.CaptureFixture[str], receiver: Receiver
) -> None:
    receiver.status = 500
    receiver.body = b"database\nis down\n"
    rc, _, err = check_example(capsys, "--exit-zero", "--pushgateway", receiver.url)
    assert rc == 3
    line = one_error_line(err)
    assert line == (
        f"posture: error: {receiver.url}/metrics/job/posture answered HTTP 500 Internal Server "
        "Error while pushing metrics to the Pushgateway: database is down"
    )


def test_redirect_is_not_followed(
    capsys: pytest.CaptureFixture[str], receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bearer token must not be replayed to wherever a redirect points."""
    receiver.status = 302
    receiver.headers = {"Location": "http://127.0.0.1:1/steal"}
    monkeypatch.setenv("POSTURE_POST_TOKEN", TOKEN)
    rc, _, err = check_example(capsys, "--exit-zero", "--post-url", receiver.url)
    assert rc == 3
    assert "answered HTTP 302 Found" in one_error_line(err)
    assert len(receiver.requests) == 1


def test_no_answer_in_time(capsys: pytest.CaptureFixture[str], receiver: Receiver) -> None:
    receiver.delay = 2.0
    rc, _, err = check_example(
        capsys, "--exit-zero", "--request-timeout", "0.3", "--post-url", receiver.url
    )
    assert rc == 3
    assert f"no answer from {receiver.url} within 0.3s while posting the report" in (
        one_error_line(err)
    )


def test_credentials_in_the_url_are_not_printed(capsys: pytest.CaptureFixture[str]) -> None:
    url = f"http://user:hunter2@127.0.0.1:{free_port()}/x"
    rc, _, err = check_example(capsys, "--exit-zero", "--post-url", url)
    assert rc == 3
    assert "hunter2" not in err
    assert "http://127.0.0.1:" in one_error_line(err)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--post-url", "ftp://example.com/x"], "--post-url 'ftp://example.com/x': expected an"),
        (["--post-url", "reports.example.com"], "expected an absolute http:// or https:// URL"),
        (["--pushgateway", "http://[::1"], "--pushgateway 'http://[::1': invalid URL"),
        (["--post-url", "http://h:99999/"], "invalid URL"),
        (["--post-token-file", "/nonexistent"], "--post-token-file needs --post-url"),
        (
            ["--post-url", "http://127.0.0.1:1/", "--post-token-file", "/nonexistent/token"],
            "/nonexistent/token: cannot read the token file: No such file or directory",
        ),
        (["--pushgateway", "http://127.0.0.1:1", "--pushgateway-job", ""], "job name is empty"),
    ],
)
def test_bad_publishing_flags_fail_before_reading(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    """Exit 2, one line, and nothing read: --from points nowhere, so reading would fail later."""
    rc = main(["check", "--from", "/nonexistent/manifests", *argv])
    _, err = capsys.readouterr()
    assert rc == 2
    assert message in one_error_line(err)


def test_empty_or_multiline_token_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    empty = tmp_path / "empty"
    empty.write_text("\n")
    two = tmp_path / "two"
    two.write_text("abc\ndef\n")
    for path, message in ((empty, "is empty"), (two, "whitespace or control characters")):
        rc = main(
            [
                "check",
                "--from",
                EXAMPLE,
                "--post-url",
                "http://127.0.0.1:1/",
                "--post-token-file",
                str(path),
            ]
        )
        _, err = capsys.readouterr()
        assert rc == 2
        assert message in one_error_line(err)


def test_latest_configmap_keeps_the_report_when_it_fits() -> None:
    report = json.dumps({"kind": "PostureReport", "findings": []})
    cm = latest_configmap("posture-latest", "posture", "summary\n", report)
    assert cm["metadata"] == {
        "name": "posture-latest",
        "namespace": "posture",
        "labels": {"app.kubernetes.io/name": "posture"},
    }
    assert cm["data"] == {"summary": "summary\n", "report.json": report}


def test_latest_configmap_is_bounded() -> None:
    report = json.dumps({"kind": "PostureReport", "findings": ["x" * 100] * 100})
    cm = latest_configmap("posture-latest", "posture", "summary\n", report, limit=1000)
    note = json.loads(cm["data"]["report.json"])
    assert note["truncated"] is True
    assert note["bytes"] == len(report)
    assert "latest.json" in note["note"]
    assert len(cm["data"]["report.json"]) < 1000

"""Reading a list one page ahead (sources/paging.py): the continue token from an answer's head,
pages in order, at most one request out beside the page in hand, failures where they happen."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest

from posture.sources.paging import HEAD_BYTES, TokenMismatch, head_continue_token, pages


def _page(
    items: list[Any], token: str, *, items_first: bool = False, indent: int | None = None
) -> bytes:
    meta = {"resourceVersion": "42", "continue": token} if token else {"resourceVersion": "42"}
    if items_first:  # custom resources: keys sorted, metadata after items
        body = {
            "apiVersion": "projectcalico.org/v3",
            "items": items,
            "kind": "TierList",
            "metadata": meta,
        }
    else:  # built-in lists: TypeMeta, ListMeta, then Items
        body = {"kind": "PodList", "apiVersion": "v1", "metadata": meta, "items": items}
    return json.dumps(body, indent=indent).encode()


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (_page([{"a": 1}], "tok-1"), "tok-1"),
        (_page([{"a": 1}], "tok-1", indent=2), "tok-1"),  # as served to curl: pretty-printed
        (_page([], ""), ""),  # the last page
        (_page([{"a": 1}], "tok-1", items_first=True), None),  # custom resources
        (b'{"kind":"PodList","apiVersion":"v1","metadata":{"continue":"x"', None),  # cut off
        (b'{"kind":"PodList","metadata":"odd","items":[]}', None),
        (b'{"kind":"PodList","metadata":{"continue":7},"items":[]}', "7"),
        (b'{"kind" "PodList"}', None),
        (b"[1, 2]", None),
        (b"", None),
        (b"<html>proxy error</html>", None),
        ('{"kind":"PodList","apiVersion":"v1","metadata":{"continue":"é"}}'.encode(), "é"),
    ],
)
def test_head_continue_token(data: bytes, expected: str | None) -> None:
    assert head_continue_token(data) == expected


def test_head_token_needs_the_metadata_within_the_head() -> None:
    long_kind = "x" * HEAD_BYTES
    data = json.dumps({"kind": long_kind, "metadata": {"continue": "t"}, "items": []}).encode()
    assert head_continue_token(data) is None
    assert head_continue_token(data[: HEAD_BYTES // 2]) is None


class _Server:
    """A list of ``n`` pages served from memory; records the order of fetches and parses."""

    def __init__(self, n: int, *, items_first: bool = False, fail_at: int = 0) -> None:
        self.n = n
        self.items_first = items_first
        self.fail_at = fail_at
        self.events: list[str] = []
        self.lock = threading.Lock()

    def body(self, number: int) -> bytes:
        token = f"after-{number}" if number < self.n else ""
        return _page([{"page": number}], token, items_first=self.items_first)

    def fetch(self, token: str, number: int) -> bytes:
        assert token == ("" if number == 1 else f"after-{number - 1}")
        with self.lock:
            self.events.append(f"fetch {number}")
        if number == self.fail_at:
            raise RuntimeError(f"page {number} failed")
        return self.body(number)

    def parse(self, data: bytes, number: int) -> Any:
        with self.lock:
            self.events.append(f"parse {number}")
        return json.loads(data)


@pytest.mark.parametrize("items_first", [False, True])
def test_pages_come_in_order_with_at_most_one_request_ahead(items_first: bool) -> None:
    server = _Server(5, items_first=items_first)
    seen = []
    for body in pages(server.fetch, server.parse):
        number = body["items"][0]["page"]
        seen.append(number)
        with server.lock:
            fetched = [int(e.split()[1]) for e in server.events if e.startswith("fetch")]
        # the next page may be out already, never the one after it
        assert max(fetched) <= number + 1
    assert seen == [1, 2, 3, 4, 5]
    fetches = [e for e in server.events if e.startswith("fetch")]
    assert fetches == [f"fetch {i}" for i in range(1, 6)]  # each page once, none beyond the last


def test_the_next_request_goes_out_before_the_page_is_parsed() -> None:
    """Built-in lists: the token comes from the head, so page 2 is asked for first."""
    server = _Server(2)
    release = threading.Event()
    fetched_two = threading.Event()

    def fetch(token: str, number: int) -> bytes:
        data = server.fetch(token, number)
        if number == 2:
            fetched_two.set()
        return data

    def parse(data: bytes, number: int) -> Any:
        if number == 1:
            assert fetched_two.wait(5), "page 2 was not requested while page 1 was parsed"
        release.set()
        return server.parse(data, number)

    assert [b["items"][0]["page"] for b in pages(fetch, parse)] == [1, 2]
    assert release.is_set()


def test_a_failing_page_ends_the_list_there() -> None:
    server = _Server(4, fail_at=3)
    it = pages(server.fetch, server.parse)
    assert [next(it)["items"][0]["page"] for _ in range(2)] == [1, 2]
    with pytest.raises(RuntimeError, match="page 3 failed"):
        next(it)
    assert "fetch 4" not in server.events


def test_a_head_token_that_differs_from_the_page_is_refused() -> None:
    head = b'{"kind":"PodList","apiVersion":"v1","metadata":{"continue":"a"},'
    data = head + b'"items":[],"metadata":{"continue":"b"}}'  # duplicate key: JSON keeps the last

    def fetch(token: str, number: int) -> bytes:
        return data if number == 1 else _page([], "")

    with pytest.raises(TokenMismatch):
        list(pages(fetch, lambda d, _n: json.loads(d)))

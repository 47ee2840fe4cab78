"""Reading a paginated LIST with the next page's request already out.

Listing a large kind is a conversation of pages: the server prepares a page (reads etcd,
encodes JSON), the client parses it, and only then asks for the next one with the page's
``continue`` token. Done one after the other, the server idles while the client parses and
the client idles while the server prepares. :func:`pages` overlaps the two: as soon as a
page's bytes are in, its continue token is read from the head of the answer and the request
for the next page goes out on a helper thread, while this thread parses and trims the page
in hand. At most one request is in flight beside the page being processed, so memory stays
at two pages whatever the size of the list.

The token is read without parsing the page: Kubernetes encodes a list's ``metadata`` before
its ``items`` (``metav1.ListMeta`` precedes ``Items`` in every built-in ``...List`` type,
k8s.io/apimachinery/pkg/apis/meta/v1/types.go), so it sits in the first bytes. Custom
resources are encoded from maps, with keys sorted, so ``metadata`` follows ``items``: for
those pages (small kinds here) the page is parsed first, then the next request goes out.
Either way the token used is checked against the parsed page's own.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

# The list metadata (resourceVersion, continue, remainingItemCount) fits easily: continue
# tokens are base64 of a small JSON object.
HEAD_BYTES = 16384
_DECODER = json.JSONDecoder()
_WHITESPACE = " \t\n\r"


def _skip(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in _WHITESPACE:
        pos += 1
    return pos


def head_continue_token(data: bytes) -> str | None:
    """The ``metadata.continue`` of a LIST answer ("" on the last page), read from the top-level
    members that precede ``items``; None when ``items`` (or anything unexpected) comes first,
    or the metadata does not end within :data:`HEAD_BYTES`."""
    text = data[:HEAD_BYTES].decode("utf-8", "replace")
    try:
        pos = _skip(text, 0)
        if text[pos] != "{":
            return None
        pos += 1
        while True:
            key, pos = _DECODER.raw_decode(text, _skip(text, pos))
            pos = _skip(text, pos)
            if not isinstance(key, str) or text[pos] != ":":
                return None
            value, pos = _DECODER.raw_decode(text, _skip(text, pos + 1))
            if key == "metadata":
                return continue_token(value) if isinstance(value, dict) else None
            if key == "items":
                return None
            pos = _skip(text, pos)
            if text[pos] != ",":
                return None
            pos += 1
    except (ValueError, IndexError):  # cut off within HEAD_BYTES, or not JSON at all
        return None


def continue_token(meta: Any) -> str:
    """A list metadata's continue token, "" when there is none (the last page)."""
    return str((meta or {}).get("continue") or "") if isinstance(meta, dict) else ""


class TokenMismatch(ValueError):
    """The continue token read from a page's head differs from the parsed page's own."""


def pages(fetch: Callable[[str, int], bytes], parse: Callable[[bytes, int], Any]) -> Iterator[Any]:
    """Every page of one list, parsed, in order. ``fetch(token, number)`` returns page
    ``number``'s bytes (token "" for the first), ``parse(data, number)`` its JSON; the
    exceptions of either come out of this iterator, in the order of the pages."""
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="posture-page")
    try:
        pending: Future[bytes] | None = pool.submit(fetch, "", 1)
        number = 0
        while pending is not None:
            data = pending.result()
            number += 1
            token = head_continue_token(data)
            body = None
            if token is None:  # metadata after the items: parse first
                body = parse(data, number)
                token = continue_token(body.get("metadata") if isinstance(body, dict) else None)
            pending = pool.submit(fetch, token, number + 1) if token else None
            if body is None:
                body = parse(data, number)
                own = continue_token(body.get("metadata") if isinstance(body, dict) else None)
                if own != token:
                    raise TokenMismatch(
                        f"page {number}: continue token in the answer's head differs from its "
                        "metadata"
                    )
            del data
            yield body
            del body
    finally:
        # Nothing is waited for on an error: a request still out ends by its own timeout.
        pool.shutdown(wait=False, cancel_futures=True)

"""httpx clients for the servers the tests start, sharing one TLS context.

httpx builds a context for every client it makes, loading every CA certificate (about 20 ms of
CPU), even for a plain-HTTP address; the tests that open a client per request, to reach every
worker behind one port, paid that thousands of times. The shared context verifies exactly as
httpx's own default does."""

from __future__ import annotations

from typing import Any

import httpx

_TLS = httpx.create_ssl_context()


def http_client(**options: Any) -> httpx.Client:
    return httpx.Client(verify=_TLS, **options)


def http_get(url: str, **options: Any) -> httpx.Response:
    """One GET on a client of its own, as httpx.get is (its 5 s timeout too, unless given)."""
    timeout = options.pop("timeout", 5.0)
    with http_client(timeout=timeout) as one:
        return one.get(url, **options)

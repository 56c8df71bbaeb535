"""Datasette plugin: what keeps a served page from running others' script or a query from stalling
the site (issue 11).

- Every connection gets SQLite limits (badia.site.serve.SQLITE_LIMITS): Datasette's time limit is a
  progress handler, which cannot stop one long function call (`replace(hex(zeroblob(5e8)), ...)`
  ran 9 s at 2 GB); with strings and blobs bounded, and printf's width checked (bounded_printf),
  no single call outruns it.
- Every response carries a Content-Security-Policy: nothing is loaded from, sent to or framed by
  another origin. Datasette's own pages and the map run inline scripts, so scripts keep
  'unsafe-inline'; `javascript:` links are kept off the pages where they would come from (the
  package loader and the article page accept http(s) addresses only).
- Requests whose Host is not one of the allowed names are refused (DNS rebinding): loopback names
  by default, more with BADIA_ALLOWED_HOSTS (comma-separated), which `badia serve --host` sets.
"""

from __future__ import annotations

import os
import sqlite3

from datasette import hookimpl
from datasette.utils.asgi import Response

from badia.site.serve import CONTENT_SECURITY_POLICY, SQLITE_LIMITS, allowed_host, bounded_printf, host_names


@hookimpl
def prepare_connection(conn):
    for limit, value in SQLITE_LIMITS.items():
        conn.setlimit(limit, value)
    for name in ("printf", "format"):  # the one function the length limit does not bound
        conn.create_function(name, -1, bounded_printf)


@hookimpl
def handle_exception(request, exception):
    """A query refused by the limits (sqlite3.DataError: string or blob too big) on a table page
    is the visitor's query, not a fault of the site: a 400 that says so, not a 500."""
    if isinstance(exception, sqlite3.DataError):
        return Response.text(f"The query was stopped: {exception} (this site bounds every string and blob to "
                             f"{SQLITE_LIMITS[sqlite3.SQLITE_LIMIT_LENGTH]} bytes).\n", status=400)
    return None


@hookimpl
def asgi_wrapper(datasette):
    allowed = host_names(os.environ.get("BADIA_ALLOWED_HOSTS", ""))

    def wrap(app):
        async def guarded(scope, receive, send):
            if scope["type"] != "http":
                return await app(scope, receive, send)
            host = dict(scope.get("headers") or []).get(b"host", b"").decode("latin-1")
            if not allowed_host(host, allowed):
                body = f"Host {host!r} is not served here: open the site by a name it serves ({', '.join(sorted(allowed))}), or start it with BADIA_ALLOWED_HOSTS\n".encode()
                await send({"type": "http.response.start", "status": 421,
                            "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())]})
                return await send({"type": "http.response.body", "body": body})

            async def send_with_policy(message):
                if message["type"] == "http.response.start":
                    headers = [(k, v) for k, v in message.get("headers", []) if k.lower() not in (b"content-security-policy", b"x-content-type-options")]
                    headers += [(b"content-security-policy", CONTENT_SECURITY_POLICY.encode()), (b"x-content-type-options", b"nosniff")]
                    message = {**message, "headers": headers}
                await send(message)

            return await app(scope, receive, send_with_policy)

        return guarded

    return wrap

"""The edge of the service: one plain-ASGI middleware, outermost, in front of everything.

Before the app sees a request: a path or query string over ``max_url_bytes`` is 414; a
NUL in the path or query is 400 (PostgreSQL text cannot hold one); a declared body over
``max_body_bytes`` is 413 without reading a byte of it. While the app reads the body:
the same size limit counted as it streams (413), a body that stops arriving
(``read_timeout_s`` idle, ``body_timeout_s`` in all) is 408, and ``\\u0000`` in a JSON
body is 400. These are raised from ``receive`` as HTTP exceptions, so whoever reads the
body (FastAPI or a route) answers them through the one error table.

On the way out: ``nosniff`` on every response; on HTML pages a Content-Security-Policy
(scripts: this site and the hashes of the page's own inline scripts; images: this site
and the basemap's tile servers) and ``X-Frame-Options: DENY``; redirects made relative
(Starlette's trailing-slash redirect names the ``Host`` header a client sent); and
``Connection: close`` on a 500 and on a refused body.

Last resort: an exception no handler caught becomes a JSON 500 here, logged once, and a
client that went away is let go quietly (no traceback per abandoned upload).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable

import orjson
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.workers import ClientGoneError
from gisgrid.settings import LimitSettings

log = logging.getLogger("gisgrid.api")

# Why by hand: Starlette's RequestBodyLimitMiddleware (and FastAPI's max_body_size) limit
# the size only, per route at import time; the limits here come from settings, and the
# size, the read timeouts, the NUL check and the lingering close share one receive wrapper.

_NUL_JSON = re.compile(rb"\\u0000")
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
# Bodies read as JSON text: declared JSON, text, or undeclared (raw-body routes parse any).
_JSON_TYPE = re.compile(rb"(application/(?:[\w.+-]+\+)?json|text/)", re.IGNORECASE)


class GuardError(HTTPException):
    """A request refused at the edge, with its machine code (see ``api.errors``)."""

    def __init__(self, status_code: int, code: str, message: str, *, close: bool = False) -> None:
        super().__init__(status_code, message, headers={"connection": "close"} if close else None)
        self.code = code


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value
    return None


def _relative(location: bytes, host: bytes | None) -> bytes:
    """``http://HOST/path?q`` -> ``/path?q`` when HOST is the one the client named."""
    match = re.match(rb"^[a-zA-Z][a-zA-Z0-9+.-]*://([^/?#]*)(.*)$", location)
    if match is None or host is None or match.group(1).lower() != host.lower():
        return location
    return match.group(2) or b"/"


class RequestGuard:
    """ASGI middleware: the limits, timeouts, headers and last-resort errors above."""

    def __init__(self, app: ASGIApp, limits: LimitSettings,
                 page_policy: Callable[[Scope, bytes], str] | None = None,
                 bulk_body: Callable[[Scope], bool] | None = None) -> None:
        self.app = app
        self.limits = limits
        self.page_policy = page_policy
        # Routes whose body may be bulk data (read raw, parsed in a worker or a thread);
        # every other body is a small form FastAPI parses on the event loop.
        self.bulk_body = bulk_body or (lambda scope: True)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body_limit = (self.limits.max_body_bytes
                      if scope["method"] in _BODY_METHODS and self.bulk_body(scope)
                      else self.limits.max_small_body_bytes)
        refused = self._refuse_early(scope, body_limit)
        if refused is not None:
            # A client waiting for "100 Continue" sends no body: nothing to linger for.
            waits = (_header(scope, b"expect") or b"").lower() == b"100-continue"
            linger = receive if refused.status_code == 413 and not waits else None
            await _send_error(send, refused, linger=linger)
            return
        incoming = _Incoming(receive, scope, self.limits, body_limit)
        out = _Outgoing(send, scope, self.page_policy, incoming)
        try:
            await self.app(scope, incoming, out)
        except (ClientDisconnect, ClientGoneError):
            log.info("client went away: %s %s", scope["method"], scope["path"])
        except GuardError as exc:
            if not out.started:
                await _send_error(send, exc)
        except Exception:
            log.exception("unhandled error on %s %s", scope["method"], scope["path"])
            if not out.started:
                await _send_error(send, GuardError(500, "internal_error",
                                                   "An internal error occurred; it was logged.",
                                                   close=True))

    def _refuse_early(self, scope: Scope, body_limit: int) -> GuardError | None:
        limit = self.limits.max_url_bytes
        raw_path = scope.get("raw_path") or scope["path"].encode("utf-8", "surrogateescape")
        query = scope.get("query_string", b"")
        if len(raw_path) > limit or len(query) > limit:
            return GuardError(414, "uri_too_long", f"the path and the query string may each be at most "
                              f"{limit:,} bytes (GISGRID_MAX_URL_BYTES)", close=True)
        if "\x00" in scope["path"] or b"%00" in query or b"\x00" in query:
            return GuardError(400, "nul_character", "NUL characters (%00) are not accepted in a URL")
        declared = _header(scope, b"content-length")
        if declared is not None:
            try:
                size = int(declared)
            except ValueError:
                return GuardError(400, "bad_request", "Content-Length is not a number", close=True)
            if size > body_limit:
                return self._too_large(body_limit)
        return None

    def _too_large(self, limit: int) -> GuardError:
        return _too_large(limit, self.limits)


def _too_large(limit: int, limits: LimitSettings) -> GuardError:
    name = "GISGRID_MAX_BODY_BYTES" if limit == limits.max_body_bytes else "GISGRID_MAX_SMALL_BODY_BYTES"
    return GuardError(413, "payload_too_large", f"the request body may be at most {limit:,} bytes "
                      f"here ({name})", close=True)


class _Incoming:
    """``receive`` with the body's size limit, its timeouts and the NUL check."""

    def __init__(self, receive: Receive, scope: Scope, limits: LimitSettings, body_limit: int) -> None:
        self.receive = receive
        self.limits = limits
        self.body_limit = body_limit
        self.size = 0
        self.done = False
        self.deadline: float | None = None
        self.scope = scope
        self.json: bool | None = None  # read as JSON text? (decided on the first chunk)
        self.tail = b""

    async def __call__(self) -> Message:
        if self.done:  # the body is in: what follows is only ever a disconnect
            return await self.receive()
        loop = asyncio.get_running_loop()
        if self.deadline is None:
            self.deadline = loop.time() + self.limits.body_timeout_s
        wait = min(self.limits.read_timeout_s, self.deadline - loop.time())
        try:
            message = await asyncio.wait_for(self.receive(), timeout=max(wait, 0.0))
        except TimeoutError:
            raise GuardError(408, "request_timeout", "the request body stopped arriving (more than "
                             f"{self.limits.read_timeout_s:g} s without data, or not complete after "
                             f"{self.limits.body_timeout_s:g} s)", close=True) from None
        if message["type"] != "http.request":
            self.done = True
            return message
        chunk = message.get("body", b"")
        self.size += len(chunk)
        if self.size > self.body_limit:
            raise _too_large(self.body_limit, self.limits)
        if self.json is None:
            ctype = _header(self.scope, b"content-type")
            self.json = ctype is None or bool(_JSON_TYPE.match(ctype))
        if self.json and chunk:
            if _NUL_JSON.search(self.tail + chunk):
                raise GuardError(400, "nul_character", "NUL characters (\\u0000) are not accepted "
                                 "in JSON text")
            self.tail = chunk[-5:]
        self.done = not message.get("more_body", False)
        return message


class _Outgoing:
    """``send`` adding the response headers described in the module docstring."""

    def __init__(self, send: Send, scope: Scope, page_policy: Callable[[Scope, bytes], str] | None,
                 incoming: _Incoming) -> None:
        self.send = send
        self.scope = scope
        self.incoming = incoming
        self.status = 0
        self.page_policy = page_policy
        self.started = False  # a response start has gone to the server
        self.held: Message | None = None  # an HTML response's start, until its body is in
        self.body: list[bytes] = []

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            message = self._start(message)
            if self.held is None:
                self.started = True
                await self.send(message)
            return
        if self.held is None or message["type"] != "http.response.body":
            if (self.status == 413 and not self.incoming.done and message["type"] == "http.response.body"
                    and not message.get("more_body", False)):
                # A body refused half-way: let the client read the answer (see _linger).
                await self.send({**message, "more_body": True})
                await _linger(self.incoming.receive)
                message = {"type": "http.response.body", "body": b""}
            await self.send(message)
            return
        self.body.append(message.get("body", b""))
        if message.get("more_body", False):
            return
        page = b"".join(self.body)
        start, self.held = self.held, None
        policy = self.page_policy(self.scope, page) if self.page_policy else "default-src 'self'"
        start["headers"] += [(b"content-security-policy", policy.encode()),
                             (b"x-frame-options", b"DENY")]
        self.started = True
        await self.send(start)
        await self.send({"type": "http.response.body", "body": page})

    def _start(self, message: Message) -> Message:
        status = self.status = message["status"]
        headers = [*message.get("headers", ()), (b"x-content-type-options", b"nosniff")]
        if status == 500 and not any(k.lower() == b"connection" for k, _ in headers):
            headers.append((b"connection", b"close"))
        if 300 <= status < 400:
            host = _header(self.scope, b"host")
            headers = [(k, _relative(v, host) if k.lower() == b"location" else v) for k, v in headers]
        message = {**message, "headers": headers}
        for k, v in headers:
            if k.lower() == b"content-type" and v[:9].lower() == b"text/html":
                self.held = message
        return message


async def _send_error(send: Send, exc: GuardError, *, linger: Receive | None = None) -> None:
    body = orjson.dumps({"code": exc.code, "message": exc.detail})
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body)),
               (b"x-content-type-options", b"nosniff")]
    headers += [(k.encode(), v.encode()) for k, v in (exc.headers or {}).items()]
    await send({"type": "http.response.start", "status": exc.status_code, "headers": headers})
    if linger is None:
        await send({"type": "http.response.body", "body": body})
        return
    await send({"type": "http.response.body", "body": body, "more_body": True})
    await _linger(linger)
    await send({"type": "http.response.body", "body": b""})


#: How long a refused body is still read (and thrown away) after the answer went out.
LINGER_S = 2.0


async def _linger(receive: Receive) -> None:
    """Read and drop what the client still sends, for up to :data:`LINGER_S`.

    A client that writes its whole body before it reads (most HTTP libraries) would
    otherwise have its connection reset under it, by the close that follows a 413, and
    lose the answer that already arrived (nginx's "lingering close"). Clients that send
    ``Expect: 100-continue`` never send the body at all.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + LINGER_S
    while (left := deadline - loop.time()) > 0:
        try:
            message = await asyncio.wait_for(receive(), timeout=left)
        except TimeoutError:
            return
        if message["type"] != "http.request" or not message.get("more_body", False):
            return


"""Limits on what a client may make the emulator hold: the size of a request's head (request line
and headers) and the time it may take to send it.

uvicorn's fast HTTP parser (httptools) keeps a request's headers in memory, however large, for as
long as the client takes to send them: ten 30 MB headers took the emulator from 62 to 452 MB, and
half-sent requests were held for 40 s and more. :class:`LimitedHttpProtocol` answers ``431`` once a
request's head passes :data:`MAX_HEAD_BYTES` and ``408`` when it is not complete
:data:`HEAD_SECONDS` after the connection opened or the request began, and closes the connection.
Without httptools, uvicorn's h11 protocol is used with the same size limit (and no time limit).
"""

from __future__ import annotations

import asyncio
from typing import Any

MAX_HEAD_BYTES = 64 * 1024
"""Largest request line + headers accepted (CFG's signed requests need well under 4 KB)."""
HEAD_SECONDS = 10.0
"""Longest time a client may take to send a request line and its headers."""

try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    HAVE_HTTPTOOLS = True
except ImportError:  # pragma: no cover - uvicorn without httptools: h11 and its size limit
    HAVE_HTTPTOOLS = False


class HeadTooLargeError(Exception):
    """Raised from a parser callback to stop parsing a request whose head is too large."""


def _answer(status: bytes, message: bytes) -> bytes:
    return (b"HTTP/1.1 " + status + b"\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: "
            + str(len(message)).encode() + b"\r\nconnection: close\r\n\r\n" + message)


if HAVE_HTTPTOOLS:

    class LimitedHttpProtocol(HttpToolsProtocol):
        """uvicorn's httptools protocol with a size and a time limit on each request's head."""

        _in_head = True
        _head_bytes = 0  # bytes received while the head was incomplete
        _parsed_bytes = 0  # bytes of request line and headers parsed
        _head_timer: asyncio.TimerHandle | None = None
        _refused = False

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            self._start_head()

        def connection_lost(self, exc: Exception | None) -> None:
            self._stop_timer()
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            if self._refused:
                return
            super().data_received(data)
            if self._in_head and not self.transport.is_closing():
                # the head is still incomplete after this chunk: all of it was head
                self._head_bytes += len(data)
                if self._head_bytes > MAX_HEAD_BYTES:
                    self._refuse_too_large()

        def _refuse_too_large(self) -> None:
            self._refuse(b"431 Request Header Fields Too Large",
                         f"The request line and headers exceed {MAX_HEAD_BYTES} bytes.".encode())

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self._parsed_bytes = 0
            if not self._in_head:
                self._start_head()

        def on_url(self, url: bytes) -> None:
            self._count(len(url))
            super().on_url(url)

        def on_header(self, name: bytes, value: bytes) -> None:
            self._count(len(name) + len(value) + 4)
            super().on_header(name, value)

        def _count(self, size: int) -> None:
            """Count parsed head bytes (a head that arrived in one chunk); over the limit, answer and
            abort the parser (uvicorn's ``data_received`` catches it) so no request is started."""
            self._parsed_bytes += size
            if self._parsed_bytes > MAX_HEAD_BYTES:
                self._refuse_too_large()
                raise HeadTooLargeError

        def on_headers_complete(self) -> None:
            self._in_head = False
            self._stop_timer()
            super().on_headers_complete()

        def send_400_response(self, msg: str) -> None:
            if not self._refused:  # already answered (431/408): the parser's complaint is moot
                super().send_400_response(msg)

        def _start_head(self) -> None:
            self._in_head = True
            self._head_bytes = 0
            if self._head_timer is None:
                self._head_timer = self.loop.call_later(HEAD_SECONDS, self._head_too_slow)

        def _stop_timer(self) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
                self._head_timer = None

        def _head_too_slow(self) -> None:
            self._head_timer = None
            if self._in_head and not self.transport.is_closing():
                self._refuse(b"408 Request Timeout",
                             f"The request line and headers were not received within {HEAD_SECONDS:g} s.".encode())

        def _refuse(self, status: bytes, message: bytes) -> None:
            if self._refused:
                return
            self._refused = True
            self._stop_timer()
            self.transport.write(_answer(status, message))
            self.transport.close()


def uvicorn_limits() -> dict[str, Any]:
    """The ``uvicorn.Config`` arguments that apply these limits."""
    if not HAVE_HTTPTOOLS:  # pragma: no cover
        return {"http": "h11", "h11_max_incomplete_event_size": MAX_HEAD_BYTES}
    return {"http": LimitedHttpProtocol, "h11_max_incomplete_event_size": MAX_HEAD_BYTES}

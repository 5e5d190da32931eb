"""A loopback proxy in front of moto's server that answers some requests with AWS throttling
errors or 503s, or slows every request down — for fault, interrupt and benchmark runs.

Only 127.0.0.1 is ever contacted; the number of requests it serves is whatever the client sends.
"""

from __future__ import annotations

import http.client
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self
from urllib.parse import SplitResult, urlsplit

THROTTLED_XML = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error>'
    b"<Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message>"
    b"</Error></Errors><RequestID>fault-proxy</RequestID></Response>"
)
THROTTLED_QUERY_XML = (
    b"<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code>"
    b"<Message>Rate exceeded</Message></Error><RequestId>fault-proxy</RequestId></ErrorResponse>"
)

# (status, body) to answer instead of forwarding, or None to forward.
Fault = Callable[[int, bytes], tuple[int, bytes] | None]


class _QuietServer(ThreadingHTTPServer):
    """A client that hangs up before its answer is written is the client's business, as for
    any proxy: counted, not printed (socketserver prints a traceback to the stderr that the
    tests read for the audit's own)."""

    hung_up = 0

    def handle_error(self, request: object, client_address: object) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):  # BrokenPipe, ConnectionReset
            self.hung_up += 1
            return
        super().handle_error(request, client_address)


class LoopbackHandler(BaseHTTPRequestHandler):
    """A handler of the loopback servers here and in benchmarks/: HTTP/1.1 (keep-alive, as
    AWS's endpoints), silent, and with TCP_NODELAY. A handler that writes an answer's headers
    and body in two writes would otherwise see the body wait for the client's delayed ACK of
    the headers under Nagle's algorithm, about 40 ms here: FaultProxy's "50 ms" answered in
    96 ms until it was set."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, *args: object) -> None:
        pass


class Loopback:
    """A server on 127.0.0.1 (a free port) that serves on a thread of its own inside a with
    block."""

    def __init__(
        self,
        handler: type[BaseHTTPRequestHandler],
        server: type[ThreadingHTTPServer] = ThreadingHTTPServer,
    ) -> None:
        self.server = server(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


HOP_BY_HOP = {"connection", "content-length", "transfer-encoding"}  # this proxy's own to send


def forward(
    upstream: SplitResult, method: str, path: str, headers: dict[str, str], body: bytes
) -> tuple[int, list[tuple[str, str]], bytes]:
    """The request sent on to ``upstream`` (on a connection of its own, closed after): the
    answer's status, its headers but the hop-by-hop ones, and its body."""
    conn = http.client.HTTPConnection(upstream.hostname, upstream.port, timeout=60)
    try:
        sent = {k: v for k, v in headers.items() if k.lower() != "host"}
        conn.request(method, path, body=body, headers=sent)
        response = conn.getresponse()
        data = response.read()
        kept = [(k, v) for k, v in response.getheaders() if k.lower() not in HOP_BY_HOP]
        return response.status, kept, data
    finally:
        conn.close()


class FaultProxy(Loopback):
    def __init__(self, upstream: str, fault: Fault | None = None, delay_s: float = 0.0):
        self.upstream = urlsplit(upstream)
        self.fault = fault
        self.delay_s = delay_s
        self.count = 0
        self.faults = 0
        self.connections = 0  # TCP connections the client opened (kept alive: HTTP/1.1)
        self._lock = threading.Lock()
        proxy = self

        class Handler(LoopbackHandler):
            def setup(self) -> None:
                super().setup()
                with proxy._lock:
                    proxy.connections += 1

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with proxy._lock:
                    proxy.count += 1
                    number = proxy.count
                if proxy.delay_s:
                    time.sleep(proxy.delay_s)
                answer = proxy.fault(number, body) if proxy.fault else None
                if answer is not None:
                    with proxy._lock:
                        proxy.faults += 1
                    status, payload = answer
                    self.send_response(status)
                    self.send_header("Content-Type", "text/xml")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                status, headers, data = forward(
                    proxy.upstream, self.command, self.path, dict(self.headers.items()), body
                )
                self.send_response(status)
                for key, value in headers:
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST

        super().__init__(Handler, _QuietServer)


def every_nth(n: int) -> Fault:
    """Every n-th request answers 503 RequestLimitExceeded (EC2) or Throttling (others)."""

    def fault(number: int, body: bytes) -> tuple[int, bytes] | None:
        if number % n:
            return None
        return 503, THROTTLED_XML if b"Version=2016-11-15" in body else THROTTLED_QUERY_XML

    return fault


def always(action: str) -> Fault:
    """Every request for one query-protocol action answers 503."""
    marker = f"Action={action}&".encode()

    def fault(number: int, body: bytes) -> tuple[int, bytes] | None:
        return (503, THROTTLED_XML) if body.startswith(marker) or marker in body else None

    return fault

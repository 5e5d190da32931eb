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


class FaultProxy:
    def __init__(self, upstream: str, fault: Fault | None = None, delay_s: float = 0.0):
        self.upstream = urlsplit(upstream)
        self.fault = fault
        self.delay_s = delay_s
        self.count = 0
        self.faults = 0
        self.connections = 0  # TCP connections the client opened (kept alive: HTTP/1.1)
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # TCP_NODELAY: the headers and the body go out as two writes, and with Nagle's
            # algorithm the body waited for the client's delayed ACK of the headers, about
            # 40 ms here, so a "50 ms" proxy answered in 96 ms.
            disable_nagle_algorithm = True

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

            def log_message(self, *args: object) -> None:
                pass

        self.server = _QuietServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> FaultProxy:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


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

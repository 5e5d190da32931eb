"""moto's answers, recorded once and served again: an audit timed without moto's CPU.

On this machine moto's server answers on the same cores as the audit it serves (a 1,000-account
audit cost it 118-137 s of CPU, more than the audit's own), where AWS's endpoints would take
none of the machine. `Answers` stands between the audit and moto's server while it records every
answer, keyed by what the request asks (method, path, X-Amz-Target, body) and who signs it (the
access key, Region and service of its credential scope, not the date; no Region for IAM, whose
one answer any Region's client may ask for first); then, without moto, it serves the same
answers from memory, keep-alive, as AWS's endpoints do. The assumed roles' credentials are
answers too, so the audit signs with the recorded keys and every request finds its answer. A
request not recorded is answered 500 and counted.
"""

from __future__ import annotations

import re
import threading
from urllib.parse import urlsplit

from tests.fault_proxy import Loopback, LoopbackHandler, forward

SCOPE = re.compile(r"Credential=([^/,\s]+)/\d{8}/([^/]+)/([^/]+)/aws4_request")
DROPPED = {"date", "server"}  # of one moment and one server, not of the answer
Key = tuple[str, ...]
Answer = tuple[int, list[tuple[str, str]], bytes]


GLOBAL = {"iam"}  # one answer whatever Region signs: which unit asks first varies run to run


def request_key(method: str, path: str, headers: dict[str, str], body: bytes) -> Key:
    signed = SCOPE.search(headers.get("authorization", ""))
    key_id, region, service = signed.groups() if signed else ("", "", "")
    if service in GLOBAL:
        region = ""
    return (method, path, headers.get("x-amz-target", ""), key_id, region, service,
            body.decode("latin-1"))  # fmt: skip


class Answers(Loopback):
    """A loopback server: with ``upstream``, a recording proxy; without, the recorded answers."""

    def __init__(self, upstream: str | None = None, answers: dict[Key, Answer] | None = None):
        self.upstream = urlsplit(upstream) if upstream else None
        self.answers: dict[Key, Answer] = answers if answers is not None else {}
        self.missed = 0
        self._lock = threading.Lock()
        owner = self

        class Handler(LoopbackHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                headers = {k.lower(): v for k, v in self.headers.items()}
                key = request_key(self.command, self.path, headers, body)
                answer = owner.answers.get(key)
                if answer is None and owner.upstream is not None:
                    status, kept, data = forward(owner.upstream, self.command, self.path,
                                                 headers, body)  # fmt: skip
                    answer = (status, [(k, v) for k, v in kept if k.lower() not in DROPPED], data)
                    owner.answers.setdefault(key, answer)
                if answer is None:
                    with owner._lock:
                        owner.missed += 1
                    answer = (500, [("Content-Type", "text/plain")], b"not recorded")
                status, kept, data = answer
                self.send_response_only(status)
                for name, value in kept:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self._headers_buffer.append(b"\r\n" + data)  # type: ignore[attr-defined]
                self.flush_headers()  # one write: no Nagle wait between headers and body

            do_GET = do_POST

        super().__init__(Handler)

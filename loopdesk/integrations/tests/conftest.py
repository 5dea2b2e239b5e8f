"""A real HTTP receiver on 127.0.0.1 (http.server in a thread) that answers from a script of status
codes and checks each message's signature with the endpoint's secret, as a receiving system would."""

from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from loopdesk.integrations import signing


@dataclass
class Received:
    headers: dict
    body: bytes
    signature_ok: bool

    @property
    def json(self):
        return json.loads(self.body)


@dataclass
class Receiver:
    url: str
    script: list[int] = field(default_factory=list)  # status codes to answer, in order; then 200
    secret: str = ""
    received: list[Received] = field(default_factory=list)


@pytest.fixture
def receiver():
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's name)
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            ok = signing.verify(state.secret, self.headers.get("X-Loopdesk-Timestamp"),
                                self.headers.get("X-Loopdesk-Signature"), body, now=time.time())
            state.received.append(Received(dict(self.headers), body, ok))
            code = state.script.pop(0) if state.script else 200
            if not ok:
                code = 401
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(json.dumps({"ok": 200 <= code < 300}).encode())

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def closed_port_url():
    """An address on 127.0.0.1 where nothing listens."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/hook"

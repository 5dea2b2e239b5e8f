"""Webhook figures (docs/performance.md): `figures(deliveries=300, backlog=100_000)`.

- `webhook_delivery_rate`: signed deliveries per second, one worker, to a receiver on 127.0.0.1
  (claim → sign → POST → attempt log → status), i.e. Loopdesk's own cost per message.
- `webhook_due_lookup_ms`: the periodic sweep's due query with `backlog` finished deliveries in the
  table (the partial index holds only the ones still to send, so this stays flat).

It makes its own endpoint, rows and receiver, and removes them afterwards.
"""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from django.utils import timezone

from . import services
from .models import Delivery, Endpoint


class _Ok(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def figures(*, deliveries: int = 300, backlog: int = 100_000) -> list[dict]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Ok)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    endpoint = Endpoint.objects.create(name="bench", url=f"http://127.0.0.1:{server.server_address[1]}/", events=[])
    try:
        ids = [services.send(endpoint=endpoint, event="ping", ticket=None, payload={"n": n}).pk
               for n in range(deliveries)]
        began = time.perf_counter()
        for pk in ids:
            services.deliver(pk)
        rate = deliveries / (time.perf_counter() - began)
        ok = Delivery.objects.filter(endpoint=endpoint, status=Delivery.Status.SUCCEEDED).count() == deliveries
        now = timezone.now()
        Delivery.objects.bulk_create(
            [Delivery(endpoint=endpoint, event="ping", payload={}, status=Delivery.Status.SUCCEEDED, attempts=1,
                      delivered_at=now) for _ in range(backlog)], batch_size=5000)
        Delivery.objects.bulk_create(
            [Delivery(endpoint=endpoint, event="ping", payload={}, status=Delivery.Status.FAILED, attempts=1,
                      next_attempt_at=now) for _ in range(50)])
        timings = []
        for _ in range(20):
            began = time.perf_counter()
            found = services.due_ids(now=now)
            timings.append((time.perf_counter() - began) * 1000)
        lookup = sorted(timings)[len(timings) // 2]
        ok = ok and len(found) == 50
    finally:
        Delivery.objects.filter(endpoint=endpoint).delete()
        endpoint.delete()
        server.shutdown()
        server.server_close()
    return [
        {"name": "webhook_delivery_rate", "value": round(rate, 1), "unit": "deliveries/s", "target": 20,
         "ok": ok and rate >= 20},
        {"name": "webhook_due_lookup_ms", "value": round(lookup, 2), "unit": "ms", "target": 5,
         "ok": ok and lookup <= 5, "backlog": backlog},
    ]

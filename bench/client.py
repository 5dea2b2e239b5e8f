"""A small keep-alive HTTP client for load generation on loopback.

http.client over persistent connections costs far less CPU per request than a full-featured client,
which matters when the client shares two cores with the server and the database.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from dataclasses import dataclass, field


@dataclass
class Sample:
    status: int
    seconds: float
    body: bytes


class Client:
    """One persistent connection; reconnects once when the server closed it (e.g. worker recycling)."""

    def __init__(self, host: str, port: int, headers: dict[str, str] | None = None, timeout: float = 30) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self.headers = {"Accept": "application/json, text/html", **(headers or {})}
        self.conn: http.client.HTTPConnection | None = None

    def _connect(self) -> http.client.HTTPConnection:
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        return self.conn

    def request(self, method: str, path: str, body: dict | None = None) -> Sample:
        payload = json.dumps(body, ensure_ascii=False).encode() if body is not None else None
        headers = dict(self.headers)
        if payload is not None:
            headers["Content-Type"] = "application/json"
        for attempt in (1, 2):
            conn = self._connect()
            started = time.perf_counter()
            try:
                conn.request(method, path, body=payload, headers=headers)
                response = conn.getresponse()
                data = response.read()
            except (http.client.HTTPException, ConnectionError, TimeoutError, OSError):
                self.close()
                if attempt == 2:
                    return Sample(0, time.perf_counter() - started, b"")
                continue
            if response.getheader("Connection", "").lower() == "close":
                self.close()
            return Sample(response.status, time.perf_counter() - started, data)
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank) of `values`."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


@dataclass
class LoadResult:
    seconds: float
    samples: list[Sample] = field(default_factory=list)

    @property
    def ok(self) -> list[Sample]:
        return [s for s in self.samples if 200 <= s.status < 300]

    def statuses(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for s in self.samples:
            counts[str(s.status)] = counts.get(str(s.status), 0) + 1
        return counts


def run_concurrent(make_client, make_request, *, clients: int, seconds: float) -> LoadResult:
    """`clients` threads, each with its own connection, send requests back to back for `seconds`.

    make_request(i) returns (method, path, body) for the i-th request of a thread."""
    results: list[list[Sample]] = [[] for _ in range(clients)]
    start = threading.Barrier(clients + 1)
    deadline = [0.0]

    def work(n: int) -> None:
        client = make_client()
        start.wait()
        i = 0
        while time.perf_counter() < deadline[0]:
            method, path, body = make_request(n * 1_000_000 + i)
            results[n].append(client.request(method, path, body))
            i += 1
        client.close()

    threads = [threading.Thread(target=work, args=(n,), daemon=True) for n in range(clients)]
    for t in threads:
        t.start()
    began = time.perf_counter()
    deadline[0] = began + seconds
    start.wait()
    for t in threads:
        t.join()
    return LoadResult(seconds=time.perf_counter() - began, samples=[s for r in results for s in r])


def run_sequential(client: Client, paths: list[str], *, warmup: int = 10) -> list[Sample]:
    """GET each path in turn on one connection (after a few unmeasured warm-up requests)."""
    for path in paths[:warmup]:
        client.request("GET", path)
    return [client.request("GET", path) for path in paths]

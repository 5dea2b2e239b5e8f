"""Start the real web server (`loopdesk serve`: gunicorn) for a benchmark, and read its memory."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


class Server:
    """`loopdesk serve` on 127.0.0.1:port as a child process (the gunicorn master after exec)."""

    def __init__(self, *, port: int, workers: int = 2, threads: int = 4, env: dict[str, str] | None = None,
                 log: Path | None = None) -> None:
        self.port, self.workers, self.threads = port, workers, threads
        self.env = {**os.environ, **(env or {}), "WEB_CONCURRENCY": str(workers)}
        self.log = log
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> Server:
        out = open(self.log, "ab") if self.log else subprocess.DEVNULL  # noqa: SIM115 (closed with the process)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "loopdesk", "serve", "--host", "127.0.0.1", "--port", str(self.port),
             "--workers", str(self.workers), "--threads", str(self.threads)],
            env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
        self._wait()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def _wait(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        url = f"http://127.0.0.1:{self.port}/healthz"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited with status {self.proc.returncode} (log: {self.log})")
            try:
                with urllib.request.urlopen(url, timeout=2) as r:
                    if r.status == 200 and len(self.worker_pids()) >= self.workers:
                        return
            except OSError:
                pass
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"the server did not answer {url} within {timeout:.0f}s (log: {self.log})")

    def worker_pids(self) -> list[int]:
        """The gunicorn worker processes: the master's children."""
        if self.proc is None:
            return []
        path = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        try:
            return [int(p) for p in path.read_text().split()]
        except OSError:
            return []

    def worker_peak_rss_mb(self) -> dict[int, float]:
        """VmHWM (peak resident set) of each worker, in MiB."""
        peaks = {}
        for pid in self.worker_pids():
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        peaks[pid] = int(line.split()[1]) / 1024
            except OSError:
                continue
        return peaks

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

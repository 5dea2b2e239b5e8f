"""`loopdesk run`: everything on one machine — migrate, demo data when empty, web server and worker.

Environment: LOOPDESK_DATA_DIR (default var/), PORT (8000), DATABASE_URL (PostgreSQL when set, else
SQLite in the data dir), LOOPDESK_DEMO_PASSWORD (the password of every demo user; when unset a random
one is generated and kept in the data dir, so the next start prints the same working password).

`run` supervises two child processes, `loopdesk serve` and `loopdesk worker`: SIGINT/SIGTERM are
forwarded to both, and when either one exits the other is stopped and `run` exits with its status.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from io import StringIO
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connection

STOP_TIMEOUT = 25  # seconds a child gets to finish before it is killed


def database_identity() -> str:
    s = connection.settings_dict
    return f"{connection.vendor}:{s.get('HOST') or ''}:{s.get('PORT') or ''}:{s['NAME']}"


class Command(BaseCommand):
    help = "Migrate, load demo data into an empty database, then run the web server and the worker."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--no-demo", action="store_true", help="never load demo data")
        parser.add_argument("--demo-customers", type=int, default=500)
        parser.add_argument("--demo-tickets", type=int, default=6000)

    def handle(self, *args, port, host, no_demo, demo_customers, demo_tickets, verbosity, **options) -> None:
        out = self.stdout
        out.write(f"Database: {connection.vendor} ({connection.settings_dict['NAME']}); data dir: {settings.DATA_DIR}")
        call_command("migrate", interactive=False, verbosity=max(0, verbosity - 1))
        password = None if no_demo else self._demo_password(demo_customers, demo_tickets, verbosity)

        env = {**os.environ, "PORT": str(port), "PYTHONUNBUFFERED": "1"}
        base = [sys.executable, "-m", "loopdesk"]
        children = [
            subprocess.Popen([*base, "serve", "--host", host, "--port", str(port)], env=env, start_new_session=True),
            subprocess.Popen([*base, "worker"], env=env, start_new_session=True),
        ]
        stopping = False

        def forward(signum, _frame) -> None:
            # Children run in their own sessions, so a Ctrl-C reaches them once: through us.
            nonlocal stopping
            stopping = True
            for child in children:
                if child.poll() is None:
                    child.send_signal(signum)

        signal.signal(signal.SIGINT, forward)
        signal.signal(signal.SIGTERM, forward)

        url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}/"
        if self._wait_until_up(url + "healthz", children):
            out.write(self.style.SUCCESS(f"\nLoopdesk is running at {url}  (Ctrl-C stops it)"))
            if password is not None:
                call_command("demo", logins=True, password=password, stdout=out)
            out.write("")
            out.flush()
        code = self._supervise(children, lambda: stopping)
        sys.exit(code)

    # -- demo data ----------------------------------------------------------------------------------
    def _demo_password(self, customers: int, tickets: int, verbosity: int) -> str | None:
        """Load demo data into an empty database; return the demo password in effect (None: no demo data)."""
        state_file = Path(settings.DATA_DIR) / "demo.json"
        state = {}
        if state_file.exists():
            try:
                state = json.loads(state_file.read_text())
            except ValueError:
                state = {}
        ident = database_identity()
        from_env = os.environ.get("LOOPDESK_DEMO_PASSWORD") or None
        User = apps.get_model("accounts", "User")
        Organization = apps.get_model("orgs", "Organization")
        if not User.objects.exists() and not Organization.objects.exists():
            password = from_env or secrets.token_urlsafe(9)
            self.stdout.write(f"Empty database: loading demo data ({customers} customers, {tickets} tickets) …")
            self.stdout.flush()
            call_command("demo", customers=customers, tickets=tickets, password=password,
                         verbosity=1 if verbosity > 1 else 0)
        elif state.get("database") == ident:
            password = state.get("password")
            if from_env and from_env != password:
                # The operator chose a password: the demo users get it.
                call_command("demo", logins=True, set_password=from_env, stdout=StringIO())
                password = from_env
        else:
            return None  # a database this command did not fill: no demo logins to show
        state_file.write_text(json.dumps({"database": ident, "password": password}))
        state_file.chmod(0o600)
        return password

    # -- processes ----------------------------------------------------------------------------------
    def _wait_until_up(self, url: str, children: list[subprocess.Popen], timeout: float = 60) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(c.poll() is not None for c in children):
                return False
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        return True
            except OSError:
                pass
            time.sleep(0.3)
        return False

    def _supervise(self, children: list[subprocess.Popen], stopping) -> int:
        """Wait until a child exits, stop the other, return the exit status to use."""
        names = ["web server", "worker"]
        while True:
            dead = [c for c in children if c.poll() is not None]
            if dead:
                break
            time.sleep(0.3)
        first = dead[0]
        if not stopping():
            name = names[children.index(first)]
            self.stderr.write(f"The {name} exited with status {first.returncode}; stopping the rest.")
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT
        for child in children:
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        return 0 if stopping() else (first.returncode or 1)

"""`loopdesk serve`: the web server only (gunicorn, static files by whitenoise).

Run several of these (on several machines) against one PostgreSQL database; each is a gunicorn master
with WEB_CONCURRENCY worker processes of LOOPDESK_WEB_THREADS threads. Extra gunicorn options can be
given in GUNICORN_CMD_ARGS (gunicorn reads it itself), e.g. "--access-logfile -".
"""

from __future__ import annotations

import os
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


def gunicorn_argv(*, host: str, port: int, workers: int, threads: int) -> list[str]:
    """The gunicorn command line for the project's WSGI application."""
    return [
        sys.executable, "-m", "gunicorn", "config.wsgi:application",
        "--bind", f"{host}:{port}",
        "--workers", str(workers),
        # Threads overlap database and network waits; gthread also keeps client connections alive.
        "--worker-class", "gthread", "--threads", str(threads),
        "--worker-tmp-dir", "/dev/shm" if os.path.isdir("/dev/shm") else str(settings.DATA_DIR),
        # Recycle workers now and then so a slow leak can never grow a process without bound.
        "--max-requests", "20000", "--max-requests-jitter", "2000",
        "--graceful-timeout", "20", "--timeout", "60",
        "--name", "loopdesk",
        # Several servers may run on one machine (and gunicorn's default socket is per user, shared).
        "--no-control-socket",
    ]


class Command(BaseCommand):
    help = "Run the web server (gunicorn) only."
    requires_system_checks = []

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"),
                            help="address to listen on (default $HOST or 127.0.0.1; 0.0.0.0 for all)")
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")),
                            help="port (default $PORT or 8000)")
        parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "2")),
                            help="worker processes (default $WEB_CONCURRENCY or 2)")
        parser.add_argument("--threads", type=int, default=int(os.environ.get("LOOPDESK_WEB_THREADS", "4")),
                            help="threads per worker (default $LOOPDESK_WEB_THREADS or 4)")
        parser.add_argument("--no-collectstatic", action="store_true",
                            help="skip collecting static files into the data directory first")

    def handle(self, *args, host, port, workers, threads, no_collectstatic, **options) -> None:
        if not no_collectstatic:
            # Serve compressed copies from STATIC_ROOT rather than searching the apps on every start.
            call_command("collectstatic", interactive=False, verbosity=0)
        argv = gunicorn_argv(host=host, port=port, workers=workers, threads=threads)
        self.stdout.write(f"Serving on http://{host}:{port}/ ({workers} workers × {threads} threads)")
        self.stdout.flush()
        sys.stdout.flush()
        sys.stderr.flush()
        # Become the gunicorn master: signals sent to this process reach gunicorn directly.
        os.execv(sys.executable, argv)

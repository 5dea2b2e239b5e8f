"""`loopdesk worker`: the background task worker plus the periodic scheduler.

Runs django-tasks-db's `db_worker` over every queue and, in a thread beside it, the scheduler
(`loopdesk.core.scheduler.loop`) that enqueues each periodic job once per interval. Several workers on
several machines may share one PostgreSQL database: tasks are claimed with row locks and a due job is
claimed by one conditional UPDATE, so each runs once.
"""

from __future__ import annotations

import threading

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils.module_loading import autodiscover_modules

from loopdesk.core import scheduler


class Command(BaseCommand):
    help = "Run the background task worker and the periodic job scheduler."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--queues", default="*", help="queues to process, comma-separated (default: all)")
        parser.add_argument("--interval", type=float, default=1.0,
                            help="seconds between polls of an empty queue (default 1)")
        parser.add_argument("--scheduler-interval", type=int, default=None,
                            help="seconds between scheduler ticks (default settings.LOOPDESK_SCHEDULER_INTERVAL)")
        parser.add_argument("--no-scheduler", action="store_true", help="run tasks only, enqueue no periodic jobs")
        parser.add_argument("--batch", action="store_true", help="run the tasks due now, then exit")

    def handle(self, *args, queues, interval, scheduler_interval, no_scheduler, batch, verbosity, **options) -> None:
        # Periodic jobs register when their app's tasks module is imported.
        autodiscover_modules("tasks")
        stop = threading.Event()
        thread = None
        if not no_scheduler:
            seconds = scheduler_interval or settings.LOOPDESK_SCHEDULER_INTERVAL
            names = ", ".join(job.name.rsplit(".", 1)[-1] for job in scheduler.registered()) or "none"
            self.stdout.write(f"Scheduler: every {seconds}s; periodic jobs: {names}")
            if batch:
                scheduler.run_due()
            else:
                thread = threading.Thread(target=scheduler.loop, args=(stop, seconds), name="scheduler", daemon=True)
                thread.start()
        self.stdout.flush()
        try:
            call_command("db_worker", queue_name=queues, interval=interval, batch=batch, reload=False,
                         verbosity=verbosity)
        finally:
            # db_worker exits on SIGINT/SIGTERM (by SystemExit); stop the scheduler with it.
            stop.set()
            if thread is not None:
                thread.join(timeout=5)

"""The operator's commands: `token`, `worker` (scheduler + task worker), `bench` refusing SQLite."""

from __future__ import annotations

import datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from loopdesk.accounts.services import user_for_token
from loopdesk.core import scheduler
from loopdesk.core.management.commands.serve import gunicorn_argv
from loopdesk.core.models import ScheduledJob
from loopdesk.tickets.choices import Status
from loopdesk.tickets.models import Ticket
from loopdesk.tickets.services import create_ticket, transition_ticket
from loopdesk.tickets.tasks import auto_close_resolved_tickets


def test_token_prints_a_working_token(world):
    out = StringIO()
    call_command("token", "agent", stdout=out)
    token = out.getvalue().strip()
    assert token.startswith("ld_")
    assert user_for_token(token) == world.agent


def test_token_for_unknown_user_is_a_clear_error(world):
    with pytest.raises(CommandError, match="No user named 'nobody'"):
        call_command("token", "nobody")


def test_scheduler_enqueues_a_due_job_once(world):
    name = auto_close_resolved_tickets.name
    assert name in {job.name for job in scheduler.registered()}
    interval = next(job.interval for job in scheduler.registered() if job.name == name)
    now = timezone.now()
    # Two workers ticking at the same moment: only the first enqueues.
    assert name in scheduler.run_due(now)
    assert name not in scheduler.run_due(now)
    assert name not in scheduler.run_due(now + interval / 2)
    queued = DBTaskResult.objects.filter(task_path__endswith=name)
    assert queued.count() == 1
    assert ScheduledJob.objects.get(name=name).last_run_at == now
    assert name in scheduler.run_due(now + interval)  # due again after one interval
    assert queued.count() == 2


@pytest.mark.django_db(transaction=True)  # reference data: root conftest
def test_worker_runs_the_scheduled_job(world):
    """`loopdesk worker --batch`: the scheduler enqueues the auto-close job and the worker runs it."""
    past = timezone.now() - datetime.timedelta(days=30)
    ticket = create_ticket(actor=world.agent, title="报表打不开", description="d", company=world.acme, now=past)
    transition_ticket(actor=world.agent, ticket=ticket, to=Status.RESOLVED, resolution="已修复", now=past)
    call_command("worker", batch=True, verbosity=0, stdout=StringIO())
    assert Ticket.objects.get(pk=ticket.pk).status == Status.CLOSED
    result = DBTaskResult.objects.get(task_path__endswith=auto_close_resolved_tickets.name)
    assert result.status == "SUCCESSFUL"


def test_serve_runs_gunicorn_with_the_wsgi_app():
    argv = gunicorn_argv(host="127.0.0.1", port=8123, workers=2, threads=4)
    assert "config.wsgi:application" in argv and "gunicorn" in argv
    assert argv[argv.index("--bind") + 1] == "127.0.0.1:8123"
    assert argv[argv.index("--workers") + 1] == "2"


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the refusal is for SQLite")
def test_bench_refuses_sqlite(db):
    with pytest.raises(CommandError, match="PostgreSQL"):
        call_command("bench", reuse=True)


def test_run_keeps_the_demo_password_and_honours_the_variable(db, settings, tmp_path, monkeypatch):
    """`loopdesk run`'s demo step: fills an empty database once; later starts print the same password;
    LOOPDESK_DEMO_PASSWORD, when set, becomes the demo users' password."""
    from django.contrib.auth import authenticate

    from loopdesk.core.management.commands.run import Command as Run

    settings.DATA_DIR = tmp_path
    monkeypatch.delenv("LOOPDESK_DEMO_PASSWORD", raising=False)
    run = Run(stdout=StringIO(), stderr=StringIO())
    first = run._demo_password(5, 60, 0)
    tickets = Ticket.objects.count()  # the 60 requests, and the problems the demo raises from them
    assert first and tickets >= 60
    assert authenticate(username="agent", password=first) is not None
    assert run._demo_password(5, 60, 0) == first  # second start: same password, no new data
    assert Ticket.objects.count() == tickets
    monkeypatch.setenv("LOOPDESK_DEMO_PASSWORD", "chosen-pass-42")
    assert run._demo_password(5, 60, 0) == "chosen-pass-42"
    assert authenticate(username="customer", password="chosen-pass-42") is not None
    monkeypatch.delenv("LOOPDESK_DEMO_PASSWORD")
    assert run._demo_password(5, 60, 0) == "chosen-pass-42"

"""Problems and webhooks in the browser: a manager raises a problem from an incident's panel, records
the workaround and publishes the known error; an agent raises a defect in R&D from the ticket panel,
the (real, local) receiver fails once then accepts, and the delivery log shows one success."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from loopdesk.integrations import services as webhooks
from loopdesk.integrations import signing
from loopdesk.integrations.models import Delivery
from loopdesk.problems.models import ProblemRecord
from loopdesk.tickets import services

pytestmark = pytest.mark.browser


def incident(world):
    return services.create_ticket(actor=world.agent, company=world.acme, contact=world.acme_contact,
                                  title="凭证打印时程序崩溃", description="王小明反映：打印凭证时 U8 崩溃")


def test_raise_a_problem_and_publish_the_known_error(world, open_session):
    ticket = incident(world)
    session = open_session(world.manager, password=world.password)
    page = session.page
    page.goto(f"/tickets/{ticket.pk}/")
    panel = page.locator("#panel-problem")
    expect(panel.locator("#raise-problem")).to_be_visible()
    panel.locator("input[name=title]").fill("凭证打印组件崩溃")
    panel.locator("#raise-problem").click()
    expect(panel).to_contain_text("凭证打印组件崩溃")
    problem = ProblemRecord.objects.get().ticket
    panel.locator(f'a[href="/problems/{problem.pk}/"]').first.click()
    page.fill("textarea[name=root_cause]", "打印机驱动返回空纸张尺寸")
    page.fill("textarea[name=workaround]", "在打印设置中指定 A4 纸")
    page.check("input[name=known_error]")
    page.click("#pb-record button[type=submit]")
    page.click("#publish-known-error")
    expect(page.locator("#pb-known-error .badge")).to_be_visible()
    record = ProblemRecord.objects.get()
    assert record.known_error and record.article.status == "published"
    session.screenshot("problem-known-error")
    page.goto(f"/tickets/{ticket.pk}/")
    expect(page.locator("#panel-problem")).to_contain_text("在打印设置中指定 A4 纸")


@pytest.fixture
def receiver():
    state = {"script": [500], "received": [], "secret": ""}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            ok = signing.verify(state["secret"], self.headers.get("X-Loopdesk-Timestamp"),
                                self.headers.get("X-Loopdesk-Signature"), body, now=time.time())
            state["received"].append((ok, json.loads(body)))
            code = state["script"].pop(0) if state["script"] else (200 if ok else 401)
            self.send_response(code)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    state["url"] = f"http://127.0.0.1:{server.server_address[1]}/rnd"
    yield state
    server.shutdown()
    server.server_close()


def test_raise_a_defect_and_follow_its_delivery(world, open_session, receiver):
    endpoint = webhooks.create_endpoint(actor=world.admin, name="研发缺陷系统", kind="rnd", url=receiver["url"])
    receiver["secret"] = endpoint.secret
    ticket = incident(world)
    agent = open_session(world.agent, password=world.password)
    page = agent.page
    page.goto(f"/tickets/{ticket.pk}/")
    panel = page.locator("#panel-integrations")
    panel.locator("select[name=kind]").select_option("defect")
    panel.locator("textarea[name=note]").fill("每次打印凭证都崩溃")
    panel.locator("#raise-external").click()
    expect(panel.locator("[data-external-link]")).to_have_count(1)
    delivery = Delivery.objects.get(event="defect.requested")

    # The worker's part, run here: the first try fails, the retry (due later) succeeds.
    now = timezone.now()
    assert webhooks.deliver(delivery.pk, now=now).status == "failed"
    webhooks.run_due(now=now + timezone.timedelta(hours=1))
    assert Delivery.objects.get(pk=delivery.pk).status == "succeeded"
    assert [ok for ok, _body in receiver["received"]] == [True, True]

    admin = open_session(world.admin, password=world.password)
    admin.page.goto(f"/integrations/deliveries/{delivery.pk}/")
    expect(admin.page.locator(".wh-attempts tbody tr")).to_have_count(2)
    expect(admin.page.locator("h1 .badge")).to_have_class("badge wh-succeeded")
    admin.screenshot("webhook-delivery")

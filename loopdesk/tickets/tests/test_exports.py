import csv
import io

from openpyxl import load_workbook

from loopdesk.tickets import exports, services
from loopdesk.tickets.models import Ticket


def test_exports_contain_only_visible_tickets(world):
    mine = services.create_ticket(actor=world.agent, company=world.acme, title="北京的工单", description="d")
    other = services.create_ticket(actor=world.sh_agent, company=world.globex, title="上海的工单", description="d")
    text = "".join(exports.csv_stream(Ticket.objects.visible_to(world.agent)))
    assert text.startswith("\ufeff")
    numbers = [row[0] for row in csv.reader(io.StringIO(text.lstrip("\ufeff")))][1:]
    assert numbers == [mine.number]
    assert other.number not in text

    wb = load_workbook(io.BytesIO(exports.xlsx_bytes(Ticket.objects.visible_to(world.other_partner_agent))))
    assert [list(r) for r in wb.active.iter_rows(values_only=True)][1:] == []


def test_export_view_follows_filters_and_scope(world, client):
    from loopdesk.tickets.choices import Status

    a = services.create_ticket(actor=world.agent, company=world.acme, title="打印机", description="d")
    b = services.create_ticket(actor=world.agent, company=world.acme, title="登录失败", description="d")
    services.transition_ticket(actor=world.agent, ticket=b, to=Status.RESOLVED, resolution="ok")
    services.create_ticket(actor=world.sh_agent, company=world.globex, title="上海", description="d")
    client.force_login(world.agent)
    response = client.get("/tickets/export.csv?tab=all&status=open")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert a.number in text and b.number not in text and "上海" not in text
    response = client.get("/tickets/export.xlsx?tab=all&status=all")
    wb = load_workbook(io.BytesIO(response.content))
    assert {r[0] for r in wb.active.iter_rows(min_row=2, values_only=True)} == {a.number, b.number}
    client.force_login(world.customer)
    assert client.get("/tickets/export.csv").status_code in (302, 404)
    assert client.get("/tickets/export.pdf").status_code == 404


def test_a_title_that_looks_like_a_formula_is_exported_as_text(world):
    """CSV injection: a customer-typed title must not run as a formula when the export is opened."""
    services.create_ticket(actor=world.agent, company=world.acme, title='=HYPERLINK("http://evil","打开")',
                           description="d")
    text = "".join(exports.csv_stream(Ticket.objects.visible_to(world.agent)))
    titles = [row[1] for row in csv.reader(io.StringIO(text.lstrip("\ufeff")))][1:]
    assert titles == ["'=HYPERLINK(\"http://evil\",\"打开\")"]
    sheet = load_workbook(io.BytesIO(exports.xlsx_bytes(Ticket.objects.visible_to(world.agent)))).active
    cell = sheet.cell(row=2, column=2)
    assert cell.data_type == "s" and cell.value.startswith("'=")

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

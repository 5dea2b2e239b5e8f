"""The demo data of problems and webhooks (loopdesk.demo.problems)."""

from loopdesk.demo.problems import seed_problems
from loopdesk.integrations.models import Endpoint
from loopdesk.problems import services
from loopdesk.problems.models import ProblemRecord
from loopdesk.tickets.models import Ticket

from .test_services import incident


def test_seed_problems(world):
    for _ in range(3):
        incident(world)
    for _ in range(2):
        incident(world, company=world.globex, contact=world.globex_contact, actor=world.sh_agent)
    assert seed_problems() == {"problems": 2, "incidents": 5, "endpoints": 2}
    assert Ticket.objects.filter(type="problem").count() == 2
    known = ProblemRecord.objects.get(known_error=True)
    assert known.article is not None and known.article.status == "published"  # world.admin is a superuser
    assert services.incidents_of(known.ticket).count() in (2, 3)
    assert not Endpoint.objects.filter(active=True).exists() and Endpoint.objects.count() == 2
    assert seed_problems() == {"problems": 0, "incidents": 0, "endpoints": 0}  # idempotent

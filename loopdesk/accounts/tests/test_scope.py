"""The scoping rule, role by role (every domain queryset builds on it)."""

from loopdesk.accounts.roles import Perm
from loopdesk.accounts.scope import scope_for
from loopdesk.assets.models import Asset
from loopdesk.customers.models import Company, Contact


def test_headquarters_sees_all(world):
    for user in (world.admin, world.manager, world.executive):
        assert scope_for(user).all
    assert set(Company.objects.visible_to(world.manager)) == {world.acme, world.globex}


def test_branch_sees_its_subtree(world):
    scope = scope_for(world.agent)
    assert not scope.all and scope.org_ids == {world.beijing.pk, world.haidian.pk}
    assert set(Company.objects.visible_to(world.agent)) == {world.acme}
    assert set(Company.objects.visible_to(world.sh_agent)) == {world.globex}
    assert set(Asset.objects.visible_to(world.agent)) == {world.acme_asset}


def test_customer_sees_own_company_only(world):
    scope = scope_for(world.customer)
    assert scope.customer_only and scope.company_ids == {world.acme.pk}
    assert set(Company.objects.visible_to(world.customer)) == {world.acme}
    assert set(Contact.objects.visible_to(world.other_customer)) == {world.globex_contact}


def test_partner_sees_nothing_until_dispatched(world):
    assert not Company.objects.visible_to(world.partner_agent).exists()
    assert not scope_for(world.partner_agent).customer_only


def test_anonymous_and_inactive_see_nothing(world):
    from django.contrib.auth.models import AnonymousUser

    assert scope_for(AnonymousUser()).empty
    world.agent.is_active = False
    assert scope_for(world.agent).empty


def test_role_permissions(world):
    assert world.customer.can(Perm.TICKET_CONFIRM) and not world.customer.can(Perm.TICKET_INTERNAL)
    assert world.partner_agent.can(Perm.TICKET_INTERNAL) and not world.partner_agent.can(Perm.TICKET_ASSIGN)
    assert world.manager.can(Perm.TICKET_MERGE) and not world.agent.can(Perm.TICKET_MERGE)
    assert world.admin.can(Perm.CUSTOMER_IMPORT)

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


def test_a_remembered_scope_follows_membership_and_group_changes_in_this_process(world):
    """Scopes are remembered per process for a few seconds (decision 0004); a change made here clears them."""
    from loopdesk.accounts.models import Membership, User
    from loopdesk.accounts.roles import Role

    def fresh(user):  # a new user object per request, as the session middleware loads it
        return User.objects.get(pk=user.pk)

    assert world.group.pk not in scope_for(fresh(world.sh_agent)).group_ids  # now remembered
    world.group.members.add(world.sh_agent)
    assert world.group.pk in scope_for(fresh(world.sh_agent)).group_ids
    world.group.members.remove(world.sh_agent)
    assert world.group.pk not in scope_for(fresh(world.sh_agent)).group_ids

    assert world.beijing.pk not in scope_for(fresh(world.sh_agent)).org_ids
    Membership.objects.create(user=world.sh_agent, organization=world.beijing, role=Role.AGENT)
    assert world.beijing.pk in scope_for(fresh(world.sh_agent)).org_ids

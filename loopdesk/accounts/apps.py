from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "loopdesk.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from django.db.models.signals import m2m_changed

        from .models import Group, Membership, User
        from .scope import _scopes

        # What a scope is computed from; contacts by name (customers sits above accounts).
        _scopes.connect(User, Membership, Group, "orgs.Organization", "customers.Contact")
        m2m_changed.connect(_scopes.clear, sender=Group.members.through, weak=False,
                            dispatch_uid="accounts.scopes:group-members")

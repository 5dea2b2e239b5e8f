from .roles import Perm


def navigation(request):
    """What the layout needs to draw the menu for this user."""
    user = getattr(request, "user", None)
    if not user or not user.is_authenticated:
        return {}
    configure = (Perm.WORKFLOW_ADMIN, Perm.RULE_ADMIN, Perm.INTEGRATION_ADMIN)
    return {
        "is_staff_user": not user.is_customer_only,
        "can_configure": not user.is_customer_only and any(user.can(p) for p in configure),
        "can_report": not user.is_customer_only and user.can(Perm.REPORT_VIEW),
    }

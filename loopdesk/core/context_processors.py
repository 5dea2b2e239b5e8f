def navigation(request):
    """What the layout needs to draw the menu for this user."""
    user = getattr(request, "user", None)
    if not user or not user.is_authenticated:
        return {}
    return {"is_staff_user": not user.is_customer_only}

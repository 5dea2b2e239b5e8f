"""Sign-in, sign-out and the home page that sends each user to where their work is."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from loopdesk.core.errors import DomainError

from . import services
from .forms import ProfileForm


def _first_url(*names: str) -> str | None:
    """The first of the named pages that is installed (others are built alongside this one)."""
    for name in names:
        try:
            return reverse(name)
        except NoReverseMatch:
            continue
    return None


@login_required
def home(request):
    """Customers go to their portal; staff to their ticket queue (or customers, while queues are absent)."""
    if request.user.is_customer_only:
        target = _first_url("portal:home")
    else:
        target = _first_url("tickets:queue", "customers:list")
    if target:
        return redirect(target)
    return render(request, "accounts/home.html")


class LoginView(auth_views.LoginView):
    """Django's sign-in with our template; a signed-in user is sent straight home."""

    template_name = "registration/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    """Sign out (POST only, as in Django 5), then back to the sign-in page."""


@login_required
@require_http_methods(["GET", "POST"])
def profile(request):
    """The user's own display name, phone, time zone and UI language.

    The time zone is stored on the user (times are shown in it everywhere); the language is a cookie,
    as Django's language switch keeps it, so it also applies before signing in.
    """
    user = request.user
    current = translation.get_language()
    form = ProfileForm(request.POST or None, initial={
        "display_name": user.display_name, "phone": user.phone, "timezone": user.timezone,
        "language": current if current in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE,
    })
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.update_profile(actor=user, user=user, display_name=data["display_name"].strip(),
                                    phone=data["phone"].strip(), timezone_name=data["timezone"])
        except DomainError as exc:
            for field, errors in exc.fields.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        else:
            translation.activate(data["language"])
            messages.success(request, _("Your profile is saved."))
            response = redirect("profile")
            response.set_cookie(settings.LANGUAGE_COOKIE_NAME, data["language"],
                                max_age=settings.LANGUAGE_COOKIE_AGE, samesite="Lax")
            return response
    status = 422 if request.method == "POST" else 200
    return render(request, "accounts/profile.html", {"form": form}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def notifications(request):
    """The user's in-app inbox (newest first, the latest 100); POST marks one (`id`) or all read."""
    from .models import Notification

    if request.method == "POST":
        raw = request.POST.get("id", "")
        ids = [int(raw)] if raw.isdigit() else None
        services.mark_read(user=request.user, ids=ids)
        return redirect("notifications")
    rows = list(Notification.objects.filter(recipient=request.user).order_by("-created_at", "-id")[:100])
    unread = sum(1 for n in rows if n.read_at is None)
    return render(request, "accounts/notifications.html", {"rows": rows, "unread": unread})


@login_required
def notifications_badge(request):
    """The unread count in the top bar (loaded by htmx after the page, so pages keep their query counts)."""
    from .models import Notification

    count = Notification.objects.filter(recipient=request.user, read_at__isnull=True).count()
    return render(request, "accounts/_notification_badge.html", {"unread_count": count})

"""The in-app notifications inbox and its unread badge."""

from django.urls import reverse

from loopdesk.accounts.models import Notification
from loopdesk.accounts.services import notify


def test_inbox_lists_only_own_notifications_and_marks_read(client, world):
    notify([world.agent], subject="工单 1 快超时", body="还剩 30 分钟", url="/tickets/1/", kind="sla")
    notify([world.agent], subject="规则通知", kind="rule")
    notify([world.engineer], subject="别人的通知")
    client.force_login(world.agent)
    html = client.get(reverse("notifications")).content.decode()
    assert "工单 1 快超时" in html and "规则通知" in html and "别人的通知" not in html
    badge = client.get(reverse("notifications_badge")).content.decode()
    assert ">2</span>" in badge
    first = Notification.objects.get(subject="规则通知")
    client.post(reverse("notifications"), {"id": first.pk})
    assert Notification.objects.get(pk=first.pk).read_at is not None
    assert ">1</span>" in client.get(reverse("notifications_badge")).content.decode()
    # someone else's id changes nothing
    theirs = Notification.objects.get(subject="别人的通知")
    client.post(reverse("notifications"), {"id": theirs.pk})
    assert Notification.objects.get(pk=theirs.pk).read_at is None
    client.post(reverse("notifications"))
    assert not Notification.objects.filter(recipient=world.agent, read_at__isnull=True).exists()
    assert client.get(reverse("notifications_badge")).content.decode().strip() == ""


def test_top_bar_links_the_inbox(client, world):
    client.force_login(world.agent)
    html = client.get(reverse("profile")).content.decode()
    assert reverse("notifications") in html and reverse("notifications_badge") in html


def test_inbox_needs_sign_in(client, db):
    assert client.get(reverse("notifications")).status_code == 302
    assert client.get(reverse("notifications_badge")).status_code == 302

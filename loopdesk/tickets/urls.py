from django.urls import path, re_path

from . import views
from .views.workflow import workflow_diagram

app_name = "tickets"

urlpatterns = [
    path("tickets/", views.queue, name="queue"),
    path("tickets/new/", views.new_ticket, name="new"),
    re_path(r"^tickets/export\.(?P<fmt>csv|xlsx)$", views.export, name="export"),
    path("tickets/<int:pk>/", views.detail, name="detail"),
    path("tickets/<int:pk>/reply/", views.reply, name="reply"),
    path("tickets/<int:pk>/transition/", views.transition, name="transition"),
    path("tickets/<int:pk>/assign/", views.assign, name="assign"),
    path("tickets/<int:pk>/edit/", views.edit, name="edit"),
    path("tickets/<int:pk>/edit/form/", views.edit_panel, name="edit_panel"),
    path("tickets/<int:pk>/links/", views.add_link, name="link"),
    path("tickets/<int:pk>/links/<int:link_pk>/remove/", views.remove_link, name="unlink"),
    path("tickets/<int:pk>/merge/", views.merge, name="merge"),
    path("tickets/<int:pk>/watch/", views.watch, name="watch"),
    path("tickets/attachments/<int:pk>/", views.download, name="attachment"),
    path("tickets/<int:pk>/workflow/", workflow_diagram, name="workflow_diagram"),
]

from django.urls import path

from .views import actions, files, pages, tickets

app_name = "knowledge"

urlpatterns = [
    path("", pages.article_list, name="list"),
    path("new/", pages.article_new, name="new"),
    path("leaderboard/", pages.leaderboard, name="leaderboard"),
    path("<int:pk>/", pages.article_detail, name="detail"),
    path("<int:pk>/edit/", pages.article_edit, name="edit"),
    path("<int:pk>/diff/", pages.article_diff, name="diff"),
    path("<int:pk>/transition/", actions.transition, name="transition"),
    path("<int:pk>/vote/", actions.vote, name="vote"),
    path("<int:pk>/comment/", actions.comment, name="comment"),
    path("<int:pk>/flag/", actions.flag, name="flag"),
    path("<int:pk>/flags/<int:flag_id>/clear/", actions.clear_flag, name="clear_flag"),
    path("<int:pk>/files/", actions.upload, name="upload"),
    path("<int:pk>/files/<int:attachment_id>/remove/", actions.remove_file, name="remove_file"),
    path("files/<str:token>/", files.download, name="file"),
    path("ticket/<int:pk>/panel/", tickets.ticket_panel, name="ticket_panel"),
    path("ticket/<int:pk>/draft/", tickets.draft, name="ticket_draft"),
    path("ticket/<int:pk>/link/", tickets.link, name="ticket_link"),
    path("ticket/<int:pk>/unlink/<int:article_id>/", tickets.unlink, name="ticket_unlink"),
]

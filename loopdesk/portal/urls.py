from django.urls import path

from . import help, views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("new/", views.new, name="new"),
    path("new/fields/", views.new_fields, name="new_fields"),
    path("new/suggest/", help.suggest, name="suggest"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/reply/", views.reply, name="reply"),
    path("<int:pk>/confirm/", views.confirm, name="confirm"),
    path("<int:pk>/reopen/", views.reopen, name="reopen"),
    path("<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("help/", help.knowledge_home, name="knowledge"),
    path("help/<int:pk>/", help.article, name="article"),
    path("help/<int:pk>/vote/", help.vote, name="vote"),
]

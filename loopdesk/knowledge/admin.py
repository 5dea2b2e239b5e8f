from django.contrib import admin
from django.db import transaction

from .index import index_article, refresh_dictionary
from .models import Article, ArticleFlag, ArticleRevision, RewardEntry, Term


class RevisionInline(admin.TabularInline):
    model = ArticleRevision
    extra = 0
    can_delete = False
    fields = ["version", "author", "created_at"]
    readonly_fields = fields


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    """Browsing and small corrections; the lifecycle itself runs through the services and the API."""

    list_display = ["title", "type", "audience", "status", "author", "published_at", "helpful_count", "version"]
    list_filter = ["status", "type", "audience", "products"]
    search_fields = ["title"]
    raw_id_fields = ["author", "reviewer", "source_ticket", "category"]
    readonly_fields = ["status", "published_at", "helpful_count", "unhelpful_count", "version", "reviewer"]
    filter_horizontal = ["products", "versions"]
    inlines = [RevisionInline]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        transaction.on_commit(lambda: index_article(form.instance))


@admin.register(Term)
class TermAdmin(admin.ModelAdmin):
    """Product terms jieba must keep whole, and their synonyms. Run `loopdesk kb reindex` after
    adding terms so existing documents are segmented with them."""

    list_display = ["word", "synonyms", "updated_at"]
    search_fields = ["word"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        transaction.on_commit(lambda: refresh_dictionary(force=True))

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        transaction.on_commit(lambda: refresh_dictionary(force=True))


@admin.register(ArticleFlag)
class ArticleFlagAdmin(admin.ModelAdmin):
    """"Needs update" flags, for browsing; they are raised and cleared by the services."""

    list_display = ["article", "reason", "note", "created_at", "cleared_at"]
    list_filter = ["reason"]
    raw_id_fields = ["article", "raised_by", "cleared_by"]
    readonly_fields = ["created_at"]


@admin.register(RewardEntry)
class RewardEntryAdmin(admin.ModelAdmin):
    """The reward ledger (read only: points are written by the services)."""

    list_display = ["user", "points", "reason", "article", "source", "created_at"]
    list_filter = ["reason"]
    raw_id_fields = ["user", "article"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

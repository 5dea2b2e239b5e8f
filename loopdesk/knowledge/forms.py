"""Forms of the staff knowledge pages: the article editor, the list filters, votes, comments."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from loopdesk.assets.models import Product, ProductVersion
from loopdesk.tickets.models import Category

from .models import ArticleStatus, ArticleType, Audience, VoteReason


class RichText(forms.Textarea):
    """A textarea the page's small toolbar edits as HTML (sanitised by the service)."""

    def __init__(self, attrs=None):
        super().__init__(attrs={"rows": 8, "class": "kb-rich", **(attrs or {})})


class ArticleForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    type = forms.ChoiceField(label=_("Type"), choices=ArticleType.choices)
    audience = forms.ChoiceField(label=_("Audience"), choices=Audience.choices, initial=Audience.INTERNAL)
    symptom = forms.CharField(label=_("Symptom"), required=False, widget=RichText)
    cause = forms.CharField(label=_("Cause"), required=False, widget=RichText)
    resolution = forms.CharField(label=_("Resolution"), required=False, widget=RichText)
    workaround = forms.CharField(label=_("Workaround"), required=False, widget=RichText)
    body = forms.CharField(label=_("Body"), required=False, widget=RichText({"rows": 14}))
    products = forms.ModelMultipleChoiceField(label=_("Products"), required=False,
                                              queryset=Product.objects.filter(active=True))
    versions = forms.ModelMultipleChoiceField(label=_("Product versions"), required=False,
                                              queryset=ProductVersion.objects.select_related("product"))
    category = forms.ModelChoiceField(label=_("Category"), required=False,
                                      queryset=Category.objects.filter(active=True))
    tags = forms.CharField(label=_("Tags"), required=False, max_length=700,
                           help_text=_("Separate with commas."))

    # Which text fields each type uses (the page hides the others).
    TYPE_FIELDS = {
        ArticleType.TROUBLESHOOTING: ("symptom", "cause", "resolution"),
        ArticleType.KNOWN_ERROR: ("symptom", "cause", "workaround"),
    }

    def clean_tags(self) -> list[str]:
        raw = self.cleaned_data.get("tags") or ""
        return [t.strip() for t in raw.replace("，", ",").split(",") if t.strip()]

    def values(self) -> dict:
        """The service's keyword arguments."""
        data = dict(self.cleaned_data)
        data["products"] = list(data["products"])
        data["versions"] = list(data["versions"])
        return data


class FilterForm(forms.Form):
    VIEWS = [("", _("All")), ("mine", _("My drafts")), ("review", _("Waiting for review")),
             ("flagged", _("Needs update"))]

    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    view = forms.ChoiceField(label=_("Show"), required=False, choices=VIEWS)
    product = forms.ModelChoiceField(label=_("Product"), required=False, queryset=Product.objects.all())
    version = forms.ModelChoiceField(label=_("Version"), required=False,
                                     queryset=ProductVersion.objects.select_related("product"))
    category = forms.ModelChoiceField(label=_("Category"), required=False, queryset=Category.objects.all())
    type = forms.ChoiceField(label=_("Type"), required=False, choices=[("", _("Any")), *ArticleType.choices])
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", _("Any")), *ArticleStatus.choices])
    since = forms.DateField(label=_("Since"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"}))


class VoteForm(forms.Form):
    helpful = forms.TypedChoiceField(choices=[("1", _("Helpful")), ("0", _("Not helpful"))],
                                     coerce=lambda v: v == "1")
    reason = forms.ChoiceField(label=_("Why?"), required=False, choices=[("", "—"), *VoteReason.choices])
    comment = forms.CharField(label=_("Remark"), required=False, max_length=500)


class CommentForm(forms.Form):
    body = forms.CharField(label=_("Review comment"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))


class FlagForm(forms.Form):
    note = forms.CharField(label=_("What needs updating?"), required=False, max_length=500)


class AttachmentForm(forms.Form):
    file = forms.FileField(label=_("Image or file"))


class LeaderboardForm(forms.Form):
    period = forms.ChoiceField(required=False, choices=[("month", _("This month")), ("quarter", _("This quarter")),
                                                       ("all", _("All time"))])

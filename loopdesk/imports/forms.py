"""The upload form: what to import and the file."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import ImportJob
from .reading import EXTENSIONS


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("What to import"), choices=ImportJob.Kind.choices)
    file = forms.FileField(
        label=_("File"), help_text=_("Excel (.xlsx) or CSV (UTF-8 or GBK); the first row holds the column names."),
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(EXTENSIONS)}),
    )

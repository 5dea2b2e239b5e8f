"""The profile form: how the user is shown, and the zone and language the UI uses for them."""

from __future__ import annotations

import zoneinfo
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

# The zones a Chinese service network meets most come first; every IANA zone is accepted.
COMMON_ZONES = ["Asia/Shanghai", "Asia/Hong_Kong", "Asia/Macau", "Asia/Taipei", "Asia/Urumqi", "UTC"]


class ProfileForm(forms.Form):
    display_name = forms.CharField(label=_("Display name"), max_length=64, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=32, required=False)
    timezone = forms.ChoiceField(label=_("Time zone"))
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        others = sorted(zoneinfo.available_timezones() - set(COMMON_ZONES))
        self.fields["timezone"].choices = [(z, z) for z in COMMON_ZONES + others]

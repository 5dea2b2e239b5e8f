import re

from django import forms
from django.forms.renderers import DjangoTemplates

from loopdesk.core.forms import FormRenderer


class Sample(forms.Form):
    plain = forms.ChoiceField(choices=[("", "—"), ("a", "甲 & <乙>"), ("b", 'say "hi"')], required=False)
    grouped = forms.ChoiceField(choices=[("组一", [("1", "一")]), ("2", "二")], initial="2")
    many = forms.MultipleChoiceField(choices=[("x", "X"), ("y", "Y")], initial=["x", "y"])
    off = forms.ChoiceField(choices=[("a", "A")], disabled=True, widget=forms.Select(attrs={"data-id": "7"}))


def _squeeze(html) -> str:
    return re.sub(r">\s+<", "><", " ".join(str(html).split()))


def test_select_markup_is_djangos():
    for name in Sample.base_fields:
        ours = Sample(initial={"plain": "b"})[name].as_widget()
        theirs = Sample(initial={"plain": "b"}, renderer=DjangoTemplates())[name].as_widget()
        assert _squeeze(ours) == _squeeze(theirs), name
    assert isinstance(Sample().renderer, FormRenderer)

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


class Inputs(forms.Form):
    text = forms.CharField(label='名称 & "别名"', max_length=20, widget=forms.TextInput(attrs={"placeholder": "a<b"}))
    number = forms.IntegerField(min_value=1, required=False)
    email = forms.EmailField(label_suffix="：")
    when = forms.DateField(widget=forms.DateInput(attrs={"type": "date", "data-on": True, "hidden-off": False}))
    secret = forms.CharField(widget=forms.PasswordInput(render_value=True))
    hidden = forms.CharField(widget=forms.HiddenInput)


def test_input_and_label_markup_is_djangos():
    data = {"text": '甲 & "乙" <丙>', "number": "x", "email": "a@b.cn", "when": "2026-12-02", "secret": "s<", "hidden": "h&"}
    for bound in (Inputs(), Inputs(data=data), Inputs(auto_id=False)):
        theirs = Inputs(data=bound.data if bound.is_bound else None, auto_id=bound.auto_id, renderer=DjangoTemplates())
        for name in Inputs.base_fields:
            assert _squeeze(bound[name].as_widget()) == _squeeze(theirs[name].as_widget()), name
            assert _squeeze(bound[name].label_tag()) == _squeeze(theirs[name].label_tag()), name
            assert _squeeze(bound[name].as_field_group()) == _squeeze(theirs[name].as_field_group()), name


class Groups(forms.Form):
    titled = forms.CharField(label="标题", help_text="至少 <b>5</b> 个字", min_length=5)
    choices = forms.MultipleChoiceField(choices=[("a", "A"), ("b", "B")], widget=forms.CheckboxSelectMultiple,
                                        help_text="可多选", required=True)
    radio = forms.ChoiceField(choices=[("x", "X")], widget=forms.RadioSelect, label="")
    unlabelled = forms.CharField(label="", required=False)


def test_field_group_markup_is_djangos():
    """as_field_group: labels or legends (fieldsets for grouped widgets), help text, errors, widget."""
    for data in (None, {"titled": "短", "choices": [], "radio": "z"}):
        for auto_id in ("id_%s", False):
            ours = Groups(data=data, auto_id=auto_id)
            theirs = Groups(data=data, auto_id=auto_id, renderer=DjangoTemplates())
            for name in Groups.base_fields:
                assert _squeeze(ours[name].as_field_group()) == _squeeze(theirs[name].as_field_group()), (name, data)

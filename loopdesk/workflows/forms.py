"""The workflow editor's forms: the structured rows (states, transitions) and the advanced JSON box.

The structured editor posts one row per state and per transition (plus blank rows to add one). The
rows are turned back into a definition by `definition_from_rows`, a pure function: renaming a state's
key renames it in every transition and in the saved layout; removing a state removes it from the
transitions that start there and drops the transitions that lead to it. Everything else (guards,
actions, reopen windows) is carried over unchanged in each transition's hidden `extra` field. Whether
the result is a valid workflow is for `loopdesk.workflows.validation.validate` to say.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from loopdesk.accounts.roles import Role

from .flow import pick_label
from .vocabulary import FORM_FIELDS, PHASES, ROLES, STAFF_ROLES, TICKET_FIELDS

BLANK_STATES = 1
BLANK_TRANSITIONS = 2
MAX_ROWS = 400
EXTRA_KEYS = ("guard", "within_days", "actions")
PHASE_LABELS = {
    "open": pgettext_lazy("phase", "Open"), "working": pgettext_lazy("phase", "Working"),
    "waiting": pgettext_lazy("phase", "Waiting"), "resolved": pgettext_lazy("phase", "Resolved"),
    "closed": pgettext_lazy("phase", "Closed"),
}
FIELD_LABELS = {
    "comment": _("Comment"), "resolution": _("Resolution"), "responsibility": _("Responsibility"),
    "assignee": _("Assignee"), "group": _("Group"), "category": _("Category"), "asset": _("Asset"),
    "contact": _("Contact"), "partner_org": _("Partner"),
}


def _text(data, name: str) -> str:
    return (data.get(name) or "").strip()


def _count(data, name: str) -> int:
    try:
        return max(0, min(int(data.get(name) or 0), MAX_ROWS))
    except (TypeError, ValueError):
        return 0


def _labels(zh: str, en: str) -> dict[str, str]:
    return {lang: text for lang, text in (("zh-hans", zh), ("en", en)) if text}


def definition_from_rows(data, base: dict | None = None) -> dict:
    """The definition described by the posted editor rows (`data`: a QueryDict or a dict of lists).

    `base` is the saved draft the page was drawn from: its layout is kept (following renames)."""
    if not hasattr(data, "getlist"):
        data = MultiValueDict({k: v if isinstance(v, list) else [v] for k, v in data.items()})
    getlist = data.getlist
    renamed: dict[str, str] = {}
    removed: set[str] = set()
    states: list[dict] = []
    for i in range(_count(data, "state-count")):
        p = f"state-{i}-"
        key, original = _text(data, p + "key"), _text(data, p + "orig")
        zh, en = _text(data, p + "zh"), _text(data, p + "en")
        if data.get(p + "delete"):
            if original:
                removed.add(original)
            continue
        if not original and not (key or zh or en):
            continue  # the blank row for a new state, left empty
        if original and original != key:
            renamed[original] = key
        state: dict[str, Any] = {"key": key, "label": _labels(zh, en), "phase": _text(data, p + "phase")}
        if data.get(p + "initial"):
            state["initial"] = True
        states.append(state)

    def follow(key: str) -> str:
        return renamed.get(key, key)

    transitions: list[dict] = []
    for i in range(_count(data, "tr-count")):
        p = f"tr-{i}-"
        if data.get(p + "delete"):
            continue
        key, to = _text(data, p + "key"), _text(data, p + "to")
        zh, en = _text(data, p + "zh"), _text(data, p + "en")
        sources = [s for s in getlist(p + "from") if s]
        if not data.get(p + "orig") and not (key or to or zh or en or sources):
            continue  # a blank row
        if to in removed:
            continue
        sources = [follow(s) for s in sources if s not in removed]
        if data.get(p + "orig") and not sources:
            continue  # every state it started from was removed
        transition: dict[str, Any] = {
            "key": key, "from": sources, "to": follow(to), "label": _labels(zh, en),
            "roles": [r for r in getlist(p + "roles") if r],
            "customer": bool(data.get(p + "customer")),
            "required": [f for f in getlist(p + "required") if f],
            "form": [f for f in getlist(p + "form") if f],
        }
        try:
            extra = json.loads(data.get(p + "extra") or "{}")
        except ValueError:
            extra = {}
        if isinstance(extra, dict):
            transition.update({k: extra[k] for k in EXTRA_KEYS if k in extra})
        transitions.append(transition)

    definition: dict[str, Any] = {"states": states, "transitions": transitions}
    layout = (base or {}).get("layout")
    if isinstance(layout, dict):
        kept = {follow(k): v for k, v in layout.items() if k not in removed}
        if kept:
            definition["layout"] = kept
    return definition


@dataclass
class StateRow:
    index: int
    key: str = ""
    original: str = ""
    zh: str = ""
    en: str = ""
    phase: str = ""
    initial: bool = False


@dataclass
class TransitionRow:
    index: int
    key: str = ""
    original: str = ""
    sources: list[str] = field(default_factory=list)
    to: str = ""
    zh: str = ""
    en: str = ""
    roles: list[str] = field(default_factory=list)
    customer: bool = False
    required: list[str] = field(default_factory=list)
    form: list[str] = field(default_factory=list)
    extra: str = "{}"
    required_choices: list[tuple[str, str]] = field(default_factory=list)
    form_choices: list[tuple[str, str]] = field(default_factory=list)


def editor_rows(definition: dict, lang: str | None = None) -> dict[str, Any]:
    """What the editor template draws for `definition`: its rows, blank rows to add one, the choices."""
    def items(name: str) -> list[dict]:
        value = definition.get(name) if isinstance(definition, dict) else None
        return [x for x in value if isinstance(x, dict)] if isinstance(value, list) else []

    states_in, transitions_in = items("states"), items("transitions")
    states = [
        StateRow(index=i, key=str(s.get("key") or ""), original=str(s.get("key") or ""),
                 zh=_label(s, "zh-hans"), en=_label(s, "en"),
                 phase=str(s.get("phase") or ""), initial=bool(s.get("initial")))
        for i, s in enumerate(states_in)
    ]
    states += [StateRow(index=len(states) + n, phase="working") for n in range(BLANK_STATES)]
    transitions = []
    for i, t in enumerate(transitions_in):
        required, form = _strings(t.get("required")), _strings(t.get("form"))
        transitions.append(TransitionRow(
            index=i, key=str(t.get("key") or ""), original=str(t.get("key") or "") or "-",
            sources=[s for s in _strings(t.get("from"))], to=str(t.get("to") or ""),
            zh=_label(t, "zh-hans"), en=_label(t, "en"),
            roles=_strings(t.get("roles")), customer=bool(t.get("customer")),
            required=required, form=form,
            extra=json.dumps({k: t[k] for k in EXTRA_KEYS if k in t}, ensure_ascii=False),
            required_choices=_choices((*FORM_FIELDS, *TICKET_FIELDS), required),
            form_choices=_choices(FORM_FIELDS, form),
        ))
    transitions += [
        TransitionRow(index=len(transitions) + n, roles=list(STAFF_ROLES), form=["comment"],
                      required_choices=_choices((*FORM_FIELDS, *TICKET_FIELDS), []),
                      form_choices=_choices(FORM_FIELDS, []))
        for n in range(BLANK_TRANSITIONS)
    ]
    state_choices = [(s.key, pick_label({"zh-hans": s.zh, "en": s.en}, lang, s.key)) for s in states if s.key]
    return {
        "states": states, "transitions": transitions, "state_choices": state_choices,
        "phases": [(p, PHASE_LABELS[p]) for p in PHASES], "roles": [(r, str(Role(r).label)) for r in ROLES],
    }


def _label(item: dict, lang: str) -> str:
    label = item.get("label")
    return str(label.get(lang) or "") if isinstance(label, dict) else ""


def _strings(value) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _choices(known: tuple[str, ...], present: list[str]) -> list[tuple[str, str]]:
    """(name, label) of the fields the transition names, in its order (the dialog asks in this order),
    then the other known fields."""
    return [(f, str(FIELD_LABELS.get(f, f))) for f in [*present, *(f for f in known if f not in present)]]


class JsonDefinitionForm(forms.Form):
    """The advanced editor: the whole definition as JSON."""

    definition = forms.CharField(label=_("Definition (JSON)"), widget=forms.Textarea(attrs={
        "rows": 18, "spellcheck": "false", "class": "code"}))

    def clean_definition(self):
        try:
            value = json.loads(self.cleaned_data["definition"])
        except ValueError as exc:
            raise forms.ValidationError(_("This is not valid JSON: %(error)s") % {"error": exc}) from None
        if not isinstance(value, dict):
            raise forms.ValidationError(_("A workflow definition is a JSON object with states and transitions."))
        return value


class ImportForm(forms.Form):
    """A workflow exported as JSON (from this or another Loopdesk), to become a draft."""

    file = forms.FileField(label=_("JSON file"), required=False)
    text = forms.CharField(label=_("…or paste the JSON"), required=False,
                           widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false", "class": "code"}))

    MAX_BYTES = 1_000_000

    def clean(self):
        data = super().clean()
        upload = data.get("file")
        if upload is not None:
            if upload.size > self.MAX_BYTES:
                raise forms.ValidationError(_("The file is too large."))
            raw = upload.read()
        else:
            raw = (data.get("text") or "").encode()
        if not raw.strip():
            raise forms.ValidationError(_("Choose a file or paste the JSON."))
        try:
            data["payload"] = json.loads(raw.decode("utf-8-sig"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise forms.ValidationError(_("This is not valid JSON: %(error)s") % {"error": exc}) from None
        if not isinstance(data["payload"], dict):
            raise forms.ValidationError(_("Expected a JSON object."))
        return data


class PublishForm(forms.Form):
    """Publish the draft; when tickets run on the current version, map each state they are in."""

    notes = forms.CharField(label=_("Notes"), max_length=500, required=False)

    def __init__(self, *args, in_use: dict[str, int] | None = None, old_labels: dict[str, str] | None = None,
                 new_states: list[tuple[str, str]] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.mapping_fields: list[str] = []
        new_keys = {k for k, _label in new_states or []}
        for state, count in sorted((in_use or {}).items()):
            name = f"map-{state}"
            self.fields[name] = forms.ChoiceField(
                label=_("“%(state)s” (%(count)d tickets) becomes") % {
                    "state": (old_labels or {}).get(state, state), "count": count},
                choices=[("", "—")] + list(new_states or []), required=False,
                initial=state if state in new_keys else "",
            )
            self.mapping_fields.append(name)

    def mapping(self) -> dict[str, str]:
        return {name.removeprefix("map-"): self.cleaned_data.get(name) or "" for name in self.mapping_fields}

    def mapping_rows(self):
        return [self[name] for name in self.mapping_fields]


"""Form rendering.

Django renders every <option> of a <select> through two template includes, about 0.3 ms each; an
assignee or category list of a few hundred options then costs more than the rest of the page, and
every label and text input costs another 0.1 ms of template includes. The renderer below produces
exactly Django's markup for selects, plain inputs, labels and field groups (`as_field_group`) in
Python and leaves every other template alone.
"""

from __future__ import annotations

from typing import Any

from django.forms.renderers import DjangoTemplates
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeString, mark_safe

SELECT_TEMPLATE = "django/forms/widgets/select.html"
OPTION_TEMPLATE = "django/forms/widgets/select_option.html"
LABEL_TEMPLATE = "django/forms/label.html"
FIELD_TEMPLATE = "django/forms/field.html"
# The widgets whose template is nothing but {% include "django/forms/widgets/input.html" %}.
INPUT_TEMPLATES = frozenset(
    f"django/forms/widgets/{kind}.html"
    for kind in ("text", "number", "email", "url", "password", "hidden", "date", "datetime", "time", "search",
                 "tel", "color")
)


def _attrs(attrs: dict[str, Any]) -> str:
    out = []
    for name, value in attrs.items():
        if value is False:
            continue
        # attrs.html formats with stringformat:'s', whose plain str result is always escaped.
        out.append(f" {name}" if value is True else f' {name}="{escape(str(value))}"')
    return "".join(out)


def render_select(widget: dict[str, Any]) -> SafeString:
    """The markup of django/forms/widgets/select.html for a widget context."""
    parts = [f'<select name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'<optgroup label="{conditional_escape(str(group_name))}">')
        for option in options:
            if option["template_name"] != OPTION_TEMPLATE:
                return None  # a custom option template: let Django render the whole select
            parts.append(
                f'<option value="{conditional_escape(str(option["value"]))}"{_attrs(option["attrs"])}>'
                f'{conditional_escape(str(option["label"]))}</option>'
            )
        if group_name:
            parts.append("</optgroup>")
    parts.append("</select>")
    return mark_safe("".join(parts))  # every value above is escaped


def render_input(widget: dict[str, Any]) -> SafeString:
    """The markup of django/forms/widgets/input.html for a widget context."""
    value = widget["value"]
    shown = "" if value is None else f' value="{escape(str(value))}"'
    return mark_safe(f'<input type="{conditional_escape(widget["type"])}" name="{conditional_escape(widget["name"])}"'
                     f'{shown}{_attrs(widget["attrs"])}>')


def render_label(context: dict[str, Any]) -> SafeString:
    """The markup of django/forms/label.html."""
    label = conditional_escape(context["label"])
    if not context["use_tag"]:
        return mark_safe(label)
    tag = conditional_escape(context["tag"])
    return mark_safe(f"<{tag}{_attrs(context['attrs'] or {})}>{label}</{tag}>")


def render_field(context: dict[str, Any]) -> SafeString:
    """The markup of django/forms/field.html: label or legend, help text, errors, widget."""
    field = context["field"]
    parts = []
    if field.use_fieldset:
        described = field.aria_describedby
        parts.append("<fieldset" + (f' aria-describedby="{conditional_escape(described)}"' if described else "") + ">")
        if field.label:
            parts.append(field.legend_tag())
    elif field.label:
        parts.append(field.label_tag())
    if field.help_text:
        helptext_id = f' id="{conditional_escape(field.auto_id)}_helptext"' if field.auto_id else ""
        parts.append(f'<div class="helptext"{helptext_id}>{field.help_text}</div>')  # the template marks it safe
    if field.errors:  # an empty error list renders nothing (through two templates)
        parts.append(str(field.errors))
    parts.append(str(field) + ("</fieldset>" if field.use_fieldset else ""))
    return mark_safe("\n".join(parts))  # labels, errors and widget are safe strings; the rest is escaped


class FormRenderer(DjangoTemplates):
    """Django's default form renderer, with plain selects, inputs, labels and field groups rendered in Python."""

    def render(self, template_name, context, request=None):
        if template_name == SELECT_TEMPLATE:
            html = render_select(context["widget"])
            if html is not None:
                return html
        elif template_name in INPUT_TEMPLATES:
            return render_input(context["widget"])
        elif template_name == LABEL_TEMPLATE:
            return render_label(context)
        elif template_name == FIELD_TEMPLATE:
            return render_field(context)
        return super().render(template_name, context, request=request)

"""`{{ article.body|kb_html }}`: stored article text as sanitised HTML (see sanitize.py)."""

from django import template

from ..sanitize import render_html

register = template.Library()


@register.filter
def kb_html(value: str):
    return render_html(value or "")

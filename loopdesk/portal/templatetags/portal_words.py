"""Template filters for the portal's customer words."""

from django import template

from ..words import status_words as _status_words
from ..words import type_words as _type_words

register = template.Library()


@register.filter
def status_words(status: str) -> str:
    """A status as the customer reads it, e.g. "Waiting for your reply"."""
    return _status_words(status)


@register.filter
def type_words(ticket_type: str) -> str:
    return _type_words(ticket_type)


@register.filter
def getfield(form, name: str):
    """form[name] for a name computed in the template (the custom fields)."""
    return form[name]

"""Article rich text: what HTML is kept (nh3, the Ammonia sanitiser), how it is shown, and its plain
text for search and diffs.

The editor sends HTML; `clean_html` keeps a small list of tags, gives every link
`rel="noopener noreferrer"` and allows images only from our own attachment URLs
(`/knowledge/files/<token>/`), so an article can never load a third-party resource. Text without
any tag (older articles, the API used with plain text) is shown with its line breaks."""

from __future__ import annotations

import html
import re

import nh3
from django.utils.html import escape, linebreaks
from django.utils.safestring import SafeString, mark_safe

FILES_PREFIX = "/knowledge/files/"
TAGS = frozenset({
    "a", "b", "blockquote", "br", "code", "del", "em", "h2", "h3", "h4", "hr", "i", "img", "kbd", "li", "ol",
    "p", "pre", "s", "strong", "sub", "sup", "table", "tbody", "td", "th", "thead", "tr", "u", "ul",
})
ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
    "ol": {"start"},
}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
_TAG = re.compile(r"<\s*/?\s*[a-zA-Z][^>]*>")
_BREAK = re.compile(r"<\s*br\s*/?\s*>|<\s*/\s*(?:p|div|li|h[1-6]|tr|pre|blockquote|table|ul|ol)\s*>", re.I)
_BLANKS = re.compile(r"\n{3,}")


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    if tag == "img" and attribute == "src":
        return value if value.startswith(FILES_PREFIX) and "//" not in value and ".." not in value else None
    return value


def clean_html(value: str) -> str:
    """The sanitised form of `value` (HTML or plain text) to store."""
    if not value:
        return ""
    return nh3.clean(
        value, tags=set(TAGS), attributes={k: set(v) for k, v in ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES), link_rel="noopener noreferrer", attribute_filter=_attribute_filter,
        clean_content_tags={"script", "style"},
    ).strip()


def is_html(value: str) -> bool:
    return bool(_TAG.search(value or ""))


def render_html(value: str) -> SafeString:
    """Stored text as safe HTML: HTML is sanitised again (cheap, and old rows may predate the
    rules); plain text keeps its paragraphs and line breaks."""
    if not value:
        return mark_safe("")
    if is_html(value):
        return mark_safe(clean_html(value))  # noqa: S308 - sanitised by nh3 just above
    return mark_safe(linebreaks(escape(html.unescape(value))))  # noqa: S308 - escaped


def plain_text(value: str) -> str:
    """The words of stored text without markup, for the search index, snippets and diffs."""
    if not value:
        return ""
    if is_html(value):
        value = _TAG.sub("", _BREAK.sub("\n", value))
    return _BLANKS.sub("\n\n", html.unescape(value)).strip()

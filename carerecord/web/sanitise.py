"""HTML from a source, made safe to show inside our page (nh3, an allowlist sanitiser).

Kept: text structure (headings, paragraphs, lists, tables, emphasis) and in-page anchors.
Dropped: scripts and styles with their content, event handlers, style attributes, frames,
objects, embeds, forms, images and SVG, and every link or source pointing anywhere but this
page: the viewer never loads anything a document names.
"""

from __future__ import annotations

import nh3

_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "dd", "div", "dl", "dt", "em",
    "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "li", "ol", "p", "pre", "span", "strong",
    "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
}  # fmt: skip
_ATTRIBUTES = {
    "a": {"href", "id"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "*": {"id"},
}
_DROPPED_WITH_CONTENT = {"script", "style", "iframe", "object", "embed", "svg", "math", "template"}


def _keep(tag: str, attribute: str, value: str) -> str | None:
    """Only in-page anchors survive as link targets."""
    if attribute == "href":
        return value if value.startswith("#") and len(value) > 1 else None
    return value


def clean(html: str) -> str:
    return nh3.clean(
        html,
        tags=_TAGS,
        clean_content_tags=_DROPPED_WITH_CONTENT,
        attributes=_ATTRIBUTES,
        attribute_filter=_keep,
        url_schemes=set(),
        link_rel="noopener noreferrer",
        strip_comments=True,
    )

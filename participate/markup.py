"""Markdown rendered to HTML and sanitised (no scripts, no event handlers, no javascript: links)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import markdown as md
import nh3
from markupsafe import Markup

ALLOWED_TAGS = {
    "p",
    "br",
    "hr",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "strong",
    "em",
    "b",
    "i",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "a",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "del",
    "sup",
    "sub",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}


def render_markdown(text: str) -> str:
    """Markdown -> safe HTML string. Headings are shifted so a body never outranks the page's h1."""
    html = md.markdown(
        text or "", extensions=["tables", "sane_lists", "fenced_code"], output_format="html"
    )
    html = html.replace("<h1>", "<h2>").replace("</h1>", "</h2>")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


def markdown_filter(text: str) -> Markup:
    html = render_markdown(text)
    return Markup(html)  # nh3 cleaned it: allow-listed tags only  # nosec B704


def iso_datetime(value: datetime | date | None) -> str:
    """A ``<time datetime>`` value: UTC to the millisecond at most ("2026-12-07T09:55:00Z",
    "2026-12-07T09:55:00.123Z"), a plain date as it is, "" for none. The app stores naive UTC;
    an aware value is converted. ``isoformat()``'s six-digit fractions are not valid HTML."""
    if value is None:
        return ""
    if not isinstance(value, datetime):
        return value.isoformat()
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat(timespec="milliseconds" if value.microsecond else "seconds") + "Z"

"""Text people write for each other (tips on resources): plain text or a small, safe subset of
Markdown, rendered by a real Markdown parser (markdown-it-py, raw HTML off) and then cleaned by a
real HTML sanitiser (nh3) that keeps only the tags the subset makes. Whatever HTML or script a
person types is shown as the text it is, never run."""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt

# Paragraphs, line breaks, emphasis, lists, links and inline code: enough to say how a resource was
# used; no headings, images, tables or HTML.
_PARSER = MarkdownIt("zero", {"html": False, "linkify": False, "breaks": True}).enable(
    ["emphasis", "list", "link", "newline", "backticks", "escape", "entity"])
ALLOWED_TAGS = {"p", "br", "em", "strong", "ul", "ol", "li", "a", "code"}
ALLOWED_ATTRIBUTES = {"a": {"href"}}
URL_SCHEMES = {"http", "https", "mailto"}


def render(text: str) -> str:
    """The HTML for ``text``: safe to insert in a page as it is."""
    html = _PARSER.render(text or "")
    return nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes=URL_SCHEMES,
                     link_rel="noopener noreferrer nofollow ugc", strip_comments=True)


def plain(text: str) -> str:
    """The words of ``text`` without markup (for the search index)."""
    return nh3.clean(render(text), tags=set()).replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")

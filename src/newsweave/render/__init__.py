"""Turn a Brief into Markdown, JSON or a self-contained HTML page.

The format modules are imported on first use, so importing this package costs nothing
(the HTML renderer pulls in Jinja2). The notation of citations and dates is
newsweave.text.notation's (the composer writes it too), re-exported here, with the layout
rules every format shares (render/layout.py).
"""

from __future__ import annotations

import sys
import types
from collections.abc import Callable

from newsweave.errors import ConfigError
from newsweave.records import Brief
from newsweave.render.layout import cited_text, paragraphs
from newsweave.text.notation import (
    CITATION_GROUP,
    citation_marker,
    citation_numbers,
    format_date,
    format_timestamp,
    has_inline_citations,
)


def _render_md(brief: Brief) -> str:
    """Markdown, importing the renderer on first use."""
    from newsweave.render.markdown import render_markdown

    return render_markdown(brief)


def _render_json(brief: Brief) -> str:
    """JSON, importing the renderer on first use."""
    from newsweave.render.jsonout import render_json

    return render_json(brief)


def _render_html(brief: Brief) -> str:
    """HTML, importing the renderer (and Jinja2) on first use."""
    from newsweave.render.html import render_html

    return render_html(brief)


RENDERERS: dict[str, Callable[[Brief], str]] = {
    "md": _render_md,
    "json": _render_json,
    "html": _render_html,
}


def render(brief: Brief, fmt: str) -> str:
    """The brief in the named format ("md", "json" or "html")."""
    try:
        renderer = RENDERERS[fmt]
    except KeyError:
        known = ", ".join(RENDERERS)
        raise ConfigError(f"unknown output format {fmt!r}; known formats: {known}") from None
    return renderer(brief)


# The format names the public newsweave.render(brief, format) takes, and the renderer of each.
FORMATS = {"markdown": "md", "md": "md", "json": "json", "html": "html"}


def render_format(brief: Brief, format: str = "markdown") -> str:
    """The brief as "markdown" (or "md"), "json" (schema newsweave.brief/1) or "html"."""
    if format not in FORMATS:
        known = ", ".join(FORMATS)
        raise ConfigError(f"unknown output format {format!r}; known formats: {known}")
    return render(brief, FORMATS[format])


__all__ = [
    "CITATION_GROUP",
    "FORMATS",
    "RENDERERS",
    "citation_marker",
    "citation_numbers",
    "cited_text",
    "format_date",
    "format_timestamp",
    "has_inline_citations",
    "paragraphs",
    "render",
    "render_format",
]


class _CallablePackage(types.ModuleType):
    """This package, callable as the public newsweave.render(brief, format="markdown").

    The public function shares this package's name, and importing the package binds
    newsweave.render to it; so the package itself answers the call, and both
    `newsweave.render(brief)` and `newsweave.render.html` work whichever is used first.
    """

    def __call__(self, brief: Brief, format: str = "markdown") -> str:
        return render_format(brief, format)


sys.modules[__name__].__class__ = _CallablePackage

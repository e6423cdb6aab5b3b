"""Render a Brief as one self-contained HTML page: inline CSS, no scripts, no external loads.

The page shows the brief exactly as the reader does: the same view (newsweave.render.view),
the same markup (templates/_brief.html) and the same stylesheet (templates/newsweave.css).
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

import jinja2
from markupsafe import Markup

from newsweave.records import Brief
from newsweave.render.view import brief_view, is_web_url, writer_line

__all__ = ["STYLESHEET", "is_web_url", "render_html", "stylesheet", "writer_line"]

# The one stylesheet of the reader and of HTML briefs.
STYLESHEET = "newsweave.css"


@cache
def _environment() -> jinja2.Environment:
    """The Jinja2 environment, built on first use rather than at import."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("newsweave.render", "templates"),
        # Every string in a brief comes from untrusted reports: escape all of it.
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def stylesheet() -> str:
    """The shared stylesheet's text."""
    return files("newsweave.render").joinpath("templates", STYLESHEET).read_text("utf-8")


def render_html(brief: Brief) -> str:
    """The whole brief as one HTML document."""
    template = _environment().get_template("brief.html")
    # The stylesheet is our own file, not report text: it goes in unescaped.
    return template.render(b=brief_view(brief), css=Markup(stylesheet()))

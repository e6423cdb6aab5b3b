"""newsweave: many news reports in, one cited, conflict-aware brief per event out.

The public API, imported lazily (importing newsweave loads no model and no submodule)::

    import newsweave
    b = newsweave.brief(["reports/"])          # paths and/or Report objects
    print(newsweave.render(b, "markdown"))     # or "json", "html"

`brief`, `render`, `load_settings`, `Settings`, `Report`, `Brief`, `NewsweaveError` (the base of
every error newsweave raises) and `__version__`. See README.md, "Use from Python".
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from newsweave.config import Settings, load_settings
    from newsweave.errors import NewsweaveError
    from newsweave.public import brief, render
    from newsweave.records import Brief, Report

__all__ = [
    "Brief",
    "NewsweaveError",
    "Report",
    "Settings",
    "__version__",
    "brief",
    "load_settings",
    "render",
]

# Where each public name lives; it is imported on first use (PEP 562).
_LAZY = {
    "Brief": "newsweave.records",
    "NewsweaveError": "newsweave.errors",
    "Report": "newsweave.records",
    "Settings": "newsweave.config",
    "brief": "newsweave.public",
    "load_settings": "newsweave.config",
}


def _version() -> str:
    """The installed distribution's version; "0+unknown" when run from a bare source tree."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("newsweave")
    except PackageNotFoundError:
        return "0+unknown"


def __getattr__(name: str) -> Any:
    """Import a public name on first use."""
    if name == "__version__":
        return _version()
    from importlib import import_module

    if name == "render":
        # The package newsweave.render is itself callable as render(brief, format): importing
        # it binds this name to it, so it is what this name always gives (render/__init__.py).
        return import_module("newsweave.render")
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'newsweave' has no attribute {name!r}")


def __dir__() -> list[str]:
    """The public names, for completion in a Python shell."""
    return sorted({*globals(), *__all__})

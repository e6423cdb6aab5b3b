"""Stable identifiers for reports."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from urllib.parse import urlsplit, urlunsplit

_SPACE = re.compile(r"\s+")


def normalise_text(text: str) -> str:
    """Fold Unicode forms, case and white space so trivial copies compare equal."""
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", text)).strip().casefold()


def content_hash(text: str) -> str:
    """SHA-256 of the normalised text."""
    return hashlib.sha256(normalise_text(text).encode("utf-8")).hexdigest()


def canonical_url(url: str) -> str:
    """Lower-case scheme and host, drop the fragment and a trailing slash."""
    url = url.strip()
    if not url:
        return ""
    parts = urlsplit(url)
    path = parts.path.rstrip("/") or "/"
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, parts.query, ""))


def report_id(url: str, text: str) -> str:
    """A stable id: hash of the canonical URL when there is one, else of the text."""
    basis = canonical_url(url) or "text:" + normalise_text(text)
    return hashlib.sha256(basis.encode("utf-8")).hexdigest()[:16]

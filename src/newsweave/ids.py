"""Stable identifiers for reports."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

_SPACE = re.compile(r"\s+")
# Query parameters that say how a reader arrived, not which page it is.
_TRACKING_PREFIXES = ("utm_", "mc_", "pk_")
_TRACKING = frozenset({"fbclid", "gclid", "dclid", "msclkid", "igshid", "ocid", "cmpid", "ref"})


def normalise_text(text: str) -> str:
    """Fold Unicode forms, case and white space so trivial copies compare equal."""
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", text)).strip().casefold()


def content_hash(text: str) -> str:
    """SHA-256 of the normalised text."""
    return hashlib.sha256(normalise_text(text).encode("utf-8")).hexdigest()


def canonical_url(url: str) -> str:
    """One spelling per page: lower-case scheme and host, no default port, fragment,
    trailing slash or tracking parameters (utm_*, fbclid, gclid, ...)."""
    url = url.strip()
    if not url:
        return ""
    parts = urlsplit(url)
    scheme, netloc = parts.scheme.lower(), parts.netloc.lower()
    if (scheme, netloc.rpartition(":")[2]) in (("http", "80"), ("https", "443")):
        netloc = netloc.rpartition(":")[0]
    path = parts.path.rstrip("/") or "/"
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    kept = [
        (key, value)
        for key, value in pairs
        if not key.lower().startswith(_TRACKING_PREFIXES) and key.lower() not in _TRACKING
    ]
    # The query is rewritten only when something was dropped: re-encoding alone could
    # change how a server reads it.
    query = parts.query if len(kept) == len(pairs) else urlencode(kept)
    return urlunsplit((scheme, netloc, path, query, ""))


def report_id(url: str, text: str) -> str:
    """A stable id: hash of the canonical URL when there is one, else of the text."""
    basis = canonical_url(url) or "text:" + normalise_text(text)
    return hashlib.sha256(basis.encode("utf-8")).hexdigest()[:16]

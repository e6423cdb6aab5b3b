"""The one error tree of newsweave.

    NewsweaveError
    ├── InputError        an input cannot be read as a report (names the input and the reason)
    ├── StoreError        the database cannot be opened, migrated or written
    ├── ComposeError      a brief cannot be made from the reports given
    └── ConfigError       a setting has a value that cannot be used

The library raises these and never prints or exits; cli.py turns them into messages and exit codes.
"""

from __future__ import annotations


class NewsweaveError(Exception):
    """Base of every error newsweave raises on purpose."""


class InputError(NewsweaveError):
    """An input cannot be read as a report."""

    def __init__(self, origin: str, reason: str) -> None:
        super().__init__(f"{origin}: {reason}")
        self.origin = origin
        self.reason = reason


class StoreError(NewsweaveError):
    """The database cannot be opened, migrated or written."""


class ComposeError(NewsweaveError):
    """A brief cannot be made from the reports given."""


class ConfigError(NewsweaveError):
    """A setting has a value that cannot be used."""

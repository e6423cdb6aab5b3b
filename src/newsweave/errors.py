"""The one error tree of newsweave.

    NewsweaveError
    ├── InputError        an input cannot be read as a report (names the input and the reason)
    ├── StoreError        the database cannot be opened, migrated or written
    ├── ComposeError      a brief cannot be made from the reports given
    ├── ConfigError       a setting has a value that cannot be used
    ├── FetchError        a feed or page cannot be fetched (a short code names the reason)
    └── WriterError       a language model did not write a usable brief (a short code names why)

The library raises these and never prints or exits; cli.py turns them into messages and exit codes.
"""

from __future__ import annotations

from datetime import timedelta


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


class FetchError(NewsweaveError):
    """A feed or page cannot be fetched or read; code is a short, stable name for the reason."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        status: int | None = None,
        retry_after: timedelta | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.status = status  # the HTTP status, for code "http_status"
        self.retry_after = retry_after  # how long the server asked us to wait, if it did

    def __str__(self) -> str:
        return f"{self.code}: {self.args[0]}"


class WriterError(NewsweaveError):
    """A language model endpoint gave no usable brief; code is a short, stable name for why.

    Codes: "unreachable", "timeout", "rate_limited", "http_status", "refusal", "malformed",
    "unsupported" (no written sentence survived verification). The brief falls back to the
    extractive writer and records the reason; the error never ends a run.
    """

    def __init__(self, code: str, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.status = status  # the HTTP status, when the endpoint answered with one

    def __str__(self) -> str:
        return f"{self.code}: {self.args[0]}"

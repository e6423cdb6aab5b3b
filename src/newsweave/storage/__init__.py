"""Storage: the library's database (SQLite or PostgreSQL), its migrations, queries and jobs.

The modules, lowest first: `database` (the two drivers behind one adapter, and the registry of
backends), `migrations` (the schema), `base` (the connection, transactions, migrating), one
module of queries per kind of record (`reports`, `briefs`, `stories`, `sources`, `filing`,
`written`), `store` (the `Store` they make up), then `jobs` (the workers' queue) and
`transfer` (export and import).

The names below are importable from here (`from newsweave.storage import Store`); each is
loaded from its module when first asked for, so importing this package does no work.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from newsweave.storage.briefs import StoredBrief
    from newsweave.storage.filing import MAX_FILING_ATTEMPTS
    from newsweave.storage.migrations import DERIVED_TABLES, EXPORT_TABLES, MIGRATIONS
    from newsweave.storage.reports import AddResult
    from newsweave.storage.sources import SourceRow
    from newsweave.storage.store import Store
    from newsweave.storage.stories import ACTIVITY_ORDER, Assigned, StoryRow

# Each name, and the module that defines it.
_HOMES = {
    "ACTIVITY_ORDER": "stories",
    "AddResult": "reports",
    "Assigned": "stories",
    "DERIVED_TABLES": "migrations",
    "EXPORT_TABLES": "migrations",
    "MAX_FILING_ATTEMPTS": "filing",
    "MIGRATIONS": "migrations",
    "SourceRow": "sources",
    "Store": "store",
    "StoredBrief": "briefs",
    "StoryRow": "stories",
}

__all__ = [
    "ACTIVITY_ORDER",
    "DERIVED_TABLES",
    "EXPORT_TABLES",
    "MAX_FILING_ATTEMPTS",
    "MIGRATIONS",
    "AddResult",
    "Assigned",
    "SourceRow",
    "Store",
    "StoredBrief",
    "StoryRow",
]


def __getattr__(name: str) -> Any:
    """A name of __all__, imported from its module on first use (PEP 562)."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The package's names, those not loaded yet included."""
    return sorted({*globals(), *__all__})

"""What lets psycopg run the store's SQL as sqlite3 does: placeholders, rows by name and position.

The store writes each query once, with sqlite3's `?` placeholders, and reads rows by column
name or by position; newsweave.storage.database's PostgreSQL connections use these.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

# -- rows -------------------------------------------------------------------------------


class Row(Sequence[Any]):
    """A PostgreSQL row that, like sqlite3.Row, answers to a column name or a position."""

    __slots__ = ("_index", "_values")

    def __init__(self, values: Sequence[Any], index: dict[str, int]) -> None:
        """Wrap a row's values; index maps each column name to its first position."""
        self._values = tuple(values)
        self._index = index

    def __getitem__(self, key: Any) -> Any:  # type: ignore[override]
        """A value by column name or position (slices too)."""
        if isinstance(key, str):
            try:
                return self._values[self._index[key]]
            except KeyError:
                raise IndexError(f"no column named {key!r}") from None
        return self._values[key]

    def __len__(self) -> int:
        return len(self._values)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._values)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Row):
            return self._values == other._values and self._index == other._index
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._values)

    def __repr__(self) -> str:
        return f"Row({dict(zip(self.keys(), self._values, strict=False))!r})"

    def keys(self) -> list[str]:
        """The column names, in order."""
        return sorted(self._index, key=self._index.__getitem__)


def row_factory(cursor: Any) -> Callable[[Sequence[Any]], Row]:
    """psycopg's row factory making Row objects (one name index per result)."""
    index: dict[str, int] = {}
    for position, column in enumerate(cursor.description or ()):
        index.setdefault(column.name, position)
    return lambda values: Row(values, index)


class Rows:
    """Rows already fetched, behaving like a cursor (the pooled reader hands its back)."""

    def __init__(self, rows: list[Any], rowcount: int) -> None:
        """Keep the rows."""
        self._rows = rows
        self._next = 0
        self.rowcount = rowcount

    def fetchone(self) -> Any:
        """The next row, or None."""
        if self._next >= len(self._rows):
            return None
        self._next += 1
        return self._rows[self._next - 1]

    def fetchall(self) -> list[Any]:
        """The rows not fetched yet."""
        rest, self._next = self._rows[self._next :], len(self._rows)
        return rest

    def __iter__(self) -> Iterator[Any]:
        return iter(self.fetchall())


# -- placeholders -----------------------------------------------------------------------


def to_psycopg(sql: str) -> str:
    """SQL with `?` placeholders as psycopg's `%s`; literal `%` doubled, quoted text untouched."""
    out: list[str] = []
    quote_char: str | None = None
    for char in sql:
        if quote_char is not None:
            if char == quote_char:
                quote_char = None
            out.append("%%" if char == "%" else char)
        elif char in ("'", '"'):
            quote_char = char
            out.append(char)
        elif char == "?":
            out.append("%s")
        elif char == "%":
            out.append("%%")
        else:
            out.append(char)
    return "".join(out)

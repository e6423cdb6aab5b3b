"""`newsweave export` and `import`: a whole library as JSON lines, on either backend.

The format (docs/store.md, "Export format"), one JSON object per line, UTF-8:

1. a header: {"format": "newsweave-library", "version": 1, "migrations": [...],
   "tables": [...]}: the migrations applied to the library and the tables that follow;
2. one line per row, table by table in migrations.EXPORT_TABLES order, rows in a fixed order:
   {"table": "reports", "row": {"column": value, ...}} (columns sorted by name);
3. an end line: {"end": {"reports": 5, ...}}: the rows of each table, so a cut-off file is
   refused rather than half imported.

Exporting the same library twice, or a library imported from an export, writes the same bytes,
whichever backend it is on.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, TextIO

from newsweave.errors import StoreError
from newsweave.storage.database import POSTGRESQL, Database
from newsweave.storage.migrations import DERIVED_TABLES, EXPORT_TABLES, MIGRATIONS
from newsweave.storage.store import Store

FORMAT = "newsweave-library"
FORMAT_VERSION = 1
# Rows inserted per statement batch while importing.
_BATCH = 500


@dataclass(frozen=True)
class Transfer:
    """What an export wrote or an import read: the migrations and the rows of each table."""

    migrations: tuple[str, ...]
    rows: dict[str, int]


def _order(conn: Database, order: str) -> str:
    """An EXPORT_TABLES order clause for this backend."""
    return order.replace("{C}", ' COLLATE "C"' if conn.dialect == POSTGRESQL else "")


def _columns(conn: Database, table: str) -> list[str]:
    """The table's columns, sorted, without PostgreSQL's stand-in rowid (docs/store.md)."""
    cursor: Any = conn.execute(f"SELECT * FROM {table} LIMIT 0")
    names = [column[0] for column in cursor.description]
    return sorted(n for n in names if not (conn.dialect == POSTGRESQL and n == "rowid"))


def _line(data: dict[str, Any]) -> str:
    """One line of the format."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n"


def export_library(store: Store, out: TextIO) -> Transfer:
    """Write the whole library to out, read in one snapshot; return what was written."""
    conn = store._conn
    counts: dict[str, int] = {}
    with store._reading():
        conn.begin_snapshot()
        try:
            migrations = store._applied()
            out.write(
                _line(
                    {
                        "format": FORMAT,
                        "version": FORMAT_VERSION,
                        "migrations": migrations,
                        "tables": [table for table, _ in EXPORT_TABLES],
                    }
                )
            )
            for table, order in EXPORT_TABLES:
                columns = _columns(conn, table)
                listed = ", ".join(columns)
                sql = f"SELECT {listed} FROM {table} ORDER BY {_order(conn, order)}"
                count = 0
                for row in conn.stream(sql):
                    values = dict(zip(columns, row, strict=True))
                    for column, value in values.items():
                        if not (value is None or isinstance(value, str | int | float)):
                            raise StoreError(
                                f"cannot export {table}.{column}: a {type(value).__name__} "
                                "value, not text or a number"
                            )
                    out.write(_line({"table": table, "row": values}))
                    count += 1
                counts[table] = count
            out.write(_line({"end": counts}))
        finally:
            conn.rollback()
    return Transfer(tuple(migrations), counts)


def _header(line: str | None, source: str, store: Store) -> list[str]:
    """The migrations a header names, checked against this newsweave and this library."""
    if line is None:
        raise StoreError(f"{source} is empty: not a newsweave export")
    try:
        header = json.loads(line)
    except ValueError as exc:
        raise StoreError(f"{source} line 1 is not JSON ({exc}): not a newsweave export") from exc
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise StoreError(f"{source} is not a newsweave export (line 1 names no {FORMAT!r})")
    version = header.get("version")
    if version != FORMAT_VERSION:
        raise StoreError(
            f"{source} is export format version {version!r}; this newsweave reads version "
            f"{FORMAT_VERSION}: use the newsweave that wrote it, or a newer one"
        )
    migrations = header.get("migrations")
    if not isinstance(migrations, list) or not all(isinstance(m, str) for m in migrations):
        raise StoreError(f"{source} line 1: 'migrations' is not a list of names")
    known = [name for name, _ in MIGRATIONS]
    unknown = [m for m in migrations if m not in known]
    if unknown:
        raise StoreError(
            f"{source} was exported by a newer newsweave (migration {unknown[0]!r} unknown): "
            "upgrade newsweave to import it"
        )
    missing = [m for m in store._applied() if m not in migrations]
    if missing:
        raise StoreError(
            f"{source} was exported before migration {missing[0]!r}: open that library with "
            "this newsweave (`newsweave migrate`), export it again and import that"
        )
    return migrations


def _check_empty(store: Store) -> None:
    """Refuse a library that holds anything: an import never merges."""
    held = []
    for table, _ in EXPORT_TABLES:
        count = store._conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        if count:
            held.append(f"{count} {table}")
    if held:
        raise StoreError(
            f"database {store.where} is not empty ({', '.join(held)}): import only into a new "
            "library (a new SQLite path, or an empty PostgreSQL database)"
        )


def _advance_identities(conn: Database) -> None:
    """On PostgreSQL, move each identity past the ids imported, so new rows get new ids."""
    if conn.dialect != POSTGRESQL:
        return  # SQLite numbers an INTEGER PRIMARY KEY from the largest one present
    for table, _ in EXPORT_TABLES:
        rows = conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema ="
            " current_schema() AND table_name = ? AND is_identity = 'YES'"
            " AND column_name <> 'rowid'",
            (table,),
        ).fetchall()
        for (column,) in rows:
            conn.execute(
                f"SELECT setval(pg_get_serial_sequence(?, ?), max({column})) FROM {table}"
                f" HAVING max({column}) IS NOT NULL",
                (table, column),
            )


def import_library(store: Store, lines: Iterable[str], source: str) -> Transfer:
    """Load an export into an empty library, all in one transaction; return what was read."""
    numbered: Iterator[tuple[int, str]] = enumerate(lines, start=1)
    first = next(numbered, None)
    with store._reading():
        migrations = _header(None if first is None else first[1], source, store)
    tables = [table for table, _ in EXPORT_TABLES]
    counts = dict.fromkeys(tables, 0)
    with store._transaction(f"import {source}") as conn:
        _check_empty(store)
        columns = {table: _columns(conn, table) for table in tables}
        position = 0  # tables come in EXPORT_TABLES order, parents first
        batch: list[tuple[Any, ...]] = []
        ended: dict[str, Any] | None = None

        def flush() -> None:
            if batch:
                table = tables[position]
                marks = ", ".join("?" * len(columns[table]))
                conn.executemany(
                    f"INSERT INTO {table} ({', '.join(columns[table])}) VALUES ({marks})", batch
                )
                batch.clear()

        for number, line in numbered:
            where = f"{source} line {number}"
            if ended is not None:
                if line.strip():
                    raise StoreError(f"{where}: more lines after the end line")
                continue
            try:
                item = json.loads(line)
            except ValueError as exc:
                raise StoreError(f"{where} is not JSON: {exc}") from exc
            if isinstance(item, dict) and isinstance(item.get("end"), dict):
                ended = item["end"]
                continue
            if not (isinstance(item, dict) and isinstance(item.get("row"), dict)):
                raise StoreError(f"{where}: neither a row nor the end line")
            table, row = item.get("table"), item["row"]
            if table not in counts:
                raise StoreError(f"{where}: unknown table {table!r}")
            index = tables.index(table)
            if index < position:
                raise StoreError(f"{where}: {table} rows after {tables[position]} rows")
            if index != position:
                flush()
                position = index
            if sorted(row) != columns[table]:
                raise StoreError(
                    f"{where}: {table} columns {sorted(row)} are not this library's "
                    f"{columns[table]}"
                )
            batch.append(tuple(row[c] for c in columns[table]))
            counts[table] += 1
            if len(batch) >= _BATCH:
                flush()
        flush()
        if ended is None:
            raise StoreError(f"{source} has no end line: the file is cut short; nothing imported")
        expected = {t: ended.get(t, 0) for t in tables}
        if expected != counts:
            wrong = next(t for t in tables if expected[t] != counts[t])
            raise StoreError(
                f"{source}: the end line counts {expected[wrong]} {wrong} rows, the file holds "
                f"{counts[wrong]}; nothing imported"
            )
        _advance_identities(conn)
    return Transfer(tuple(migrations), counts)


def migrate(target: str) -> tuple[str, tuple[str, ...], list[str]]:
    """Open (creating or upgrading) a library: where it is, what was applied now, and all."""
    with Store.open(target) as store:
        return store.where, store.applied_now, store.migrations_applied()


def unexported_tables(store: Store) -> list[str]:
    """Tables of the database neither exported nor derived (a test keeps this empty)."""
    if store.backend == POSTGRESQL:
        sql = "SELECT table_name FROM information_schema.tables WHERE table_schema ="
        sql += " current_schema()"
    else:
        sql = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    with store._reading() as conn:
        names = {row[0] for row in conn.execute(sql)}
    listed = {table for table, _ in EXPORT_TABLES} | set(DERIVED_TABLES)
    return sorted(names - listed)

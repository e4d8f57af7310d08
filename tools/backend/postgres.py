"""The store (and the audit log) on Postgres, for several instances sharing one truth.

The operations, records and the gateway's audit log are written against sqlite3's interface: `?`
parameters, rows read by name or position, `cursor.lastrowid`. Instead of a second copy of every
query, this module gives them a connection with that interface over psycopg and translates the few
SQLite-only statements they use. The schema is derived from `schema.sql` (so a column added there
exists here too), and a store is filled by copying a freshly built SQLite store table by table.

Writes take one transaction-scoped advisory lock for the store: like SQLite's BEGIN IMMEDIATE, a
write's check-then-act (and its idempotency key check) runs alone, on whichever instance.
"""

from __future__ import annotations

import re
import sqlite3
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from importlib.resources import files
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql as pgsql
from psycopg.rows import tuple_row
from psycopg_pool import ConnectionPool, PoolTimeout

from .errors import BackendError

# Any fixed 64-bit numbers; they only need to differ from each other and from conversation locks.
STORE_WRITE_LOCK = 0x70726F63_616C6C01  # one write at a time per store ("procall" + 1)
SETUP_LOCK = 0x70726F63_616C6C02         # one process creating tables at a time

# Tables whose key SQLite hands out (`cursor.lastrowid`): Postgres returns it with RETURNING.
_SERIAL_KEYS = {"handoffs": "handoff_id"}


class StoreUnavailable(BackendError):
    """The database did not answer or the store's write lock was not free in time: worth a retry."""

    code = "unavailable"


# -- rows and cursors like sqlite3's -----------------------------------------------------------


class Row:
    """Read by column name or position, `dict(row)` works: what sqlite3.Row offers the records code."""

    __slots__ = ("_values", "_index")

    def __init__(self, values: Sequence[Any], index: dict[str, int]):
        self._values, self._index = tuple(values), index

    def __getitem__(self, key: int | str) -> Any:
        return self._values[key] if isinstance(key, int) else self._values[self._index[key]]

    def keys(self) -> list[str]:
        return list(self._index)

    def __iter__(self):
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"Row({dict(zip(self._index, self._values, strict=True))})"


class Result:
    """A statement's rows, read completely (the connection goes back to the pool at once)."""

    def __init__(self, rows: list[Row], rowcount: int, lastrowid: int | None = None):
        self._rows, self.rowcount, self.lastrowid = rows, rowcount, lastrowid
        self._next = 0

    def fetchone(self) -> Row | None:
        if self._next >= len(self._rows):
            return None
        self._next += 1
        return self._rows[self._next - 1]

    def fetchall(self) -> list[Row]:
        rest, self._next = self._rows[self._next:], len(self._rows)
        return rest

    def __iter__(self):
        return iter(self.fetchall())


# -- statements --------------------------------------------------------------------------------

_PRAGMA_TABLE_INFO = re.compile(r"^\s*PRAGMA\s+table_info\((\w+)\)\s*;?\s*$", re.I)
_INSERT_OR_IGNORE = re.compile(r"^\s*INSERT\s+OR\s+IGNORE\s+INTO\b", re.I)
_INSERT_INTO = re.compile(r"^\s*INSERT\s+INTO\s+(\w+)", re.I)


def _placeholders(statement: str) -> str:
    """`?` -> `%s` and a literal `%` -> `%%`, outside quoted strings."""
    out, quote = [], None
    for ch in statement:
        if quote:
            out.append("%%" if ch == "%" else ch)
            if ch == quote:
                quote = None
        elif ch in ("'", '"'):
            quote = ch
            out.append(ch)
        elif ch == "?":
            out.append("%s")
        elif ch == "%":
            out.append("%%")
        else:
            out.append(ch)
    return "".join(out)


def translate(statement: str) -> tuple[str | None, str | None]:
    """The Postgres form of a statement the store or audit code sends, and the column whose value is
    the new row's id (for `lastrowid`). None: a statement with no meaning here (other PRAGMAs)."""
    stripped = statement.strip()
    match = _PRAGMA_TABLE_INFO.match(stripped)
    if match:
        return ("SELECT column_name AS name FROM information_schema.columns WHERE table_schema = current_schema()"
                f" AND table_name = '{match.group(1).lower()}' ORDER BY ordinal_position"), None
    if re.match(r"^PRAGMA\b", stripped, re.I):
        return None, None
    if re.match(r"^BEGIN\s+IMMEDIATE\b", stripped, re.I):
        return "BEGIN", None
    returning = None
    if _INSERT_OR_IGNORE.match(stripped):
        stripped = _INSERT_OR_IGNORE.sub("INSERT INTO", stripped).rstrip(";") + " ON CONFLICT DO NOTHING"
    elif re.match(r"^\s*INSERT\s+OR\s+REPLACE\b", stripped, re.I):
        raise NotImplementedError("INSERT OR REPLACE has no direct Postgres form; write ON CONFLICT instead")
    match = _INSERT_INTO.match(stripped)
    if match and match.group(1).lower() in _SERIAL_KEYS:
        returning = _SERIAL_KEYS[match.group(1).lower()]
        stripped = f"{stripped.rstrip(';')} RETURNING {returning}"
    return _placeholders(stripped), returning


def _rows(cursor: psycopg.Cursor) -> list[Row]:
    if cursor.description is None:
        return []
    index = {column.name: i for i, column in enumerate(cursor.description)}
    return [Row(values, index) for values in cursor.fetchall()]


class SqliteLikeConnection:
    """One psycopg connection with the part of sqlite3.Connection's interface the store code uses."""

    def __init__(self, conn: psycopg.Connection):
        self.raw = conn

    def execute(self, statement: str, params: Sequence[Any] | dict = ()) -> Result:
        translated, returning = translate(statement)
        if translated is None:
            return Result([], -1)
        try:
            with self.raw.cursor(row_factory=tuple_row) as cursor:  # whatever rows the pool's users want
                cursor.execute(translated, tuple(params) if not isinstance(params, dict) else params)
                rows = _rows(cursor)
                lastrowid = rows[0][0] if returning and rows else None
                return Result([] if returning else rows, cursor.rowcount, lastrowid)
        except psycopg.OperationalError as exc:
            raise StoreUnavailable(f"the database is unavailable ({type(exc).__name__})") from exc

    def executemany(self, statement: str, seq: Sequence[Sequence[Any]]) -> Result:
        count = 0
        for params in seq:
            count += max(self.execute(statement, params).rowcount, 0)
        return Result([], count)

    def executescript(self, script: str) -> None:
        for statement in split_script(script):
            self.execute(statement)

    def close(self) -> None:
        self.raw.close()


class PooledConnection:
    """What `Database.connection` is for reads: every statement on a pooled connection in autocommit
    (as SQLite's autocommit reads: each statement sees the latest committed state)."""

    def __init__(self, pool: ConnectionPool):
        self._pool = pool

    def execute(self, statement: str, params: Sequence[Any] | dict = ()) -> Result:
        try:
            with self._pool.connection() as conn:
                return SqliteLikeConnection(conn).execute(statement, params)
        except psycopg.OperationalError as exc:
            raise StoreUnavailable(f"the database is unavailable ({type(exc).__name__})") from exc
        except PoolTimeout as exc:
            raise StoreUnavailable("no database connection was free in time") from exc

    def executemany(self, statement: str, seq: Sequence[Sequence[Any]]) -> Result:
        with self._pool.connection() as conn:
            return SqliteLikeConnection(conn).executemany(statement, seq)

    def commit(self) -> None:
        """Every statement commits on its own (autocommit): nothing is pending."""


def split_script(script: str) -> list[str]:
    without_comments = "\n".join(line.split("--", 1)[0] for line in script.splitlines())
    return [s.strip() for s in without_comments.split(";") if s.strip()]


# -- the schema --------------------------------------------------------------------------------


def postgres_schema(sqlite_schema: str) -> list[str]:
    """The store's SQLite schema as Postgres statements: REAL is float8 (SQLite's REAL is 8 bytes), an
    AUTOINCREMENT key a bigserial, the timestamp default Postgres's own, and users keep their load order
    in a `rowid` column (SQLite's implicit rowid, which the records code orders by)."""
    statements = []
    for statement in split_script(sqlite_schema):
        s = re.sub(r"\bINTEGER\s+PRIMARY\s+KEY\s+AUTOINCREMENT\b", "BIGSERIAL PRIMARY KEY", statement, flags=re.I)
        s = re.sub(r"\bREAL\b", "DOUBLE PRECISION", s)
        s = re.sub(r"DEFAULT\s*\(strftime\([^)]*\)\)",
                   "DEFAULT (to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'))",
                   s, flags=re.I)
        if re.match(r"CREATE TABLE IF NOT EXISTS users\s*\(", s, re.I):
            s = re.sub(r"\(", "(\n    rowid BIGSERIAL UNIQUE,", s, count=1)
        statements.append(s)
    return statements


def _schema_name(store_name: str) -> str:
    return "store_" + re.sub(r"[^a-z0-9_]", "_", store_name.lower())[:50]


# -- the database ------------------------------------------------------------------------------


class PostgresDatabase:
    """The store's tables in one Postgres schema, behind the interface of `database.Database`."""

    def __init__(self, url: str, store_name: str = "demo", pool_size: int = 12, lock_wait_s: float = 30.0):
        self.url, self.schema = url, _schema_name(store_name)
        self.default_lock_wait_s = lock_wait_s
        self.pool = ConnectionPool(url, min_size=1, max_size=pool_size, open=True, name=f"procall-{self.schema}",
                                   kwargs={"autocommit": True, "options": f"-c search_path={self.schema}"})
        self.connection = PooledConnection(self.pool)

    def exists(self) -> bool:
        rows = self.query("SELECT 1 FROM information_schema.tables WHERE table_schema = ? AND table_name = 'meta'",
                          (self.schema,))
        return bool(rows) and bool(self.query("SELECT 1 FROM meta WHERE key = 'ready'"))

    def create_schema(self) -> None:
        schema = files("procall.tools.backend").joinpath("schema.sql").read_text()
        with self.pool.connection() as conn:
            conn.execute(pgsql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(pgsql.Identifier(self.schema)))
            for statement in postgres_schema(schema):
                conn.execute(statement)

    @contextmanager
    def transaction(self, lock_wait_s: float | None = None) -> Iterator[SqliteLikeConnection]:
        """A write transaction holding the store's write lock (waiting at most `lock_wait_s` for it)."""
        wait = self.default_lock_wait_s if lock_wait_s is None else lock_wait_s
        try:
            with self.pool.connection(timeout=max(wait, 0.001)) as conn, conn.transaction():
                conn.execute("SELECT set_config('lock_timeout', %s, true)", (f"{max(1, int(wait * 1000))}ms",))
                try:
                    conn.execute("SELECT pg_advisory_xact_lock(%s)", (STORE_WRITE_LOCK,))
                except psycopg.errors.LockNotAvailable as exc:
                    raise StoreUnavailable("the store is busy with other writes; nothing was changed") from exc
                yield SqliteLikeConnection(conn)
        except psycopg.OperationalError as exc:
            raise StoreUnavailable(f"the database is unavailable ({type(exc).__name__})") from exc
        except PoolTimeout as exc:
            raise StoreUnavailable("no database connection was free in time; nothing was changed") from exc

    def query(self, statement: str, params: Sequence[Any] | dict = ()) -> list[Row]:
        return self.connection.execute(statement, params).fetchall()

    def fill_from(self, source: str | Path) -> None:
        """Copy every table of a SQLite store into this (empty) one, in one transaction."""
        src = sqlite3.connect(source)
        try:
            tables = [r[0] for r in src.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT "
                                                "LIKE 'sqlite_%' ORDER BY rowid")]
            with self.transaction() as conn:
                for table in tables:
                    cursor = src.execute(f"SELECT * FROM {table} ORDER BY rowid")  # noqa: S608 - names from the file
                    columns = [d[0] for d in cursor.description]
                    insert = pgsql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
                        pgsql.Identifier(table), pgsql.SQL(", ").join(map(pgsql.Identifier, columns)),
                        pgsql.SQL(", ").join(pgsql.Placeholder() * len(columns)))
                    with conn.raw.cursor() as pg:
                        pg.executemany(insert, cursor.fetchall())
                for table, key in _SERIAL_KEYS.items():
                    conn.raw.execute(pgsql.SQL("SELECT setval(pg_get_serial_sequence({}, {}), "
                                               "coalesce((SELECT max({}) FROM {}), 0) + 1, false)").format(
                        pgsql.Literal(f"{self.schema}.{table}"), pgsql.Literal(key), pgsql.Identifier(key),
                        pgsql.Identifier(table)))
                conn.raw.execute("INSERT INTO meta (key, value) VALUES ('ready', 'yes')")
        finally:
            src.close()

    def close(self) -> None:
        self.pool.close()


@contextmanager
def setup_lock(url: str) -> Iterator[None]:
    """One process at a time creates tables (instances starting together would race)."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (SETUP_LOCK,))
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (SETUP_LOCK,))


def open_postgres_database(url: str, store_name: str, data: str | Path | None, pool_size: int) -> PostgresDatabase:
    """The store `store_name` in the database at `url`, created (from `data`, or the demo data) if missing."""
    from .stores import create_store

    db = PostgresDatabase(url, store_name, pool_size)
    if db.exists():
        return db
    with setup_lock(url):
        if not db.exists():
            with tempfile.TemporaryDirectory(prefix="procall-store-") as folder:
                built = Path(folder) / "store.db"
                create_store(built, data).close()
                with db.pool.connection() as conn:  # what a load that died half-way left behind
                    conn.execute(pgsql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(pgsql.Identifier(db.schema)))
                db.create_schema()
                db.fill_from(built)
    return db

"""The catalog in PostgreSQL (`--catalog postgresql://…` or ASSISTANT_CATALOG): the same methods
and SQL as the SQLite catalog, for a catalog many processes and machines write and read.

What differs is only what the database does better: a writer locks the documents it writes
(`pg_advisory_xact_lock`), not the whole catalog, so writers of different documents run side by
side and meet only on the generation row, which is updated last; a reader's snapshot is a
REPEATABLE READ READ ONLY transaction, which a streaming replica serves as well."""

from __future__ import annotations

import re

import psycopg

from assistant.store.catalog import SCHEMA, Catalog

# PostgreSQL types for the shared schema; the insertion order SQLite keeps as rowid is a column here.
# Each chunk's vector (float32 bytes) goes with it, so vector shards are refilled without embedding.
PG_SCHEMA = (SCHEMA.replace("INTEGER NOT NULL", "BIGINT NOT NULL").replace("ingested_at REAL", "ingested_at DOUBLE PRECISION")
             .replace("tokens TEXT NOT NULL\n", "tokens TEXT NOT NULL, seq BIGSERIAL\n")
             + "CREATE TABLE IF NOT EXISTS vectors (chunk_id TEXT PRIMARY KEY REFERENCES chunks(chunk_id) ON DELETE CASCADE, "
               "vector BYTEA NOT NULL);\n")


def redact(url: str) -> str:
    """The URL without its password, for messages."""
    return re.sub(r"://([^:/@]+):[^@]*@", r"://\1:***@", url)


class PgCatalog(Catalog):
    kind = "postgresql"
    stores_vectors = True
    errors = (psycopg.OperationalError,)  # the database out of reach; a refused statement is a bug
    _ORDER = "seq"
    _CONTAINS = "strpos(text, ?) > 0"

    def __init__(self, url: str, connect_timeout: int = 10):
        self.url = url
        self._timeout = connect_timeout
        self._setup()
        ready, replica = self.db.execute(
            "SELECT to_regclass('vectors') IS NOT NULL AND to_regclass('changes') IS NOT NULL, pg_is_in_recovery()").fetchone()
        if ready or replica:  # made already (CREATE INDEX IF NOT EXISTS would still lock), or a read-only replica
            return
        with self.db.transaction():
            # Two processes creating the schema at once would race on the catalog tables.
            self.db.execute("SELECT pg_advisory_xact_lock(7301)")
            for statement in filter(str.strip, PG_SCHEMA.split(";")):
                self.db.execute(statement)

    @property
    def where(self) -> str:
        return redact(self.url)

    def _connect(self):
        return psycopg.connect(self.url, autocommit=True, connect_timeout=self._timeout)

    def _alive(self, conn) -> bool:
        # A database that restarted leaves this thread's connection broken: the next use reconnects.
        return not (conn.closed or conn.broken)

    def _in_transaction(self) -> bool:
        return self.db.info.transaction_status != psycopg.pq.TransactionStatus.IDLE

    def _x(self, sql: str, params=()):
        return self.db.execute(sql.replace("?", "%s"), params)

    def _xmany(self, sql: str, rows: list) -> None:
        with self.db.cursor() as cur:
            cur.executemany(sql.replace("?", "%s"), rows)

    def _begin_read(self, cur) -> None:
        cur.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")

    def _begin_write(self, cur, doc_ids: list[str]) -> None:
        # READ COMMITTED whatever the server's default: writers queue on the generation row
        # rather than fail with serialization errors.
        cur.execute("BEGIN ISOLATION LEVEL READ COMMITTED")
        for doc_id in doc_ids:  # sorted by the caller: two writers never wait on each other in a circle
            cur.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (doc_id,))

    def replication(self) -> list[tuple[str, str, float | None]]:
        """(replica address, state, replay lag in seconds) of each streaming replica."""
        rows = self._x("SELECT coalesce(client_addr::text, 'local'), state, extract(epoch FROM replay_lag) "
                       "FROM pg_stat_replication").fetchall()
        return [(a, st, float(lag) if lag is not None else None) for a, st, lag in rows]

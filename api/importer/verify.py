"""`campus import verify`: does the database hold what the source says it should?

Per collection and table:
- source documents, rejected ones (refused by the mapping now, or listed in the quarantine file),
  expected = source - rejected, rows in the table, expected ids missing from it, rows beyond them;
- a checksum over ids on both sides — md5 of the sorted uuids joined by "," — computed from the
  source in Python and with md5(string_agg(id::text, ',' order by …)) in SQL, so equal means the
  same set of rows (and the table holds nothing else);
- orphan references: uuid columns pointing into a mapped collection whose row does not exist;
- N sampled documents converted again and compared with their rows column by column.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

import psycopg
from psycopg import sql

from api.importer.catalog import TableFacts
from api.importer.ids import BadKey, legacy_key
from api.importer.mapping import CollectionMapping, Mapping, Target
from api.importer.parallel import DECODE_ERRORS
from api.importer.quarantine import quarantined_keys
from api.importer.sources import SourceFile, decode, iter_raw
from api.importer.transform import Transformer
from api.importer.values import RejectReason


@dataclass
class TableCheck:
    collection: str
    table: str
    role: str  # "main" or "child (array)"
    source: int = 0  # documents (main) or rows the documents give (child)
    rejected: int = 0
    expected: int = 0
    target: int = 0  # rows in the table
    missing: int = 0  # expected rows not in the table
    extra: int = 0  # rows in the table the source does not explain
    checksum_source: str | None = None
    checksum_target: str | None = None
    orphans: dict[str, int] = field(default_factory=dict)
    orphan_examples: dict[str, list[str]] = field(default_factory=dict)
    sampled: int = 0
    mismatches: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        checksum_ok = self.checksum_source == self.checksum_target
        return self.missing == 0 and checksum_ok and not any(self.orphans.values()) and not self.mismatches


@dataclass
class VerifyReport:
    tables: list[TableCheck] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.tables)

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "tables": [{**asdict(check), "ok": check.ok} for check in self.tables]}


def _md5(keys: Sequence[str]) -> str:
    return hashlib.md5(",".join(sorted(keys)).encode()).hexdigest()


class Verifier:
    def __init__(
        self,
        conn: psycopg.Connection,
        mapping: Mapping,
        facts: dict[str, TableFacts],
        quarantine: str | None = None,
        sample: int = 20,
        seed: int | None = None,
    ) -> None:
        self.conn = conn
        self.mapping = mapping
        self.facts = facts
        self.quarantined = quarantined_keys(quarantine)
        self.sample = sample
        self.random = random.Random(seed)

    def run(self, sources: Sequence[SourceFile]) -> VerifyReport:
        report = VerifyReport()
        for name in self.mapping.order:
            files = [source for source in sources if source.collection == name]
            if files:
                report.tables.extend(self._collection(self.mapping[name], files))
        return report

    def _collection(self, collection: CollectionMapping, files: list[SourceFile]) -> list[TableCheck]:
        transformer = Transformer(collection, self.facts)
        checks = [
            TableCheck(collection.name, target.qualified, "main" if index == 0 else f"child ({target.array})")
            for index, target in enumerate(collection.targets)
        ]
        keys: list[list[str]] = [[] for _ in collection.targets]
        quarantined = self.quarantined.get(collection.name, set())
        samples: list[tuple[Any, list[list[tuple[Any, ...]]]]] = []
        seen = 0
        for source in files:
            for _, _, payload in iter_raw(source):
                checks[0].source += 1
                try:
                    document = decode(source.format, payload)
                    rows = transformer.rows(document)
                    if _legacy(document, collection.key_path) in quarantined:
                        raise RejectReason("quarantined")
                except (RejectReason, *DECODE_ERRORS):
                    checks[0].rejected += 1
                    continue
                for index, target_rows in enumerate(rows):
                    keys[index].extend(_key_text(row, collection.targets[index]) for row in target_rows)
                seen += 1  # reservoir sampling: every accepted document equally likely
                identifier = _legacy(document, collection.key_path)
                if len(samples) < self.sample:
                    samples.append((identifier, rows))
                elif (slot := self.random.randrange(seen)) < self.sample:
                    samples[slot] = (identifier, rows)
        for index, (check, target) in enumerate(zip(checks, collection.targets, strict=True)):
            if index:
                check.source = len(keys[index])
            check.expected = len(set(keys[index]))
            self._compare_ids(check, target, keys[index])
            self._orphans(check, target)
            self._samples(check, target, [(identifier, rows[index]) for identifier, rows in samples])
        return checks

    # -- ids -------------------------------------------------------------------------------------
    def _key_sql(self, target: Target) -> sql.Composable:
        """The key as one text value: the id itself, or the key columns joined by '|'."""
        if len(target.key) == 1:
            return sql.SQL("{}::text").format(sql.Identifier(target.key[0]))
        return sql.SQL("concat_ws('|', {})").format(
            sql.SQL(", ").join(sql.SQL("{}::text").format(sql.Identifier(n)) for n in target.key)
        )

    def _compare_ids(self, check: TableCheck, target: Target, keys: list[str]) -> None:
        table = sql.Identifier(target.schema, target.table)
        key = self._key_sql(target)
        unique = sorted(set(keys))
        check.checksum_source = _md5(unique)
        with self.conn.transaction(force_rollback=True), self.conn.cursor() as cursor:
            cursor.execute("create temp table _verify_keys (k text primary key) on commit drop")
            with cursor.copy("copy _verify_keys (k) from stdin") as copy:
                for value in unique:
                    copy.write_row((value,))
            statement = sql.SQL(
                "select count(*), count(v.k), "
                "md5(coalesce(string_agg(t.k, ',' order by t.k collate \"C\"), '')) "
                "from (select {key} as k from {table}) t left join _verify_keys v on v.k = t.k"
            ).format(key=key, table=table)
            total, present, checksum = cursor.execute(statement).fetchone() or (0, 0, None)
        check.target, check.checksum_target = total, checksum
        check.missing = len(unique) - present
        check.extra = total - present

    # -- references ------------------------------------------------------------------------------
    def _orphans(self, check: TableCheck, target: Target) -> None:
        for column in target.columns:
            if column.type not in ("ref", "ref[]") or column.collection not in self.mapping.collections:
                continue
            parent = self.mapping[column.collection].main
            values = (
                sql.SQL("unnest(t.{})").format(sql.Identifier(column.name))
                if column.type == "ref[]"
                else sql.SQL("t.{}").format(sql.Identifier(column.name))
            )
            statement = sql.SQL(
                "select count(*), (array_agg(v::text order by v))[1:5] "
                "from (select {values} as v from {table} t) r "
                "where v is not null and not exists (select 1 from {parent} p where p.{key} = r.v)"
            ).format(
                values=values,
                table=sql.Identifier(target.schema, target.table),
                parent=sql.Identifier(parent.schema, parent.table),
                key=sql.Identifier(parent.key[0]),
            )
            count, examples = self.conn.execute(statement).fetchone() or (0, None)
            check.orphans[column.name] = count
            if count:
                check.orphan_examples[column.name] = list(examples or [])

    # -- samples ---------------------------------------------------------------------------------
    def _samples(self, check: TableCheck, target: Target, samples: list[tuple[Any, list[tuple[Any, ...]]]]) -> None:
        names = target.column_names
        facts = self.facts[target.qualified]
        columns = sql.SQL(", ").join(map(sql.Identifier, names))
        where = sql.SQL(" and ").join(sql.SQL("{} = %s").format(sql.Identifier(n)) for n in target.key)
        query = sql.SQL("select {} from {} where {}").format(
            columns, sql.Identifier(target.schema, target.table), where
        )
        key_at = [names.index(n) for n in target.key]
        for identifier, rows in samples:
            for row in rows:
                check.sampled += 1
                found = self.conn.execute(query, [row[i] for i in key_at]).fetchone()
                label = f"{check.collection} {identifier}"
                if found is None:
                    check.mismatches.append(f"{label}: no row with key {[row[i] for i in key_at]}")
                    continue
                for column, expected, actual in zip(target.columns, row, found, strict=True):
                    name = column.name
                    if actual is None and column.missing == "null":
                        continue  # a dangling reference the import set to NULL on purpose
                    if not _same(expected, actual, facts.columns[name].type):
                        check.mismatches.append(f"{label} {name}: source={expected!r} table={actual!r}")


def _legacy(document: Any, key_path: str) -> str | None:
    for part in key_path.split("."):
        if not isinstance(document, dict):
            return None
        document = document.get(part)
    try:
        return legacy_key(document)
    except BadKey:
        return None


def _key_text(row: tuple[Any, ...], target: Target) -> str:
    names = target.column_names
    return "|".join(str(row[names.index(n)]) for n in target.key)


def _same(expected: Any, actual: Any, pg_type: str) -> bool:
    """Equal after the conversions PostgreSQL applies on the way in (and psycopg on the way out)."""
    if expected is None or actual is None:
        return expected is None and actual is None
    if pg_type in ("jsonb", "json"):
        return json.loads(expected) == actual if isinstance(expected, str) else expected == actual
    if isinstance(actual, dt.datetime) and isinstance(expected, dt.datetime):
        if actual.tzinfo is None:  # timestamp without time zone: the UTC wall time
            return expected.astimezone(dt.UTC).replace(tzinfo=None) == actual
        return expected == actual
    if isinstance(actual, float):
        return float(expected) == actual
    if isinstance(actual, Decimal | int) and isinstance(expected, Decimal | int) and not isinstance(expected, bool):
        return Decimal(expected) == Decimal(actual)
    if isinstance(actual, list) and isinstance(expected, list):
        return [str(a) for a in actual] == [str(e) for e in expected]
    return str(expected) == str(actual) if not isinstance(actual, bool) else expected == actual

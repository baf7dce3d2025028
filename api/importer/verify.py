"""`campus import verify`: does the database hold what the source says it should?

Per collection and table:
- source documents, rejected ones (refused by the mapping now, or listed in the quarantine file and
  absent from the table),
  expected = source - rejected, rows in the table, expected ids missing from it, rows beyond them;
- a checksum over ids on both sides — md5 of the sorted uuids joined by "," — computed from the
  source in Python and with md5(string_agg(id::text, ',' order by …)) in SQL, so equal means the
  same set of rows (and the table holds nothing else);
- orphan references: uuid columns pointing into a mapped collection whose row does not exist;
- dangling references: the source's references that point nowhere and that the import set to NULL
  or whose child row it left out, as the mapping asks (`missing = "null"` or `"skip"`) — reported,
  not a failure;
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
from api.importer.ids import BadKey, legacy_key, uuid_for
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
    dangling: dict[str, int] = field(default_factory=dict)  # source references nulled/skipped on purpose
    dangling_examples: dict[str, list[str]] = field(default_factory=dict)
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
        # A table several collections load into (assignments and courseassignments) is compared with
        # all of their rows: the ids each collection explains are gathered first, then compared.
        shared: dict[str, set[str]] = {}
        pending = []
        for name in self.mapping.order:
            files = [source for source in sources if source.collection == name]
            if files:
                checks, compare = self._collection(self.mapping[name], files, shared)
                report.tables.extend(checks)
                pending.append(compare)
        for compare in pending:
            compare()
        return report

    def _collection(
        self, collection: CollectionMapping, files: list[SourceFile], shared: dict[str, set[str]]
    ) -> tuple[list[TableCheck], Any]:
        transformer = Transformer(collection, self.facts)
        checks = [
            TableCheck(
                collection.name,
                target.qualified,
                "main" if index == 0 else f"child ({target.array or 'one per document'})",
            )
            for index, target in enumerate(collection.targets)
        ]
        keys: list[list[str]] = [[] for _ in collection.targets]
        # per target: (column, position) of references whose dangling values the import nulls or skips
        watched = [
            [(column, position) for position, column in enumerate(target.columns) if column.missing in ("null", "skip")]
            for target in collection.targets
        ]
        references: list[dict[str, dict[str, list[str]]]] = [{} for _ in collection.targets]
        quarantined = self._still_quarantined(collection)
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
                    for column, position in watched[index]:
                        seen_values = references[index].setdefault(column.name, {})
                        for row in target_rows:
                            if row[position] is not None:
                                seen_values.setdefault(str(row[position]), []).append(
                                    _key_text(row, collection.targets[index])
                                )
                seen += 1  # reservoir sampling: every accepted document equally likely
                identifier = _legacy(document, collection.key_path)
                if len(samples) < self.sample:
                    samples.append((identifier, rows))
                elif (slot := self.random.randrange(seen)) < self.sample:
                    samples[slot] = (identifier, rows)
        expected_keys: list[set[str]] = []
        skipped_keys: list[set[str]] = []
        for index, (check, target) in enumerate(zip(checks, collection.targets, strict=True)):
            if index:
                check.source = len(keys[index])
            dangling = self._dangling(check, target, references[index])
            skip = {column.name for column in target.columns if column.missing == "skip"}
            skipped = {key for name, by_key in dangling.items() if name in skip for key in by_key}
            expected = set(keys[index]) - skipped
            check.expected = len(expected)
            shared.setdefault(target.qualified, set()).update(expected)
            expected_keys.append(expected)
            skipped_keys.append(skipped)
            for name, by_key in dangling.items():
                check.dangling[name] = len(by_key)
                check.dangling_examples[name] = sorted(set(by_key.values()))[:5]

        def compare() -> None:
            for index, (check, target) in enumerate(zip(checks, collection.targets, strict=True)):
                skipped = skipped_keys[index]
                self._compare_ids(check, target, expected_keys[index], shared[target.qualified])
                self._orphans(check, target)
                self._samples(
                    check,
                    target,
                    [
                        (identifier, [row for row in rows[index] if _key_text(row, target) not in skipped])
                        for identifier, rows in samples
                    ],
                )

        return checks, compare

    def _still_quarantined(self, collection: CollectionMapping) -> set[str]:
        """The collection's quarantined keys whose row is not in the table: a quarantine file older than
        the last run (a delta run appends to it) must not hide a document imported since."""
        keys = self.quarantined.get(collection.name, set())
        main = collection.main
        id_column = next((column for column in main.columns if column.type == "id"), None)
        if not keys or id_column is None:
            return keys
        by_id = {uuid_for(id_column.collection or collection.name, key): key for key in keys}
        statement = sql.SQL("select {id}::text from {table} where {id} = any(%s::uuid[])").format(
            id=sql.Identifier(id_column.name), table=sql.Identifier(main.schema, main.table)
        )
        present = {row[0] for row in self.conn.execute(statement, [list(by_id)])}
        return {key for identifier, key in by_id.items() if identifier not in present}

    # -- ids -------------------------------------------------------------------------------------
    def _key_sql(self, target: Target) -> sql.Composable:
        """The key as one text value: the id itself, or the key columns joined by '|' (times as
        microseconds since 1970, as `_key_text` writes them: independent of the session's time zone)."""
        facts = self.facts[target.qualified].columns

        def text(name: str) -> sql.Composable:
            if facts[name].type in _TIMES:
                return sql.SQL("(extract(epoch from {}) * 1000000)::bigint::text").format(sql.Identifier(name))
            return sql.SQL("{}::text").format(sql.Identifier(name))

        if len(target.key) == 1:
            return text(target.key[0])
        return sql.SQL("concat_ws('|', {})").format(sql.SQL(", ").join(text(n) for n in target.key))

    def _compare_ids(self, check: TableCheck, target: Target, keys: set[str], table_keys: set[str]) -> None:
        """`keys`: the rows this collection explains; `table_keys`: those of every collection loading
        into the table (the checksum and `extra` are about the table, `missing` about the collection)."""
        table = sql.Identifier(target.schema, target.table)
        key = self._key_sql(target)
        check.checksum_source = _md5(table_keys)
        with self.conn.transaction(force_rollback=True), self.conn.cursor() as cursor:
            cursor.execute("create temp table _verify_keys (k text primary key, own boolean) on commit drop")
            with cursor.copy("copy _verify_keys (k, own) from stdin") as copy:
                for value in table_keys:
                    copy.write_row((value, value in keys))
            statement = sql.SQL(
                "select count(*), count(v.k), count(v.k) filter (where v.own), "
                "md5(coalesce(string_agg(t.k, ',' order by t.k collate \"C\"), '')) "
                "from (select {key} as k from {table}) t left join _verify_keys v on v.k = t.k"
            ).format(key=key, table=table)
            total, present, own, checksum = cursor.execute(statement).fetchone() or (0, 0, 0, None)
        check.target, check.checksum_target = total, checksum
        check.missing = len(keys) - own
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

    def _dangling(
        self, check: TableCheck, target: Target, references: dict[str, dict[str, list[str]]]
    ) -> dict[str, dict[str, str]]:
        """Per nulled/skipped reference column: {row key: referenced uuid} of the source's references
        whose target row does not exist."""
        found: dict[str, dict[str, str]] = {}
        for column in target.columns:
            values = references.get(column.name)
            if not values or column.collection not in self.mapping.collections:
                continue
            parent = self.mapping[column.collection].main
            with self.conn.transaction(force_rollback=True), self.conn.cursor() as cursor:
                cursor.execute("create temp table _verify_refs (v uuid primary key) on commit drop")
                with cursor.copy("copy _verify_refs (v) from stdin") as copy:
                    for value in values:
                        copy.write_row((value,))
                statement = sql.SQL(
                    "select v::text from _verify_refs r where not exists (select 1 from {} p where p.{} = r.v)"
                ).format(sql.Identifier(parent.schema, parent.table), sql.Identifier(parent.key[0]))
                missing = [row[0] for row in cursor.execute(statement)]
            if missing:
                found[column.name] = {key: value for value in missing for key in values[value]}
        return found

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


_TIMES = ("timestamp with time zone", "timestamp without time zone")
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def _key_text(row: tuple[Any, ...], target: Target) -> str:
    names = target.column_names
    return "|".join(_key_part(row[names.index(n)]) for n in target.key)


def _key_part(value: Any) -> str:
    if isinstance(value, dt.datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return str((moment - _EPOCH) // dt.timedelta(microseconds=1))
    return str(value)


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

"""Check a mapping against pg_catalog: every table and column must exist with a compatible type, and
every target key must be a unique key (ON CONFLICT needs one). Identifiers reach SQL only after this
check, and then only through psycopg.sql.Identifier."""

from __future__ import annotations

from dataclasses import dataclass

import psycopg

from api.importer.mapping import Mapping, MappingError, Target

_TEXT = frozenset({"text", "character varying", "character", "citext", "name"})
COMPATIBLE: dict[str, frozenset[str]] = {
    "id": frozenset({"uuid"}),
    "ref": frozenset({"uuid"}),
    "uuid": frozenset({"uuid"}),
    "ref[]": frozenset({"uuid[]"}),
    "key": _TEXT,
    "text": _TEXT,
    "int": frozenset({"smallint", "integer", "bigint", "numeric"}),
    "numeric": frozenset({"numeric", "double precision", "real"}),
    "bool": frozenset({"boolean"}),
    "timestamptz": frozenset({"timestamp with time zone", "timestamp without time zone"}),
    "date": frozenset({"date"}),
    "jsonb": frozenset({"jsonb", "json"}),
    "text[]": frozenset({"text[]", "character varying[]", "citext[]"}),
}
INT_BITS = {"smallint": 16, "integer": 32, "bigint": 64}


@dataclass(frozen=True)
class ColumnFacts:
    name: str
    type: str  # the base type (a domain's underlying type), as format_type spells it without modifiers
    not_null: bool
    has_default: bool  # a default, an identity or a generated column
    generated: bool
    labels: frozenset[str] | None  # an enum's labels
    max_length: int | None  # varchar(n) / char(n)

    @property
    def int_bits(self) -> int | None:
        return INT_BITS.get(self.type)


@dataclass(frozen=True)
class ForeignKey:
    name: str
    columns: tuple[str, ...]
    parent_schema: str
    parent_table: str
    parent_columns: tuple[str, ...]


@dataclass(frozen=True)
class UniqueIndex:
    name: str
    columns: tuple[str, ...]


@dataclass(frozen=True)
class TableFacts:
    schema: str
    table: str
    columns: dict[str, ColumnFacts]
    unique_keys: tuple[frozenset[str], ...]  # primary key and unique indexes on plain columns, no predicate
    uniques: tuple[UniqueIndex, ...] = ()  # the same, named and ordered (for the loader's checks)
    foreign_keys: tuple[ForeignKey, ...] = ()

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.table}"


_COLUMNS = """
with cols as (
    select a.attnum, a.attname, a.attnotnull,
           a.atthasdef or a.attidentity <> '' or a.attgenerated <> '' as has_default,
           a.attgenerated <> '' as generated,
           case when t.typtype = 'd' then t.typbasetype else a.atttypid end as base,
           case when t.typtype = 'd' then t.typtypmod else a.atttypmod end as typmod
    from pg_catalog.pg_attribute a join pg_catalog.pg_type t on t.oid = a.atttypid
    where a.attrelid = %(oid)s and a.attnum > 0 and not a.attisdropped
)
select attname::text, pg_catalog.format_type(base, null), attnotnull, has_default, generated,
       case when b.typtype = 'e' then array(
           select enumlabel::text from pg_catalog.pg_enum where enumtypid = base order by enumsortorder) end,
       case when pg_catalog.format_type(base, null) in ('character varying', 'character') and typmod > 4
            then typmod - 4 end
from cols join pg_catalog.pg_type b on b.oid = base
order by attnum
"""
_TABLE = """
select c.oid from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
where n.nspname = %s and c.relname = %s and c.relkind in ('r', 'p')
"""
_UNIQUE = """
select array(select a.attname::text from unnest(i.indkey) with ordinality k(attnum, n)
             join pg_catalog.pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum order by k.n),
       c.relname::text
from pg_catalog.pg_index i join pg_catalog.pg_class c on c.oid = i.indexrelid
where i.indrelid = %s and i.indisunique and i.indpred is null and i.indexprs is null
"""
_FOREIGN = """
select k.conname::text, n.nspname::text, p.relname::text,
       array(select a.attname::text from unnest(k.conkey) with ordinality c(attnum, i)
             join pg_catalog.pg_attribute a on a.attrelid = k.conrelid and a.attnum = c.attnum order by c.i),
       array(select a.attname::text from unnest(k.confkey) with ordinality c(attnum, i)
             join pg_catalog.pg_attribute a on a.attrelid = k.confrelid and a.attnum = c.attnum order by c.i)
from pg_catalog.pg_constraint k
join pg_catalog.pg_class p on p.oid = k.confrelid
join pg_catalog.pg_namespace n on n.oid = p.relnamespace
where k.conrelid = %s and k.contype = 'f' and k.conparentid = 0
order by k.conname
"""


def read_table(conn: psycopg.Connection, schema: str, table: str) -> TableFacts | None:
    found = conn.execute(_TABLE, [schema, table]).fetchone()
    if found is None:
        return None
    oid = found[0]
    columns = {
        name: ColumnFacts(name, kind, not_null, has_default, generated, frozenset(labels) if labels else None, length)
        for name, kind, not_null, has_default, generated, labels, length in conn.execute(_COLUMNS, {"oid": oid})
    }
    uniques = tuple(UniqueIndex(name, tuple(names)) for names, name in conn.execute(_UNIQUE, [oid]))
    foreign = tuple(
        ForeignKey(name, tuple(columns), parent_schema, parent_table, tuple(parent_columns))
        for name, parent_schema, parent_table, columns, parent_columns in conn.execute(_FOREIGN, [oid])
    )
    return TableFacts(schema, table, columns, tuple(frozenset(u.columns) for u in uniques), uniques, foreign)


def check_mapping(conn: psycopg.Connection, mapping: Mapping) -> dict[str, TableFacts]:
    """Facts of every target table, keyed by schema.table; MappingError lists every mismatch."""
    facts: dict[str, TableFacts] = {}
    problems: list[str] = []
    for collection in mapping.collections.values():
        for target in collection.targets:
            if target.qualified not in facts:
                table = read_table(conn, target.schema, target.table)
                if table is None:
                    problems.append(f"{collection.name}: no table {target.qualified}")
                    continue
                facts[target.qualified] = table
            problems.extend(_check_target(collection.name, target, facts[target.qualified]))
    if problems:
        raise MappingError(problems)
    return facts


def _check_target(collection: str, target: Target, table: TableFacts) -> list[str]:
    problems = []
    where = f"{collection} → {target.qualified}"
    for column in target.columns:
        found = table.columns.get(column.name)
        if found is None:
            problems.append(f"{where}: no column {column.name!r}")
            continue
        if found.generated:
            problems.append(f"{where}: column {column.name!r} is generated and cannot be written")
        allowed = COMPATIBLE[column.type]
        if found.type not in allowed and not (found.labels is not None and column.type in ("text", "key")):
            problems.append(f"{where}: column {column.name!r} is {found.type}, a {column.type} needs {sorted(allowed)}")
    mapped = set(target.column_names)
    for name, found in table.columns.items():
        if found.not_null and not found.has_default and name not in mapped:
            problems.append(f"{where}: column {name!r} is NOT NULL without a default and not mapped")
    if frozenset(target.key) not in table.unique_keys:
        problems.append(f"{where}: key {list(target.key)} is not a primary key or unique index of the table")
    return problems

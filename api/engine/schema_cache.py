"""The schema cache: a frozen snapshot of what the exposed schemas contain, read from pg_catalog.

Later stages check every identifier of a request against it and resolve embeddings through it
(DESIGN §1, reference §1.4 and §7.2). It holds:

- relations (tables, views, materialized views, foreign and partitioned tables; partitions are
  left out) with their columns, primary keys and insert/update/delete capabilities;
- relationships: foreign keys in both directions, the same keys inferred through views (and views
  of views) from the view's query tree in `pg_rewrite`, many-to-many through junction tables, and
  computed relationships (functions `f(parent) returns [setof] target`);
- routines (functions and procedures, overloads together) and computed fields (`f(row) → scalar`).

`load_schema_cache` builds one with a few catalog queries in one repeatable-read transaction.
`SchemaCacheHolder` keeps the current one for the server and rebuilds it on
`NOTIFY pgrst, 'reload schema'`, received on a dedicated LISTEN connection.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from itertools import permutations, product
from types import MappingProxyType
from typing import Any, Literal

import psycopg
from psycopg import sql

from api.logs import get_logger

log = get_logger("campus.schema_cache")

RelationKind = Literal["table", "view", "materialized_view", "foreign_table", "partitioned_table"]
Cardinality = Literal["many_to_one", "one_to_many", "one_to_one", "many_to_many"]
Volatility = Literal["immutable", "stable", "volatile"]
ReturnKind = Literal["scalar", "composite", "void"]


# -- data model -----------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class QualifiedName:
    schema: str
    name: str

    def __str__(self) -> str:
        return f"{self.schema}.{self.name}"


@dataclass(frozen=True)
class Column:
    name: str
    data_type: str  # format_type() text: 'integer', 'character varying(20)', 'text[]', 'app.mood'
    type_oid: int
    nullable: bool
    default: str | None  # the default expression (identity columns: nextval of their sequence); None if generated
    enum_values: tuple[str, ...]  # labels when the type (or its domain's base) is an enum
    position: int  # attnum
    description: str | None
    is_generated: bool


@dataclass(frozen=True)
class Relation:
    name: QualifiedName
    kind: RelationKind
    columns: tuple[Column, ...]  # in attnum order
    primary_key: tuple[str, ...]  # for views: the base table's key, when the view projects all of it
    insertable: bool
    updatable: bool
    deletable: bool
    description: str | None

    @cached_property
    def _columns_by_name(self) -> dict[str, Column]:
        # Built on first use (cached_property writes past the frozen __setattr__); not a field,
        # so it stays out of eq, repr and dataclasses.asdict.
        return {c.name: c for c in self.columns}

    def column(self, name: str) -> Column | None:
        return self._columns_by_name.get(name)


@dataclass(frozen=True)
class Junction:
    relation: QualifiedName
    source_constraint: str
    source_columns: tuple[tuple[str, str], ...]  # (source column, junction column)
    target_constraint: str
    target_columns: tuple[tuple[str, str], ...]  # (junction column, target column)


@dataclass(frozen=True)
class Relationship:
    """One way to embed `target` in `source`.

    `constraint_name` is the foreign key's name; for many-to-many it is '' (the junction names
    it) and for computed relationships the function's name. `columns` is empty for both.
    """

    source: QualifiedName
    target: QualifiedName
    cardinality: Cardinality
    constraint_name: str
    columns: tuple[tuple[str, str], ...]  # (source column, target column)
    junction: Junction | None
    is_self: bool
    function: QualifiedName | None  # computed relationships only


@dataclass(frozen=True)
class Parameter:
    name: str  # '' when unnamed
    data_type: str
    type_oid: int
    has_default: bool
    is_variadic: bool


@dataclass(frozen=True)
class Routine:
    name: QualifiedName
    parameters: tuple[Parameter, ...]  # IN, INOUT and VARIADIC arguments, in order
    return_type: str
    return_type_oid: int
    returns_set: bool
    return_kind: ReturnKind
    return_relation: QualifiedName | None  # the exposed relation whose row type is returned
    volatility: Volatility
    description: str | None
    is_procedure: bool
    settings: tuple[tuple[str, str], ...]  # proconfig: (name, value)
    returns_table_columns: tuple[tuple[str, str], ...]  # OUT/TABLE columns of a `record` return


@dataclass(frozen=True, eq=False)
class SchemaCache:
    relations: Mapping[QualifiedName, Relation]
    relationships: Mapping[QualifiedName, tuple[Relationship, ...]]  # keyed by source
    routines: Mapping[QualifiedName, tuple[Routine, ...]]  # overloads together
    computed_fields: Mapping[QualifiedName, Mapping[str, Routine]]  # relation → function name → routine
    schemas: tuple[str, ...]  # the exposed schemas
    loaded_at: float  # time.time() when the catalog was read
    extra_search_path: tuple[str, ...] = ()
    # `alter role … set` settings (statement_timeout…), applied when a request switches to the role,
    # since SET ROLE alone does not apply them.
    role_settings: Mapping[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)
    # `comment on constraint` texts by (schema, constraint name): the message a client gets when a
    # row breaks that constraint (see error_mapping.constraint_message).
    constraint_messages: Mapping[tuple[str, str], str] = field(default_factory=dict)

    def relation(self, schema: str, name: str) -> Relation | None:
        return self.relations.get(QualifiedName(schema, name))

    def relationships_from(self, source: QualifiedName) -> tuple[Relationship, ...]:
        return self.relationships.get(source, ())

    def routines_named(self, schema: str, name: str) -> tuple[Routine, ...]:
        return self.routines.get(QualifiedName(schema, name), ())


# -- catalog queries ------------------------------------------------------------------------------
# Per-role settings (for this database or all databases; the database-specific ones come last so
# they win when applied in order).
ROLE_SETTINGS_SQL = """
select r.rolname, s.setconfig
  from pg_catalog.pg_db_role_setting s
  join pg_catalog.pg_roles r on r.oid = s.setrole
 where s.setdatabase in (0, (select oid from pg_catalog.pg_database where datname = pg_catalog.current_database()))
 order by r.rolname, s.setdatabase
"""

# Every query runs with an empty search_path, so format_type() and pg_get_expr() qualify every
# name outside pg_catalog ('app.mood', nextval('app.t_id_seq'::regclass)) whatever the caller's
# settings are.

# Relations of the given schemas (partitions excluded: only their parent is addressable), with
# their comment and what the current role's SQL can do with them (bits of pg_relation_is_updatable:
# 8 insert, 4 update, 16 delete — INSTEAD OF triggers and rules included).
RELATIONS_SQL = """
select c.oid, n.nspname, c.relname, c.relkind::text, c.reltype, d.description,
       case when c.relkind in ('r', 'p') then 28
            else pg_catalog.pg_relation_is_updatable(c.oid, true) end as modify_bits
from pg_catalog.pg_class c
join pg_catalog.pg_namespace n on n.oid = c.relnamespace
left join pg_catalog.pg_description d
       on d.objoid = c.oid and d.classoid = 'pg_catalog.pg_class'::regclass and d.objsubid = 0
where c.relkind in ('r', 'v', 'm', 'f', 'p') and not c.relispartition and n.nspname = any(%(schemas)s)
order by n.nspname, c.relname
"""

# Columns of the same relations in attnum order. Generated columns report no default (their
# expression is not one); identity columns have no pg_attrdef row at all.
COLUMNS_SQL = """
select a.attrelid, a.attname, a.attnum, pg_catalog.format_type(a.atttypid, a.atttypmod), a.atttypid,
       not a.attnotnull,
       case when a.attidentity <> '' then  -- identity columns: their sequence, as PostgREST reports it
              (select 'nextval(' || pg_catalog.quote_literal(seq.oid::pg_catalog.regclass::text) || '::regclass)'
                 from pg_catalog.pg_depend dep  -- the catalog, not pg_get_serial_sequence: no privileges needed
                 join pg_catalog.pg_class seq on seq.oid = dep.objid and seq.relkind = 'S'
                where dep.classid = 'pg_catalog.pg_class'::pg_catalog.regclass and dep.refobjid = a.attrelid
                  and dep.refobjsubid = a.attnum and dep.deptype = 'i')
            when a.attgenerated = '' then pg_catalog.pg_get_expr(ad.adbin, ad.adrelid) end,
       a.attgenerated <> '', d.description
from pg_catalog.pg_attribute a
join pg_catalog.pg_class c on c.oid = a.attrelid
join pg_catalog.pg_namespace n on n.oid = c.relnamespace
left join pg_catalog.pg_attrdef ad on ad.adrelid = a.attrelid and ad.adnum = a.attnum
left join pg_catalog.pg_description d
       on d.objoid = a.attrelid and d.classoid = 'pg_catalog.pg_class'::regclass and d.objsubid = a.attnum
where c.relkind in ('r', 'v', 'm', 'f', 'p') and not c.relispartition and n.nspname = any(%(schemas)s)
  and a.attnum > 0 and not a.attisdropped
order by a.attrelid, a.attnum
"""

# Enum labels per type, for enums and for domains over them (however deeply nested).
ENUMS_SQL = """
with recursive enum_types(type_oid, enum_oid) as (
  select distinct e.enumtypid, e.enumtypid from pg_catalog.pg_enum e
  union all
  select t.oid, b.enum_oid from pg_catalog.pg_type t join enum_types b on t.typbasetype = b.type_oid
  where t.typtype = 'd'
)
select b.type_oid, array(select e.enumlabel from pg_catalog.pg_enum e
                         where e.enumtypid = b.enum_oid order by e.enumsortorder)
from enum_types b
"""

# Unique keys of every user table (primary keys among them): needed beyond the exposed schemas,
# because views project base tables that may live elsewhere. Partial and expression indexes
# guarantee nothing about plain columns, so they are skipped; INCLUDE columns are cut off later.
KEYS_SQL = """
select i.indrelid, i.indisprimary, i.indnkeyatts, i.indkey::int2[]
from pg_catalog.pg_index i
join pg_catalog.pg_class c on c.oid = i.indrelid
join pg_catalog.pg_namespace n on n.oid = c.relnamespace
where i.indisunique and i.indpred is null and i.indexprs is null
  and n.nspname <> 'information_schema' and n.nspname !~ '^pg_'
order by i.indrelid, not i.indisprimary, i.indexrelid
"""

# Foreign keys of every user table. Constraints cloned onto partitions (conparentid <> 0) repeat
# their parent's and would point at relations nobody can embed.
FOREIGN_KEYS_SQL = """
select con.conname, con.conrelid, con.conkey, con.confrelid, con.confkey
from pg_catalog.pg_constraint con
join pg_catalog.pg_class c on c.oid = con.conrelid
join pg_catalog.pg_namespace n on n.oid = c.relnamespace
where con.contype = 'f' and con.conparentid = 0
  and n.nspname <> 'information_schema' and n.nspname !~ '^pg_'
order by n.nspname, c.relname, con.conname
"""

# The query trees of views and materialized views in the given schemas or with the given oids
# (the second form follows view-over-view chains that leave those schemas).
VIEW_TREES_SQL = """
select c.oid, r.ev_action::text
from pg_catalog.pg_rewrite r
join pg_catalog.pg_class c on c.oid = r.ev_class
join pg_catalog.pg_namespace n on n.oid = c.relnamespace
where c.relkind in ('v', 'm') and r.rulename = '_RETURN'
  and (n.nspname = any(%(schemas)s) or c.oid = any(%(oids)s))
"""

# Functions and procedures of the given schemas with their argument and return types. Trigger
# functions are left out: they cannot be called from SQL at all.
ROUTINES_SQL = """
select p.oid, n.nspname, p.proname, p.prokind = 'p', p.provolatile::text, p.proretset, p.prorows,
       p.prorettype, pg_catalog.format_type(p.prorettype, null), rt.typtype::text, rt.typrelid,
       coalesce(p.proallargtypes, p.proargtypes::oid[]),
       array(select pg_catalog.format_type(u.t, null)
             from unnest(coalesce(p.proallargtypes, p.proargtypes::oid[])) with ordinality u(t, i) order by u.i),
       p.proargmodes::text[], p.proargnames, p.pronargdefaults, p.proconfig, d.description
from pg_catalog.pg_proc p
join pg_catalog.pg_namespace n on n.oid = p.pronamespace
join pg_catalog.pg_type rt on rt.oid = p.prorettype
left join pg_catalog.pg_description d
       on d.objoid = p.oid and d.classoid = 'pg_catalog.pg_proc'::regclass and d.objsubid = 0
where p.prokind in ('f', 'p') and n.nspname = any(%(schemas)s)
  and p.prorettype not in ('pg_catalog.trigger'::regtype, 'pg_catalog.event_trigger'::regtype)
order by n.nspname, p.proname, p.oid
"""

# Pins the transaction's search_path (see above); local, so it ends with the transaction.
# Commented constraints of every user schema (constraints live on tables, which are rarely in the
# exposed schemas). A partition's copy of a constraint has the parent's name, so the name finds it.
CONSTRAINT_MESSAGES_SQL = """
select distinct n.nspname, con.conname, d.description
  from pg_catalog.pg_constraint con
  join pg_catalog.pg_namespace n on n.oid = con.connamespace
  join pg_catalog.pg_description d
    on d.objoid = con.oid and d.classoid = 'pg_catalog.pg_constraint'::pg_catalog.regclass
 where n.nspname not in ('pg_catalog', 'information_schema') and con.contype in ('c', 'u', 'f', 'p', 'x')
"""

EMPTY_SEARCH_PATH_SQL = "select pg_catalog.set_config('search_path', '', true)"

_KINDS: dict[str, RelationKind] = {
    "r": "table",
    "v": "view",
    "m": "materialized_view",
    "f": "foreign_table",
    "p": "partitioned_table",
}
_VOLATILITY: dict[str, Volatility] = {"i": "immutable", "s": "stable", "v": "volatile"}
_VOID_OID = 2278
_RECORD_OID = 2249
_MAX_VIEW_DEPTH = 32  # views over views deeper than this are not followed


# -- view lineage from pg_rewrite ------------------------------------------------------------------
# A view's `_RETURN` rule holds its parsed query as a pg_node_tree text: `({QUERY ... :targetList
# ({TARGETENTRY :expr {...} :resno 1 :resname id ... :resorigtbl 16386 :resorigcol 1 :resjunk
# false} ...) ...})`. For each output column, resorigtbl/resorigcol name the relation column it
# is copied from (through subqueries and CTEs; a view in FROM is named itself, hence the chains).
# Nested queries have target lists too, so only the one at the top level (depth 2) counts.

_ESCAPED = re.compile(r"\\.", re.DOTALL)  # node-tree text escapes delimiters inside names
_DELIMITER = re.compile(r"[{}()]")
_TARGET_LIST = " :targetList ("
_ENTRY_TAIL = re.compile(r" :resno (\d+) .*? :resorigtbl (\d+) :resorigcol (\d+) :resjunk (\w+)\}$", re.DOTALL)


def _depth_at(text: str, end: int) -> int:
    opened = text.count("{", 0, end) + text.count("(", 0, end)
    return opened - text.count("}", 0, end) - text.count(")", 0, end)


def _top_target_list(text: str) -> int | None:
    """Offset of the '(' opening the top-level query's target list, if it has one."""
    at = text.find(_TARGET_LIST)
    while at >= 0:
        if _depth_at(text, at) == 2:
            return at + len(_TARGET_LIST) - 1
        at = text.find(_TARGET_LIST, at + 1)
    return None


def _list_nodes(text: str, start: int) -> Iterator[str]:
    """The `{...}` nodes of the list opening at `start`."""
    depth, node_start = 0, start
    for match in _DELIMITER.finditer(text, start):
        char = match.group()
        if char in "({":
            depth += 1
            if depth == 2:
                node_start = match.start()
        else:
            depth -= 1
            if depth == 1:
                yield text[node_start : match.end()]
            elif depth == 0:
                return


def view_lineage(ev_action: str) -> dict[int, tuple[int, int]]:
    """View column number → (relation oid, column number) it copies, from a `_RETURN` rule's tree."""
    text = _ESCAPED.sub("__", ev_action)  # same length, no escaped delimiters left
    start = _top_target_list(text)
    if start is None:
        return {}
    lineage: dict[int, tuple[int, int]] = {}
    for node in _list_nodes(text, start):
        # The entry's own fields follow its expression, so its last ' :resno ' is its own.
        match = _ENTRY_TAIL.match(node, node.rfind(" :resno "))
        if match is None:
            continue
        resno, table, column, junk = match.groups()
        if junk == "false" and table != "0":
            lineage[int(resno)] = (int(table), int(column))
    return lineage


# -- loading --------------------------------------------------------------------------------------


@dataclass
class _RelationRow:
    oid: int
    name: QualifiedName
    kind: RelationKind
    row_type: int
    description: str | None
    modify_bits: int
    columns: list[Column] = field(default_factory=list)

    @cached_property
    def by_number(self) -> dict[int, str]:
        return {c.position: c.name for c in self.columns}  # asked for after all columns are read

    def names(self, attnums: Sequence[int]) -> tuple[str, ...] | None:
        """Column names for column numbers; None when one of them is not there."""
        if not all(a in self.by_number for a in attnums):
            return None
        return tuple(self.by_number[a] for a in attnums)


@dataclass(frozen=True)
class _Key:
    primary: bool
    attnums: tuple[int, ...]


@dataclass(frozen=True)
class _ForeignKey:
    name: str
    source: int
    source_attnums: tuple[int, ...]
    target: int
    target_attnums: tuple[int, ...]


@dataclass(frozen=True)
class _Edge:
    """A foreign key between two addressable relations (either may be a view standing in)."""

    source: QualifiedName
    target: QualifiedName
    constraint: str
    pairs: tuple[tuple[str, str], ...]  # (source column, target column)
    to_one: bool  # the key's columns are unique in the source: one-to-one


@dataclass(frozen=True)
class _RowArgument:
    """A routine whose one required argument is a relation's row: a computed field or relationship."""

    routine: Routine
    parent: QualifiedName
    returns: QualifiedName | None  # the visible relation whose row type it returns
    one_row: bool  # declared ROWS 1


class _Loader:
    """Reads the catalog once (in one transaction) and assembles a SchemaCache from it."""

    def __init__(self, conn: psycopg.Connection[Any], schemas: Sequence[str], extra: Sequence[str]) -> None:
        self.conn = conn
        self.schemas = tuple(schemas)
        self.extra = tuple(s for s in extra if s not in self.schemas)
        self.visible = [*self.schemas, *self.extra]  # relationships and computed ones may use these

    def fetch(self, query: str, **params: Any) -> list[tuple[Any, ...]]:
        return self.conn.execute(query, params).fetchall()

    def load(self) -> SchemaCache:
        with self.conn.transaction():
            self.fetch(EMPTY_SEARCH_PATH_SQL)
            self.read_catalog()
        self.by_name = {row.name: row for row in self.rows.values()}
        self.index_views()
        self.relations = {row.name: self.relation(row) for row in self.rows.values()}
        relationships = self.relationships()
        routines, row_arguments = self.routines()
        computed_fields = self.computed(row_arguments, relationships)
        return SchemaCache(
            relations=MappingProxyType({n: r for n, r in self.relations.items() if n.schema in self.schemas}),
            relationships=MappingProxyType({source: tuple(rels) for source, rels in relationships.items()}),
            routines=MappingProxyType({n: r for n, r in routines.items() if n.schema in self.schemas}),
            computed_fields=MappingProxyType({n: MappingProxyType(f) for n, f in computed_fields.items()}),
            schemas=self.schemas,
            loaded_at=time.time(),
            extra_search_path=self.extra,
            role_settings=MappingProxyType(self.role_settings()),
            constraint_messages=MappingProxyType(self.constraint_messages()),
        )

    def constraint_messages(self) -> dict[tuple[str, str], str]:
        found: dict[tuple[str, str], set[str]] = {}
        for schema, name, text in self.conn.execute(CONSTRAINT_MESSAGES_SQL).fetchall():
            found.setdefault((schema, name), set()).add(text)
        # Two tables of one schema with a same-named constraint and different comments: neither is used.
        return {key: texts.pop() for key, texts in found.items() if len(texts) == 1}

    def role_settings(self) -> dict[str, tuple[tuple[str, str], ...]]:
        settings: dict[str, tuple[tuple[str, str], ...]] = {}
        for role, config in self.conn.execute(ROLE_SETTINGS_SQL).fetchall():
            pairs = tuple(tuple(item.split("=", 1)) for item in config if "=" in item)
            settings[role] = settings.get(role, ()) + pairs  # type: ignore[operator]
        return settings

    # -- raw catalog --------------------------------------------------------------------------
    def read_catalog(self) -> None:
        self.rows: dict[int, _RelationRow] = {}
        for oid, schema, name, kind, row_type, description, bits in self.fetch(RELATIONS_SQL, schemas=self.visible):
            self.rows[oid] = _RelationRow(oid, QualifiedName(schema, name), _KINDS[kind], row_type, description, bits)
        enums = dict(self.fetch(ENUMS_SQL))
        for oid, name, num, data_type, type_oid, nullable, default, generated, description in self.fetch(
            COLUMNS_SQL, schemas=self.visible
        ):
            labels = tuple(enums.get(type_oid, ()))
            column = Column(name, data_type, type_oid, nullable, default, labels, num, description, generated)
            self.rows[oid].columns.append(column)
        self.keys: dict[int, list[_Key]] = defaultdict(list)
        for oid, primary, key_count, attnums in self.fetch(KEYS_SQL):
            self.keys[oid].append(_Key(primary, tuple(attnums[:key_count])))
        self.foreign_keys = [
            _ForeignKey(name, source, tuple(source_cols), target, tuple(target_cols))
            for name, source, source_cols, target, target_cols in self.fetch(FOREIGN_KEYS_SQL)
        ]
        self.lineage = self.read_view_lineage()
        self.routine_rows = self.fetch(ROUTINES_SQL, schemas=self.visible)

    def read_view_lineage(self) -> dict[int, dict[int, tuple[int, int]]]:
        """Lineage of the visible views, and of the views they are built on wherever those live."""
        lineage: dict[int, dict[int, tuple[int, int]]] = {}
        asked: set[int] = set()
        trees = self.fetch(VIEW_TREES_SQL, schemas=self.visible, oids=[])
        for _ in range(_MAX_VIEW_DEPTH):
            for oid, tree in trees:
                lineage[oid] = view_lineage(tree)
                asked.add(oid)
            sources = {table for columns in lineage.values() for table, _ in columns.values()}
            missing = sorted(sources - asked - self.rows.keys())
            if not missing:
                break
            asked |= set(missing)  # the tables among them come back empty and are not asked again
            trees = self.fetch(VIEW_TREES_SQL, schemas=[], oids=missing)
        return lineage

    def index_views(self) -> None:
        """For every visible view: which base table columns it projects, under which names."""
        # view oid → base table oid → base attnum → the first view column copying it
        self.view_sources: dict[int, dict[int, dict[int, str]]] = {}
        # the same, by base table first
        self.projections: dict[int, dict[int, dict[int, str]]] = defaultdict(dict)
        for oid in sorted(self.lineage.keys() & self.rows.keys(), key=lambda o: self.rows[o].name):
            sources: dict[int, dict[int, str]] = defaultdict(dict)
            for column in self.rows[oid].columns:
                if column.position in self.lineage[oid]:
                    table, attnum = self.origin(oid, column.position)
                    sources[table].setdefault(attnum, column.name)
            self.view_sources[oid] = sources
            for table, projected in sources.items():
                self.projections[table][oid] = projected

    def origin(self, oid: int, attnum: int) -> tuple[int, int]:
        """The table column a view column finally copies, through views over views."""
        for _ in range(_MAX_VIEW_DEPTH):
            step = self.lineage.get(oid, {}).get(attnum)
            if step is None:
                break
            oid, attnum = step
        return oid, attnum

    # -- relations ----------------------------------------------------------------------------
    def relation(self, row: _RelationRow) -> Relation:
        writable = row.kind in ("table", "partitioned_table")
        return Relation(
            name=row.name,
            kind=row.kind,
            columns=tuple(row.columns),
            primary_key=self.primary_key(row),
            insertable=writable or bool(row.modify_bits & 8),
            updatable=writable or bool(row.modify_bits & 4),
            deletable=writable or bool(row.modify_bits & 16),
            description=row.description,
        )

    def own_primary_key(self, oid: int) -> tuple[int, ...] | None:
        return next((k.attnums for k in self.keys.get(oid, ()) if k.primary), None)

    def primary_key(self, row: _RelationRow) -> tuple[str, ...]:
        own = self.own_primary_key(row.oid)
        if own is not None:
            return row.names(own) or ()
        # A view: the primary keys of the base tables it projects whole, under the view's names.
        names: list[str] = []
        for table, projected in self.view_sources.get(row.oid, {}).items():
            base = self.own_primary_key(table)
            if base is not None and all(a in projected for a in base):
                names += [projected[a] for a in base if projected[a] not in names]
        return tuple(names)

    def unique_keys(self, name: QualifiedName) -> list[frozenset[str]]:
        """Column sets unique in a relation: its unique indexes, or a view's inferred primary key."""
        row = self.by_name[name]
        found = [frozenset(names) for k in self.keys.get(row.oid, ()) if (names := row.names(k.attnums))]
        primary_key = self.relations[name].primary_key
        if primary_key:
            found.append(frozenset(primary_key))
        return found

    # -- relationships ------------------------------------------------------------------------
    def stand_ins(self, oid: int, attnums: tuple[int, ...]) -> list[tuple[QualifiedName, tuple[str, ...]]]:
        """The visible relations showing these columns of a table: itself and views projecting them all."""
        found: list[tuple[QualifiedName, tuple[str, ...]]] = []
        row = self.rows.get(oid)
        if row is not None and (names := row.names(attnums)) is not None:
            found.append((row.name, names))
        for view, projected in self.projections.get(oid, {}).items():
            if all(a in projected for a in attnums):
                found.append((self.rows[view].name, tuple(projected[a] for a in attnums)))
        return found

    def edges(self) -> list[_Edge]:
        """Every foreign key, once for each pair of visible relations standing in for its two ends."""
        edges: list[_Edge] = []
        for fk in self.foreign_keys:
            to_one = any(set(k.attnums) == set(fk.source_attnums) for k in self.keys.get(fk.source, ()))
            sources = self.stand_ins(fk.source, fk.source_attnums)
            targets = self.stand_ins(fk.target, fk.target_attnums)
            for (source, source_cols), (target, target_cols) in product(sources, targets):
                pairs = tuple(zip(source_cols, target_cols, strict=True))
                edges.append(_Edge(source, target, fk.name, pairs, to_one))
        return edges

    def relationships(self) -> dict[QualifiedName, list[Relationship]]:
        found: dict[QualifiedName, dict[Relationship, None]] = defaultdict(dict)  # ordered sets by source
        edges = self.edges()
        for edge in edges:
            is_self = edge.source == edge.target
            forward: Cardinality = "one_to_one" if edge.to_one else "many_to_one"
            inverse: Cardinality = "one_to_one" if edge.to_one else "one_to_many"
            swapped = tuple((t, s) for s, t in edge.pairs)
            found[edge.source][
                Relationship(edge.source, edge.target, forward, edge.constraint, edge.pairs, None, is_self, None)
            ] = None
            found[edge.target][
                Relationship(edge.target, edge.source, inverse, edge.constraint, swapped, None, is_self, None)
            ] = None
        for rel in self.many_to_many(edges):
            found[rel.source][rel] = None
        return {source: list(rels) for source, rels in found.items()}

    def many_to_many(self, edges: list[_Edge]) -> Iterator[Relationship]:
        """Junctions: relations with a unique key covering the columns of two different foreign keys."""
        outgoing: dict[QualifiedName, list[_Edge]] = defaultdict(list)
        for edge in edges:
            outgoing[edge.source].append(edge)
        for junction, own in outgoing.items():
            keys = self.unique_keys(junction)
            for first, second in permutations(own, 2):
                covered = {s for s, _ in first.pairs} | {s for s, _ in second.pairs}
                if first.constraint == second.constraint or not any(covered <= key for key in keys):
                    continue
                link = Junction(
                    relation=junction,
                    source_constraint=first.constraint,
                    source_columns=tuple((t, s) for s, t in first.pairs),
                    target_constraint=second.constraint,
                    target_columns=second.pairs,
                )
                is_self = first.target == second.target
                yield Relationship(first.target, second.target, "many_to_many", "", (), link, is_self, None)

    # -- routines -----------------------------------------------------------------------------
    def routines(self) -> tuple[dict[QualifiedName, tuple[Routine, ...]], list[_RowArgument]]:
        """Routines by name (overloads together), and those taking one relation row."""
        by_row_type = {row.row_type: row.name for row in self.rows.values()}
        routines: dict[QualifiedName, list[Routine]] = defaultdict(list)
        row_arguments: list[_RowArgument] = []
        for values in self.routine_rows:
            routine, first_argument_type, required, rows, returned_relid = self.routine(values)
            routines[routine.name].append(routine)
            parent = by_row_type.get(first_argument_type)
            if parent is not None and required == 1 and not routine.is_procedure:
                returned = self.rows.get(returned_relid)
                row_arguments.append(_RowArgument(routine, parent, returned.name if returned else None, rows == 1))
        return {name: tuple(overloads) for name, overloads in routines.items()}, row_arguments

    def routine(self, values: tuple[Any, ...]) -> tuple[Routine, int | None, int, float, int]:
        """A Routine from a ROUTINES_SQL row, with its first input's type, how many inputs are
        required, its ROWS estimate and the relation its return type is the row of (0 if none)."""
        (_, schema, name, is_procedure, volatility, returns_set, rows, ret_oid, ret_type, ret_typtype, ret_relid,
         arg_oids, arg_types, modes, arg_names, default_count, config, description) = values  # fmt: skip
        modes = modes or ["i"] * len(arg_oids)
        arg_names = arg_names or [""] * len(arg_oids)
        inputs = [i for i, mode in enumerate(modes) if mode in ("i", "b", "v")]
        required = len(inputs) - default_count
        parameters = tuple(
            Parameter(arg_names[i], arg_types[i], arg_oids[i], n >= required, modes[i] == "v")
            for n, i in enumerate(inputs)
        )
        outputs: tuple[tuple[str, str], ...] = ()
        if ret_oid == _RECORD_OID:
            outputs = tuple((arg_names[i], arg_types[i]) for i, mode in enumerate(modes) if mode in ("o", "b", "t"))
        returned = self.rows.get(ret_relid)
        routine = Routine(
            name=QualifiedName(schema, name),
            parameters=parameters,
            return_type=ret_type,
            return_type_oid=ret_oid,
            returns_set=returns_set,
            return_kind=_return_kind(ret_oid, ret_typtype),
            return_relation=returned.name if returned and returned.name.schema in self.schemas else None,
            volatility=_VOLATILITY[volatility],
            description=description,
            is_procedure=is_procedure,
            settings=tuple(_setting(s) for s in config or ()),
            returns_table_columns=outputs,
        )
        first_argument_type = arg_oids[inputs[0]] if inputs else None
        return routine, first_argument_type, required, rows, ret_relid

    def computed(
        self, row_arguments: list[_RowArgument], relationships: dict[QualifiedName, list[Relationship]]
    ) -> dict[QualifiedName, dict[str, Routine]]:
        """Computed fields (returned) and computed relationships (added to `relationships`)."""
        fields: dict[QualifiedName, dict[str, Routine]] = defaultdict(dict)
        for candidate in row_arguments:
            routine = candidate.routine
            if candidate.returns is not None:
                _add_computed_relationship(relationships, candidate, candidate.returns)
            elif routine.return_kind == "scalar" and not routine.returns_set:
                fields[candidate.parent].setdefault(routine.name.name, routine)
        return dict(fields)


def _add_computed_relationship(
    relationships: dict[QualifiedName, list[Relationship]], candidate: _RowArgument, target: QualifiedName
) -> None:
    """`f(parent) returns setof target` is to-many; `returns target` or `ROWS 1` is to-one."""
    function = candidate.routine.name
    to_one = not candidate.routine.returns_set or candidate.one_row
    cardinality: Cardinality = "many_to_one" if to_one else "one_to_many"
    parent = candidate.parent
    rel = Relationship(parent, target, cardinality, function.name, (), None, parent == target, function)
    # It replaces the detected relationships its name would otherwise select (reference §7.2).
    kept = [r for r in relationships.get(parent, []) if r.function is not None or r.target.name != function.name]
    relationships[parent] = [*kept, rel]


def _setting(entry: str) -> tuple[str, str]:
    name, _, value = entry.partition("=")
    return name, value


def _return_kind(ret_oid: int, typtype: str) -> ReturnKind:
    if ret_oid == _VOID_OID:
        return "void"
    if typtype == "c" or ret_oid == _RECORD_OID:
        return "composite"
    return "scalar"


def load_schema_cache(
    conn: psycopg.Connection[Any], schemas: Sequence[str], extra_search_path: Sequence[str] = ()
) -> SchemaCache:
    """Read the catalog for the exposed `schemas`; relationships may also reach `extra_search_path`.

    Runs in one transaction on `conn` (a REPEATABLE READ connection gives all queries one snapshot).
    """
    return _Loader(conn, schemas, extra_search_path).load()


# -- keeping it current ---------------------------------------------------------------------------

Loader = Callable[[psycopg.Connection[Any], Sequence[str], Sequence[str]], SchemaCache]

# Payloads on the channel that ask for a schema reload ('' is PostgREST's "reload everything").
RELOAD_PAYLOADS = frozenset({"", "reload schema"})


class SchemaCacheHolder:
    """The server's current schema cache, rebuilt on `NOTIFY <channel>, 'reload schema'`.

    `current` is None until a load has succeeded (the server answers 503 PGRST002 meanwhile). A
    burst of notifications within `debounce` seconds gives one reload; a failed reload keeps the
    previous cache. The LISTEN connection is a dedicated one (a pooler in transaction mode would
    not deliver notifications); when it drops it is reopened with exponential backoff, and the
    cache is reloaded since notifications may have been missed meanwhile.
    """

    def __init__(
        self, loader: Loader = load_schema_cache, *, debounce: float = 0.1, backoff: tuple[float, float] = (0.5, 30.0)
    ) -> None:
        self._loader = loader
        self._debounce = debounce
        self._first_delay, self._max_delay = backoff
        self._current: SchemaCache | None = None
        self._conninfo = ""
        self._schemas: tuple[str, ...] = ()
        self._extra: tuple[str, ...] = ()
        self._lock = asyncio.Lock()  # one load at a time
        self._pending = asyncio.Event()  # a reload was asked for and has not started yet
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def current(self) -> SchemaCache | None:
        return self._current

    async def start(
        self,
        conninfo: str,
        schemas: Sequence[str],
        extra_search_path: Sequence[str] = (),
        channel: str = "pgrst",
        channel_enabled: bool = True,
    ) -> None:
        """Load the cache and start listening. Does not raise if the database is unreachable:
        loading is then retried in the background until it succeeds."""
        self._conninfo = conninfo
        self._schemas, self._extra = tuple(schemas), tuple(extra_search_path)
        if channel_enabled:
            # LISTEN before the first load, so no change between the two goes unnoticed.
            listener = await self._open_listener(channel)
            self._spawn(self._listen(channel, listener))
            self._spawn(self._reload_when_asked())
        if not await self.reload():
            self._spawn(self._retry_until_loaded())

    async def reload(self) -> bool:
        """Build a new cache now; True if it replaced the current one."""
        async with self._lock:
            started = time.perf_counter()
            try:
                cache = await asyncio.to_thread(self._load)
            except Exception as error:  # a broken reload must not take the server down
                log.error("schema cache load failed; keeping the previous one", error=str(error))
                return False
            self._current = cache
            log.info(
                "schema cache loaded",
                relations=len(cache.relations),
                relationships=sum(len(r) for r in cache.relationships.values()),
                routines=len(cache.routines),
                ms=round((time.perf_counter() - started) * 1000, 1),
            )
            return True

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()

    # -- internals ----------------------------------------------------------------------------
    def _load(self) -> SchemaCache:
        with psycopg.connect(self._conninfo, autocommit=True) as conn:
            conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ  # one snapshot for all queries
            conn.read_only = True
            return self._loader(conn, self._schemas, self._extra)

    def _spawn(self, coroutine: Any) -> None:
        self._tasks.append(asyncio.create_task(coroutine))

    async def _open_listener(self, channel: str) -> psycopg.AsyncConnection[Any] | None:
        try:
            conn = await psycopg.AsyncConnection.connect(self._conninfo, autocommit=True)
        except psycopg.Error as error:
            log.warning("schema cache listener cannot connect", error=str(error))
            return None
        try:
            await conn.execute(sql.SQL("listen {}").format(sql.Identifier(channel)))
        except psycopg.Error as error:
            log.warning("schema cache listener cannot listen", channel=channel, error=str(error))
            await conn.close()
            return None
        return conn

    async def _listen(self, channel: str, conn: psycopg.AsyncConnection[Any] | None) -> None:
        delay = self._first_delay
        while True:
            if conn is None:
                await asyncio.sleep(delay)
                delay = min(delay * 2, self._max_delay)
                conn = await self._open_listener(channel)
                if conn is None:
                    continue
                log.info("schema cache listener reconnected", channel=channel)
                self._pending.set()
            delay = self._first_delay
            try:
                async for notify in conn.notifies():
                    if notify.payload in RELOAD_PAYLOADS:
                        self._pending.set()
            except psycopg.Error as error:
                log.warning("schema cache listener lost its connection", error=str(error))
            finally:
                await conn.close()
            conn = None

    async def _reload_when_asked(self) -> None:
        while True:
            await self._pending.wait()
            await asyncio.sleep(self._debounce)  # let the rest of a burst arrive
            self._pending.clear()
            await self.reload()

    async def _retry_until_loaded(self) -> None:
        delay = self._first_delay
        while self._current is None:
            await asyncio.sleep(delay)
            delay = min(delay * 2, self._max_delay)
            await self.reload()

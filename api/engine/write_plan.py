"""Plan a write: an ApiRequest for POST/PUT/PATCH/DELETE checked against the schema cache.

Everything the query stage will splice into SQL is resolved here: the target relation, the
columns the payload writes (400 PGRST204 for a name the relation does not have), the conflict
target of an upsert, the filters of PATCH/DELETE (and of PUT, which are checked to be exactly the
primary key, 405 PGRST105), and — for ``return=representation`` — a ReadNode shaped by ``select=``
that the query stage reads from the mutation's rows instead of the table (reference §2).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from api.engine.errors import ApiError
from api.engine.grammar import Condition, Star
from api.engine.read_plan import (
    EmbedNode,
    Planner,
    Predicate,
    ReadNode,
    SelectColumn,
    relation_not_found,
)
from api.engine.request import ApiRequest, PageRange, Payload
from api.engine.schema_cache import Column, Relation, SchemaCache

KINDS = {"POST": "insert", "PUT": "put", "PATCH": "update", "DELETE": "delete"}
TARGET_ALIAS = "pgrst_target"  # the mutated relation in the SQL; filters of PATCH/DELETE use it
BODY_ALIAS = "pgrst_body"  # the payload's rows; filters of PUT use it


@dataclass(frozen=True)
class OnConflict:
    """An upsert: what to do with a row whose ``columns`` clash with an existing one."""

    resolution: str  # merge-duplicates | ignore-duplicates
    columns: tuple[str, ...]


@dataclass(frozen=True)
class WritePlan:
    """One mutation, resolved.

    ``kind`` is ``insert`` (POST), ``put`` (single-row upsert), ``update`` (PATCH) or ``delete``.
    ``columns`` are the columns the payload writes, in payload order; ``payload`` the JSON to bind
    (None for DELETE). ``where`` filters the target (PATCH/DELETE) or the payload (PUT).
    ``returned`` lists the columns the mutation must return for the response (None = all,
    ``()`` = none: the rows are only counted).
    ``node`` is the representation select, built for every request so a bad ``select=`` fails
    the same way whatever ``return=`` says, but read only with ``return=representation``.
    """

    kind: str
    relation: Relation
    columns: tuple[Column, ...]
    payload: Payload | None
    defaults: bool  # missing=default: absent keys take the column defaults
    conflict: OnConflict | None
    where: tuple[Predicate, ...]
    returning: str  # minimal | headers-only | representation
    returned: tuple[str, ...] | None
    node: ReadNode
    count: str | None

    @property
    def primary_key(self) -> tuple[str, ...]:
        return self.relation.primary_key

    @property
    def counts_inserts(self) -> bool:
        """Whether the response status depends on how many rows were inserted (vs updated)."""
        return self.kind == "put" or (self.conflict is not None and self.conflict.resolution == "merge-duplicates")

    @property
    def wants_location(self) -> bool:
        """PostgREST sends `Location` for an insert with `return=headers-only` only."""
        return self.kind == "insert" and self.returning == "headers-only" and bool(self.primary_key)


# -- errors ------------------------------------------------------------------------------------
def column_not_found(relation: Relation, name: str) -> ApiError:
    return ApiError(
        400, "PGRST204", f"Could not find the '{name}' column of '{relation.name.name}' in the schema cache"
    )


def invalid_put_filters() -> ApiError:
    return ApiError(405, "PGRST105", "Filters must include all and only primary key columns with 'eq' operators")


def put_with_range() -> ApiError:
    return ApiError(400, "PGRST114", "limit/offset querystring parameters are not allowed for PUT")


# -- planning ----------------------------------------------------------------------------------
def plan_write(
    api: ApiRequest, cache: SchemaCache, *, max_rows: int | None = None, aggregates: bool = False
) -> WritePlan:
    """The plan for a POST, PUT, PATCH or DELETE on a relation.

    ``max_rows`` is accepted for symmetry with ``plan_read`` but never applied: PostgREST caps
    neither a mutation nor its representation (nor the embeds in it).
    """
    del max_rows
    kind = KINDS[api.method]
    if kind == "put" and not api.range.is_unbounded:  # checked while parsing, before the table is looked up
        raise put_with_range()
    relation = cache.relation(api.schema, api.target.name)
    if relation is None:
        raise relation_not_found(api.schema, api.target.name, cache)
    if kind == "put":
        check_put_filters(api, relation)
    planner = Planner(api, cache, None, aggregates)
    node = representation_node(planner, relation)
    where = target_predicates(planner, relation) if kind != "insert" else ()
    columns = written_columns(relation, api.payload.keys) if api.payload is not None and kind != "delete" else ()
    returning = api.preferences.returning or "minimal"
    return WritePlan(
        kind=kind,
        relation=relation,
        columns=columns,
        payload=api.payload if kind != "delete" else None,
        defaults=api.preferences.missing == "default" and kind in ("insert", "update"),
        conflict=on_conflict(api, relation) if kind in ("insert", "put") else None,
        where=where,
        returning=returning,
        returned=returned(kind, returning, node, relation.primary_key),
        node=node,
        count=api.preferences.count,
    )


def representation_node(planner: Planner, relation: Relation) -> ReadNode:
    """The ``select=`` tree read from the mutated rows. The root's filters were applied by the
    mutation itself (re-applying them would drop rows an update moved out of the filter), and no
    range applies anywhere: PostgREST pages neither a mutation nor the embeds of its result."""
    node = planner.node(relation, planner.request.select, ())
    node.where = []
    _unpage(node)
    return node


def _unpage(node: ReadNode) -> None:
    node.range = PageRange()
    for embed in node.embeds:
        _unpage(embed.node)


def target_predicates(planner: Planner, relation: Relation) -> tuple[Predicate, ...]:
    """The root filters and logic trees, resolved against the relation's own columns (a name that
    is only an embed is not a column here: PostgREST filters mutations on the table alone)."""
    bare = ReadNode(relation, TARGET_ALIAS)
    return tuple(planner.predicate(bare, f.predicate) for f in planner.request.filters_at(()))


def check_put_filters(api: ApiRequest, relation: Relation) -> None:
    """PUT names one row: a plain ``pk=eq.value`` for every primary key column and nothing else."""
    root = api.filters_at(())
    conditions = [f.predicate for f in root if isinstance(f.predicate, Condition)]
    has_trees = any(not isinstance(f.predicate, Condition) for f in api.filters)
    named = {c.field.name for c in conditions}
    plain_eq = all(
        c.expr.operator == "eq" and not c.expr.negated and c.expr.quantifier is None and not c.field.json_path
        for c in conditions
    )
    if has_trees or not relation.primary_key or named != set(relation.primary_key) or not plain_eq:
        raise invalid_put_filters()


def written_columns(relation: Relation, keys: Iterable[str]) -> tuple[Column, ...]:
    """The payload's keys (or ``columns=``) as columns of the relation, duplicates dropped.

    PostgREST checks them in sorted order, so the first unknown name in that order is reported.
    """
    names = list(dict.fromkeys(keys))
    for name in sorted(names):
        if relation.column(name) is None:
            raise column_not_found(relation, name)
    return tuple(c for c in map(relation.column, names) if c is not None)


def on_conflict(api: ApiRequest, relation: Relation) -> OnConflict | None:
    """PUT always merges on the primary key. POST upserts with ``Prefer: resolution=…`` on
    ``on_conflict=`` (default: the primary key); without a target it stays a plain insert."""
    if api.method == "PUT":
        return OnConflict("merge-duplicates", relation.primary_key)
    resolution = api.preferences.resolution
    target = api.on_conflict or relation.primary_key
    if resolution is None or not target:
        return None
    for name in target:
        if relation.column(name) is None:  # PostgreSQL's own answer to an unknown conflict column
            raise ApiError(400, "42703", f'column "{name}" does not exist')
    return OnConflict(resolution, tuple(dict.fromkeys(target)))


def returned(kind: str, returning: str, node: ReadNode, primary_key: tuple[str, ...]) -> tuple[str, ...] | None:
    """The columns the mutation returns: what the representation reads, the key alone for an
    insert's ``Location`` (``headers-only``: PostgREST needs SELECT on the key only), else none."""
    if returning == "representation":
        return returned_columns(node, primary_key)
    if returning == "headers-only" and kind == "insert":
        return primary_key
    return ()


def returned_columns(node: ReadNode, primary_key: tuple[str, ...]) -> tuple[str, ...] | None:
    """What the mutation must return for the representation: the selected columns, the columns
    embeds join on and the primary key (for ``Location``). None means every column — for ``*``,
    computed fields and computed relationships, which take the whole row."""
    names: list[str] = []
    for item in node.select:
        if isinstance(item, SelectColumn):
            if item.ref.computed is not None:
                return None
            names.append(item.ref.field.name)
        elif isinstance(item, EmbedNode):
            joined = _join_columns(item)
            if joined is None:
                return None
            names += joined
        elif isinstance(item, Star):
            return None
    for order in node.order:
        if order.embed_alias is None:
            if order.ref.computed is not None:
                return None
            names.append(order.ref.field.name)
    return tuple(dict.fromkeys([*names, *primary_key]))


def _join_columns(embed: EmbedNode) -> list[str] | None:
    rel = embed.relationship
    if rel.function is not None:
        return None
    if rel.junction is not None:
        return [source for source, _ in rel.junction.source_columns]
    return [source for source, _ in rel.columns]

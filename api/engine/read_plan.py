"""Plan a read: an ApiRequest checked against the schema cache becomes a tree of ReadNodes.

Every identifier that will reach SQL is resolved here — relations, columns, computed fields,
relationships — so the query stage only quotes what the schema cache vouched for. Errors that
PostgREST answers before touching the database (PGRST200/201/108/118/120, unknown columns) are
raised here.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from itertools import count

from api.engine.errors import ApiError
from api.engine.grammar import (
    Column,
    Condition,
    CountAll,
    Embed,
    Field,
    LogicTree,
    OrderTerm,
    SelectItem,
    Star,
)
from api.engine.request import ApiRequest, PageRange
from api.engine.schema_cache import QualifiedName, Relation, Relationship, Routine, SchemaCache

TO_ONE = frozenset({"many_to_one", "one_to_one"})
JSON_TYPES = frozenset({"json", "jsonb"})


@dataclass(frozen=True)
class ColumnRef:
    """A column (or computed field) of a node, with an optional JSON/composite path."""

    field: Field
    data_type: str
    computed: Routine | None = None

    @property
    def is_json(self) -> bool:
        return self.data_type in JSON_TYPES


@dataclass(frozen=True)
class SelectColumn:
    ref: ColumnRef
    output: str  # the JSON key
    cast: str | None = None
    aggregate: str | None = None
    aggregate_cast: str | None = None


@dataclass(frozen=True)
class SelectCount:
    output: str
    cast: str | None = None


@dataclass(frozen=True)
class ResolvedCondition:
    ref: ColumnRef
    condition: Condition


@dataclass(frozen=True)
class ResolvedTree:
    tree: LogicTree
    children: tuple[ResolvedCondition | ResolvedTree | EmbedPresence, ...]


@dataclass(frozen=True)
class EmbedPresence:
    """`rel=is.null` / `rel=not.is.null`: keep parents without / with embedded rows."""

    embed_alias: str
    present: bool


@dataclass(frozen=True)
class ResolvedOrder:
    ref: ColumnRef
    term: OrderTerm
    embed_alias: str | None = None  # ordering by a to-one embed's column…
    hidden_output: str | None = None  # …which that embed exposes under this name


Predicate = ResolvedCondition | ResolvedTree | EmbedPresence


@dataclass
class ReadNode:
    relation: Relation
    alias: str  # the SQL alias, unique in the query
    select: list[SelectColumn | SelectCount | Star | EmbedNode] = field(default_factory=list)
    where: list[Predicate] = field(default_factory=list)
    order: list[ResolvedOrder] = field(default_factory=list)
    range: PageRange = field(default_factory=PageRange)
    hidden: list[SelectColumn] = field(default_factory=list)  # selected for a parent's order, not output

    @property
    def embeds(self) -> list[EmbedNode]:
        return [item for item in self.select if isinstance(item, EmbedNode)]

    @property
    def has_aggregates(self) -> bool:
        return any(isinstance(i, SelectCount) or (isinstance(i, SelectColumn) and i.aggregate) for i in self.select)


@dataclass
class EmbedNode:
    output: str  # JSON key (alias or relation name)
    relationship: Relationship
    node: ReadNode
    inner: bool
    spread: bool
    hidden: bool  # `rel()`: joined for filtering only

    @property
    def to_one(self) -> bool:
        return self.relationship.cardinality in TO_ONE


@dataclass(frozen=True)
class ReadPlan:
    root: ReadNode
    count: str | None  # exact | planned | estimated


# -- errors ------------------------------------------------------------------------------------
def _closest(word: str, candidates: list[str]) -> str | None:
    found = difflib.get_close_matches(word, candidates, n=1, cutoff=0.6)
    return found[0] if found else None


def relation_not_found(schema: str, name: str, cache: SchemaCache) -> ApiError:
    names = [q.name for q in cache.relations if q.schema == schema]
    guess = _closest(name, names)
    return ApiError(
        404,
        "PGRST205",
        f"Could not find the table '{schema}.{name}' in the schema cache",
        hint=f"Perhaps you meant the table '{schema}.{guess}'" if guess else None,
    )


def column_not_found(relation: Relation, name: str) -> ApiError:
    return ApiError(400, "42703", f"column {relation.name.name}.{name} does not exist")


# -- resolution --------------------------------------------------------------------------------
@dataclass
class Planner:
    request: ApiRequest
    cache: SchemaCache
    max_rows: int | None
    aggregates: bool
    aliases: count = field(default_factory=count)

    def new_alias(self) -> str:
        return f"pgrst_{next(self.aliases)}"

    def column(self, relation: Relation, fld: Field) -> ColumnRef:
        column = relation.column(fld.name)
        if column is not None:
            return ColumnRef(fld, column.data_type)
        computed = self.cache.computed_fields.get(relation.name, {}).get(fld.name)
        if computed is not None:
            return ColumnRef(fld, computed.return_type, computed)
        raise column_not_found(relation, fld.name)

    # select ----------------------------------------------------------------------------------
    def node(self, relation: Relation, items: tuple[SelectItem, ...], path: tuple[str, ...]) -> ReadNode:
        node = ReadNode(relation, self.new_alias())
        for item in items or (Star(),):
            node.select.append(self.select_item(node, item, path))
        self.check_aggregates(node)
        self.check_embed_filters(node, path)
        node.where = [self.predicate(node, f.predicate) for f in self.request.filters_at(path)]
        node.order = [self.order_term(node, term) for term in self.request.order_at(path)]
        node.range = self.capped(self.request.range_at(path))
        return node

    def capped(self, page: PageRange) -> PageRange:
        if self.max_rows is None or (page.limit is not None and page.limit <= self.max_rows):
            return page
        return PageRange(page.offset, self.max_rows)

    def select_item(self, node: ReadNode, item: SelectItem, path: tuple[str, ...]):
        if isinstance(item, Star):
            return item
        if isinstance(item, CountAll):
            return SelectCount(item.alias or "count", item.cast)
        if isinstance(item, Column):
            ref = self.column(node.relation, item.field)
            output = item.alias or item.aggregate or item.field.output_name
            return SelectColumn(ref, output, item.cast, item.aggregate, item.aggregate_cast)
        return self.embed(node, item, path)

    def embed(self, parent: ReadNode, item: Embed, path: tuple[str, ...]) -> EmbedNode:
        relationship = self.relationship(parent.relation, item.relation, item.hint)
        target = self.cache.relations[relationship.target]
        output = item.alias or item.relation
        child = self.node(target, item.children, (*path, output))
        return EmbedNode(
            output,
            relationship,
            child,
            inner=item.join == "inner",
            spread=item.spread,
            hidden=not item.children and not item.spread,
        )

    def relationship(self, origin: Relation, name: str, hint: str | None) -> Relationship:
        found = [
            r
            for r in self.cache.relationships_from(origin.name)
            if r.target in self.cache.relations and _matches(r, name, hint)  # targets must be exposed
        ]
        if len(found) == 1:
            return found[0]
        if not found:
            raise _no_relationship(origin.name, name, hint, self.cache)
        raise _ambiguous(origin.name, name, found)

    def check_aggregates(self, node: ReadNode) -> None:
        if node.has_aggregates and not self.aggregates:
            raise ApiError(400, "PGRST123", "Use of aggregate functions is not allowed")
        for embed in node.embeds:
            if embed.spread and not embed.to_one and embed.node.has_aggregates:
                raise ApiError(
                    400,
                    "PGRST127",
                    "Feature not implemented",
                    details="Aggregates are not implemented for one-to-many or many-to-many spreads.",
                )

    def check_embed_filters(self, node: ReadNode, path: tuple[str, ...]) -> None:
        """A filter, order or range addressed to an embed that is not in `select` is an error."""
        names = {e.output for e in node.embeds} | {e.node.relation.name.name for e in node.embeds}
        depth = len(path)
        for key_path in (
            [f.path for f in self.request.filters]
            + [o.path for o in self.request.orders]
            + [r.path for r in self.request.embed_ranges]
        ):
            if len(key_path) > depth and key_path[:depth] == path and key_path[depth] not in names:
                missing = key_path[depth]
                raise ApiError(
                    400,
                    "PGRST108",
                    f"'{missing}' is not an embedded resource in this request",
                    hint=f"Verify that '{missing}' is included in the 'select' query parameter.",
                )

    # filters ---------------------------------------------------------------------------------
    def embed_named(self, node: ReadNode, name: str) -> EmbedNode | None:
        return next((e for e in node.embeds if e.output == name), None) or next(
            (e for e in node.embeds if e.node.relation.name.name == name), None
        )

    def predicate(self, node: ReadNode, predicate: Condition | LogicTree) -> Predicate:
        if isinstance(predicate, LogicTree):
            return ResolvedTree(predicate, tuple(self.predicate(node, child) for child in predicate.children))
        embed = self.embed_named(node, predicate.field.name) if not predicate.field.json_path else None
        if embed is not None and node.relation.column(predicate.field.name) is None:
            return _presence(embed, predicate)
        return ResolvedCondition(self.column(node.relation, predicate.field), predicate)

    def order_term(self, node: ReadNode, term: OrderTerm) -> ResolvedOrder:
        if term.relation is None:
            return ResolvedOrder(self.column(node.relation, term.field), term)
        embed = self.embed_named(node, term.relation)
        if embed is None:
            raise ApiError(
                400,
                "PGRST108",
                f"'{term.relation}' is not an embedded resource in this request",
                hint=f"Verify that '{term.relation}' is included in the 'select' query parameter.",
            )
        if not embed.to_one:
            raise ApiError(
                400,
                "PGRST118",
                f"A related order on '{term.relation}' is not possible",
                details=f"'{node.relation.name.name}' and '{term.relation}' do not form a many-to-one "
                "or one-to-one relationship",
            )
        ref = self.column(embed.node.relation, term.field)
        hidden = f"pgrst_order_{len(embed.node.hidden)}"
        embed.node.hidden.append(SelectColumn(ref, hidden))
        return ResolvedOrder(ref, term, embed.node.alias, hidden)


def _presence(embed: EmbedNode, predicate: Condition) -> EmbedPresence:
    expr = predicate.expr
    if expr.operator != "is" or str(expr.value).lower() not in {"null", "not_null"}:
        raise ApiError(
            400,
            "PGRST120",
            f"Bad operator on the '{embed.output}' embedded resource",
            details="Only is null or not is null filters are allowed on embedded resources",
        )
    is_null = str(expr.value).lower() == "null"
    return EmbedPresence(embed.node.alias, present=(is_null == expr.negated))


def _matches(rel: Relationship, name: str, hint: str | None) -> bool:
    """PostgREST's matching of `name!hint` against one relationship (reference §1.4)."""
    single_source = rel.columns[0][0] if len(rel.columns) == 1 else None
    if rel.function is not None:  # computed relationships are named by their function only
        return rel.function.name == name and hint is None
    if hint is None:
        by_table = rel.target.name == name and not (rel.is_self and rel.cardinality == "many_to_one")
        by_constraint = rel.constraint_name == name and rel.function is None
        by_column = rel.cardinality in TO_ONE and single_source == name
        return by_table or by_constraint or by_column
    if rel.target.name != name:
        return False
    hints = {rel.constraint_name}
    if len(rel.columns) == 1 and not (rel.is_self and rel.cardinality != "many_to_one"):
        hints |= set(rel.columns[0])  # on a self-reference a column hint names the to-one side
    if rel.junction is not None:
        hints.add(rel.junction.relation.name)
    return hint in hints


def _no_relationship(origin: QualifiedName, name: str, hint: str | None, cache: SchemaCache) -> ApiError:
    using = f" using the hint '{hint}'" if hint else ""
    targets = sorted({r.target.name for r in cache.relationships_from(origin)})
    guess = _closest(name, targets)
    return ApiError(
        400,
        "PGRST200",
        f"Could not find a relationship between '{origin.name}' and '{name}' in the schema cache",
        details=f"Searched for a foreign key relationship between '{origin.name}' and '{name}'{using} "
        f"in the schema '{origin.schema}', but no matches were found.",
        hint=f"Perhaps you meant '{guess}' instead of '{name}'." if guess else None,
    )


_CARDINALITY_TEXT = {
    "many_to_one": "many-to-one",
    "one_to_many": "one-to-many",
    "one_to_one": "one-to-one",
    "many_to_many": "many-to-many",
}


def _describe(rel: Relationship) -> dict[str, str]:
    source_cols = ", ".join(c[0] for c in rel.columns)
    target_cols = ", ".join(c[1] for c in rel.columns)
    if rel.junction is not None:
        j = rel.junction
        text = (
            f"{j.relation.name} using {j.source_constraint}({', '.join(c[1] for c in j.source_columns)}) "
            f"and {j.target_constraint}({', '.join(c[0] for c in j.target_columns)})"
        )
    else:
        text = f"{rel.constraint_name} using {rel.source.name}({source_cols}) and {rel.target.name}({target_cols})"
    return {
        "cardinality": _CARDINALITY_TEXT[rel.cardinality],
        "embedding": f"{rel.source.name} with {rel.target.name}",
        "relationship": text,
    }


def _ambiguous(origin: QualifiedName, name: str, found: list[Relationship]) -> ApiError:
    options = ", ".join(f"'{name}!{r.junction.relation.name if r.junction else r.constraint_name}'" for r in found)
    return ApiError(
        300,
        "PGRST201",
        f"Could not embed because more than one relationship was found for '{origin.name}' and '{name}'",
        details=[_describe(r) for r in found],
        hint=f"Try changing '{name}' to one of the following: {options}. "
        "Find the desired relationship in the 'details' key.",
    )


def plan_read(
    request: ApiRequest, cache: SchemaCache, max_rows: int | None = None, *, aggregates: bool = False
) -> ReadPlan:
    relation = cache.relation(request.schema, request.target.name)
    if relation is None:
        raise relation_not_found(request.schema, request.target.name, cache)
    planner = Planner(request, cache, max_rows, aggregates)
    root = planner.node(relation, request.select, ())
    return ReadPlan(root, request.preferences.count)

"""Turn a ReadPlan into one SQL statement that returns the whole response body.

No I/O. Identifiers are quoted with `psycopg.sql.Identifier` (they were resolved against the
schema cache by the planner); every value from the URL is a bind parameter. Python `str`
values go out with the `unknown` type, so PostgreSQL infers each one from the column it meets,
exactly as PostgREST's untyped parameters do.

Shape (embeds are lateral subqueries producing one JSON value each):

    WITH pgrst_source AS (SELECT … FROM s.t AS pgrst_0 LEFT JOIN LATERAL (…) AS pgrst_1 ON TRUE
                          WHERE … ORDER BY … LIMIT … OFFSET …)
    SELECT <total>, count(t), <body>, response.headers, response.status FROM pgrst_source AS t
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from psycopg import sql

from api.engine.grammar import Condition, OpExpr, OrderTerm, Star
from api.engine.read_plan import (
    ColumnRef,
    EmbedNode,
    EmbedPresence,
    Predicate,
    ReadNode,
    ReadPlan,
    ResolvedCondition,
    ResolvedOrder,
    SelectColumn,
    SelectCount,
)
from api.engine.request import PageRange

SIMPLE_SQL = {
    "eq": "=", "neq": "<>", "gt": ">", "gte": ">=", "lt": "<", "lte": "<=",
    "like": "like", "ilike": "ilike", "match": "~", "imatch": "~*", "isdistinct": "is distinct from",
    "cs": "@>", "cd": "<@", "ov": "&&", "sl": "<<", "sr": ">>", "nxr": "&<", "nxl": "&>", "adj": "-|-",
}  # fmt: skip
FTS_FUNCTIONS = {"fts": "to_tsquery", "plfts": "plainto_tsquery", "phfts": "phraseto_tsquery",
                 "wfts": "websearch_to_tsquery"}  # fmt: skip
IS_SQL = {"null": "is null", "not_null": "is not null", "true": "is true", "false": "is false",
          "unknown": "is unknown"}  # fmt: skip
BODY_KIND = {"json", "object", "csv"}


# What SQL may have set for the response (`response.headers`, `response.status`): every statement
# the engine builds ends its result row with these two columns.
RESPONSE_COLUMNS = sql.SQL(
    "nullif(pg_catalog.current_setting('response.headers', true), '') as response_headers, "
    "nullif(pg_catalog.current_setting('response.status', true), '') as response_status"
)


@dataclass(frozen=True)
class Statement:
    query: sql.Composable | bytes
    params: list[Any]
    utf8: bytes | None = None  # `query` already rendered for a UTF-8 connection (cached statements)


@dataclass
class QueryBuilder:
    params: list[Any] = field(default_factory=list)

    def bind(self, value: Any) -> sql.Composable:
        self.params.append(value)
        return sql.Placeholder()

    # expressions -------------------------------------------------------------------------------
    def field(self, alias: str, ref: ColumnRef, *, as_text_path: bool = True) -> sql.Composable:
        if ref.computed is not None:
            base: sql.Composable = sql.SQL("{}({})").format(
                sql.Identifier(ref.computed.name.schema, ref.computed.name.name), sql.Identifier(alias)
            )
        else:
            base = sql.Identifier(alias, ref.field.name)
        if not ref.field.json_path:
            return base
        if not ref.is_json:
            base = sql.SQL("pg_catalog.to_jsonb({})").format(base)
        for step in ref.field.json_path:
            key = sql.Literal(step.key) if isinstance(step.key, int) else self.bind(step.key)
            base = sql.SQL("{}{}{}").format(base, sql.SQL(step.arrow), key)
        return base

    def condition(self, alias: str, resolved: ResolvedCondition) -> sql.Composable:
        cond: Condition = resolved.condition
        expr: OpExpr = cond.expr
        column = self.field(alias, resolved.ref)
        test = self.operation(column, resolved.ref, expr)
        return sql.SQL("not ({})").format(test) if expr.negated else test

    def operation(self, column: sql.Composable, ref: ColumnRef, expr: OpExpr) -> sql.Composable:
        op = expr.operator
        if op == "is":
            return sql.SQL("{} {}").format(column, sql.SQL(IS_SQL[str(expr.value).lower()]))
        if op == "in":
            values = expr.value if isinstance(expr.value, tuple) else (expr.value,)
            return sql.SQL("{} = any({})").format(column, self.bind(array_literal(values)))
        if op in FTS_FUNCTIONS:
            return self.full_text(column, ref, expr)
        value = str(expr.value)
        if op in {"like", "ilike"}:
            value = value.replace("*", "%")
        if expr.quantifier:
            return sql.SQL("{} {} {}({})").format(
                column, sql.SQL(SIMPLE_SQL[op]), sql.SQL(expr.quantifier), self.bind(value)
            )
        return sql.SQL("{} {} {}").format(column, sql.SQL(SIMPLE_SQL[op]), self.bind(value))

    def full_text(self, column: sql.Composable, ref: ColumnRef, expr: OpExpr) -> sql.Composable:
        def config() -> list[sql.Composable]:  # bound where it appears: placeholders are positional
            return [sql.SQL("{}::regconfig").format(self.bind(expr.fts_config))] if expr.fts_config else []

        if ref.data_type != "tsvector":
            column = sql.SQL("pg_catalog.to_tsvector({})").format(sql.SQL(", ").join([*config(), column]))
        arguments = config()
        arguments.append(self.bind(str(expr.value)))
        function = sql.SQL(FTS_FUNCTIONS[expr.operator])
        query = sql.SQL("pg_catalog.{}({})").format(function, sql.SQL(", ").join(arguments))
        return sql.SQL("{} @@ {}").format(column, query)

    def predicate(self, alias: str, predicate: Predicate) -> sql.Composable:
        if isinstance(predicate, ResolvedCondition):
            return self.condition(alias, predicate)
        if isinstance(predicate, EmbedPresence):
            check = "is not null" if predicate.present else "is null"
            return sql.SQL("{} {}").format(sql.Identifier(predicate.embed_alias, "body"), sql.SQL(check))
        joiner = sql.SQL(f" {predicate.tree.operator} ")
        inner = sql.SQL("({})").format(joiner.join(self.predicate(alias, c) for c in predicate.children))
        return sql.SQL("not {}").format(inner) if predicate.tree.negated else inner

    def order_term(self, alias: str, order: ResolvedOrder) -> sql.Composable:
        if order.embed_alias is not None and order.hidden_output is not None:
            return self.order_suffix(sql.Identifier(order.embed_alias, order.hidden_output), order.term)
        return self.order_suffix(self.field(alias, order.ref), order.term)

    def order_suffix(self, expr: sql.Composable, term: OrderTerm) -> sql.Composable:
        parts = [expr]
        if term.direction:
            parts.append(sql.SQL(term.direction))
        if term.nulls:
            parts.append(sql.SQL(f"nulls {term.nulls}"))
        return sql.SQL(" ").join(parts)

    # select lists ------------------------------------------------------------------------------
    def select_list(self, node: ReadNode) -> list[sql.Composable]:
        items: list[sql.Composable] = []
        for item in node.select:
            if isinstance(item, Star):
                items.append(sql.SQL("{}.*").format(sql.Identifier(node.alias)))
            elif isinstance(item, SelectCount):
                items.append(
                    sql.SQL("pg_catalog.count(*){} as {}").format(_cast(item.cast), sql.Identifier(item.output))
                )
            elif isinstance(item, SelectColumn):
                items.append(self.column(node.alias, item))
            elif isinstance(item, EmbedNode) and item.spread:
                items += self.spread_output(item)
            elif isinstance(item, EmbedNode) and not item.hidden:
                items.append(self.embed_output(item))
        items += [self.column(node.alias, hidden) for hidden in node.hidden]
        return items

    def group_by(self, node: ReadNode) -> list[sql.Composable]:
        """With aggregates, every other selected expression is a grouping key (as in PostgREST)."""
        keys: list[sql.Composable] = []
        for item in node.select:
            if isinstance(item, Star):
                keys += [sql.Identifier(node.alias, c.name) for c in node.relation.columns]
            elif isinstance(item, SelectColumn) and not item.aggregate:
                expr = self.field(node.alias, item.ref)
                keys.append(sql.SQL("cast({} as {})").format(expr, sql.SQL(item.cast)) if item.cast else expr)
            elif isinstance(item, EmbedNode) and item.spread:
                keys += [sql.Identifier(item.node.alias, key) for key in output_keys(item.node)]
            elif isinstance(item, EmbedNode) and not item.hidden:
                keys.append(sql.Identifier(item.node.alias, "body"))
            if isinstance(item, EmbedNode):  # columns a related order reads ride beside the body
                keys += [sql.Identifier(item.node.alias, h.output) for h in item.node.hidden]
        return keys

    @staticmethod
    def spread_output(embed: EmbedNode) -> list[sql.Composable]:
        """`...rel(cols)`: the embed's keys become the parent's (arrays of values for to-many)."""
        template = "{} as {}" if embed.to_one else "coalesce({}, '[]') as {}"
        return [
            sql.SQL(template).format(sql.Identifier(embed.node.alias, key), sql.Identifier(key))
            for key in output_keys(embed.node)
        ]

    def column(self, alias: str, item: SelectColumn) -> sql.Composable:
        expr = self.field(alias, item.ref)
        if item.cast:
            expr = sql.SQL("cast({} as {})").format(expr, sql.SQL(item.cast))
        if item.aggregate:
            expr = sql.SQL("pg_catalog.{}({})").format(sql.SQL(item.aggregate), expr)
            if item.aggregate_cast:
                expr = sql.SQL("cast({} as {})").format(expr, sql.SQL(item.aggregate_cast))
        return sql.SQL("{} as {}").format(expr, sql.Identifier(item.output))

    def embed_output(self, embed: EmbedNode) -> sql.Composable:
        body = sql.Identifier(embed.node.alias, "body")
        if embed.to_one:
            return sql.SQL("{} as {}").format(body, sql.Identifier(embed.output))
        return sql.SQL("coalesce({}, '[]') as {}").format(body, sql.Identifier(embed.output))

    # FROM … WHERE … -------------------------------------------------------------------------------
    def node_query(
        self, node: ReadNode, join_condition: sql.Composable | None, source: sql.Composable | None = None
    ) -> sql.Composed:
        """SELECT <list> FROM relation <laterals> WHERE <join> AND <filters> ORDER BY … LIMIT … OFFSET …"""
        selected = self.select_list(node) or [sql.SQL("null")]
        relation = source or sql.Identifier(node.relation.name.schema, node.relation.name.name)
        source = sql.SQL("{} as {}").format(relation, sql.Identifier(node.alias))
        joins, where = self.laterals(node)
        if join_condition is not None:
            where.insert(0, join_condition)
        where += [self.predicate(node.alias, p) for p in node.where]
        parts = [sql.SQL("select {} from {}").format(sql.SQL(", ").join(selected), source), *joins]
        if where:
            parts.append(sql.SQL("where {}").format(sql.SQL(" and ").join(where)))
        if node.has_aggregates:
            keys = self.group_by(node)
            if keys:
                parts.append(sql.SQL("group by {}").format(sql.SQL(", ").join(keys)))
        if node.order:
            terms = [self.order_term(node.alias, o) for o in node.order]
            parts.append(sql.SQL("order by {}").format(sql.SQL(", ").join(terms)))
        if node.range.limit is not None:
            parts.append(sql.SQL("limit {}").format(sql.Literal(node.range.limit)))
        if node.range.offset:
            parts.append(sql.SQL("offset {}").format(sql.Literal(node.range.offset)))
        return sql.SQL(" ").join(parts)

    def laterals(self, node: ReadNode) -> tuple[list[sql.Composable], list[sql.Composable]]:
        joins: list[sql.Composable] = []
        where: list[sql.Composable] = []
        for embed in node.embeds:
            function = embed.relationship.function
            if function is not None:  # a computed relationship: the function picks the rows
                call = sql.SQL("{}({})").format(
                    sql.Identifier(function.schema, function.name), sql.Identifier(node.alias)
                )
                inner = self.node_query(embed.node, None, call)
            else:
                inner = self.node_query(embed.node, self.join_condition(node.alias, embed))
            alias = sql.Identifier(embed.node.alias)
            sub = self.embed_body(embed, alias, inner)
            joins.append(sql.SQL("left join lateral ({}) as {} on true").format(sub, alias))
            if embed.inner and not embed.spread:
                where.append(sql.SQL("{} is not null").format(sql.Identifier(embed.node.alias, "body")))
        return joins, where

    @staticmethod
    def embed_body(embed: EmbedNode, alias: sql.Identifier, inner: sql.Composable) -> sql.Composable:
        """One JSON value per parent row: an object (or null) for to-one, an array for to-many."""
        if embed.spread and embed.to_one:
            return sql.SQL("select {a}.* from ({q}) as {a}").format(a=alias, q=inner)
        if embed.spread:
            columns = sql.SQL(", ").join(
                sql.SQL("pg_catalog.jsonb_agg({}) as {}").format(
                    sql.Identifier(embed.node.alias, key), sql.Identifier(key)
                )
                for key in output_keys(embed.node)
            )
            return sql.SQL("select {c} from ({q}) as {a}").format(c=columns, a=alias, q=inner)
        if not embed.to_one:
            return sql.SQL("select pg_catalog.json_agg({a})::jsonb as body from ({q}) as {a}").format(a=alias, q=inner)
        if not embed.node.hidden:
            return sql.SQL("select pg_catalog.row_to_json({a}.*)::jsonb as body from ({q}) as {a}").format(
                a=alias, q=inner
            )
        # Columns a parent orders by ride beside the body, removed from it.
        minus = sql.SQL("").join(sql.SQL(" - {}").format(sql.Literal(h.output)) for h in embed.node.hidden)
        exposed = sql.SQL(", ").join(sql.Identifier(embed.node.alias, h.output) for h in embed.node.hidden)
        return sql.SQL("select pg_catalog.to_jsonb({a}.*){minus} as body, {exposed} from ({q}) as {a}").format(
            a=alias, q=inner, minus=minus, exposed=exposed
        )

    def join_condition(self, parent_alias: str, embed: EmbedNode) -> sql.Composable:
        rel = embed.relationship
        child = embed.node.alias
        if rel.junction is None:
            pairs = [
                sql.SQL("{} = {}").format(sql.Identifier(child, target_col), sql.Identifier(parent_alias, source_col))
                for source_col, target_col in rel.columns
            ]
            return sql.SQL(" and ").join(pairs)
        j = rel.junction
        junction = sql.Identifier(j.relation.schema, j.relation.name)
        via_source = [
            sql.SQL("pgrst_j.{} = {}").format(sql.Identifier(junction_col), sql.Identifier(parent_alias, source_col))
            for source_col, junction_col in j.source_columns
        ]
        via_target = [
            sql.SQL("pgrst_j.{} = {}").format(sql.Identifier(junction_col), sql.Identifier(child, target_col))
            for junction_col, target_col in j.target_columns
        ]
        return sql.SQL("exists (select 1 from {} as pgrst_j where {})").format(
            junction, sql.SQL(" and ").join(via_source + via_target)
        )


def _cast(cast: str | None) -> sql.Composable:
    return sql.SQL("::{}").format(sql.SQL(cast)) if cast else sql.SQL("")


def array_literal(values: tuple[str, ...]) -> str:
    """A PostgreSQL array literal with every item quoted, for `= any(…)`."""
    quoted = ('"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values)
    return "{" + ",".join(quoted) + "}"


def body_expression(kind: str, strip_nulls: bool = False) -> sql.Composable:
    if kind == "csv":
        # Header from the first row's keys, then each row's composite text without its parentheses
        # (the composite output format quotes like CSV).
        return sql.SQL(
            "coalesce((select pg_catalog.string_agg(pg_catalog.quote_ident(k), ',') from "
            "pg_catalog.json_object_keys((select pg_catalog.row_to_json(h) from pgrst_source as h limit 1)) as k), '')"
            " || coalesce(chr(10) || pg_catalog.string_agg("
            "substr(pgrst_t::text, 2, length(pgrst_t::text) - 2), chr(10)), '')"
        )
    row = sql.SQL("pg_catalog.json_strip_nulls(pg_catalog.row_to_json(pgrst_t))" if strip_nulls else "pgrst_t")
    if kind == "object":
        return sql.SQL("coalesce((pg_catalog.json_agg({}) -> 0)::text, 'null')").format(row)
    return sql.SQL("coalesce(pg_catalog.json_agg({}), '[]')::text").format(row)


def build_read(
    plan: ReadPlan,
    body_kind: str = "json",
    *,
    want_body: bool = True,
    strip_nulls: bool = False,
    source: Callable[[], sql.Composable] | None = None,
    builder: QueryBuilder | None = None,
) -> Statement:
    """The read statement; columns: total (or null), page_total, body, response headers, response status.

    `source` makes the FROM item that replaces the root relation (a function call, for RPC); it is
    called once per use, because each use binds its values anew (placeholders are positional)."""
    builder = builder or QueryBuilder()
    selected = builder.node_query(plan.root, None, source() if source else None)
    if plan.count == "exact":
        counted = _count_query(plan.root, builder, source() if source else None)
        total = sql.SQL("({})").format(counted)
    else:
        total = sql.SQL("null::bigint")
    body = body_expression(body_kind, strip_nulls) if want_body else sql.SQL("null::text")
    query = sql.SQL(
        "with pgrst_source as ({source}) "
        "select {total} as total, pg_catalog.count(pgrst_t) as page_total, {body} as body, {response} "
        "from pgrst_source as pgrst_t"
    ).format(source=selected, total=total, body=body, response=RESPONSE_COLUMNS)
    return Statement(query, builder.params)


def _unpaged(root: ReadNode) -> ReadNode:
    """The root's rows with their filters and joins, without order, limit, offset or output columns."""
    return replace(root, order=[], range=PageRange(), select=[e for e in root.select if isinstance(e, EmbedNode)])


def _count_query(root: ReadNode, builder: QueryBuilder, source: sql.Composable | None = None) -> sql.Composed:
    inner = builder.node_query(_unpaged(root), None, source)
    return sql.SQL("select pg_catalog.count(*) from ({}) as pgrst_count").format(inner)


def build_explain(plan: ReadPlan, source: sql.Composable | None = None) -> Statement:
    """EXPLAIN of the unpaged root query: its row estimate is the `count=planned` total."""
    builder = QueryBuilder()
    inner = builder.node_query(_unpaged(plan.root), None, source)
    return Statement(sql.SQL("explain (format json) {}").format(inner), builder.params)


def planned_rows(row: tuple[Any, ...] | None) -> int:
    assert row is not None
    document = row[0] if not isinstance(row[0], str) else json.loads(row[0])
    return int(document[0]["Plan"]["Plan Rows"])


def output_keys(node: ReadNode) -> list[str]:
    """The JSON keys a node's rows have, in select order (spreads contribute their own keys)."""
    keys: list[str] = []
    for item in node.select:
        if isinstance(item, Star):
            keys += [c.name for c in node.relation.columns]
        elif isinstance(item, SelectColumn | SelectCount):
            keys.append(item.output)
        elif isinstance(item, EmbedNode) and item.spread:
            keys += output_keys(item.node)
        elif isinstance(item, EmbedNode) and not item.hidden:
            keys.append(item.output)
    return keys


def explain(statement: Statement, format: str, options: tuple[str, ...]) -> Statement:
    """EXPLAIN of a built statement (Accept: application/vnd.pgrst.plan), same parameters."""
    settings = [sql.SQL("format {}").format(sql.SQL("json" if format == "json" else "text"))]
    settings += [sql.SQL(option) for option in options]  # from a fixed allow-list (media.PLAN_OPTIONS)
    return Statement(sql.SQL("explain ({}) {}").format(sql.SQL(", ").join(settings), statement.query), statement.params)

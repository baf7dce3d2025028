"""Turn an RpcPlan into one statement with the same result columns as a read.

The call uses named notation. Query-string values are cast to each parameter's declared type;
a JSON body is unpacked by `json_to_record` (so JSON arrays become PostgreSQL arrays); a single
unnamed parameter receives the whole body. Row results are read through the read builder with
the call as the source, so select, filters, order, embeds and counts work as on a table.
"""

from __future__ import annotations

from psycopg import sql

from api.engine.read_plan import ReadPlan
from api.engine.rpc_plan import RpcPlan
from api.engine.sql_read import RESPONSE_COLUMNS, QueryBuilder, Statement, array_literal, build_read


def _call(plan: RpcPlan, builder: QueryBuilder) -> tuple[sql.Composable, sql.Composable | None]:
    """The function call expression, and the FROM item that feeds it (for JSON bodies)."""
    routine = plan.routine
    function = sql.Identifier(routine.name.schema, routine.name.name)
    if plan.style == "raw":
        parameter = routine.parameters[0]
        value = plan.body if parameter.data_type == "bytea" else (plan.body or b"").decode("utf-8")
        return sql.SQL("{}({}::{})").format(function, builder.bind(value), sql.SQL(parameter.data_type)), None
    if plan.style == "query":
        args = []
        for parameter, values in plan.arguments:
            value = array_literal(values) if parameter.is_variadic else values[0]
            prefix = sql.SQL("variadic ") if parameter.is_variadic else sql.SQL("")
            args.append(
                sql.SQL("{}{} := {}::{}").format(
                    prefix, sql.Identifier(parameter.name), builder.bind(value), sql.SQL(parameter.data_type)
                )
            )
        return sql.SQL("{}({})").format(function, sql.SQL(", ").join(args)), None
    if not plan.json_parameters:
        return sql.SQL("{}()").format(function), None
    definitions = sql.SQL(", ").join(
        sql.SQL("{} {}").format(sql.Identifier(p.name), sql.SQL(p.data_type)) for p in plan.json_parameters
    )
    # An array body calls with its first object, as PostgREST does.
    source = sql.SQL(
        "(select {b}::json as j) as pgrst_payload, lateral pg_catalog.json_to_record("
        "case when pg_catalog.json_typeof(pgrst_payload.j) = 'array' then pgrst_payload.j -> 0 "
        "else pgrst_payload.j end) as pgrst_body({d})"
    ).format(b=builder.bind((plan.body or b"{}").decode("utf-8")), d=definitions)
    args = sql.SQL(", ").join(
        sql.SQL("{}{} := pgrst_body.{}").format(
            sql.SQL("variadic ") if p.is_variadic else sql.SQL(""), sql.Identifier(p.name), sql.Identifier(p.name)
        )
        for p in plan.json_parameters
    )
    return sql.SQL("{}({})").format(function, args), source


def build_rpc(
    plan: RpcPlan, body_kind: str = "json", *, want_body: bool = True, strip_nulls: bool = False
) -> Statement:
    builder = QueryBuilder()
    if plan.node is not None:
        return _rows(plan, builder, body_kind, want_body, strip_nulls)
    call, feed = _call(plan, builder)
    from_feed = sql.SQL(" from {}").format(feed) if feed else sql.SQL("")
    if plan.result == "void":
        query = sql.SQL(
            "with pgrst_call as (select {call}{feed}) select null::bigint as total, 1::bigint as page_total, "
            "null::text as body, {result} from (select count(*) from pgrst_call) as pgrst_done"
        ).format(call=call, feed=from_feed, result=RESPONSE_COLUMNS)
        return Statement(query, builder.params)
    if plan.result == "scalars":
        body = sql.SQL("coalesce(pg_catalog.json_agg(pgrst_call.pgrst_scalar), '[]')::text")
    else:
        body = sql.SQL("(pg_catalog.json_agg(pgrst_call.pgrst_scalar) -> 0)::text")
    query = sql.SQL(
        "select null::bigint as total, pg_catalog.count(*) as page_total, {body} as body, {result} "
        "from (select {call} as pgrst_scalar{feed}) as pgrst_call"
    ).format(body=body, result=RESPONSE_COLUMNS, call=call, feed=from_feed)
    return Statement(query, builder.params)


def _rows(plan: RpcPlan, builder: QueryBuilder, body_kind: str, want_body: bool, strip_nulls: bool) -> Statement:
    """Rows of a relation or TABLE: the call is the read's source (made anew for each use)."""

    def source() -> sql.Composable:
        call, feed = _call(plan, builder)
        if feed is None:
            return call
        return sql.SQL("(select pgrst_call.* from {}, lateral {} as pgrst_call)").format(feed, call)

    assert plan.node is not None
    kind = "object" if plan.result == "object" and body_kind == "json" else body_kind
    return build_read(
        ReadPlan(plan.node, plan.count), kind, want_body=want_body, strip_nulls=strip_nulls,
        source=source, builder=builder,
    )  # fmt: skip

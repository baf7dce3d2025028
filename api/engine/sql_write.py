"""Turn a WritePlan into one SQL statement that performs the mutation and returns the response.

No I/O. The payload is bound once, as one ``json`` parameter holding the request bytes, and
read with ``json_populate_record[set](null::<relation>, $n)``: the relation's own row type gives
every column its type, so no type name is ever spliced. Identifiers come from the schema cache
(via the plan), filter values are bind parameters, as for reads.

Shape:

    WITH pgrst_mutation AS (INSERT … SELECT … FROM json_populate_recordset(…) AS pgrst_body
                            [ON CONFLICT …] RETURNING …            -- or UPDATE … FROM / DELETE
         [, pgrst_source AS (SELECT <select=> FROM pgrst_mutation AS pgrst_0 <embeds>)]
    SELECT total, page_total, body, response_headers, response_status, location, inserted

``total`` counts the affected rows whatever ``return=`` says; ``page_total`` the rows of the
body; ``location`` is PostgREST's list of ``pk=eq.value`` pairs of the single inserted row (insert
with ``return=headers-only``), else null; ``inserted`` the number of rows an upsert inserted
rather than updated (PostgREST's ``pgrst.inserted`` counter, which also works through views),
else null.
"""

from __future__ import annotations

from typing import Any

from psycopg import sql
from psycopg.types.json import Json

from api.engine.sql_read import (
    RESPONSE_COLUMNS,
    QueryBuilder,
    Statement,
    body_expression,  # the read side's JSON/CSV aggregates
)
from api.engine.write_plan import BODY_ALIAS, TARGET_ALIAS, WritePlan

MUTATION = "pgrst_mutation"
SOURCE = "pgrst_source"  # the representation; the CSV body reads its header from this name

# PostgREST's insert counter: every payload row adds one before its insert is attempted, every
# row that turns into an update takes one away again. Both comparisons are always true.
_COUNTER = "coalesce(nullif(pg_catalog.current_setting('pgrst.inserted', true), '')::integer, 0)"
COUNT_INSERT = sql.SQL(f"pg_catalog.set_config('pgrst.inserted', ({_COUNTER} + 1)::text, true) <> '0'")
COUNT_UPDATE = sql.SQL(f"pg_catalog.set_config('pgrst.inserted', ({_COUNTER} - 1)::text, true) <> '-1'")
INSERTED = sql.SQL("nullif(pg_catalog.current_setting('pgrst.inserted', true), '')::integer")

_TARGET = sql.Identifier(TARGET_ALIAS)
_BODY = sql.Identifier(BODY_ALIAS)


def build_write(plan: WritePlan, body_kind: str = "json", *, strip_nulls: bool = False) -> Statement:
    """The write statement; columns: total, page_total, body, response_headers, response_status,
    location, inserted. ``body_kind`` (json | object | csv) shapes the representation."""
    builder = QueryBuilder()  # placeholders are positional: bind in the order the text reads
    ctes = [sql.SQL("{} as ({})").format(sql.Identifier(MUTATION), mutation(builder, plan))]
    if plan.returning == "representation":
        select = builder.node_query(plan.node, None, sql.Identifier(MUTATION))
        ctes.append(sql.SQL("{} as ({})").format(sql.Identifier(SOURCE), select))
        source, body = SOURCE, body_expression(body_kind, strip_nulls)
    else:
        source, body = MUTATION, sql.SQL("null::text")
    location = location_pairs(builder, plan) if plan.wants_location else sql.SQL("null::text[]")
    query = sql.SQL(
        "with {ctes} "
        "select (select pg_catalog.count(*) from {mutation}) as total, "
        "pg_catalog.count(pgrst_t) as page_total, {body} as body, {response}, "
        "{location} as location, {inserted} as inserted "
        "from {source} as pgrst_t"
    ).format(
        ctes=sql.SQL(", ").join(ctes),
        mutation=sql.Identifier(MUTATION),
        body=body,
        response=RESPONSE_COLUMNS,
        location=location,
        inserted=INSERTED if plan.counts_inserts else sql.SQL("null::integer"),
        source=sql.Identifier(source),
    )
    return Statement(query, builder.params)


def mutation(builder: QueryBuilder, plan: WritePlan) -> sql.Composable:
    if plan.kind in ("insert", "put"):
        return insert(builder, plan)
    if plan.kind == "update":
        return update(builder, plan)
    return delete(builder, plan)


# -- the mutations -----------------------------------------------------------------------------
def insert(builder: QueryBuilder, plan: WritePlan) -> sql.Composable:
    """INSERT … SELECT from the payload; PUT keeps only the row whose key matches the URL."""
    names = [c.name for c in plan.columns]
    into = sql.SQL("insert into {} as {}").format(relation(plan), _TARGET)
    if names:
        into = sql.SQL("{} ({})").format(into, sql.SQL(", ").join(map(sql.Identifier, names)))
    values = sql.SQL(", ").join(sql.Identifier(BODY_ALIAS, n) for n in names)
    parts = [into, sql.SQL("select {} from {} as {}").format(values, payload_rows(builder, plan), _BODY)]
    if plan.kind == "put":  # CASE: count the row only once the key matched (AND has no fixed order)
        matches = and_all(builder, BODY_ALIAS, plan)
        parts.append(sql.SQL("where case when {} then {} else false end").format(matches, COUNT_INSERT))
    elif plan.counts_inserts:
        parts.append(sql.SQL("where {}").format(COUNT_INSERT))
    if plan.conflict is not None:
        parts.append(conflict_clause(plan, names))
    parts.append(returning(plan))
    return sql.SQL(" ").join(parts)


def conflict_clause(plan: WritePlan, names: list[str]) -> sql.Composable:
    assert plan.conflict is not None
    target = sql.SQL(", ").join(map(sql.Identifier, plan.conflict.columns))
    if plan.conflict.resolution == "ignore-duplicates" or not names:
        return sql.SQL("on conflict ({}) do nothing").format(target)
    assignments = sql.SQL(", ").join(sql.SQL("{0} = excluded.{0}").format(sql.Identifier(n)) for n in names)
    return sql.SQL("on conflict ({}) do update set {} where {}").format(target, assignments, COUNT_UPDATE)


def update(builder: QueryBuilder, plan: WritePlan) -> sql.Composable:
    """UPDATE … SET c = pgrst_body.c FROM the payload's (first) row WHERE the filters."""
    if not plan.columns:  # `{}`, `[]`, `[{}]`: nothing to set; PostgREST answers as if 0 rows changed
        return sql.SQL("select {} from {} as {} where false").format(returned_list(plan), relation(plan), _TARGET)
    assignments = sql.SQL(", ").join(
        sql.SQL("{} = {}").format(sql.Identifier(c.name), sql.Identifier(BODY_ALIAS, c.name)) for c in plan.columns
    )
    rows = payload_rows(builder, plan)
    if plan.payload is not None and plan.payload.is_array:  # one object is expected: use the first
        rows = sql.SQL("(select * from {} limit 1)").format(rows)
    parts = [sql.SQL("update {} as {} set {} from {} as {}").format(relation(plan), _TARGET, assignments, rows, _BODY)]
    if plan.where:
        parts.append(sql.SQL("where {}").format(and_all(builder, TARGET_ALIAS, plan)))
    parts.append(returning(plan))
    return sql.SQL(" ").join(parts)


def delete(builder: QueryBuilder, plan: WritePlan) -> sql.Composable:
    parts = [sql.SQL("delete from {} as {}").format(relation(plan), _TARGET)]
    if plan.where:
        parts.append(sql.SQL("where {}").format(and_all(builder, TARGET_ALIAS, plan)))
    parts.append(returning(plan))
    return sql.SQL(" ").join(parts)


# -- pieces ------------------------------------------------------------------------------------
def relation(plan: WritePlan) -> sql.Identifier:
    name = plan.relation.name
    return sql.Identifier(name.schema, name.name)


def and_all(builder: QueryBuilder, alias: str, plan: WritePlan) -> sql.Composable:
    return sql.SQL(" and ").join(builder.predicate(alias, p) for p in plan.where)


def returned_list(plan: WritePlan) -> sql.Composable:
    if plan.returned == ():  # nothing to read back: the rows are only counted
        return sql.SQL("1")
    if plan.returned is None:
        return sql.SQL("{}.*").format(_TARGET)
    return sql.SQL(", ").join(sql.Identifier(TARGET_ALIAS, name) for name in plan.returned)


def returning(plan: WritePlan) -> sql.Composable:
    return sql.SQL("returning {}").format(returned_list(plan))


def _verbatim(data: Any) -> Any:
    return data  # the body bytes are already JSON: psycopg sends them as they are


def payload_rows(builder: QueryBuilder, plan: WritePlan) -> sql.Composable:
    """The payload as rows of the relation's type: one for an object, one per element of an array.

    With ``missing=default`` each object is first laid over the defaults of the written columns
    (``jsonb_build_object(k, <default>, …) || row``), as PostgREST does: absent keys take the
    default, present ones (null included) win.
    """
    assert plan.payload is not None
    row_type = sql.SQL("null::{}").format(relation(plan))
    defaults = defaults_object(builder, plan)
    document = builder.bind(Json(plan.payload.data, dumps=_verbatim))
    if plan.payload.is_array:
        if defaults is not None:
            document = sql.SQL(
                "(select pg_catalog.json_agg({} || pgrst_elem)"
                " from pg_catalog.jsonb_array_elements({}::jsonb) as pgrst_elem)"
            ).format(defaults, document)
        return sql.SQL("pg_catalog.json_populate_recordset({}, {})").format(row_type, document)
    if defaults is not None:
        document = sql.SQL("({} || {}::jsonb)::json").format(defaults, document)
    return sql.SQL("pg_catalog.json_populate_record({}, {})").format(row_type, document)


def defaults_object(builder: QueryBuilder, plan: WritePlan) -> sql.Composable | None:
    """``jsonb_build_object('col', <its default expression>, …)`` for the written columns that have
    one. The expressions come from the catalog (schema-qualified); `%` is doubled because psycopg
    reads the composed text for placeholders."""
    columns = [c for c in plan.columns if c.default is not None] if plan.defaults else []
    if not columns:
        return None
    pairs = sql.SQL(", ").join(
        sql.SQL("{}::text, {}").format(builder.bind(c.name), sql.SQL((c.default or "").replace("%", "%%")))
        for c in columns
    )
    return sql.SQL("pg_catalog.jsonb_build_object({})").format(pairs)


def location_pairs(builder: QueryBuilder, plan: WritePlan) -> sql.Composable:
    """``{pk=eq.value, …}`` from the inserted row when there is exactly one (``is.null`` for a null
    key), in column order — what PostgREST turns into ``Location: /t?pk=eq.value``."""
    keys = builder.bind(list(plan.primary_key))
    return sql.SQL(
        "case when (select pg_catalog.count(*) from {m}) = 1 then ("
        "select pg_catalog.array_agg(pgrst_kv.key || '=' || coalesce('eq.' || pgrst_kv.value, 'is.null')) "
        "from pg_catalog.json_each_text((select pg_catalog.row_to_json(pgrst_row) from {m} as pgrst_row limit 1))"
        " as pgrst_kv where pgrst_kv.key = any({keys}::text[])) end"
    ).format(m=sql.Identifier(MUTATION), keys=keys)

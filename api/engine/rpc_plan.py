"""Plan a function call (`/rpc/<fn>`): pick the overload, bind the arguments, shape the result.

Arguments come from the query string (GET/HEAD: a parameter naming an argument is an argument,
the rest filter the result), from a JSON object body (POST: its keys), or — for a function with a
single unnamed json/jsonb/text/xml/bytea parameter — the whole body. Functions returning rows of
a relation (or a TABLE) are read like a table: select, filters, order, embeds, counts.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, replace

from api.engine.errors import ApiError
from api.engine.read_plan import Planner, ReadNode
from api.engine.request import ApiRequest
from api.engine.schema_cache import Column, Parameter, Relation, Routine, SchemaCache

# The unnamed single parameter that receives the raw body, by request Content-Type.
RAW_BODY_TYPES = {
    "application/json": {"json", "jsonb"},
    "text/plain": {"text"},
    "text/xml": {"xml"},
    "application/octet-stream": {"bytea"},
}


@dataclass(frozen=True)
class RpcPlan:
    routine: Routine
    style: str  # query (GET/form values) | json (a JSON object body) | raw (the whole body to one parameter)
    arguments: tuple[tuple[Parameter, tuple[str, ...]], ...]  # query style: values per parameter
    json_parameters: tuple[Parameter, ...]  # json style: the parameters read from the body
    body: bytes | None
    result: str  # rows | object | scalar | scalars | void
    node: ReadNode | None  # for rows/object results of a relation or TABLE
    count: str | None
    read_only: bool


def _signature(routine: Routine) -> str:
    args = ", ".join(f"{p.name} => {p.data_type}" if p.name else p.data_type for p in routine.parameters)
    return f"{routine.name}({args})"


def _fits(routine: Routine, keys: set[str]) -> bool:
    """Required parameters ⊆ keys ⊆ all named parameters."""
    named = {p.name for p in routine.parameters if p.name}
    if len(named) != len(routine.parameters):
        return False
    required = {p.name for p in routine.parameters if not p.has_default}
    return required <= keys <= named


def _raw_body_routines(routines: tuple[Routine, ...], content_type: str) -> list[Routine]:
    accepted = RAW_BODY_TYPES.get(content_type, set())
    return [
        r for r in routines
        if len(r.parameters) == 1 and not r.parameters[0].name and r.parameters[0].data_type in accepted
    ]  # fmt: skip


def _not_found(schema: str, name: str, keys: list[str], cache: SchemaCache, raw_allowed: bool) -> ApiError:
    qualified = f"{schema}.{name}"
    with_args = f"{qualified}({', '.join(keys)})" if keys else f"{qualified} without parameters"
    searched = f"with parameters {', '.join(keys)}" if keys else "without parameters"
    if raw_allowed:
        searched += " or with a single unnamed json/jsonb parameter"
    names = [q.name for q in cache.routines if q.schema == schema]
    guess = difflib.get_close_matches(name, names, n=1, cutoff=0.75)
    hint = f"Perhaps you meant to call the function {schema}.{guess[0]}" if guess and guess[0] != name else None
    return ApiError(
        404,
        "PGRST202",
        f"Could not find the function {with_args} in the schema cache",
        details=f"Searched for the function {qualified} {searched}, but no matches were found in the schema cache.",
        hint=hint,
    )


def _ambiguous(found: list[Routine]) -> ApiError:
    return ApiError(
        300,
        "PGRST203",
        "Could not choose the best candidate function between: " + ", ".join(_signature(r) for r in found),
        hint="Try renaming the parameters or the function itself in the database so function overloading can be "
        "resolved",
    )


def _result_relation(routine: Routine, cache: SchemaCache) -> Relation | None:
    """The relation a row-returning function reads like: an exposed table/view, or its TABLE columns."""
    if routine.return_relation is not None and routine.return_relation in cache.relations:
        return cache.relations[routine.return_relation]
    if routine.returns_table_columns:
        columns = tuple(
            Column(name, data_type, 0, True, None, (), position, None, False)
            for position, (name, data_type) in enumerate(routine.returns_table_columns, start=1)
        )
        return Relation(routine.name, "view", columns, (), False, False, False, None)
    return None


def _result_kind(routine: Routine, relation: Relation | None) -> str:
    if routine.return_kind == "void":
        return "void"
    if relation is not None:
        return "rows" if routine.returns_set else "object"
    return "scalars" if routine.returns_set else "scalar"


def plan_rpc(
    api: ApiRequest,
    cache: SchemaCache,
    *,
    max_rows: int | None = None,
    aggregates: bool = False,
    content_type: str = "application/json",
) -> RpcPlan:
    schema, name = api.schema, api.target.name
    routines = tuple(r for r in cache.routines_named(schema, name) if not r.is_procedure)
    by_query = api.method in {"GET", "HEAD"}
    filters = api.filters
    arguments: tuple[tuple[Parameter, tuple[str, ...]], ...] = ()
    raw_allowed = not by_query

    if by_query:
        args, extra_filters = api.split_rpc_params()  # PostgREST: what does not parse as a filter is an argument
        filters = filters + extra_filters
        keys = list(dict.fromkeys(key for key, _ in args))
        found = [r for r in routines if _fits(r, set(keys))]
    else:
        keys = list(api.payload.keys) if api.payload and api.payload.kind == "json" else []
        if api.columns is not None:
            keys = list(api.columns)
        found = [r for r in routines if _fits(r, set(keys))]
        if not found and api.payload is not None:
            found = _raw_body_routines(routines, content_type)
    if not found:
        raise _not_found(schema, name, keys, cache, raw_allowed)
    if len(found) > 1:
        raise _ambiguous(found)
    routine = found[0]

    style = "query" if by_query else "json"
    json_parameters: tuple[Parameter, ...] = ()
    if by_query:
        values: dict[str, list[str]] = {}
        for key, value in args:
            values.setdefault(key, []).append(value)
        arguments = tuple(
            (p, tuple(values[p.name]) if p.is_variadic else (values[p.name][-1],))
            for p in routine.parameters
            if p.name in values
        )
    elif routine.parameters and not routine.parameters[0].name:
        style = "raw"
    else:
        json_parameters = tuple(p for p in routine.parameters if p.name in set(keys))

    relation = _result_relation(routine, cache)
    result = _result_kind(routine, relation)
    node = None
    if relation is not None:
        request = replace(api, filters=filters)
        node = Planner(request, cache, max_rows, aggregates).node(relation, api.select, ())
    return RpcPlan(
        routine=routine,
        style=style,
        arguments=arguments,
        json_parameters=json_parameters,
        body=api.payload.data if api.payload is not None and not by_query else None,
        result=result,
        node=node,
        count=api.preferences.count if result == "rows" else None,
        read_only=by_query or routine.volatility != "volatile",
    )


def rpc_allow(routines: tuple[Routine, ...]) -> str:
    """OPTIONS /rpc/f: GET only for functions that do not write."""
    if routines and all(r.volatility == "volatile" for r in routines):
        return "OPTIONS,POST"
    return "OPTIONS,GET,HEAD,POST"

"""Unit tests for api.engine.shapes: read statements cached per request shape, values bound anew.

The property that matters: for any read, the template's statement with the request's own values
is exactly what parsing, planning and building that request gives (same text, same parameters).
"""

from __future__ import annotations

import random
from urllib.parse import quote

import pytest
from multidict import CIMultiDict
from psycopg import sql

from api.engine import sql_read
from api.engine.media import negotiate
from api.engine.read_plan import plan_read
from api.engine.request import parse_request
from api.engine.schema_cache import Column, QualifiedName, Relation, Relationship, SchemaCache
from api.engine.settings import EngineSettings
from api.engine.shapes import ShapeCache, _markers, _slots, build_template, shape_of
from api.engine.sql_read import build_read
from api.engine.wire import render

SETTINGS = EngineSettings(db_schemas=("t", "t2"))


def column(name: str, data_type: str = "text", position: int = 1) -> Column:
    return Column(name, data_type, 25, True, None, (), position, None, False)


def relation(name: str, *columns: Column) -> Relation:
    return Relation(QualifiedName("t", name), "table", columns, ("id",), True, True, True, None)


def make_cache(fk_column: str = "person_id", data_type: str = "jsonb") -> SchemaCache:
    people = relation(
        "people",
        column("id", "integer"),
        column("name"),
        column("data", data_type),
        column('Odd "Name" é'),
        column("search", "tsvector"),
        column("tags", "text[]"),
        column("flag", "boolean"),
    )
    tasks = relation(
        "tasks", column("id", "integer"), column("title"), column("person_id", "integer"), column("owner_id", "integer")
    )
    other = Relation(QualifiedName("t2", "people"), "table", (column("id"),), ("id",), True, True, True, None)
    to_tasks = Relationship(people.name, tasks.name, "one_to_many", "tasks_person_fk", (("id", fk_column),),
                            None, False, None)  # fmt: skip
    to_person = Relationship(tasks.name, people.name, "many_to_one", "tasks_person_fk", ((fk_column, "id"),),
                             None, False, None)  # fmt: skip
    return SchemaCache(
        {people.name: people, tasks.name: tasks, other.name: other},
        {people.name: (to_tasks,), tasks.name: (to_person,)},
        {},
        {},
        ("t", "t2"),
        0.0,
    )


CACHE = make_cache()


def headers(**values: str) -> CIMultiDict[str]:
    return CIMultiDict({name.replace("_", "-"): value for name, value in values.items()})


def built_directly(
    method: str, path: str, query: str, request_headers: CIMultiDict[str], cache: SchemaCache = CACHE
) -> tuple[bytes, list]:
    """What the ordinary path builds for the request."""
    api = parse_request(method, path, query, request_headers, None, schemas=SETTINGS.db_schemas)
    media = negotiate(api.accept)
    plan = plan_read(api, cache)
    statement = build_read(plan, media.kind, want_body=method == "GET", strip_nulls=media.strip_nulls)
    return render(statement.query, None), statement.params


def built_from_template(
    method: str, path: str, query: str, request_headers: CIMultiDict[str], cache: SchemaCache = CACHE
) -> tuple[bytes, list]:
    shape = shape_of(method, path, query, request_headers)
    assert shape is not None
    template = build_template(shape, request_headers, cache, SETTINGS)
    assert template is not None, query
    statement = template.statement(shape.values)
    assert statement.utf8 is not None
    assert render(statement.query, None) == statement.utf8
    return statement.utf8, statement.params


def cached(shapes: ShapeCache, method: str, path: str, query: str, request_headers: CIMultiDict[str],
           cache: SchemaCache = CACHE) -> tuple[bytes, list] | None:  # fmt: skip
    """The statement the engine would run from the shape cache, or None (the ordinary path)."""
    shape = shape_of(method, path, query, request_headers)
    assert shape is not None
    template = shapes.template(shape, request_headers, cache, SETTINGS)
    if template is None:
        return None
    statement = template.statement(shape.values)
    assert statement.utf8 is not None
    return statement.utf8, statement.params


@pytest.mark.parametrize(
    "query",
    [
        "id=eq.1",
        "id=eq.2&name=neq.x",
        "name=like.*ab*c",
        "name=ilike.A*",
        "name=not.eq.Bob",
        "id=gt(any).{1,2}",
        "id=not.lt(all).{1,2}",
        "name=fts(english).cat",
        "name=plfts.fat cats",
        "search=wfts(simple).cat",
        "name=eq.",
        "name=eq.a.b.c",
        "tags=cs.{a,b}",
        "flag=isdistinct.true",
        "select=id,data->>a&data->>a=eq.5",
        "select=id,data->a->>b::int&data->a->>b=gt.1&order=data->>a.desc.nullslast",
        "select=id,tasks(title)&tasks.title=eq.write&tasks.order=id&order=name.desc&limit=5&offset=2",
        "select=id,tasks!inner(title)&tasks.title=like.*x*&tasks.limit=1",
        "select=id,person:people(name)",
        "select=id,person:people!tasks_person_fk(name)&person.name=eq.Ann",
        "select=%22Odd%20%5C%22Name%5C%22%20%C3%A9%22&%22Odd%20%5C%22Name%5C%22%20%C3%A9%22=eq.x",  # quoted, unicode
        "id=in.(1,2,3)&name=is.null",
        "flag=is.true&name=not.is.null",
        "or=(id.eq.1,id.eq.2)&name=eq.z",
        "not.and=(id.gt.1,or(name.eq.a,name.like.b*))&id=lt.9",
        "select=name&name=eq.%00",
        "id=gt.1&id=lt.9&id=neq.5",  # repeated keys
    ],
)
def test_template_builds_what_the_request_builds(query: str) -> None:
    path = "/tasks" if "person" in query else "/people"
    for method in ("GET", "HEAD"):
        assert built_from_template(method, path, query, headers()) == built_directly(method, path, query, headers())


@pytest.mark.parametrize(
    "varied",
    [
        {"Prefer": "count=exact"},
        {"Accept": "text/csv"},
        {"Accept": "application/vnd.pgrst.object+json"},
        {"Accept": "application/vnd.pgrst.object+json;nulls=stripped"},
        {"Accept": "application/json;nulls=stripped"},
        {"Accept-Profile": "t"},
        {"Range": "2-5"},
    ],
)
def test_headers_are_honoured_by_the_template(varied: dict[str, str]) -> None:
    query = "select=id,tasks(title)&name=like.A*&tasks.title=eq.x&id=gt.3"
    request_headers = CIMultiDict(varied)
    expected = built_directly("GET", "/people", query, request_headers)
    assert built_from_template("GET", "/people", query, request_headers) == expected


def test_count_exact_binds_each_value_twice() -> None:
    prefer = headers(Prefer="count=exact")
    text, params = built_from_template("GET", "/people", "name=eq.Ann&id=gt.3", prefer)
    assert (text, params) == built_directly("GET", "/people", "name=eq.Ann&id=gt.3", prefer)
    assert params.count("Ann") == 2


def test_same_shape_different_values() -> None:
    first = shape_of("GET", "/people", "id=eq.1&name=like.A*", headers())
    second = shape_of("GET", "/people", "id=eq.2&name=like.B*", headers())
    assert first is not None and second is not None
    assert first.key == second.key
    assert (first.values, second.values) == (["1", "A*"], ["2", "B*"])
    template = build_template(first, headers(), CACHE, SETTINGS)
    assert template is not None
    assert template.statement(first.values).params == ["1", "A%"]
    assert template.statement(second.values).params == ["2", "B%"]


# -- the shape key ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("id=eq.1", "id=neq.1"),  # operator
        ("id=eq.1", "name=eq.1"),  # column
        ("id=eq.1", "id=not.eq.1"),  # negation
        ("id=eq(any).{1}", "id=eq(all).{1}"),  # quantifier
        ("id=eq(any).{1}", "id=eq.{1}"),
        ("name=fts(english).a", "name=fts(simple).a"),  # fts config
        ("name=fts(english).a", "name=fts.a"),
        ("name=fts.a", "name=plfts.a"),
        ("id=in.(1,2)", "id=in.(1,3)"),  # `in` lists are part of the shape…
        ("id=in.(1,2)", "id=in.(1,2,3)"),  # …and so is their length
        ("flag=is.true", "flag=is.false"),  # `is` keywords
        ("flag=is.null", "flag=is.unknown"),
        ("flag=is.null", "flag=not.is.null"),
        ("or=(id.eq.1,id.eq.2)", "or=(id.eq.1,id.eq.3)"),  # values inside trees
        ("or=(id.eq.1)", "and=(id.eq.1)"),
        ("select=id&id=eq.1", "select=name&id=eq.1"),
        ("select=id,tasks(title)", "select=id,tasks!inner(title)"),  # embeds and hints
        ("select=id,tasks(title)", "select=id,tasks(id)"),
        ("select=id::text", "select=id"),  # casts
        ("data->>a=eq.1", "data->>b=eq.1"),  # JSON path keys
        ("data->>a=eq.1", "data->a=eq.1"),
        ("order=id", "order=name"),  # order columns and modifiers
        ("order=id.asc", "order=id.desc"),
        ("order=id.nullsfirst", "order=id.nullslast"),
        ("limit=1", "limit=2"),
        ("offset=1", "offset=2"),
        ("tasks.limit=1", "tasks.limit=2"),
        ("id=eq.1&name=eq.x", "name=eq.x&id=eq.1"),  # order: placeholders are positional
        ("id=eq.1", "id=eq.1&id=eq.2"),  # repeated keys
        ("id=eq.1&id=eq.2", "id=eq.1&id=neq.2"),
        ("id=eq.1", "tasks.id=eq.1"),  # embed paths
    ],
)
def test_different_shapes(one: str, other: str) -> None:
    first, second = shape_of("GET", "/people", one, headers()), shape_of("GET", "/people", other, headers())
    assert first is not None and second is not None
    assert first.key != second.key


@pytest.mark.parametrize(
    "varied",
    [
        {"Accept": "text/csv"},
        {"Accept": "application/vnd.pgrst.object+json"},
        {"Accept": "application/vnd.pgrst.object+json;nulls=stripped"},
        {"Accept-Profile": "t2"},
        {"Content-Profile": "t2"},
        {"Prefer": "count=exact"},
        {"Prefer": "timezone=UTC"},
        {"Range": "0-1"},
    ],
)
def test_headers_the_parse_reads_are_part_of_the_shape(varied: dict[str, str]) -> None:
    plain = shape_of("GET", "/people", "id=eq.1", headers())
    other = shape_of("GET", "/people", "id=eq.1", CIMultiDict(varied))
    lower = shape_of("GET", "/people", "id=eq.1", {name.lower(): value for name, value in varied.items()})
    assert plain is not None and other is not None and lower is not None
    assert plain.key != other.key
    assert lower.key == other.key  # a plain mapping is read case-insensitively, like the parse does
    assert shape_of("HEAD", "/people", "id=eq.1", headers()).key != plain.key  # type: ignore[union-attr]
    assert shape_of("GET", "/tasks", "id=eq.1", headers()).key != plain.key  # type: ignore[union-attr]


def test_repeated_headers_are_part_of_the_shape() -> None:
    one = CIMultiDict([("Prefer", "count=exact")])
    two = CIMultiDict([("Prefer", "count=exact"), ("Prefer", "handling=strict")])
    assert shape_of("GET", "/people", "", one).key != shape_of("GET", "/people", "", two).key  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("path", "query", "request_headers"),
    [
        ("/rpc/f", "a=1", headers()),  # functions take the ordinary path
        ("/people", "nope=eq.1", headers()),  # errors too: the request raises its own
        ("/missing", "id=eq.1", headers()),
        ("/people", "id=eq.1", headers(Prefer="count=planned")),  # needs an EXPLAIN first
        ("/people", "id=eq.1", headers(Prefer="count=estimated")),
        ("/people", "id=eq.1", headers(Accept="application/vnd.pgrst.plan")),
        ("/people", "id=eq.1", headers(Accept="image/png")),  # 406
        ("/people", "id=eq.1", headers(Accept_Profile="nope")),  # 406
        ("/people", "id=zz.1", headers()),
        ("/people", "id=neq(any).1", headers()),
    ],
)
def test_what_is_not_templated(path: str, query: str, request_headers: CIMultiDict[str]) -> None:
    shape = shape_of("GET", path, query, request_headers)
    assert shape is not None
    plan_enabled = EngineSettings(db_schemas=("t",), db_plan_enabled=True)
    assert build_template(shape, request_headers, CACHE, plan_enabled) is None


def test_long_query_strings_are_not_cached() -> None:
    assert shape_of("GET", "/people", "name=eq." + "x" * 9000, headers()) is None


# -- the exactness checks -----------------------------------------------------------------------
def test_markers_must_be_bound_as_they_are_once_per_copy() -> None:
    markers = _markers(2, "a")
    like = markers[0].replace("*", "%")
    assert _slots(["a", markers[1], like], markers) == ((1, 1, False), (2, 0, True))
    assert _slots(["{" + markers[0] + "}", markers[1]], markers) is None  # inside something else
    assert _slots([markers[0].upper(), markers[1]], markers) is None  # transformed
    assert _slots([markers[0].strip(), markers[1]], markers) is None  # trimmed
    assert _slots([markers[1]], markers) is None  # one dropped
    assert _slots([markers[0], markers[0], markers[1]], markers) is None  # one duplicated
    assert _slots([markers[0], markers[1], markers[1], like], markers, copies=2) == (
        (0, 0, False), (1, 1, False), (2, 1, False), (3, 0, True))  # fmt: skip
    assert _slots([markers[0], markers[1], markers[0]], markers, copies=2) is None


def _patch_operation(monkeypatch: pytest.MonkeyPatch, rewrite) -> None:
    """Make the builder bind (or not) each plain filter value the way `rewrite` says."""

    def operation(self: sql_read.QueryBuilder, column: sql.Composable, ref, expr) -> sql.Composable:
        return sql.SQL("{} = {}").format(column, rewrite(self, str(expr.value)))

    monkeypatch.setattr(sql_read.QueryBuilder, "operation", operation)


@pytest.mark.parametrize(
    "rewrite",
    [
        pytest.param(lambda b, v: sql.Literal(v), id="inlined as a literal"),
        pytest.param(lambda b, v: sql.SQL("{}").format(b.bind("constant")), id="dropped"),
        pytest.param(lambda b, v: b.bind(v.strip()), id="trimmed"),
        pytest.param(lambda b, v: b.bind(v.lower()), id="lower-cased"),
        pytest.param(lambda b, v: b.bind(v.replace('"', '""')), id="quoted"),
        pytest.param(lambda b, v: b.bind("{" + v + "}"), id="wrapped"),
        pytest.param(lambda b, v: b.bind(v.replace("%", "\\%")), id="escaped"),
        pytest.param(lambda b, v: sql.SQL("{} + {}").format(b.bind(v), b.bind(v)), id="duplicated"),
        pytest.param(lambda b, v: sql.Literal(int(v)) if v.isdigit() else b.bind(v), id="inlined for some values"),
        pytest.param(lambda b, v: b.bind(v[:40]), id="cut"),
    ],
)
def test_a_builder_that_does_not_bind_values_as_they_are_is_not_cached(
    monkeypatch: pytest.MonkeyPatch, rewrite
) -> None:
    _patch_operation(monkeypatch, rewrite)
    for query in ("id=eq.12", "name=eq.Ann&id=eq.12"):
        shape = shape_of("GET", "/people", query, headers())
        assert shape is not None
        built_directly("GET", "/people", query, headers())  # the ordinary path still builds it
        assert build_template(shape, headers(), CACHE, SETTINGS) is None


def test_a_builder_whose_text_depends_on_the_value_is_not_cached(monkeypatch: pytest.MonkeyPatch) -> None:
    _patch_operation(monkeypatch, lambda b, v: sql.SQL("{}::int").format(b.bind(v)) if v.isdigit() else b.bind(v))
    shape = shape_of("GET", "/people", "id=eq.12", headers())
    assert shape is not None
    assert build_template(shape, headers(), CACHE, SETTINGS) is None
    _patch_operation(monkeypatch, lambda b, v: b.bind(v))  # the honest builder is cached again
    assert build_template(shape, headers(), CACHE, SETTINGS) is not None


# -- the property: cached statement == fresh statement, for many queries and values -------------
VALUES = [
    "1", "2", "-3", "0", "", " ", "abc", "A*", "*", "%", "_", "a*b%c", "null", "true", "NULL", "not.eq.1", "eq.5",
    "in.(1,2)", "(1,2)", "{1,2}", "{}", "a,b", "a)b", '"quoted"', "back\\slash", "it's", "é ü ✓", "  spaced  ",
    "dots.in.it", "::int", "->>x", "x" * 300, "\t\n", "&", "=", "+", "%20", "#",
]  # fmt: skip
CORPUS = [
    ("/people", "id=eq.{}"),
    ("/people", "id=neq.{}&name=not.eq.{}"),
    ("/people", "name=like.{}&name=ilike.{}"),
    ("/people", "name=not.like.{}"),
    ("/people", "id=gt(any).{}&name=like(all).{}"),
    ("/people", "name=fts(english).{}&search=plfts.{}&search=not.phfts(simple).{}&name=wfts.{}"),
    ("/people", "name=match.{}&name=imatch.{}&name=isdistinct.{}"),
    ("/people", "tags=cs.{}&tags=cd.{}&tags=ov.{}"),
    ("/people", "select=id,data->>a&data->>a=eq.{}&data->a->b=neq.{}"),
    ("/people", "select=id,tasks(title)&tasks.title=eq.{}&tasks.id=gt.{}&id=lt.{}&order=name&limit=3"),
    ("/people", "select=id,tasks!inner(title)&tasks.title=like.{}&tasks.limit=2&tasks.offset=1"),
    ("/tasks", "select=title,person:people(name)&person.name=eq.{}&title=neq.{}"),
    ("/people", "id=in.(1,2)&flag=is.true&name=eq.{}"),
    ("/people", "or=(id.eq.1,name.like.a*)&name=neq.{}"),
    ("/people", "id=gt.{}&id=lt.{}&id=neq.{}"),  # repeated keys
    ("/people", "%22Odd%20%5C%22Name%5C%22%20%C3%A9%22=eq.{}"),
]
HEADER_SETS = [
    headers(),
    headers(Prefer="count=exact"),
    headers(Accept="text/csv"),
    headers(Accept="application/vnd.pgrst.object+json;nulls=stripped"),
    headers(Accept_Profile="t", Range="1-3"),
]


def _fill(pattern: str, values: list[str]) -> str:
    pieces = pattern.split("{}")
    return pieces[0] + "".join(quote(value, safe="") + piece for value, piece in zip(values, pieces[1:], strict=True))


@pytest.mark.parametrize(("path", "pattern"), CORPUS)
def test_cached_statements_equal_fresh_ones(path: str, pattern: str) -> None:
    draw = random.Random(f"{path}?{pattern}")
    slots = pattern.count("{}")
    for request_headers in HEADER_SETS:
        for method in ("GET", "HEAD"):
            shapes = ShapeCache()
            for attempt in range(12):
                query = _fill(pattern, [draw.choice(VALUES) for _ in range(slots)])
                statement = cached(shapes, method, path, query, request_headers)
                if attempt == 0:
                    assert statement is None  # first sight: the ordinary path
                    continue
                assert statement is not None, query
                assert statement == built_directly(method, path, query, request_headers), query
            assert len(shapes) == 1


# -- the cache --------------------------------------------------------------------------------------
def test_a_shape_is_templated_on_its_second_sight() -> None:
    shapes = ShapeCache()
    first = shape_of("GET", "/people", "id=eq.1", headers())
    again = shape_of("GET", "/people", "id=eq.2", headers())
    assert first is not None and again is not None
    assert shapes.template(first, headers(), CACHE, SETTINGS) is None and len(shapes) == 1
    template = shapes.template(again, headers(), CACHE, SETTINGS)
    assert template is not None
    assert shapes.template(first, headers(), CACHE, SETTINGS) is template  # a hit
    assert template.statement(first.values).params == ["1"]


def test_cache_is_dropped_when_the_schema_cache_is_reloaded() -> None:
    shapes = ShapeCache()
    query = "select=id,tasks(title)&id=eq.1&data->>a=eq.x"
    assert cached(shapes, "GET", "/people", query, headers()) is None
    before = cached(shapes, "GET", "/people", query, headers())
    assert before == built_directly("GET", "/people", query, headers())
    # A reload: the foreign key now uses another column and `data` is json, not jsonb.
    reloaded = make_cache(fk_column="owner_id", data_type="json")
    assert cached(shapes, "GET", "/people", query, headers(), reloaded) is None  # forgotten: seen anew
    after = cached(shapes, "GET", "/people", query, headers(), reloaded)
    assert after is not None and after != before
    assert after == built_directly("GET", "/people", query, headers(), reloaded)
    assert b'"owner_id"' in after[0] and b'"person_id"' not in after[0]
    assert len(shapes) == 1


def test_cache_is_bounded_least_recently_used_first() -> None:
    shapes = ShapeCache(size=2)
    a, b, c = (shape_of("GET", "/people", f"limit={n}", headers()) for n in (1, 2, 3))
    assert a is not None and b is not None and c is not None
    for shape in (a, a, b, b):
        shapes.template(shape, headers(), CACHE, SETTINGS)
    kept_a = shapes.template(a, headers(), CACHE, SETTINGS)  # a is now the most recent
    assert kept_a is not None
    shapes.template(c, headers(), CACHE, SETTINGS)  # b goes
    assert len(shapes) == 2
    assert shapes.template(a, headers(), CACHE, SETTINGS) is kept_a
    assert shapes.template(b, headers(), CACHE, SETTINGS) is None  # forgotten: a first sight again


def test_uncacheable_shapes_are_remembered() -> None:
    shapes = ShapeCache()
    shape = shape_of("GET", "/rpc/f", "", headers())
    assert shape is not None
    assert shapes.template(shape, headers(), CACHE, SETTINGS) is None
    assert shapes.template(shape, headers(), CACHE, SETTINGS) is None
    assert len(shapes) == 1

"""The schema cache against a real database: tests/engine/fixtures/cache_fixture.sql loaded into a
database of its own, exposed schema `lms`, extra search path `ext`. Then the holder: reloads on
NOTIFY, debouncing, failed reloads, a dropped LISTEN connection.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import psycopg
import pytest

from api.engine.schema_cache import (
    Junction,
    QualifiedName,
    Relationship,
    SchemaCache,
    SchemaCacheHolder,
    load_schema_cache,
    view_lineage,
)
from support.databases import ThrowawayCluster

FIXTURE = Path(__file__).parent / "fixtures" / "cache_fixture.sql"


def lms(name: str) -> QualifiedName:
    return QualifiedName("lms", name)


@pytest.fixture(scope="module")
def fixture_url(cluster: ThrowawayCluster) -> Iterator[str]:
    name = cluster.create("cache", migrated=False, script=FIXTURE.read_text())
    yield cluster.url(name)
    cluster.drop(name)


@pytest.fixture(scope="module")
def cache(fixture_url: str) -> SchemaCache:
    with psycopg.connect(fixture_url) as conn:
        return load_schema_cache(conn, ["lms"], ["ext"])


@pytest.fixture(scope="module")
def has_file_fdw(fixture_url: str) -> bool:
    with psycopg.connect(fixture_url) as conn:
        row = conn.execute("select exists (select from pg_available_extensions where name = 'file_fdw')").fetchone()
    return bool(row and row[0])


def between(cache: SchemaCache, source: str, target: QualifiedName | str) -> list[Relationship]:
    """Relationships from lms.<source> to `target` (an lms name or a qualified one)."""
    wanted = target if isinstance(target, QualifiedName) else lms(target)
    return [r for r in cache.relationships_from(lms(source)) if r.target == wanted]


def only(rels: list[Relationship], **match: Any) -> Relationship:
    found = [r for r in rels if all(getattr(r, k) == v for k, v in match.items())]
    assert len(found) == 1, found
    return found[0]


# -- relations ------------------------------------------------------------------------------------


def test_relation_kinds_and_scope(cache: SchemaCache, has_file_fdw: bool) -> None:
    kinds = {name.name: rel.kind for name, rel in cache.relations.items()}
    assert kinds["schools"] == "table"
    assert kinds["members"] == "view"
    assert kinds["mood_counts"] == "materialized_view"
    assert kinds["grades"] == "partitioned_table"
    assert "grades_2024" not in kinds and "grades_2025" not in kinds  # partitions are not addressable
    assert kinds.get("imports") == ("foreign_table" if has_file_fdw else None)
    assert {name.schema for name in cache.relations} == {"lms"}  # not core, ext or hidden
    assert cache.schemas == ("lms",) and cache.extra_search_path == ("ext",)
    assert cache.relation("lms", "nope") is None and cache.relation("ext", "countries") is None
    assert time.time() - cache.loaded_at < 600


def test_columns(cache: SchemaCache) -> None:
    people = cache.relations[lms("people")]
    assert [c.name for c in people.columns] == [
        "id", "school_id", "mentor_id", "full_name", "mood", "level", "tags", "initial",
    ]  # fmt: skip
    assert [c.position for c in people.columns] == list(range(1, 9))
    id_ = people.column("id")
    assert id_ is not None and (id_.data_type, id_.type_oid, id_.nullable) == ("bigint", 20, False)
    assert id_.default == "nextval('lms.people_id_seq'::regclass)"
    mood = people.column("mood")
    assert mood is not None
    assert (mood.data_type, mood.default, mood.nullable) == ("lms.mood", "'calm'::lms.mood", True)
    assert mood.enum_values == ("calm", "curious", "stuck")
    level = people.column("level")
    assert level is not None and level.data_type == "lms.level" and level.enum_values == mood.enum_values
    tags = people.column("tags")
    assert tags is not None and (tags.data_type, tags.default, tags.enum_values) == ("text[]", "'{}'::text[]", ())
    initial = people.column("initial")
    assert initial is not None and initial.is_generated and initial.default is None
    assert people.column("missing") is None


def test_column_details_and_comments(cache: SchemaCache) -> None:
    schools = cache.relations[lms("schools")]
    assert schools.description == "Schools on the platform"
    name, motto, founded, identity = (schools.column(n) for n in ("name", "motto", "founded", "id"))
    assert name is not None and name.description == "Display name" and not name.nullable
    assert motto is not None and motto.data_type == "character varying(80)" and motto.description is None
    assert founded is not None and (founded.data_type, founded.default) == ("date", "CURRENT_DATE")
    # an identity column reports its sequence as its default, as PostgREST does
    assert identity is not None and identity.default == "nextval('lms.schools_id_seq'::regclass)"
    assert not identity.is_generated
    score = cache.relations[lms("grades")].column("score")
    assert score is not None and score.data_type == "numeric(5,2)"
    assert cache.relations[lms("members")].description == "People, as members"


def test_primary_keys(cache: SchemaCache) -> None:
    keys = {name.name: rel.primary_key for name, rel in cache.relations.items()}
    assert keys["schools"] == ("id",)
    assert keys["courses"] == ("school_id", "code")  # composite, in key order
    assert keys["enrolments"] == ("person_id", "school_id", "course_code")
    assert keys["grades"] == ("person_id", "term")  # partitioned
    assert keys["event_log"] == ()
    assert keys["members"] == ("member_id",)  # a view, the base key renamed
    assert keys["member_names"] == ("mid",)  # a view of that view
    assert keys["recent_people"] == ("id",)  # through a subquery in FROM
    assert keys["rooms"] == ("id",)  # base table outside the exposed schemas
    assert keys["room_labels"] == ("rid",)  # through a view outside them
    assert keys["odd {view)"] == ("key {(",)  # node-tree delimiters in names
    assert keys["people_moods"] == () and keys["school_directory"] == () and keys["mood_counts"] == ()


def test_modification_flags(cache: SchemaCache, has_file_fdw: bool) -> None:
    def flags(name: str) -> tuple[bool, bool, bool]:
        rel = cache.relations[lms(name)]
        return rel.insertable, rel.updatable, rel.deletable

    assert flags("schools") == flags("grades") == flags("members") == (True, True, True)
    assert flags("school_directory") == (True, False, False)  # INSTEAD OF INSERT trigger only
    assert flags("recent_people") == flags("mood_counts") == (False, False, False)
    if has_file_fdw:
        assert flags("imports") == (False, False, False)  # file_fdw is read-only


def test_cache_is_immutable(cache: SchemaCache) -> None:
    with pytest.raises(TypeError):
        cache.relations[lms("x")] = cache.relations[lms("people")]  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        cache.relations[lms("people")].primary_key = ()  # type: ignore[misc]
    people = cache.relations[lms("people")]
    assert isinstance(people.columns, tuple)
    assert dataclasses.asdict(people)["primary_key"] == ("id",)  # plain data, e.g. for a /schema_cache dump


# -- relationships --------------------------------------------------------------------------------


def test_many_to_one_and_its_inverse(cache: SchemaCache) -> None:
    forward = only(between(cache, "people", "schools"), function=None)
    assert forward == Relationship(
        lms("people"), lms("schools"), "many_to_one", "people_school_id_fkey", (("school_id", "id"),),
        None, False, None,
    )  # fmt: skip
    inverse = only(between(cache, "schools", "people"), function=None)
    assert (inverse.cardinality, inverse.columns) == ("one_to_many", (("id", "school_id"),))
    composite = only(between(cache, "enrolments", "courses"))
    assert composite.columns == (("school_id", "school_id"), ("course_code", "code"))


def test_one_to_one(cache: SchemaCache) -> None:
    by_primary_key = only(between(cache, "badges", "people"))
    assert (by_primary_key.cardinality, by_primary_key.columns) == ("one_to_one", (("person_id", "id"),))
    assert only(between(cache, "people", "badges")).cardinality == "one_to_one"
    by_unique_key = only(between(cache, "people", "lockers"))
    assert (by_unique_key.cardinality, by_unique_key.columns) == ("one_to_one", (("id", "person_id"),))


def test_two_foreign_keys_to_one_table(cache: SchemaCache) -> None:
    forward = between(cache, "transfers", "schools")
    assert {(r.constraint_name, r.columns, r.cardinality) for r in forward} == {
        ("transfers_from_fkey", (("from_school", "id"),), "many_to_one"),
        ("transfers_to_fkey", (("to_school", "id"),), "many_to_one"),
    }
    assert {r.constraint_name for r in between(cache, "schools", "transfers")} == {
        "transfers_from_fkey", "transfers_to_fkey",
    }  # fmt: skip
    assert not between(cache, "schools", "schools")  # transfers is no junction: its key is its own id


def test_self_reference(cache: SchemaCache) -> None:
    rels = [r for r in between(cache, "people", "people") if r.junction is None and r.function is None]
    assert {(r.cardinality, r.columns, r.is_self) for r in rels} == {
        ("many_to_one", (("mentor_id", "id"),), True),  # the mentor
        ("one_to_many", (("id", "mentor_id"),), True),  # the mentees
    }


def test_many_to_many(cache: SchemaCache) -> None:
    rels = [r for r in between(cache, "people", "courses") if r.cardinality == "many_to_many"]
    through = {r.junction.relation.name: r for r in rels if r.junction}
    assert set(through) == {"enrolments", "course_tutors"}  # primary key and unique key junctions
    enrolments = through["enrolments"]
    assert enrolments.junction == Junction(
        relation=lms("enrolments"),
        source_constraint="enrolments_person_id_fkey",
        source_columns=(("id", "person_id"),),
        target_constraint="enrolments_school_id_course_code_fkey",
        target_columns=(("school_id", "school_id"), ("course_code", "code")),
    )
    assert (enrolments.constraint_name, enrolments.columns, enrolments.is_self) == ("", (), False)
    back = only(between(cache, "courses", "people"), cardinality="many_to_many", junction=dataclasses.replace(
        enrolments.junction,
        source_constraint="enrolments_school_id_course_code_fkey",
        source_columns=(("school_id", "school_id"), ("code", "course_code")),
        target_constraint="enrolments_person_id_fkey",
        target_columns=(("person_id", "id"),),
    ))  # fmt: skip
    assert back.source == lms("courses")


def test_self_many_to_many(cache: SchemaCache) -> None:
    rels = [r for r in between(cache, "people", "people") if r.cardinality == "many_to_many"]
    assert {(r.junction.source_constraint, r.junction.target_constraint) for r in rels if r.junction} == {
        ("friendships_person_a_fkey", "friendships_person_b_fkey"),
        ("friendships_person_b_fkey", "friendships_person_a_fkey"),
    }
    assert all(r.is_self for r in rels)


def test_relationships_inferred_through_views(cache: SchemaCache) -> None:
    members = only(between(cache, "members", "schools"))
    assert (members.cardinality, members.columns, members.constraint_name) == (
        "many_to_one", (("campus", "id"),), "people_school_id_fkey",
    )  # fmt: skip
    assert only(between(cache, "schools", "members")).columns == (("id", "campus"),)
    assert only(between(cache, "member_names", "schools")).columns == (("campus", "id"),)  # view of a view
    assert only(between(cache, "badges", "members")).columns == (("person_id", "member_id"),)
    assert only(between(cache, "members", "enrolments")).cardinality == "one_to_many"
    through = [r.junction for r in between(cache, "members", "courses") if r.cardinality == "many_to_many"]
    assert {(j.relation.name, j.source_columns) for j in through if j} == {
        ("enrolments", (("member_id", "person_id"),)),
        ("course_tutors", (("member_id", "person_id"),)),
    }
    assert not between(cache, "people_moods", "schools")  # the view does not project school_id


def test_relationships_between_views_of_hidden_tables(cache: SchemaCache) -> None:
    assert only(between(cache, "bookings", "rooms")).columns == (("room", "id"),)
    assert only(between(cache, "rooms", "bookings")).cardinality == "one_to_many"
    assert only(between(cache, "bookings", "room_labels")).columns == (("room", "rid"),)  # chain via core


def test_scope_of_relationships(cache: SchemaCache) -> None:
    countries = cache.relationships_from(QualifiedName("ext", "countries"))
    assert [(r.target, r.cardinality, r.columns) for r in countries] == [
        (lms("schools"), "one_to_many", (("code", "country_code"),))
    ]
    everything = [r for rels in cache.relationships.values() for r in rels]
    ends = {n for r in everything for n in (r.source, r.target, *([r.junction.relation] if r.junction else []))}
    assert {n.schema for n in ends} == {"lms", "ext"}  # never core or hidden
    assert not {n.name for n in ends} & {"grades_2024", "grades_2025"}
    assert only(between(cache, "appeals", "grades")).columns == (("person_id", "person_id"), ("term", "term"))
    assert only(between(cache, "grades", "people")).cardinality == "many_to_one"
    assert cache.relationships_from(lms("event_log")) == ()


def test_computed_relationships(cache: SchemaCache) -> None:
    mentees = only(between(cache, "people", "people"), function=lms("mentees"))
    assert (mentees.cardinality, mentees.is_self, mentees.constraint_name, mentees.columns) == (
        "one_to_many", True, "mentees", (),
    )  # fmt: skip
    home = only(between(cache, "people", "schools"), function=lms("home_school"))
    assert home.cardinality == "many_to_one"  # setof ... rows 1
    eldest = only(between(cache, "schools", "people"), function=lms("eldest"))
    assert (eldest.cardinality, eldest.is_self) == ("many_to_one", False)  # returns one row
    # lms.countries(schools) replaces the detected schools -> ext.countries relationship.
    to_countries = between(cache, "schools", QualifiedName("ext", "countries"))
    assert [r.function for r in to_countries] == [lms("countries")]


# -- routines -------------------------------------------------------------------------------------


def test_computed_fields(cache: SchemaCache) -> None:
    fields = cache.computed_fields[lms("people")]
    assert set(fields) == {"display_name", "tag_count"}  # not all_tags (setof), not mentees (a relation)
    assert fields["display_name"].return_type == "text"
    assert fields["tag_count"].parameters[1].has_default
    assert lms("schools") not in cache.computed_fields


def test_routine_parameters_and_defaults(cache: SchemaCache) -> None:
    (add,) = cache.routines_named("lms", "add")
    assert [(p.name, p.data_type, p.type_oid, p.has_default) for p in add.parameters] == [
        ("a", "integer", 23, False),
        ("b", "integer", 23, True),
    ]
    assert (add.return_type, add.return_kind, add.returns_set, add.volatility) == (
        "integer", "scalar", False, "immutable",
    )  # fmt: skip
    assert add.description == "Adds two numbers" and not add.is_procedure
    (total,) = cache.routines_named("lms", "total")
    assert [(p.name, p.data_type, p.is_variadic) for p in total.parameters] == [("nums", "integer[]", True)]
    (bump,) = cache.routines_named("lms", "bump")  # INOUT counts as an input
    assert [(p.name, p.has_default) for p in bump.parameters] == [("n", False), ("step", True)]
    (anything,) = cache.routines_named("lms", "anything")
    assert [(p.name, p.data_type) for p in anything.parameters] == [("", "json")]


def test_routine_overloads_and_relation_returns(cache: SchemaCache) -> None:
    finds = cache.routines_named("lms", "find")
    assert sorted(p.data_type for f in finds for p in f.parameters) == ["bigint", "text"]
    for find in finds:
        assert (find.returns_set, find.return_kind, find.return_relation) == (True, "composite", lms("people"))
        assert find.volatility == "stable"


def test_routine_return_shapes(cache: SchemaCache) -> None:
    (touch,) = cache.routines_named("lms", "touch")
    assert (touch.return_kind, touch.volatility) == ("void", "volatile")
    assert dict(touch.settings) == {"statement_timeout": "5s", "search_path": '""'}
    (roster,) = cache.routines_named("lms", "roster")
    assert (roster.return_type, roster.returns_set, roster.return_kind) == ("record", True, "composite")
    assert roster.returns_table_columns == (("person", "text"), ("mood", "lms.mood"))
    assert [p.name for p in roster.parameters] == ["school"]
    (stats,) = cache.routines_named("lms", "stats")
    assert stats.parameters == () and not stats.returns_set
    assert stats.returns_table_columns == (("people", "bigint"), ("schools", "bigint"))
    (pair,) = cache.routines_named("lms", "make_pair")
    assert (pair.return_type, pair.return_kind, pair.return_relation) == ("lms.pair", "composite", None)
    (countries,) = cache.routines_named("lms", "countries")
    assert countries.return_relation is None  # ext is not exposed
    (archive,) = cache.routines_named("lms", "archive")
    assert archive.is_procedure and archive.return_kind == "void"


def test_routine_scope(cache: SchemaCache) -> None:
    assert cache.routines_named("lms", "tg_school_directory_insert") == ()  # trigger functions
    assert cache.routines_named("hidden", "peek") == ()
    assert {name.schema for name in cache.routines} == {"lms"}


# -- view lineage parsing -------------------------------------------------------------------------


def test_view_lineage_reads_only_the_top_level_target_list() -> None:
    tree = (
        "({QUERY :rtable <> :targetList ({TARGETENTRY :expr {SUBLINK :subselect {QUERY :targetList "
        "({TARGETENTRY :expr {VAR} :resno 1 :resname x :ressortgroupref 0 :resorigtbl 99 :resorigcol 9 "
        ":resjunk false})}} :resno 1 :resname n :ressortgroupref 0 :resorigtbl 0 :resorigcol 0 :resjunk false} "
        "{TARGETENTRY :expr {VAR} :resno 2 :resname a\\ \\{b\\) :ressortgroupref 0 :resorigtbl 42 :resorigcol 3 "
        ":resjunk false} {TARGETENTRY :expr {VAR} :resno 3 :resname j :ressortgroupref 0 :resorigtbl 42 "
        ":resorigcol 4 :resjunk true}) :override 0})"
    )
    assert view_lineage(tree) == {2: (42, 3)}
    assert view_lineage("({QUERY :targetList <> :override 0})") == {}


def test_load_is_fast_for_300_tables(cluster: ThrowawayCluster) -> None:
    name = cluster.create("cache_speed", migrated=False)
    try:
        ddl = ["create schema wide;"]
        for i in range(300):
            refs = (
                ""
                if i == 0
                else f", prev_id integer references wide.t{i - 1}, half_id integer references wide.t{i // 2}"
            )
            ddl.append(f"create table wide.t{i} (id integer primary key, label text not null default 'x'{refs});")
            if i % 3 == 0:
                ddl.append(f"create view wide.v{i} as select id as key, label from wide.t{i};")
        with psycopg.connect(cluster.url(name), autocommit=True) as conn:
            conn.execute("\n".join(ddl).encode(), prepare=False)
            load_schema_cache(conn, ["wide"])  # warm the catalog caches
            started = time.perf_counter()
            cache = load_schema_cache(conn, ["wide"])
            elapsed = time.perf_counter() - started
        assert len(cache.relations) == 400
        assert only(list(cache.relationships_from(QualifiedName("wide", "t10"))), constraint_name="t10_half_id_fkey",
                    target=QualifiedName("wide", "t5")).cardinality == "many_to_one"  # fmt: skip
        assert elapsed < 1.0, f"loading took {elapsed:.2f} s"
    finally:
        cluster.drop(name)


# -- the holder -----------------------------------------------------------------------------------


class CountingLoader:
    """load_schema_cache, counted, and made to fail on demand."""

    def __init__(self) -> None:
        self.calls = 0
        self.fail = False

    def __call__(self, conn: psycopg.Connection[Any], schemas: Sequence[str], extra: Sequence[str]) -> SchemaCache:
        self.calls += 1
        if self.fail:
            raise RuntimeError("injected failure")
        return load_schema_cache(conn, schemas, extra)


@pytest.fixture
def small_url(cluster: ThrowawayCluster) -> Iterator[str]:
    name = cluster.create("holder", migrated=False)
    with psycopg.connect(cluster.url(name), autocommit=True) as conn:
        conn.execute("create schema lms; create table lms.first (id integer primary key)")
    yield cluster.url(name)
    cluster.drop(name)


async def eventually(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


def run_sql(url: str, *statements: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)


async def test_holder_reloads_on_notify(small_url: str) -> None:
    holder = SchemaCacheHolder()
    assert holder.current is None
    await holder.start(small_url, ["lms"])
    try:
        first = holder.current
        assert first is not None and first.relation("lms", "first") is not None
        run_sql(small_url, "create table lms.second (id integer)", "notify pgrst, 'reload schema'")
        await eventually(lambda: holder.current is not None and holder.current.relation("lms", "second") is not None)
        run_sql(small_url, "create table lms.third (id integer)", "notify pgrst")  # empty payload: reload too
        await eventually(lambda: holder.current is not None and holder.current.relation("lms", "third") is not None)
    finally:
        await holder.close()


async def test_holder_debounces_a_burst(small_url: str) -> None:
    loader = CountingLoader()
    holder = SchemaCacheHolder(loader)
    await holder.start(small_url, ["lms"])
    try:
        assert loader.calls == 1
        run_sql(small_url, *["notify pgrst, 'reload schema'"] * 20)  # autocommit: 20 separate notifications
        await eventually(lambda: loader.calls >= 2)
        await asyncio.sleep(0.5)
        assert loader.calls <= 3, f"{loader.calls - 1} reloads for one burst"
        run_sql(small_url, "notify pgrst, 'reload config'", "notify other, 'reload schema'")  # not for us
        await asyncio.sleep(0.3)
        assert loader.calls <= 3
    finally:
        await holder.close()


async def test_failed_reload_keeps_the_old_cache(small_url: str) -> None:
    loader = CountingLoader()
    holder = SchemaCacheHolder(loader)
    await holder.start(small_url, ["lms"])
    try:
        before = holder.current
        loader.fail = True
        assert await holder.reload() is False
        run_sql(small_url, "create table lms.second (id integer)", "notify pgrst, 'reload schema'")
        await eventually(lambda: loader.calls >= 3)
        assert holder.current is before
        loader.fail = False
        assert await holder.reload() is True
        assert holder.current is not None and holder.current.relation("lms", "second") is not None
    finally:
        await holder.close()


async def test_listener_reconnects_and_reloads(small_url: str) -> None:
    loader = CountingLoader()
    holder = SchemaCacheHolder(loader, backoff=(0.05, 0.2))
    await holder.start(small_url, ["lms"])
    try:
        run_sql(
            small_url,
            "select pg_terminate_backend(pid) from pg_stat_activity"
            " where datname = current_database() and query ilike 'listen%'",
        )
        await eventually(lambda: loader.calls >= 2)  # reloaded once reconnected
        run_sql(small_url, "create table lms.second (id integer)", "notify pgrst, 'reload schema'")
        await eventually(lambda: holder.current is not None and holder.current.relation("lms", "second") is not None)
    finally:
        await holder.close()


async def test_channel_disabled_and_unreachable_database(small_url: str) -> None:
    holder = SchemaCacheHolder()
    await holder.start(small_url, ["lms"], channel_enabled=False)
    try:
        with psycopg.connect(small_url) as conn:
            row = conn.execute(
                "select count(*) from pg_stat_activity where datname = current_database() and query ilike 'listen%'"
            ).fetchone()
        assert row == (0,)
        assert holder.current is not None
    finally:
        await holder.close()
    broken = SchemaCacheHolder(backoff=(0.05, 0.1))
    await broken.start(small_url.replace("/holder_", "/missing_"), ["lms"])  # does not raise
    try:
        await asyncio.sleep(0.2)
        assert broken.current is None  # the server answers 503 PGRST002 meanwhile
    finally:
        await broken.close()

"""The declarative mapping: which collection goes into which table, column by column.

A TOML file (or the same structure as JSON). Example — a course with its students as enrolment rows:

    schema = "app"                      # default schema of every table below

    [names]                             # optional: a source collection name → the name used here
    course_docs = "courses"

    [collections.users]
    table = "users"
    updated = "updatedAt"               # paths telling when a document last changed (for --since)
    [collections.users.columns]
    id         = { type = "id" }                               # uuid5 of this document's _id
    legacy_id  = { type = "key" }                              # the original _id as text
    email      = { path = "email", type = "text", required = true }
    created_at = { path = "createdAt", type = "timestamptz", fallback = "id_time" }

    [collections.courses]
    table = "courses"
    [collections.courses.columns]
    id       = { type = "id" }
    owner_id = { path = ["owner", "teacher"], type = "ref", collection = "users", missing = "null" }
    settings = { path = "settings", type = "jsonb", default = {} }

    [[collections.courses.children]]    # one row per element of the students array
    table  = "enrolments"
    array  = "students"
    parent = "course_id"                # the column holding the parent's id (stale rows are deleted on --update)
    key    = ["course_id", "user_id"]   # a unique key of the table, for ON CONFLICT
    [collections.courses.children.columns]
    course_id = { path = "$parent._id", type = "ref", collection = "courses" }
    user_id   = { path = "$item", type = "ref", collection = "users" }

Column keys: `type` (below), `path` (a dotted path or a list tried in order; `$parent.<path>`,
`$item`, `$index` inside children; default `_id` for id/key), `required`, `default` (used when the
value is missing or null), `const` (the same value for every row; a string `$name` is a variable the
command supplies, e.g. `$institution`, the id of `--institution SLUG`), `collection` (for
id/ref/ref[]), `missing` for references: "keep" (default; the database's foreign key decides,
`verify` reports orphans), "null", "reject", or (in children) "skip" the row — checked against the
target table before inserting (`verify` reports what was nulled or skipped as orphans),
`fallback = "id_time"` (the ObjectId's creation time when the path is missing), `epoch` ("auto",
"ms", "s").

Rewriting a value before its conversion, in this order (strings and ObjectIds, as hex text; other
values pass unchanged): `normalize` ("trim", "lower", "upper", or a list of them), `replace =
[regex, replacement]` (Python `re.sub`, e.g. `['^\\$2[by]\\$', '$2a$']` in TOML literal strings),
`map = { from = "to", ... }` (values not listed stay as they are; the column's type and the
database still check them). `when = "<path>"` keeps the value
only when that path holds a true boolean (`true`, 1, "yes", ...) and gives NULL otherwise, whatever
`default`/`fallback` say (e.g. an e-mail confirmation time only for verified users).

A child without `array` is a companion row: exactly one per document (a users document giving its
auth.users row and its app.profiles row); its plain paths read the document itself.

`finish = "<SQL>"` (per collection) runs once after the collection is loaded, in the import's
transaction scope, for bookkeeping the triggers do outside imports (e.g. the latest version number of
the imported documents). The import runs with the session setting `campus.importing = on`, which the
document version triggers honour for the tables' owner (db/functions/app/writing_rules.sql).

Types: id, key, ref, ref[], uuid, text, int, numeric, bool, timestamptz, date, jsonb, text[].
`key` of a collection defaults to its `id` column; the load order follows the references
(`order = [...]` overrides it).
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Mapping as AbstractMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TYPES = frozenset(
    {"id", "key", "ref", "ref[]", "uuid", "text", "int", "numeric", "bool", "timestamptz", "date", "jsonb", "text[]"}
)
MISSING: Any = type("Missing", (), {"__repr__": lambda self: "MISSING", "__reduce__": lambda self: "MISSING"})()
_PATH = re.compile(r"(\$parent\.|\$item\.?)?[^.\s][^\s]*|\$item|\$index")
_COLUMN_KEYS = {
    "type",
    "path",
    "required",
    "default",
    "const",
    "collection",
    "missing",
    "fallback",
    "epoch",
    "normalize",
    "replace",
    "map",
    "when",
}
NORMALIZERS = ("trim", "lower", "upper")
_VARIABLE = re.compile(r"\$[a-z_]+")


class MappingError(ValueError):
    """A mapping that cannot be used; lists every problem found, one per line."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    paths: tuple[str, ...] = ()
    required: bool = False
    default: Any = MISSING
    const: Any = MISSING
    collection: str | None = None
    missing: str = "keep"
    fallback: str | None = None
    epoch: str = "auto"
    normalize: tuple[str, ...] = ()
    replace: tuple[str, str] | None = None
    map: dict[str, Any] | None = None
    when: str | None = None


@dataclass(frozen=True)
class Target:
    """One table fed by a collection: its main table, or a child table fed by an array."""

    schema: str
    table: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    array: str | None = None  # children only: the path of the array (None: one companion row per document)
    parent: str | None = None  # children only: the column with the parent's id
    child: bool = False

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.table}"

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)


@dataclass(frozen=True)
class CollectionMapping:
    name: str
    main: Target
    children: tuple[Target, ...] = ()
    updated: tuple[str, ...] = ()  # paths of a last-changed time, for --since

    @property
    def targets(self) -> tuple[Target, ...]:
        return (self.main, *self.children)

    @property
    def key_path(self) -> str:
        """Where a document keeps its key: the main table's id column's path (`_id`, or `id` in mock data)."""
        for column in self.main.columns:
            if column.type in ("id", "key") and column.paths:
                return column.paths[0]
        return "_id"

    def references(self) -> set[str]:
        """Collections this one points to (its load must come after theirs)."""
        return {
            column.collection
            for target in self.targets
            for column in target.columns
            if column.type in ("ref", "ref[]") and column.collection and column.collection != self.name
        }


@dataclass(frozen=True)
class Mapping:
    collections: dict[str, CollectionMapping]
    names: dict[str, str] = field(default_factory=dict)
    order: tuple[str, ...] = ()  # the load order: dependencies first
    finish: dict[str, str] = field(default_factory=dict)  # collection → SQL run after loading it

    def __getitem__(self, name: str) -> CollectionMapping:
        return self.collections[name]


# -- parsing -------------------------------------------------------------------------------------
def load_mapping(path: Path | str, variables: AbstractMapping[str, Any] | None = None) -> Mapping:
    """Read and check a mapping file (TOML, or JSON when it ends with .json)."""
    path = Path(path)
    try:
        raw = json.loads(path.read_text("utf-8")) if path.suffix == ".json" else tomllib.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as error:
        raise MappingError([f"{path}: {error}"]) from None
    return parse_mapping(raw, variables)


def parse_mapping(raw: AbstractMapping[str, Any], variables: AbstractMapping[str, Any] | None = None) -> Mapping:
    """Check a mapping; `variables` ({"institution": "<uuid>"}) are substituted for `const = "$name"`."""
    problems: list[str] = []
    variables = variables or {}
    schema = raw.get("schema", "app")
    collections: dict[str, CollectionMapping] = {}
    for name, spec in (raw.get("collections") or {}).items():
        if not isinstance(spec, AbstractMapping):
            problems.append(f"collections.{name}: expected a table of settings")
            continue
        where = f"collections.{name}"
        main = _target(spec, schema, name, where, problems, child=False, variables=variables)
        children = tuple(
            _target(child, schema, name, f"{where}.children[{index}]", problems, child=True, variables=variables)
            for index, child in enumerate(spec.get("children") or [])
        )
        updated = spec.get("updated") or ()
        collections[name] = CollectionMapping(
            name, main, children, (updated,) if isinstance(updated, str) else tuple(updated)
        )
    if not collections:
        problems.append("the mapping has no collections")
    for collection in collections.values():
        for target in collection.targets:
            for column in target.columns:
                if column.missing != "keep" and (column.type != "ref" or column.collection not in collections):
                    problems.append(
                        f"collections.{collection.name}: column {column.name!r}: "
                        "`missing` needs a ref into a mapped collection"
                    )
    names = dict(raw.get("names") or {})
    explicit = tuple(raw.get("order") or ())
    for name in explicit:
        if name not in collections:
            problems.append(f"order: {name!r} is not a mapped collection")
    finish = {}
    for name, spec in (raw.get("collections") or {}).items():
        statement = spec.get("finish") if isinstance(spec, AbstractMapping) else None
        if statement is not None:
            if not isinstance(statement, str) or not statement.strip():
                problems.append(f"collections.{name}: `finish` must be an SQL statement")
            else:
                finish[name] = statement
    if problems:
        raise MappingError(problems)
    return Mapping(collections, names, explicit or load_order(collections), finish)


def _target(
    spec: AbstractMapping[str, Any],
    schema: str,
    collection: str,
    where: str,
    problems: list[str],
    child: bool,
    variables: AbstractMapping[str, Any],
) -> Target:
    table = spec.get("table")
    if not isinstance(table, str) or not table:
        problems.append(f"{where}: `table` is required")
        table = "?"
    if "." in table:
        schema, table = table.split(".", 1)
    columns = []
    for name, column_spec in (spec.get("columns") or {}).items():
        columns.append(_column(name, column_spec, collection, f"{where}.columns.{name}", problems, child, variables))
    if not columns:
        problems.append(f"{where}: no columns")
    names = [column.name for column in columns]
    key_spec = spec.get("key")
    if key_spec is None:
        key = tuple(column.name for column in columns if column.type == "id")[:1]
        if not key:
            problems.append(f"{where}: give `key` (a unique key of the table) or a column of type id")
    else:
        key = (key_spec,) if isinstance(key_spec, str) else tuple(key_spec)
    for column in key:
        if column not in names:
            problems.append(f"{where}: key column {column!r} is not among the columns")
    array = spec.get("array")
    parent = spec.get("parent")
    if child:
        if array is not None and (not isinstance(array, str) or not array):
            problems.append(f"{where}: `array` must be the path of an array (or left out: one row per document)")
        if parent is not None and parent not in names:
            problems.append(f"{where}: parent column {parent!r} is not among the columns")
    elif array is not None or parent is not None:
        problems.append(f"{where}: `array`/`parent` belong in children")
    return Target(schema, table, tuple(columns), key, array if child else None, parent if child else None, child)


def _column(
    name: str,
    spec: Any,
    collection: str,
    where: str,
    problems: list[str],
    child: bool,
    variables: AbstractMapping[str, Any],
) -> Column:
    if isinstance(spec, str):
        spec = {"type": spec}  # shorthand: `title = "text"` means the path `title`
    if not isinstance(spec, AbstractMapping):
        problems.append(f"{where}: expected a table like {{ path = ..., type = ... }}")
        return Column(name, "text")
    unknown = set(spec) - _COLUMN_KEYS
    if unknown:
        problems.append(f"{where}: unknown setting(s) {sorted(unknown)}")
    kind = spec.get("type", "text")
    if kind not in TYPES:
        problems.append(f"{where}: unknown type {kind!r} (one of {', '.join(sorted(TYPES))})")
    path = spec.get("path")
    if path is None and "const" not in spec:
        path = "_id" if kind in ("id", "key") else name
        if child and kind == "key":
            path = "$parent._id"
        elif child and kind == "id":
            path = None  # a child row's own id: derived from the parent's key and the element (transform.py)
    paths = () if path is None else ((path,) if isinstance(path, str) else tuple(path))
    for item in paths:
        if not isinstance(item, str) or not _PATH.fullmatch(item):
            problems.append(f"{where}: bad path {item!r}")
        elif not child and item.startswith(("$parent", "$item", "$index")):
            problems.append(f"{where}: {item!r} only means something inside children")
    target_collection = spec.get("collection", collection if kind in ("id",) else None)
    if kind in ("ref", "ref[]") and not target_collection:
        problems.append(f"{where}: a {kind} needs `collection` (the collection it points into)")
    missing = spec.get("missing", "keep")
    if missing not in ("keep", "null", "reject", "skip"):
        problems.append(f"{where}: missing must be keep, null, reject or skip")
    elif missing == "skip" and not child:
        problems.append(f'{where}: missing = "skip" drops a child row; in a main table use reject')
    fallback = spec.get("fallback")
    if fallback not in (None, "id_time"):
        problems.append(f"{where}: the only fallback is 'id_time'")
    epoch = spec.get("epoch", "auto")
    if epoch not in ("auto", "ms", "s"):
        problems.append(f"{where}: epoch must be auto, ms or s")
    const = spec.get("const", MISSING)
    if isinstance(const, str) and _VARIABLE.fullmatch(const):
        if const[1:] in variables:
            const = variables[const[1:]]
        else:
            problems.append(f"{where}: {const} is not given (e.g. --{const[1:]} for $institution)")
    normalize = spec.get("normalize", ())
    normalize = (normalize,) if isinstance(normalize, str) else tuple(normalize)
    for step in normalize:
        if step not in NORMALIZERS:
            problems.append(f"{where}: normalize {step!r} is not one of {', '.join(NORMALIZERS)}")
    replace = spec.get("replace")
    if replace is not None:
        if not (isinstance(replace, list | tuple) and len(replace) == 2 and all(isinstance(r, str) for r in replace)):
            problems.append(f"{where}: replace must be [regex, replacement]")
            replace = None
        else:
            try:
                re.compile(replace[0])
            except re.error as error:
                problems.append(f"{where}: replace: bad regex: {error}")
            replace = (replace[0], replace[1])
    value_map = spec.get("map")
    if value_map is not None and not isinstance(value_map, AbstractMapping):
        problems.append(f"{where}: map must be a table {{ from = to, ... }}")
        value_map = None
    when = spec.get("when")
    if when is not None and (not isinstance(when, str) or not _PATH.fullmatch(when)):
        problems.append(f"{where}: bad `when` path {when!r}")
    return Column(
        name=name,
        type=kind,
        paths=paths,
        required=bool(spec.get("required", False)),
        default=spec.get("default", MISSING),
        const=const,
        collection=target_collection,
        missing=missing,
        fallback=fallback,
        epoch=epoch,
        normalize=normalize,
        replace=replace,
        map=dict(value_map) if value_map is not None else None,
        when=when,
    )


def load_order(collections: AbstractMapping[str, CollectionMapping]) -> tuple[str, ...]:
    """Referenced collections before the ones referring to them; file order breaks ties and cycles
    (a cycle needs deferrable foreign keys or a nullable side with `missing = "null"`)."""
    order: list[str] = []
    visiting: set[str] = set()

    def visit(name: str) -> None:
        if name in order or name in visiting:
            return
        visiting.add(name)
        names = list(collections)
        for dependency in sorted(collections[name].references() & set(names), key=names.index):
            visit(dependency)
        visiting.discard(name)
        order.append(name)

    for name in collections:
        visit(name)
    return tuple(order)

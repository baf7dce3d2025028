"""One document → the rows it contributes to each target table, or a RejectReason. Pure: no I/O,
so it runs the same in the main process, in workers (--jobs) and in verify's field comparison."""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable
from collections.abc import Mapping as AbstractMapping
from dataclasses import dataclass
from typing import Any

from bson import ObjectId

from api.importer import values
from api.importer.catalog import ColumnFacts, TableFacts
from api.importer.ids import BadKey, legacy_key, object_id_time, uuid_for
from api.importer.mapping import MISSING, CollectionMapping, Column, Target
from api.importer.values import Converter, RejectReason

Getter = Callable[[Any, Any, Any, int], Any]  # (document, parent, item, index) → value or MISSING


def _walk(value: Any, parts: tuple[str, ...]) -> Any:
    for part in parts:
        if isinstance(value, AbstractMapping):
            value = value.get(part, MISSING)
            if value is MISSING:
                return MISSING
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return MISSING
    return value


def compile_path(path: str, child: bool) -> Getter:
    """`a.b.0.c` from the document; in children `$parent.x` from the parent, `$item[.x]` (or a plain
    path) from the array element, `$index` the element's position."""
    if path == "$index":
        return lambda doc, parent, item, index: index
    if path == "$item":
        return lambda doc, parent, item, index: item
    if path.startswith("$parent."):
        parts = tuple(path[len("$parent.") :].split("."))
        return lambda doc, parent, item, index: _walk(parent, parts)
    if path.startswith("$item."):
        path = path[len("$item.") :]
    parts = tuple(path.split("."))
    if child:
        return lambda doc, parent, item, index: _walk(item, parts)
    if len(parts) == 1:
        key = parts[0]
        return lambda doc, parent, item, index: doc.get(key, MISSING)
    return lambda doc, parent, item, index: _walk(doc, parts)


def _child_path(array: str, index: int, path: str) -> str:
    """A child column's path as seen from the document: `students[3]`, `grades[2].score`."""
    if path.startswith("$parent."):
        return path[len("$parent.") :]
    if path.startswith("$item"):
        path = path[len("$item") :].lstrip(".")
    base = f"{array}[{index}]"
    if not path:
        return base
    return base + (path if path.startswith("[") else f".{path}")


def _present(value: Any) -> Any:
    return None if value is MISSING else value


def _key(value: Any, path: str) -> str | None:
    if value is None:
        return None
    try:
        return legacy_key(value)
    except BadKey as error:
        raise RejectReason(f"not a key: {error}", path) from None


def converter(column: Column, facts: ColumnFacts | None) -> Converter:
    """The value converter for one column, tightened by what the catalog says about it."""
    kind = column.type
    if kind == "id":
        return values.id_of(column.collection or "")
    if kind == "key":
        return _key
    if kind == "ref":
        return values.ref_to(column.collection or "")
    if kind == "ref[]":
        return values.array_of(values.ref_to(column.collection or ""))
    if kind == "uuid":
        return values.to_uuid
    if kind in ("text", "text[]"):
        text = values.to_text
        if facts is not None and (facts.labels is not None or facts.max_length is not None):
            text = values.checked_text(facts.labels, facts.max_length)
        return values.array_of(text) if kind == "text[]" else text
    if kind == "int":
        bits = facts.int_bits if facts else None
        return values.int_range(bits) if bits else values.to_int
    if kind == "numeric":
        return values.to_numeric
    if kind == "bool":
        return values.to_bool
    if kind == "timestamptz":
        return functools.partial(values.to_timestamptz, epoch=column.epoch)
    if kind == "date":
        return functools.partial(values.to_date, epoch=column.epoch)
    if kind == "jsonb":
        return values.to_jsonb
    raise ValueError(f"unknown column type {kind!r}")


Cell = Callable[[Any, Any, Any, int], Any]  # (document, parent, item, index) → the column's value


def _preparer(column: Column) -> Callable[[Any], Any] | None:
    """The column's rewriting of string values before conversion (normalize, replace, map), or None."""
    steps: list[Callable[[str], Any]] = []
    for step in column.normalize:
        steps.append({"trim": str.strip, "lower": str.lower, "upper": str.upper}[step])
    if column.replace is not None:
        pattern, replacement = re.compile(column.replace[0]), column.replace[1]
        steps.append(lambda text: pattern.sub(replacement, text))
    if column.map is not None:
        table = column.map
        steps.append(lambda text: table.get(text, text))
    if not steps:
        return None

    def prepare(value: Any) -> Any:
        if type(value) is ObjectId:
            value = str(value)
        for step in steps:
            if type(value) is not str:
                break
            value = step(value)
        return value

    return prepare


def _then(prepare: Callable[[Any], Any], convert: Converter) -> Converter:
    return lambda value, path: convert(prepare(value), path)


def _only_when(condition: Getter, label: str, cell: Cell) -> Cell:
    """`cell`, but NULL unless the path `condition` holds a true boolean (no default, no fallback)."""

    def only_when(doc: Any, parent: Any, item: Any, index: int) -> Any:
        flag = condition(doc, parent, item, index)
        if flag is MISSING or flag is None or not values.to_bool(flag, label):
            return None
        return cell(doc, parent, item, index)

    return only_when


@dataclass
class _CompiledTarget:
    target: Target
    cells: tuple[Cell, ...]
    array: Getter | None
    key_at: tuple[int, ...]  # positions of the key columns in a row


class Transformer:
    """Compiled once per collection (per process); `rows(document)` does the per-document work."""

    def __init__(self, collection: CollectionMapping, facts: dict[str, TableFacts] | None = None) -> None:
        self.collection = collection
        self.name = collection.name
        self._key = compile_path(collection.key_path, False)
        self._updated = tuple(compile_path(path, False) for path in collection.updated)
        self.targets = tuple(
            self._compile(target, (facts or {}).get(target.qualified)) for target in collection.targets
        )

    def _compile(self, target: Target, table: TableFacts | None) -> _CompiledTarget:
        child = target.child
        cells = tuple(
            self._cell(target, column, table.columns.get(column.name) if table else None, child)
            for column in target.columns
        )
        array = compile_path(target.array, False) if target.array else None  # None: a companion row
        key_at = tuple(target.column_names.index(name) for name in target.key if name in target.column_names)
        return _CompiledTarget(target, cells, array, key_at)

    def _cell(self, target: Target, column: Column, facts: ColumnFacts | None, child: bool) -> Cell:
        """One column's value from a document, as a closure specialised for what the column needs
        (this runs for every column of every row: no per-call checks of settings)."""
        cell = self._value_cell(target, column, facts, child)
        if column.when is None:
            return cell
        return _only_when(compile_path(column.when, child), column.when, cell)

    def _value_cell(self, target: Target, column: Column, facts: ColumnFacts | None, child: bool) -> Cell:
        convert = converter(column, facts)
        label = column.paths[0] if column.paths else column.name
        if column.const is not MISSING:
            constant = convert(column.const, f"(const of {column.name})")
            return lambda doc, parent, item, index: constant
        if child and column.type == "id" and not column.paths:
            return lambda doc, parent, item, index: self._child_id(target, parent, item, index)
        required = column.required or bool(facts and facts.not_null and not facts.has_default)
        default = MISSING if column.default is MISSING else convert(column.default, f"(default of {column.name})")
        key = self._key
        id_time = column.fallback == "id_time"
        getters = tuple(compile_path(path, child) for path in column.paths)
        prepare = _preparer(column)
        if prepare is not None:
            convert = _then(prepare, convert)

        def absent(doc: Any, parent: Any) -> Any:
            if id_time:
                moment = object_id_time(key(parent if parent is not None else doc, None, None, 0))
                if moment is not None:
                    return moment
            if default is not MISSING:
                return default
            if required:
                raise RejectReason("missing required field", label)
            return None

        if len(getters) == 1 and not child and column.paths[0].isidentifier():
            name = column.paths[0]  # the common case, a top-level field: no getter call

            def field(doc: Any, parent: Any, item: Any, index: int) -> Any:
                value = doc.get(name)
                if value is None:
                    return absent(doc, parent)
                return convert(value, label)

            return field

        if len(getters) == 1:
            (get,) = getters

            def cell(doc: Any, parent: Any, item: Any, index: int) -> Any:
                value = get(doc, parent, item, index)
                if value is MISSING or value is None:
                    return absent(doc, parent)
                return convert(value, label)

            return cell

        def first(doc: Any, parent: Any, item: Any, index: int) -> Any:
            for get in getters:
                value = get(doc, parent, item, index)
                if value is not MISSING and value is not None:
                    return convert(value, label)
            return absent(doc, parent)

        return first

    # -- per document ----------------------------------------------------------------------------
    def changed_since(self, document: AbstractMapping[str, Any], since: dt.datetime) -> bool:
        """Whether the document changed at or after `since`: its `updated` paths, else its ObjectId's
        creation time; a document that tells neither is taken as changed (re-importing is harmless)."""
        for getter in self._updated:
            value = getter(document, None, None, 0)
            if value is not MISSING and value is not None:
                try:
                    moment = values.to_timestamptz(value, "updated")
                except RejectReason:
                    return True
                return moment is None or moment >= since
        created = object_id_time(self._key(document, None, None, 0))
        return created is None or created >= since

    def rows(self, document: Any) -> list[list[tuple[Any, ...]]]:
        """Rows for each target (main first, then children, in mapping order)."""
        if not isinstance(document, AbstractMapping):
            raise RejectReason(f"not a document: {values.describe(document)}")
        main = self.targets[0]
        out = [[self._row(main, document, None, None, 0)]]
        for target in self.targets[1:]:
            out.append(self._children(target, document))
        return out

    def _children(self, target: _CompiledTarget, document: AbstractMapping[str, Any]) -> list[tuple[Any, ...]]:
        if target.array is None:  # a companion row: one per document, its paths read the document
            try:
                return [self._row(target, document, document, document, 0)]
            except RejectReason as reason:
                raise RejectReason(reason.message, reason.path.removeprefix("$parent.")) from None
        assert target.target.array is not None
        array = target.array(document, None, None, 0)
        if array is MISSING or array is None:
            return []
        label = target.target.array
        if not isinstance(array, list):
            raise RejectReason(f"not an array: {values.describe(array)}", label)
        rows = []
        seen: set[tuple[Any, ...]] = set()
        for index, item in enumerate(array):
            try:
                row = self._row(target, item, document, item, index)
                key = tuple(row[i] for i in target.key_at)
                if key not in seen:  # the same student twice in one array is one enrolment
                    seen.add(key)
                    rows.append(row)
            except RejectReason as reason:
                raise RejectReason(reason.message, _child_path(label, index, reason.path)) from None
        return rows

    def _row(self, target: _CompiledTarget, doc: Any, parent: Any, item: Any, index: int) -> tuple[Any, ...]:
        return tuple([cell(doc, parent, item, index) for cell in target.cells])

    def _child_id(self, target: Target, parent: Any, item: Any, index: int) -> str:
        """A child row's own id: stable as long as the element keeps its _id (Mongoose gives embedded
        documents one) or, without one, its position in the array."""
        parent_key = _key(_present(self._key(parent, None, None, 0)), self.collection.key_path)
        if parent_key is None:
            raise RejectReason("missing required field", self.collection.key_path)
        element = (item.get("_id") or item.get("id")) if isinstance(item, AbstractMapping) else None
        element_key = _key(element, f"{target.array}[{index}]._id") if element is not None else f"#{index}"
        return uuid_for(f"{self.name}.{target.array}", f"{parent_key}:{element_key}")

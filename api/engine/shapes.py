"""Reads by request shape: the statement of a GET/HEAD is built once per shape, then only bound.

Two reads that differ only in the values of their plain filters (`id=eq.1`, `id=eq.2`) parse,
plan and build to the same SQL text with different bind parameters: values are always bound,
never part of the text. So a shape is parsed, planned and built with a unique marker in place of
each such value, and the markers found among the bind parameters say where later requests'
values go. Everything else is the shape: method, path, every other query parameter verbatim and
in order (`in.(…)` lists, `is.*` keywords, logic trees, `select`, `order`, `limit`/`offset`), the
filter keys with their operator heads (`not.`, `(any)`/`(all)`, fts configs), and every header
the parse reads (Accept, Accept-Profile, Content-Profile, Prefer, Range). Nothing in a read's
SQL depends on the role (roles reach the database only through the transaction's settings), so
the role is not part of the shape.

A template is only kept when the mapping is exact, and three checks say so: the statement is
built with two different sets of markers (full of the characters a parser might rewrite) and
both must give the same text, the same constants, and each marker bound exactly once per copy of
the filters (twice with `count=exact`), as it is or with like's `*` → `%` and never inside the
text; and the template bound with the request's own values must equal the statement built
directly from that request. A shape is templated on its second sight, so one-off queries cost
nothing extra; shapes that cannot be templated (errors, RPC, EXPLAIN, planned counts, …) are
remembered as such and take the ordinary path. Templates belong to one schema cache: when it is
reloaded they are all dropped. The number kept is bounded (LRU).
"""

from __future__ import annotations

import re
import secrets
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from api.engine.grammar import FTS_OPERATORS, MAX_LENGTH, SIMPLE_OPERATORS
from api.engine.media import MediaChoice, negotiate
from api.engine.read_plan import plan_read
from api.engine.request import (
    ApiRequest,
    QueryParam,
    header_values,
    is_filter_key,
    parse_request_params,
    split_query_string,
)
from api.engine.schema_cache import SchemaCache
from api.engine.settings import EngineSettings
from api.engine.sql_read import Statement, build_read
from api.engine.wire import render

# `[not.]op[(any|all)|(fts config)].` — what precedes a filter value that is bound verbatim.
_FILTER_HEAD = re.compile(r"(?:not\.)?([a-z]+)(?:\([^().]*\))?\.")
_VERBATIM_OPERATORS = SIMPLE_OPERATORS | FTS_OPERATORS
_SHAPE_HEADERS = ("accept", "accept-profile", "content-profile", "prefer", "range")
MAX_QUERY_STRING = 8192  # longer query strings are not cached (keys stay small)
# Markers no request can contain: an unguessable core (letters and digits, which no quoting or
# escaping changes, so it is found wherever a marker leaks), around characters a parser or
# builder might rewrite, trim, quote or split on — any such rewrite makes the marker unknown.
_CORE = f"campus{secrets.token_hex(8)}"
_SPECIALS = "\x1f*%_\\\"',.:;()[]{} \tX\u00e9"
_SEEN = object()  # a shape seen once: templated if it comes again

Key = tuple[Any, ...]


def _markers(count: int, variant: str) -> list[str]:
    return [f" {_CORE}{variant}{i}{_SPECIALS}{i}{variant} " for i in range(count)]  # spaces: trims show


def _like(value: str) -> str:
    return value.replace("*", "%")


@dataclass(frozen=True, slots=True)
class Shape:
    """A request's shape and its varying values, in query-string order."""

    key: Key
    values: list[str]
    params: tuple[QueryParam, ...]


def shape_of(method: str, path: str, query_string: str, headers: Mapping[str, str]) -> Shape | None:
    """The request's shape, or None when it should not be cached."""
    if len(query_string) > MAX_QUERY_STRING:
        return None
    params = split_query_string(query_string)
    parts: list[Any] = [method, path]
    for name in _SHAPE_HEADERS:
        parts.append(tuple(header_values(headers, name)))
    values: list[str] = []
    for param in params:
        head = _verbatim_head(param)
        if head is None:
            parts.append((param.key, param.value))
        else:  # the value after the head is what varies (a value matching the head is never verbatim)
            parts.append((param.key, head, None))
            values.append(param.value[len(head) :])
    return Shape(tuple(parts), values, params)


def _verbatim_head(param: QueryParam) -> str | None:
    """`eq.` of `id=eq.5`: the head of a filter whose value is bound verbatim (None otherwise).

    A value matching the head pattern is always classified so: two parameters with the same key
    and head differ only in the bound value."""
    if not is_filter_key(param.key) or len(param.value) > MAX_LENGTH:
        return None
    match = _FILTER_HEAD.match(param.value)
    if match is None or match.group(1) not in _VERBATIM_OPERATORS:
        return None
    return match.group(0)


Slot = tuple[int, int, bool]  # (parameter position, value index, like's * → %)


@dataclass(frozen=True, slots=True)
class ReadTemplate:
    """A read built once for its shape; `statement(values)` binds a request's own values."""

    api: ApiRequest  # parsed with markers for the values: everything but them is the request's
    media: MediaChoice
    query: Any  # the psycopg.sql composition, for connections not speaking UTF-8
    utf8: bytes
    constants: tuple[Any, ...]  # the bind parameters, markers included
    slots: tuple[Slot, ...]
    offset: int
    count: str | None

    def statement(self, values: list[str]) -> Statement:
        params = list(self.constants)
        for position, index, like in self.slots:
            value = values[index]
            params[position] = value.replace("*", "%") if like else value
        return Statement(self.query, params, self.utf8)


@dataclass(frozen=True, slots=True)
class _Built:
    api: ApiRequest
    media: MediaChoice
    statement: Statement
    utf8: bytes
    offset: int
    count: str | None


def _build(shape: Shape, values: list[str], headers: Mapping[str, str], cache: SchemaCache,
           settings: EngineSettings) -> _Built | None:  # fmt: skip
    """The ordinary path for the shape with `values` in place of its own; None if it is not a
    plain read (an error, a function, a plan, a count needing an EXPLAIN)."""
    filled = iter(values)
    params = tuple(
        QueryParam(p.key, head + next(filled)) if (head := _verbatim_head(p)) is not None else p for p in shape.params
    )
    method, path = shape.key[0], shape.key[1]
    try:
        api = parse_request_params(method, path, params, headers, None, schemas=settings.db_schemas)
        if api.target.kind != "relation" or api.method not in ("GET", "HEAD"):
            return None
        media = negotiate(api.accept, plan_enabled=settings.db_plan_enabled)
        if media.plan is not None or api.preferences.count in {"planned", "estimated"}:
            return None
        plan = plan_read(api, cache, settings.db_max_rows, aggregates=settings.db_aggregates_enabled)
        built = build_read(plan, media.kind, want_body=method == "GET", strip_nulls=media.strip_nulls)
    except Exception:  # the ordinary path raises the request's own error
        return None
    return _Built(api, media, built, render(built.query, None), plan.root.range.offset, plan.count)


def build_template(
    shape: Shape, headers: Mapping[str, str], cache: SchemaCache, settings: EngineSettings
) -> ReadTemplate | None:
    """Parse, plan and build the shape with markers for its values; None unless the markers map
    exactly onto bind parameters (see the module docstring)."""
    first_markers, second_markers = _markers(len(shape.values), "a"), _markers(len(shape.values), "b")
    first = _build(shape, first_markers, headers, cache, settings)
    second = _build(shape, second_markers, headers, cache, settings)
    if first is None or second is None or first.utf8 != second.utf8 or _CORE.encode() in first.utf8:
        return None
    copies = 2 if first.count == "exact" else 1  # the count query repeats the filters
    slots = _slots(first.statement.params, first_markers, copies)
    if slots is None or slots != _slots(second.statement.params, second_markers, copies):
        return None
    if any(a != b for i, (a, b) in enumerate(zip(first.statement.params, second.statement.params, strict=True))
           if i not in {position for position, _, _ in slots}):  # fmt: skip
        return None
    template = ReadTemplate(first.api, first.media, first.statement.query, first.utf8,
                            tuple(first.statement.params), slots, first.offset, first.count)  # fmt: skip
    own = _build(shape, shape.values, headers, cache, settings)  # the request itself, built directly
    if own is None or (own.utf8, own.statement.params) != (template.utf8, template.statement(shape.values).params):
        return None
    return template


def _slots(params: list[Any], markers: list[str], copies: int = 1) -> tuple[Slot, ...] | None:
    """Where each marker is bound, as it is or as like's `*` → `%` made it; None unless each is
    bound exactly `copies` times and no parameter holds a marker in any other form."""
    index = {marker: (i, False) for i, marker in enumerate(markers)}
    index.update({_like(marker): (i, True) for i, marker in enumerate(markers)})
    slots: list[Slot] = []
    uses = [0] * len(markers)
    for position, param in enumerate(params):
        if not isinstance(param, str) or _CORE not in param:
            continue
        found = index.get(param)
        if found is None:  # transformed, or inside another value: its mapping is not ours to know
            return None
        slots.append((position, *found))
        uses[found[0]] += 1
    if any(n != copies for n in uses):  # dropped or duplicated by the planner
        return None
    return tuple(slots)


class ShapeCache:
    """Templates by shape for one schema cache, at most `size`, least recently used dropped first."""

    def __init__(self, size: int = 512) -> None:
        self.size = size
        self._owner: SchemaCache | None = None
        self._templates: OrderedDict[Key, Any] = OrderedDict()  # a ReadTemplate, None or _SEEN

    def template(
        self, shape: Shape, headers: Mapping[str, str], cache: SchemaCache, settings: EngineSettings
    ) -> ReadTemplate | None:
        """The shape's template; None on its first sight and when it cannot have one."""
        if cache is not self._owner:  # the schema cache was reloaded: every template may be stale
            self._templates.clear()
            self._owner = cache
        templates = self._templates
        found = templates.get(shape.key, _SEEN)
        if found is _SEEN:
            if shape.key not in templates:  # first sight: the ordinary path serves it
                templates[shape.key] = _SEEN
                if len(templates) > self.size:
                    templates.popitem(last=False)
                return None
            found = templates[shape.key] = build_template(shape, headers, cache, settings)
        templates.move_to_end(shape.key)
        return found

    def __len__(self) -> int:
        return len(self._templates)

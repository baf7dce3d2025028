"""The request stage: one HTTP request, parsed without I/O into an ``ApiRequest`` (DESIGN §1).

``parse_request`` decides what PostgREST decides before it looks at the schema cache:

- the target from the path: root ``/``, a relation ``/name`` or a function ``/rpc/name``
  (anything deeper is 404 PGRST125) and whether the method is allowed on it (405 PGRST117/101);
- the schema from ``Accept-Profile`` (GET/HEAD/OPTIONS) or ``Content-Profile`` (writes) against
  the exposed schemas (406 PGRST106);
- the query string (form-decoded, ``+`` is a space) split into reserved parameters (``select``,
  ``columns``, ``on_conflict``, and keys whose last dot-segment is order/limit/offset/and/or) and
  filters, each parsed by ``api.engine.grammar``;
- the page: ``limit``/``offset`` per embed path and, on GET, the ``Range`` header (416 PGRST103);
- ``Prefer`` into ``Preferences`` (400 PGRST122 under ``handling=strict``), ``Accept`` into the
  wanted media types in preference order (the planner picks one), and the body into a
  ``Payload`` (400 PGRST102).

The planner then resolves names against the schema cache; nothing here builds SQL.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote, unquote_plus

from api.engine.errors import ApiError
from api.engine.grammar import (
    FTS_OPERATORS,
    QUANTIFIABLE_OPERATORS,
    SIMPLE_OPERATORS,
    Filter,
    OrderTerm,
    SelectItem,
    Star,
    parse_columns,
    parse_embed_path,
    parse_filter,
    parse_logic,
    parse_order,
    parse_select,
)

METHODS = frozenset({"GET", "HEAD", "POST", "PATCH", "PUT", "DELETE", "OPTIONS"})
ROOT_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
RPC_METHODS = frozenset({"GET", "HEAD", "POST", "OPTIONS"})
WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})

RESERVED_KEYS = frozenset({"select", "columns", "on_conflict"})  # besides keys ending in .order/.limit/...

APPLICATION_JSON = "application/json"
RPC_RAW_MEDIA_TYPES = frozenset({"text/plain", "text/xml", "application/octet-stream"})

# --------------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Target:
    """What the path names: ``root`` (``/``), a ``relation`` or an ``rpc`` function."""

    kind: str  # "root" | "relation" | "rpc"
    name: str = ""


@dataclass(frozen=True, slots=True)
class QueryParam:
    """One decoded ``key=value`` pair of the query string."""

    key: str
    value: str


@dataclass(frozen=True, slots=True)
class PageRange:
    """Rows ``offset .. offset+limit-1``; ``limit=None`` means unbounded."""

    offset: int = 0
    limit: int | None = None

    @property
    def is_unbounded(self) -> bool:
        return self.offset == 0 and self.limit is None

    def intersect(self, other: PageRange) -> PageRange:
        """The rows both ranges allow (an empty intersection has ``limit=0``)."""
        first = max(self.offset, other.offset)
        lasts = [r.offset + r.limit - 1 for r in (self, other) if r.limit is not None]
        if not lasts:
            return PageRange(first, None)
        return PageRange(first, max(0, min(lasts) - first + 1))


@dataclass(frozen=True, slots=True)
class Order:
    """The ``order=`` terms for one embed path (``()`` = top level)."""

    path: tuple[str, ...]
    terms: tuple[OrderTerm, ...]


@dataclass(frozen=True, slots=True)
class EmbedRange:
    """``limit``/``offset`` for one embedded resource path."""

    path: tuple[str, ...]
    range: PageRange


@dataclass(frozen=True, slots=True)
class Preferences:
    """The ``Prefer`` header, typed. ``invalid`` lists the tokens that were not understood."""

    returning: str | None = None  # minimal | headers-only | representation
    count: str | None = None  # exact | planned | estimated
    resolution: str | None = None  # merge-duplicates | ignore-duplicates
    missing: str | None = None  # default | null
    handling: str | None = None  # strict | lenient
    max_affected: int | None = None
    tx: str | None = None  # commit | rollback
    timezone: str | None = None
    params: str | None = None  # single-object | multiple-objects (legacy)
    invalid: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class MediaType:
    """One entry of ``Accept`` (or a ``Content-Type``): lower-cased type/subtype, parameters, q."""

    type: str
    subtype: str
    params: tuple[tuple[str, str], ...] = ()
    q: float = 1.0

    @property
    def mime(self) -> str:
        return f"{self.type}/{self.subtype}" if self.subtype else self.type

    def param(self, name: str) -> str | None:
        return next((value for key, value in self.params if key == name), None)

    def __str__(self) -> str:
        return self.mime + "".join(f"; {key}={value}" for key, value in self.params)


@dataclass(frozen=True, slots=True)
class Payload:
    """A request body, checked the way PostgREST checks it.

    ``kind`` is ``json`` (validated; ``data`` is the JSON text to bind, CSV and forms converted),
    ``raw_json`` (``columns=`` was given: the body is passed on untouched and unparsed) or ``raw``
    (text/plain, text/xml or octet-stream for a function's single unnamed parameter).
    ``keys`` are the column/argument names: the first object's keys, or ``columns=``.
    """

    media_type: str
    kind: str
    data: bytes
    keys: tuple[str, ...] = ()
    is_array: bool = False


@dataclass(frozen=True, slots=True)
class ApiRequest:
    """Everything the planner needs from one request, before the schema cache is consulted.

    ``filters`` holds every filter and logic tree in query-string order, each with its embed
    path. On RPC GET/HEAD/OPTIONS the plain ``key=value`` parameters are not parsed yet: they
    stay in ``rpc_params`` until the planner knows the function's argument names and calls
    ``split_rpc_params`` (a parameter naming an argument is an argument, the rest are filters).
    """

    method: str
    path: str
    target: Target
    schema: str
    schema_from_header: bool
    query_params: tuple[QueryParam, ...]
    select: tuple[SelectItem, ...]
    filters: tuple[Filter, ...]
    orders: tuple[Order, ...]
    range: PageRange
    embed_ranges: tuple[EmbedRange, ...]
    columns: tuple[str, ...] | None
    on_conflict: tuple[str, ...] | None
    rpc_params: tuple[QueryParam, ...]
    preferences: Preferences
    accept: tuple[MediaType, ...]
    payload: Payload | None

    def filters_at(self, path: tuple[str, ...]) -> tuple[Filter, ...]:
        return tuple(f for f in self.filters if f.path == path)

    def order_at(self, path: tuple[str, ...]) -> tuple[OrderTerm, ...]:
        return next((o.terms for o in self.orders if o.path == path), ())

    def range_at(self, path: tuple[str, ...]) -> PageRange:
        if not path:
            return self.range
        return next((r.range for r in self.embed_ranges if r.path == path), PageRange())

    def split_rpc_params(
        self, arg_names: Collection[str] | None = None
    ) -> tuple[tuple[tuple[str, str], ...], tuple[Filter, ...]]:
        """Split ``rpc_params`` into (arguments, filters on the result).

        With ``arg_names`` a parameter is an argument when its key names one. Without, PostgREST's
        guess applies: a parameter is a filter when its key has a dot or its value starts with an
        operator (``id=eq.1``), else an argument (``id=1``). Filters that do not parse raise
        PGRST100. Repeated arguments are all kept, in order (variadic functions use them all).
        """
        args: list[tuple[str, str]] = []
        filters: list[Filter] = []
        for param in self.rpc_params:
            if _is_argument(param, arg_names):
                args.append((param.key, param.value))
            else:
                filters.append(parse_filter(param.key, param.value))
        return tuple(args), tuple(filters)


def _is_argument(param: QueryParam, arg_names: Collection[str] | None) -> bool:
    if arg_names is None:
        return not looks_like_filter(param.key, param.value)
    return param.key in arg_names


# --------------------------------------------------------------------------------------------
# The entry point
# --------------------------------------------------------------------------------------------


def parse_request(
    method: str,
    path: str,
    query_string: str,
    headers: Mapping[str, str],
    body: bytes | None,
    *,
    schemas: Sequence[str],
) -> ApiRequest:
    """Parse one request. ``path`` is the raw (still percent-encoded) path below the API root,
    ``query_string`` the raw text after ``?``; ``headers`` may be a multidict (repeated ``Prefer``
    headers are merged) or a plain mapping (names matched case-insensitively)."""
    return parse_request_params(method, path, split_query_string(query_string), headers, body, schemas=schemas)


def parse_request_params(
    method: str,
    path: str,
    params: tuple[QueryParam, ...],
    headers: Mapping[str, str],
    body: bytes | None,
    *,
    schemas: Sequence[str],
) -> ApiRequest:
    """``parse_request`` with the query string already split into decoded parameters."""
    method = method.upper()
    target = parse_target(path)
    check_method(method, target)
    schema, schema_from_header = negotiate_schema(method, headers, schemas)
    preferences = parse_prefer(header_values(headers, "prefer"))

    parts = _classify(params)
    rpc_lazy = target.kind == "rpc" and method in ("GET", "HEAD", "OPTIONS")
    select = parse_select(parts.select) if parts.select is not None else (Star(),)
    columns = parse_columns(parts.columns) if parts.columns is not None else None
    on_conflict = parse_columns(parts.on_conflict, "on_conflict parameter") if parts.on_conflict is not None else None
    filters, rpc_params = _predicates(parts.predicates, defer_plain=rpc_lazy)
    page, embed_ranges = _ranges(parts.limits, parts.offsets)
    if method == "GET":
        header_range = parse_range_header(header_value(headers, "range"))
        if header_range is not None:
            page = page.intersect(header_range)

    return ApiRequest(
        method=method,
        path=path,
        target=target,
        schema=schema,
        schema_from_header=schema_from_header,
        query_params=params,
        select=select,
        filters=tuple(filters),
        orders=_orders(parts.orders),
        range=page,
        embed_ranges=embed_ranges,
        columns=columns,
        on_conflict=on_conflict,
        rpc_params=tuple(rpc_params),
        preferences=preferences,
        accept=parse_accept(", ".join(header_values(headers, "accept")) or None),
        payload=parse_payload(method, target, header_value(headers, "content-type"), body, columns),
    )


# --------------------------------------------------------------------------------------------
# Headers
# --------------------------------------------------------------------------------------------


def header_values(headers: Mapping[str, str], name: str) -> list[str]:
    """Every value of header ``name`` (lower-case), from a multidict or a plain mapping."""
    getall = getattr(headers, "getall", None)
    if callable(getall):
        return [str(value) for value in getall(name, ())]
    return [value for key, value in headers.items() if key.lower() == name]


def header_value(headers: Mapping[str, str], name: str) -> str | None:
    values = header_values(headers, name)
    return values[0] if values else None


# --------------------------------------------------------------------------------------------
# Path, method, schema
# --------------------------------------------------------------------------------------------


def parse_target(path: str) -> Target:
    """``/`` → root, ``/name`` → relation, ``/rpc/name`` → rpc; segments are percent-decoded."""
    raw = path.removeprefix("/")
    if not raw:
        return Target("root")
    segments = [unquote(segment, errors="replace") for segment in raw.split("/")]
    if len(segments) == 1 and segments[0]:
        return Target("relation", segments[0])
    if len(segments) == 2 and segments[0] == "rpc" and segments[1]:
        return Target("rpc", segments[1])
    raise ApiError(404, "PGRST125", "Invalid path specified in request URL")


def check_method(method: str, target: Target) -> None:
    if target.kind == "rpc":
        if method not in RPC_METHODS:
            raise ApiError(405, "PGRST101", f"Cannot use the {method} method on RPC")
        return
    allowed = ROOT_METHODS if target.kind == "root" else METHODS
    if method not in allowed:
        raise ApiError(405, "PGRST117", f"Unsupported HTTP method: {method}")


def negotiate_schema(method: str, headers: Mapping[str, str], schemas: Sequence[str]) -> tuple[str, bool]:
    """The schema the request addresses, and whether a profile header chose it."""
    if not schemas:
        raise ValueError("at least one schema must be exposed")
    header = "content-profile" if method in WRITE_METHODS else "accept-profile"
    profile = (header_value(headers, header) or "").strip()
    if not profile:
        return schemas[0], False
    if profile not in schemas:
        raise ApiError(
            406,
            "PGRST106",
            f"Invalid schema: {profile}",
            hint=f"Only the following schemas are exposed: {', '.join(schemas)}",
        )
    return profile, True


# --------------------------------------------------------------------------------------------
# Query string
# --------------------------------------------------------------------------------------------

_SEPARATORS = re.compile(r"[&;]")
_INTEGER = re.compile(r"\s*(-?[0-9]{1,18})\s*")


def split_query_string(query_string: str) -> tuple[QueryParam, ...]:
    """Form-decode the query string (``+`` is a space). Like PostgREST (http-types), ``&`` and
    ``;`` both separate pairs; a piece without ``=`` (``?flag``) is ignored."""
    params: list[QueryParam] = []
    query_string = query_string.removeprefix("?")
    pieces = _SEPARATORS.split(query_string) if ";" in query_string else query_string.split("&")
    for piece in pieces:
        if "=" not in piece:
            continue
        key, value = piece.split("=", 1)
        params.append(QueryParam(_form_decode(key), _form_decode(value)))
    return tuple(params)


def _form_decode(text: str) -> str:
    """`unquote_plus`, skipped for the common text that has nothing to decode."""
    return unquote_plus(text, errors="replace") if "%" in text or "+" in text else text


@dataclass
class _Classified:
    """Query parameters sorted by role (each reserved name keeps its first occurrence)."""

    select: str | None = None
    columns: str | None = None
    on_conflict: str | None = None
    orders: list[QueryParam] = field(default_factory=list)
    limits: list[QueryParam] = field(default_factory=list)
    offsets: list[QueryParam] = field(default_factory=list)
    predicates: list[QueryParam] = field(default_factory=list)  # filters and logic trees, in order


def _classify(params: Iterable[QueryParam]) -> _Classified:
    parts = _Classified()
    by_last_segment = {
        "order": parts.orders,
        "limit": parts.limits,
        "offset": parts.offsets,
    }
    for param in params:
        if param.key in RESERVED_KEYS:
            if getattr(parts, param.key) is None:
                setattr(parts, param.key, param.value)
            continue
        by_last_segment.get(_last_segment(param.key), parts.predicates).append(param)
    return parts


def _last_segment(key: str) -> str:
    return key.rsplit(".", 1)[-1]


_NOT_FILTERS = frozenset({"order", "limit", "offset", "and", "or"})


def is_filter_key(key: str) -> bool:
    """Whether a ``key=value`` parameter is a plain filter (not reserved, not a logic tree)."""
    return key not in RESERVED_KEYS and _last_segment(key) not in _NOT_FILTERS


def _predicates(params: Iterable[QueryParam], *, defer_plain: bool) -> tuple[list[Filter], list[QueryParam]]:
    """Parse filters and logic trees in query-string order; with ``defer_plain`` (RPC GET) plain
    ``key=value`` parameters are returned unparsed instead."""
    filters: list[Filter] = []
    deferred: list[QueryParam] = []
    for param in params:
        if _last_segment(param.key) in ("and", "or"):
            filters.append(parse_logic(param.key, param.value))
        elif defer_plain:
            deferred.append(param)
        else:
            filters.append(parse_filter(param.key, param.value))
    return filters, deferred


def _orders(params: Iterable[QueryParam]) -> tuple[Order, ...]:
    """One ``Order`` per embed path; the first ``order`` for a path wins."""
    orders: dict[tuple[str, ...], Order] = {}
    for param in params:
        path = parse_embed_path(param.key)
        terms = parse_order(param.value)
        orders.setdefault(path, Order(path, terms))
    return tuple(orders.values())


def _parse_int(value: str) -> int | None:
    match = _INTEGER.fullmatch(value)
    return int(match.group(1)) if match else None


def _first_integers(params: Iterable[QueryParam]) -> dict[tuple[str, ...], int]:
    """The first integer value per embed path; other values are ignored (as PostgREST does)."""
    numbers: dict[tuple[str, ...], int] = {}
    for param in params:
        path = parse_embed_path(param.key)
        number = _parse_int(param.value)
        if number is not None:
            numbers.setdefault(path, number)
    return numbers


def _ranges(limits: Iterable[QueryParam], offsets: Iterable[QueryParam]) -> tuple[PageRange, tuple[EmbedRange, ...]]:
    """The top-level page and one range per embed path from ``[path.]limit`` / ``[path.]offset``.

    A negative offset counts as 0; a negative limit is 416 PGRST103.
    """
    limit_at, offset_at = _first_integers(limits), _first_integers(offsets)
    if any(limit < 0 for limit in limit_at.values()):
        raise ApiError(
            416, "PGRST103", "Requested range not satisfiable", "Limit should be greater than or equal to zero."
        )
    ranges = {path: PageRange(max(offset_at.get(path, 0), 0), limit_at.get(path)) for path in limit_at | offset_at}
    top = ranges.pop((), PageRange())
    return top, tuple(EmbedRange(path, page) for path, page in ranges.items())


_RANGE_HEADER = re.compile(r"\s*(?:items=)?([0-9]{1,18})-([0-9]{0,18})\s*")


def parse_range_header(value: str | None) -> PageRange | None:
    """``Range: first-last`` or ``first-``; malformed headers are ignored (None)."""
    match = _RANGE_HEADER.fullmatch(value) if value else None
    if match is None:
        return None
    first = int(match.group(1))
    if not match.group(2):
        return PageRange(first, None)
    last = int(match.group(2))
    if first > last:
        raise ApiError(
            416,
            "PGRST103",
            "Requested range not satisfiable",
            "The lower boundary must be lower than or equal to the upper boundary in the Range header.",
        )
    return PageRange(first, last - first + 1)


_FILTER_OPERATORS = SIMPLE_OPERATORS | FTS_OPERATORS | {"in", "is"}


def looks_like_filter(key: str, value: str) -> bool:
    """PostgREST's RPC GET guess: an embedded key, or a value that starts like an operator
    (``eq.1``, ``not.x``, ``is``, ``fts(english).x``, ``eq(any).{1}``), is a filter."""
    if "." in key:
        return True
    head, dot, _ = value.partition(".")
    if (head == "not" and dot) or head in _FILTER_OPERATORS:
        return True
    word, paren, _ = value.partition("(")
    return bool(paren) and (word in FTS_OPERATORS or word in QUANTIFIABLE_OPERATORS)


# --------------------------------------------------------------------------------------------
# Prefer
# --------------------------------------------------------------------------------------------

_PREFERENCE_CHOICES: dict[str, frozenset[str]] = {
    "return": frozenset({"minimal", "headers-only", "representation"}),
    "count": frozenset({"exact", "planned", "estimated"}),
    "resolution": frozenset({"merge-duplicates", "ignore-duplicates"}),
    "missing": frozenset({"default", "null"}),
    "handling": frozenset({"strict", "lenient"}),
    "tx": frozenset({"commit", "rollback"}),
    "params": frozenset({"single-object", "multiple-objects"}),
}
_FIELD_OF = {"return": "returning", "max-affected": "max_affected"}
_NON_NEGATIVE = re.compile(r"[0-9]{1,18}")


def parse_prefer(values: Iterable[str]) -> Preferences:
    """Merge ``Prefer`` headers (comma lists, any order, spaces optional); the first of a kind wins.

    Unknown or malformed tokens are collected in ``invalid``; with ``handling=strict`` they are an
    error (400 PGRST122), otherwise they are ignored.
    """
    chosen: dict[str, Any] = {}
    invalid: list[str] = []
    for header in values:
        for token in header.split(","):
            token = token.strip()
            if not token:
                continue
            name, _, value = (part.strip() for part in token.partition("="))
            parsed = _preference_value(name, value)
            if parsed is None:
                invalid.append(token)
            else:
                chosen.setdefault(_FIELD_OF.get(name, name), parsed)
    preferences = Preferences(**chosen, invalid=tuple(invalid))
    if preferences.handling == "strict" and invalid:
        raise ApiError(
            400,
            "PGRST122",
            "Invalid preferences given with handling=strict",
            f"Invalid preferences: {', '.join(invalid)}",
        )
    return preferences


def _preference_value(name: str, value: str) -> str | int | None:
    """The typed value of one preference, or None when it is not a known, well-formed one."""
    if name in _PREFERENCE_CHOICES:
        return value if value in _PREFERENCE_CHOICES[name] else None
    if name == "max-affected":
        return int(value) if _NON_NEGATIVE.fullmatch(value) else None
    if name == "timezone":
        return value or None  # validated against pg_timezone_names by the planner
    return None


# --------------------------------------------------------------------------------------------
# Accept and Content-Type
# --------------------------------------------------------------------------------------------


def _split_outside_quotes(text: str, separator: str) -> list[str]:
    """Split on ``separator`` except inside double-quoted strings (``for="a,b"``)."""
    if '"' not in text:
        return text.split(separator)
    parts: list[str] = []
    start, quoted, i = 0, False, 0
    while i < len(text):
        char = text[i]
        if char == '"':
            quoted = not quoted
        elif char == "\\" and quoted:
            i += 1
        elif char == separator and not quoted:
            parts.append(text[start:i])
            start = i + 1
        i += 1
    parts.append(text[start:])
    return parts


def _unquote_param(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return value


def parse_media_type(text: str) -> MediaType | None:
    """``type/subtype; key=value; q=0.5`` → MediaType (lower-cased names); None when empty."""
    essence, *raw_params = _split_outside_quotes(text, ";")
    essence = essence.strip().lower()
    if not essence:
        return None
    kind, _, subtype = essence.partition("/")
    params: list[tuple[str, str]] = []
    q = 1.0
    for raw in raw_params:
        key, _, value = raw.partition("=")
        key, value = key.strip().lower(), _unquote_param(value.strip())
        if not key:
            continue
        if key == "q":
            q = _quality(value)
        else:
            params.append((key, value))
    return MediaType(kind.strip(), subtype.strip(), tuple(params), q)


def _quality(value: str) -> float:
    try:
        q = float(value)
    except ValueError:
        return 1.0
    return min(max(q, 0.0), 1.0) if q == q else 1.0  # q == q is False for NaN


def parse_accept(value: str | None) -> tuple[MediaType, ...]:
    """The wanted media types, most preferred first (by q, then by position); q=0 drops one.

    A missing or blank header means ``*/*``.
    """
    if value is None or not value.strip():
        return (MediaType("*", "*"),)
    wanted = [mt for mt in map(parse_media_type, _split_outside_quotes(value, ",")) if mt and mt.q > 0]
    return tuple(sorted(wanted, key=lambda mt: -mt.q))  # sorted() is stable: ties keep their order


# --------------------------------------------------------------------------------------------
# Body
# --------------------------------------------------------------------------------------------


def _invalid_body(message: str) -> ApiError:
    return ApiError(400, "PGRST102", message)


def parse_payload(
    method: str,
    target: Target,
    content_type: str | None,
    body: bytes | None,
    columns: tuple[str, ...] | None,
) -> Payload | None:
    """Check the body of POST/PATCH/PUT (and RPC POST); other requests' bodies are ignored."""
    is_rpc = target.kind == "rpc"
    if method not in ("POST", "PATCH", "PUT") or (is_rpc and method != "POST"):
        return None
    media = parse_media_type(content_type or "") or MediaType("application", "json")
    mime = media.mime
    body = body or b""
    if mime == APPLICATION_JSON:
        uses_columns = columns if method in ("POST", "PATCH") else None  # PUT ignores columns=
        return _json_payload(body, uses_columns, is_rpc=is_rpc)
    if mime == "text/csv":
        return _csv_payload(body)
    if mime == "application/x-www-form-urlencoded":
        return _form_payload(body, is_rpc=is_rpc)
    if is_rpc and mime in RPC_RAW_MEDIA_TYPES:
        return Payload(mime, "raw", body)
    raise _invalid_body(f"Content-Type not acceptable: {mime}")


def _json_payload(body: bytes, columns: tuple[str, ...] | None, *, is_rpc: bool) -> Payload:
    if not body.strip():
        if is_rpc:  # a function called without a body gets no arguments
            return Payload(APPLICATION_JSON, "json", b"{}")
        raise _invalid_body("Empty or invalid json")
    if columns is not None:  # the database reads only these keys: no need to parse here
        return Payload(APPLICATION_JSON, "raw_json", body, columns, body.lstrip()[:1] == b"[")
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):  # RecursionError: absurdly nested input
        raise _invalid_body("Empty or invalid json") from None
    if isinstance(document, dict):
        return Payload(APPLICATION_JSON, "json", body, tuple(document))
    if is_rpc:  # arguments come from the first object; a lone json parameter takes any document
        first = document[0] if isinstance(document, list) and document else None
        return Payload(APPLICATION_JSON, "json", body, tuple(first) if isinstance(first, dict) else (),
                       isinstance(document, list))  # fmt: skip
    if isinstance(document, list):
        return Payload(APPLICATION_JSON, "json", body, _uniform_keys(document), True)
    return Payload(APPLICATION_JSON, "json", b"[]", (), True)  # a scalar counts as no rows


def _uniform_keys(rows: list[object]) -> tuple[str, ...]:
    """The keys shared by every object of an array body (PGRST102 if they differ)."""
    if not rows:
        return ()
    first = rows[0]
    if not isinstance(first, dict):
        raise _invalid_body("All object keys must match")
    keys = first.keys()
    if any(not isinstance(row, dict) or row.keys() != keys for row in rows[1:]):
        raise _invalid_body("All object keys must match")
    return tuple(first)


def _csv_payload(body: bytes) -> Payload:
    """A header line of names, then rows; ``NULL`` is SQL null. Converted to a JSON array."""
    try:
        text = body.decode("utf-8-sig")
        rows = [row for row in csv.reader(io.StringIO(text, newline=""), strict=True) if row]
    except (UnicodeDecodeError, csv.Error) as exc:
        raise _invalid_body(f"Invalid CSV: {exc}") from None
    if not rows:
        return Payload("text/csv", "json", b"[]", (), True)
    header, *records = rows
    if any(len(record) != len(header) for record in records):
        raise _invalid_body("All lines must have same number of fields")
    objects = [
        {name: (None if value == "NULL" else value) for name, value in zip(header, record, strict=True)}
        for record in records
    ]
    return Payload("text/csv", "json", json.dumps(objects, ensure_ascii=False).encode(), tuple(header), True)


def _form_payload(body: bytes, *, is_rpc: bool) -> Payload:
    """Flat ``key=value`` pairs as one JSON object of strings. For a function a repeated key
    becomes an array (variadic arguments); for a table the last one wins."""
    pairs = parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True)
    document: dict[str, str | list[str]] = {}
    for key, value in pairs:
        previous = document.get(key)
        if is_rpc and previous is not None:
            document[key] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            document[key] = value
    data = json.dumps(document, ensure_ascii=False).encode()
    return Payload("application/x-www-form-urlencoded", "json", data, tuple(document))

"""Parsers for PostgREST's query-string mini-languages (reference/postgrest.md §1.3 to §1.7).

Each parser turns one decoded query-string value into a small frozen AST:

- ``select=``  → a forest of ``Star`` / ``Column`` / ``CountAll`` / ``Embed`` items;
- a filter ``key=value`` → ``Filter(path, Condition(field, OpExpr))``;
- ``or=`` / ``and=`` (and ``not.``/embedded variants) → ``Filter(path, LogicTree)``;
- ``order=`` → ``OrderTerm`` items;
- ``columns=`` / ``on_conflict=`` → column names.

Values stay strings (they are bound later as untyped parameters) and identifiers stay strings
(they are checked against the schema cache later): nothing here knows SQL or the database.

The parsers are hand-written recursive descent over a cursor. A failure raises ``ApiError``
400 ``PGRST100`` with PostgREST's message shape ``"failed to parse <what> (<input>)" (line 1,
column N)`` and parsec-like details (``unexpected "x" expecting ...``), N being the 1-based
position of the offending character. Hostile input is bounded: values longer than
``MAX_LENGTH`` and nesting deeper than ``MAX_DEPTH`` are rejected the same way, so a request
can never cause a ``RecursionError`` or super-linear work.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache, wraps
from typing import NoReturn, TypeVar

from api.engine.errors import ApiError

MAX_LENGTH = 65_536
"""Longest value (in characters) any parser accepts."""

MAX_DEPTH = 20
"""Deepest nesting of embeds in ``select=`` and of groups in logic trees."""

CACHE_INPUT_LIMIT = 512
"""Results for inputs up to this length are memoised (clients repeat the same select/order)."""

_T = TypeVar("_T")


def _memoised(parser: Callable[..., _T]) -> Callable[..., _T]:
    """Cache a parser's results (the ASTs are immutable); errors are not cached, and long inputs
    bypass the cache so that its memory stays bounded."""
    cached = lru_cache(maxsize=1024)(parser)

    @wraps(parser)
    def parse(text: str, *args: str, **kwargs: str) -> _T:
        use = cached if len(text) <= CACHE_INPUT_LIMIT else parser
        return use(text, *args, **kwargs)

    return parse


# --------------------------------------------------------------------------------------------
# The AST
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class JsonStep:
    """One ``->`` / ``->>`` step of a JSON (or composite/array) path; ``key`` is an int for indexes."""

    arrow: str
    key: str | int


@dataclass(frozen=True, slots=True)
class Field:
    """A column name with an optional JSON path: ``data->phones->0->>number``."""

    name: str
    json_path: tuple[JsonStep, ...] = ()

    @property
    def output_name(self) -> str:
        """The key PostgREST gives the value when there is no alias: the last *key* of the path."""
        for step in reversed(self.json_path):
            if isinstance(step.key, str):
                return step.key
        return self.name


@dataclass(frozen=True, slots=True)
class Star:
    """``*``: every column of the relation."""


@dataclass(frozen=True, slots=True)
class Column:
    """A selected column: ``alias:name->path::cast.aggregate()::aggregate_cast``."""

    field: Field
    alias: str | None = None
    cast: str | None = None
    aggregate: str | None = None
    aggregate_cast: str | None = None


@dataclass(frozen=True, slots=True)
class CountAll:
    """The bare ``count()`` aggregate (``count(*)``), optionally aliased and cast."""

    alias: str | None = None
    cast: str | None = None


@dataclass(frozen=True, slots=True)
class Embed:
    """An embedded resource ``alias:relation!hint!join(children)``, or a spread ``...relation(...)``.

    ``children == ()`` is the empty embed ``rel()``: joined for filtering only, not output.
    """

    relation: str
    children: tuple[SelectItem, ...]
    alias: str | None = None
    hint: str | None = None
    join: str | None = None  # "inner" | "left"
    spread: bool = False


SelectItem = Star | Column | CountAll | Embed


@dataclass(frozen=True, slots=True)
class OpExpr:
    """The right-hand side of a filter: ``[not.]op[(any|all)][(fts-config)].value``.

    ``value`` is a tuple for ``in``, a lower-case keyword for ``is`` (null, not_null, true, false,
    unknown), else the verbatim string (``*`` already turned into ``%`` for like/ilike).
    """

    operator: str
    value: str | tuple[str, ...]
    negated: bool = False
    quantifier: str | None = None  # "any" | "all"
    fts_config: str | None = None


@dataclass(frozen=True, slots=True)
class Condition:
    """A leaf predicate: ``field`` compared by ``expr``."""

    field: Field
    expr: OpExpr


@dataclass(frozen=True, slots=True)
class LogicTree:
    """``[not.]and(...)`` / ``[not.]or(...)`` over conditions and nested trees."""

    operator: str  # "and" | "or"
    children: tuple[Condition | LogicTree, ...]
    negated: bool = False


@dataclass(frozen=True, slots=True)
class Filter:
    """A filter or logic tree applying at ``path`` (``()`` = the root, ``("actors",)`` = an embed)."""

    path: tuple[str, ...]
    predicate: Condition | LogicTree


@dataclass(frozen=True, slots=True)
class OrderTerm:
    """One ``order=`` term; ``relation`` is set for a related order ``rel(col).desc``."""

    field: Field
    direction: str | None = None  # "asc" | "desc"
    nulls: str | None = None  # "first" | "last"
    relation: str | None = None


# --------------------------------------------------------------------------------------------
# Operators (§1.5)
# --------------------------------------------------------------------------------------------

SIMPLE_OPERATORS = frozenset(
    {"eq", "neq", "gt", "gte", "lt", "lte", "like", "ilike", "match", "imatch", "isdistinct"}
    | {"cs", "cd", "ov", "sl", "sr", "nxr", "nxl", "adj"}
)
QUANTIFIABLE_OPERATORS = frozenset({"eq", "gt", "gte", "lt", "lte", "like", "ilike", "match", "imatch"})
FTS_OPERATORS = frozenset({"fts", "plfts", "phfts", "wfts"})
IS_VALUES = ("not_null", "null", "true", "false", "unknown")
AGGREGATES = ("avg", "count", "max", "min", "sum")

_OPERATOR_WORD = re.compile(r"[a-z]*")
_NAME = re.compile(r"[\w $]+(?:-[\w $]+)*")  # a '-' never starts an arrow: '>' is not in the class
_IDENTIFIER = re.compile(r"[\w $]+")
_QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"', re.DOTALL)
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)
_INDEX = re.compile(r"-?[0-9]+")
_IS_VALUE = re.compile("|".join(IS_VALUES), re.IGNORECASE)
_LOGIC_GROUP = re.compile(r"(not\.)?(and|or)[ \t]*(?=\()")
_PG_ARRAY = re.compile(r"\{[^{}]*\}")
_TREE_VALUE = re.compile(r"[^,)]*")
_AGGREGATE = re.compile(rf"({'|'.join(AGGREGATES)})\(\)")

_NAME_EXPECTED = "field name (* or [a..z0..9_$])"
_WS = " \t"

# --------------------------------------------------------------------------------------------
# The cursor and its errors
# --------------------------------------------------------------------------------------------


def _show(text: str) -> str:
    """Escape like Haskell's ``show``, which PostgREST applies to the echoed input."""
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def parse_error(what: str, text: str, pos: int, details: str) -> ApiError:
    """The PGRST100 error for ``text`` failing at 0-based ``pos``."""
    line = text.count("\n", 0, pos) + 1
    column = pos - (text.rfind("\n", 0, pos) + 1) + 1
    message = f'"failed to parse {what} ({_show(text)})" (line {line}, column {column})'
    return ApiError(400, "PGRST100", message, details)


class _Cursor:
    """A position in one input string, with helpers to peek, skip and fail."""

    __slots__ = ("pos", "text", "what")

    def __init__(self, text: str, what: str) -> None:
        self.text = text
        self.what = what
        self.pos = 0
        if len(text) > MAX_LENGTH:
            shown = text[:64] + "..."
            message = f'"failed to parse {what} ({_show(shown)})" (line 1, column {MAX_LENGTH + 1})'
            raise ApiError(400, "PGRST100", message, f"input is longer than {MAX_LENGTH} characters")

    def peek(self, ahead: int = 0) -> str:
        """The character ``ahead`` of the cursor, or ``""`` past the end."""
        i = self.pos + ahead
        return self.text[i : i + 1]

    def at_end(self) -> bool:
        return self.pos >= len(self.text)

    def startswith(self, prefix: str) -> bool:
        return self.text.startswith(prefix, self.pos)

    def skip_ws(self) -> None:
        text, pos = self.text, self.pos
        while pos < len(text) and text[pos] in _WS:
            pos += 1
        self.pos = pos

    def expect(self, char: str) -> None:
        if self.peek() != char:
            self.fail(f'"{char}"')
        self.pos += 1

    def fail(self, expecting: str | None = None, *, pos: int | None = None, after_token: bool = False) -> NoReturn:
        """Raise PGRST100 at ``pos`` (default: the cursor).

        ``after_token`` words the unexpected character the way parsec does when only a separator
        or the end could follow (single quotes) instead of when a token was expected (double).
        """
        at = self.pos if pos is None else pos
        char = self.text[at] if at < len(self.text) else ""
        if not char:
            unexpected = "unexpected end of input"
        elif after_token:
            unexpected = f"unexpected '{char}'"
        else:
            unexpected = f'unexpected "{char}"'
        details = f"{unexpected} expecting {expecting}" if expecting else unexpected
        raise parse_error(self.what, self.text, at, details)

    def fail_with(self, details: str, *, pos: int | None = None) -> NoReturn:
        raise parse_error(self.what, self.text, self.pos if pos is None else pos, details)

    def check_depth(self, depth: int) -> None:
        if depth > MAX_DEPTH:
            self.fail_with(f"nesting is deeper than {MAX_DEPTH} levels")


# --------------------------------------------------------------------------------------------
# Shared pieces: names, quoted strings, JSON paths, casts
# --------------------------------------------------------------------------------------------


def _unescape(body: str) -> str:
    """Inside double quotes a backslash takes the next character literally (``\\"``, ``\\\\``)."""
    return _ESCAPE.sub(r"\1", body) if "\\" in body else body


def _quoted(cur: _Cursor) -> str | None:
    """A double-quoted string at the cursor (consumed), or None when there is none."""
    match = _QUOTED.match(cur.text, cur.pos)
    if match is None:
        return None
    cur.pos = match.end()
    return _unescape(match.group(1))


def _name(cur: _Cursor, expecting: str = _NAME_EXPECTED) -> str:
    """An identifier: double-quoted (kept exactly) or bare (letters, digits, ``_ $``, inner spaces
    and dashes; trimmed)."""
    if cur.peek() == '"':
        quoted = _quoted(cur)
        if quoted is None:
            cur.fail('"\\"" (closing quote)', pos=len(cur.text))
        return quoted
    match = _NAME.match(cur.text, cur.pos)
    name = match.group().strip() if match else ""
    if match is None or not name:
        cur.fail(expecting)
    cur.pos = match.end()
    return name


def _json_path(cur: _Cursor) -> tuple[JsonStep, ...]:
    """Zero or more ``->key`` / ``->>key`` / ``->0`` / ``->-1`` steps."""
    steps: list[JsonStep] = []
    while cur.startswith("->"):
        arrow = "->>" if cur.startswith("->>") else "->"
        cur.pos += len(arrow)
        steps.append(JsonStep(arrow, _json_operand(cur)))
    return tuple(steps)


def _json_operand(cur: _Cursor) -> str | int:
    """An integer index (negative allowed) when it fills the operand, else a key name."""
    index = _INDEX.match(cur.text, cur.pos)
    if index is not None:
        end = index.end()
        follow = cur.text[end : end + 2]
        if follow[:1] in ("", ".", ",", ")", " ", "\t") or follow in ("->", "::"):
            digits = index.group()
            if len(digits.lstrip("-")) > 18:  # no JSON array is that long; keeps int() cheap
                cur.fail_with("JSON array index out of range")
            cur.pos = end
            return int(digits)
        if index.group().startswith("-"):  # "-78xy" is neither an index nor a name
            cur.fail('digit, "->", "::", ".", "," or end of input', pos=end, after_token=True)
    if cur.peek() == "-":
        cur.fail("digit", pos=cur.pos + 1)
    return _name(cur)


def _cast(cur: _Cursor) -> str | None:
    """An optional ``::type`` (letters, digits, ``_``, spaces — emitted unquoted later)."""
    if not cur.startswith("::"):
        return None
    cur.pos += 2
    match = _IDENTIFIER.match(cur.text, cur.pos)
    if match is None or not match.group().strip():
        cur.fail("letter or digit")
    cur.pos = match.end()
    return match.group().strip()


def _consume(cur: _Cursor, pattern: re.Pattern[str]) -> str:
    """Consume the match of a pattern that accepts the empty string."""
    match = pattern.match(cur.text, cur.pos)
    assert match is not None, "pattern must accept the empty string"
    cur.pos = match.end()
    return match.group()


def _dotted_names(cur: _Cursor) -> list[str]:
    """``name(.name)*`` — an embed path (and possibly a final column name)."""
    names = [_name(cur)]
    while cur.peek() == ".":
        cur.pos += 1
        names.append(_name(cur))
    return names


def _one_of(words: Sequence[str]) -> str:
    """``"a", "b" or "c"``, as parsec lists alternatives."""
    quoted = [f'"{word}"' for word in words]
    return ", ".join(quoted[:-1]) + f" or {quoted[-1]}" if len(quoted) > 1 else quoted[0]


def _end_of_input(cur: _Cursor, expecting: str = "end of input") -> None:
    if not cur.at_end():
        cur.fail(expecting, after_token=True)


# --------------------------------------------------------------------------------------------
# select= (§1.3)
# --------------------------------------------------------------------------------------------


@_memoised
def parse_select(text: str) -> tuple[SelectItem, ...]:
    """Parse a ``select=`` value; an empty value means ``*``."""
    cur = _Cursor(text, "select parameter")
    if not text.strip(_WS):
        return (Star(),)
    return _select_list(cur, depth=0)


def _select_list(cur: _Cursor, depth: int) -> tuple[SelectItem, ...]:
    """Comma-separated items up to the end (depth 0) or up to a closing parenthesis."""
    closer, expecting = ("", '"," or end of input') if depth == 0 else (")", '"," or ")"')
    items: list[SelectItem] = []
    while True:
        cur.skip_ws()
        items.append(_select_item(cur, depth))
        cur.skip_ws()
        char = cur.peek()
        if char == ",":
            cur.pos += 1
        elif char == closer:
            return tuple(items)
        else:
            cur.fail(expecting, after_token=True)


def _select_item(cur: _Cursor, depth: int) -> SelectItem:
    if cur.startswith("..."):
        cur.pos += 3
        cur.skip_ws()
        return _embed(cur, _name(cur), None, depth, spread=True)
    if cur.peek() == "*":
        cur.pos += 1
        return Star()
    alias = None
    name = _name(cur)
    if cur.peek() == ":" and cur.peek(1) != ":":
        cur.pos += 1
        cur.skip_ws()
        alias, name = name, _name(cur)
    if name == "count" and cur.peek() in ("(", "!"):  # count() is the aggregate, never a relation
        cur.expect("(")
        cur.expect(")")
        return CountAll(alias, _cast(cur))
    if cur.peek() in ("!", "("):
        return _embed(cur, name, alias, depth, spread=False)
    return _column(cur, name, alias)


def _column(cur: _Cursor, name: str, alias: str | None) -> Column:
    field = Field(name, _json_path(cur))
    cast = _cast(cur)
    aggregate = aggregate_cast = None
    if cur.peek() == ".":
        cur.pos += 1
        match = _AGGREGATE.match(cur.text, cur.pos)
        if match is None:
            cur.fail(_one_of([f"{name}()" for name in AGGREGATES]))
        cur.pos = match.end()
        aggregate = match.group(1)
        aggregate_cast = _cast(cur)
    return Column(field, alias, cast, aggregate, aggregate_cast)


def _embed(cur: _Cursor, relation: str, alias: str | None, depth: int, *, spread: bool) -> Embed:
    hint = join = None
    while cur.peek() == "!":
        if hint is not None and join is not None:
            cur.fail('"("')
        cur.pos += 1
        start = cur.pos
        word = _name(cur, "embed hint or join type (inner, left)")
        if word in ("inner", "left") and join is None:
            join = word
        elif word not in ("inner", "left") and hint is None:
            hint = word
        else:
            cur.fail_with(f'unexpected "{word}": the hint or join type is already given', pos=start)
    if cur.peek() != "(":
        cur.fail('"!" or "("')
    cur.check_depth(depth + 1)
    cur.pos += 1
    cur.skip_ws()
    if cur.peek() == ")":
        children: tuple[SelectItem, ...] = ()
    else:
        children = _select_list(cur, depth + 1)
    cur.pos += 1  # the closing parenthesis, checked by _select_list
    return Embed(relation, children, alias, hint, join, spread)


# --------------------------------------------------------------------------------------------
# Filters (§1.5)
# --------------------------------------------------------------------------------------------


@_memoised
def parse_tree_path(key: str) -> tuple[tuple[str, ...], Field]:
    """A filter key ``embed.path.column->json->>path`` → (embed path, field). Casts are refused."""
    cur = _Cursor(key, "tree path")
    names = _dotted_names(cur)
    field = Field(names[-1], _json_path(cur))
    _end_of_input(cur, 'delimiter (.), "->>", "->" or end of input')
    return tuple(names[:-1]), field


@_memoised
def parse_embed_path(key: str) -> tuple[str, ...]:
    """The embed path of a reserved key such as ``roles.actors.limit`` → ``("roles", "actors")``."""
    cur = _Cursor(key, "tree path")
    names = _dotted_names(cur)
    _end_of_input(cur, "delimiter (.) or end of input")
    return tuple(names[:-1])


def parse_op_expr(value: str) -> OpExpr:
    """A root filter value: ``[not.]op[(any|all)|(config)].value``; the value runs to the end."""
    cur = _Cursor(value, "filter")
    return _op_expr(cur, in_tree=False)


def parse_filter(key: str, value: str) -> Filter:
    """A ``key=value`` filter from the query string."""
    path, field = parse_tree_path(key)
    return Filter(path, Condition(field, parse_op_expr(value)))


def _op_expr(cur: _Cursor, *, in_tree: bool) -> OpExpr:
    negated = cur.startswith("not.")
    if negated:
        cur.pos += 4
    start = cur.pos
    operator = _consume(cur, _OPERATOR_WORD)
    word_end = cur.pos
    known = operator in SIMPLE_OPERATORS or operator in FTS_OPERATORS or operator in ("in", "is")
    if not known:
        follow = cur.text[word_end : word_end + 1]
        if operator and follow in (".", "("):
            cur.fail_with(f"unknown single value operator {operator}", pos=word_end + 1)
        cur.fail("operator (eq, gt, ...)" if negated else '"not" or operator (eq, gt, ...)', pos=start)
    if operator == "in":
        _delimiter(cur)
        return OpExpr("in", _in_list(cur, in_tree=in_tree), negated)
    if operator == "is":
        _delimiter(cur)
        return OpExpr("is", _is_value(cur, in_tree=in_tree), negated)
    quantifier = fts_config = None
    if cur.peek() == "(":
        if operator in FTS_OPERATORS:
            fts_config = _fts_config(cur)
        elif operator in QUANTIFIABLE_OPERATORS:
            quantifier = _quantifier(cur)
        else:
            cur.fail("delimiter (.)")
    _delimiter(cur)
    value = _tree_value(cur) if in_tree else _rest(cur)
    if operator in ("like", "ilike"):
        value = value.replace("*", "%")
    return OpExpr(operator, value, negated, quantifier, fts_config)


def _delimiter(cur: _Cursor) -> None:
    if cur.peek() != ".":
        cur.fail("delimiter (.)")
    cur.pos += 1


def _rest(cur: _Cursor) -> str:
    value = cur.text[cur.pos :]
    cur.pos = len(cur.text)
    return value


def _quantifier(cur: _Cursor) -> str:
    cur.pos += 1
    for word in ("any", "all"):
        if cur.startswith(word + ")"):
            cur.pos += len(word) + 1
            return word
    cur.fail('"any" or "all"')


def _fts_config(cur: _Cursor) -> str:
    cur.pos += 1
    match = _IDENTIFIER.match(cur.text, cur.pos)
    if match is None or not match.group().strip():
        cur.fail("text search configuration name")
    cur.pos = match.end()
    cur.expect(")")
    return match.group().strip()


def _is_value(cur: _Cursor, *, in_tree: bool) -> str:
    match = _IS_VALUE.match(cur.text, cur.pos)
    if match is None:
        cur.fail("null, not_null or trilean value (unknown, true, false)")
    cur.pos = match.end()
    if not in_tree:
        _end_of_input(cur)
    return match.group().lower()


def _in_list(cur: _Cursor, *, in_tree: bool) -> tuple[str, ...]:
    """``(a,"b,c",d)``: quoted items unescaped, others verbatim; ``()`` is the empty list."""
    cur.expect("(")
    cur.skip_ws()
    items: list[str] = []
    if cur.peek() == ")":
        cur.pos += 1
    else:
        while True:
            items.append(_list_item(cur))
            char = cur.peek()
            cur.pos += 1
            if char == ")":
                break
            if char != ",":
                cur.pos -= 1
                cur.fail('"," or ")"')
    cur.skip_ws()
    if not in_tree:
        _end_of_input(cur)
    return tuple(items)


def _list_item(cur: _Cursor) -> str:
    """One element of an ``in`` list or one logic-tree value: quoted only if the quotes end it."""
    if cur.peek() == '"':
        match = _QUOTED.match(cur.text, cur.pos)
        if match is not None and cur.text[match.end() : match.end() + 1] in (",", ")", ""):
            cur.pos = match.end()
            return _unescape(match.group(1))
    return _consume(cur, _TREE_VALUE)


def _tree_value(cur: _Cursor) -> str:
    """A value inside a logic tree ends at ``,``/``)`` unless quoted or a ``{...}`` array literal."""
    if cur.peek() == "{":
        match = _PG_ARRAY.match(cur.text, cur.pos)
        if match is not None:
            cur.pos = match.end()
            return match.group()
    return _list_item(cur)


# --------------------------------------------------------------------------------------------
# Logic trees (§1.6)
# --------------------------------------------------------------------------------------------


def parse_logic(key: str, value: str) -> Filter:
    """``[path.][not.](and|or)=(...)`` → a Filter whose predicate is a LogicTree."""
    cur = _Cursor(key, "logic path")
    names = _dotted_names(cur)
    _end_of_input(cur, "delimiter (.) or end of input")
    operator = names.pop()
    negated = bool(names) and names[-1] == "not"
    if negated:
        names.pop()
    if operator not in ("and", "or"):
        cur.fail_with(f"unknown logic operator {operator}", pos=0)
    tree_cur = _Cursor(value, "logic tree")
    tree_cur.skip_ws()
    children = _logic_group(tree_cur, depth=1)
    _end_of_input(tree_cur)
    return Filter(tuple(names), LogicTree(operator, children, negated))


def _logic_group(cur: _Cursor, depth: int) -> tuple[Condition | LogicTree, ...]:
    """``( item, item, ... )`` with at least one item."""
    cur.check_depth(depth)
    cur.expect("(")
    children: list[Condition | LogicTree] = []
    while True:
        cur.skip_ws()
        children.append(_logic_item(cur, depth))
        cur.skip_ws()
        char = cur.peek()
        cur.pos += 1
        if char == ")":
            cur.skip_ws()
            return tuple(children)
        if char != ",":
            cur.pos -= 1
            cur.fail('"," or ")"', after_token=True)


def _logic_item(cur: _Cursor, depth: int) -> Condition | LogicTree:
    group = _LOGIC_GROUP.match(cur.text, cur.pos)
    if group is not None:
        cur.pos = group.end()
        children = _logic_group(cur, depth + 1)
        return LogicTree(group.group(2), children, group.group(1) is not None)
    start = cur.pos
    try:
        name = _name(cur, f"{_NAME_EXPECTED}, negation operator (not) or logic operator (and, or)")
        field = Field(name, _json_path(cur))
        cur.skip_ws()
        _delimiter(cur)
        return Condition(field, _op_expr(cur, in_tree=True))
    except ApiError:
        # "not.x..." that is no condition on a column named "not" was meant as a negated group
        if cur.text.startswith("not.", start):
            cur.fail("logic operator (and, or)", pos=start + 4)
        raise


# --------------------------------------------------------------------------------------------
# order= (§1.7)
# --------------------------------------------------------------------------------------------

_DIRECTIONS = ("asc", "desc")
_NULLS = ("nullsfirst", "nullslast")


@_memoised
def parse_order(text: str) -> tuple[OrderTerm, ...]:
    """``col[->path][.asc|.desc][.nullsfirst|.nullslast]`` or ``rel(col).desc``, comma-separated."""
    cur = _Cursor(text, "order")
    terms: list[OrderTerm] = []
    while True:
        cur.skip_ws()
        term, more_modifiers = _order_term(cur)
        terms.append(term)
        cur.skip_ws()
        if cur.at_end():
            return tuple(terms)
        if cur.peek() != ",":
            expecting = 'delimiter (.), "," or end of input' if more_modifiers else '"," or end of input'
            cur.fail(expecting, after_token=True)
        cur.pos += 1


def _order_term(cur: _Cursor) -> tuple[OrderTerm, bool]:
    """One term, and whether another ``.modifier`` could still have followed it."""
    name = _name(cur)
    relation = None
    if cur.peek() == "(":
        cur.pos += 1
        cur.skip_ws()
        relation, field = name, Field(_name(cur), _json_path(cur))
        cur.skip_ws()
        cur.expect(")")
    else:
        field = Field(name, _json_path(cur))
    direction = nulls = None
    choices = _DIRECTIONS + _NULLS
    while cur.peek() == ".":
        cur.pos += 1
        word = _keyword(cur, choices)
        if word in _DIRECTIONS:
            direction, choices = word, _NULLS
        else:
            nulls = word.removeprefix("nulls")
            break
    return OrderTerm(field, direction, nulls, relation), nulls is None


def _keyword(cur: _Cursor, choices: tuple[str, ...]) -> str:
    """One of ``choices`` at the cursor; on failure report the first choice's mismatch (as parsec)."""
    for word in choices:
        if cur.startswith(word):
            cur.pos += len(word)
            return word
    first = choices[0]
    offset = 0
    while offset < len(first) and cur.peek(offset) == first[offset]:
        offset += 1
    mismatch = cur.peek(offset)
    unexpected = f'unexpected "{mismatch}"' if mismatch else "unexpected end of input"
    cur.fail_with(f"{unexpected} expecting {_one_of(choices)}")


# --------------------------------------------------------------------------------------------
# columns= and on_conflict=
# --------------------------------------------------------------------------------------------


@_memoised
def parse_columns(text: str, what: str = "columns parameter") -> tuple[str, ...]:
    """Comma-separated column names, bare or double-quoted (``columns="a","b"``)."""
    cur = _Cursor(text, what)
    names: list[str] = []
    while True:
        cur.skip_ws()
        names.append(_name(cur))
        cur.skip_ws()
        if cur.at_end():
            return tuple(names)
        if cur.peek() != ",":
            cur.fail('"," or end of input', after_token=True)
        cur.pos += 1

"""Unit tests for api.engine.grammar: select, filters, logic trees, order, columns (no database)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from api.engine import grammar
from api.engine.errors import ApiError
from api.engine.grammar import (
    Column,
    Condition,
    CountAll,
    Embed,
    Field,
    Filter,
    JsonStep,
    LogicTree,
    OpExpr,
    OrderTerm,
    Star,
    parse_columns,
    parse_embed_path,
    parse_filter,
    parse_logic,
    parse_op_expr,
    parse_order,
    parse_select,
    parse_tree_path,
)


def fails(parser: Callable[..., Any], *args: str) -> ApiError:
    with pytest.raises(ApiError) as caught:
        parser(*args)
    error = caught.value
    assert (error.status, error.code) == (400, "PGRST100")
    return error


def col(name: str, *path: tuple[str, str | int], **kwargs: Any) -> Column:
    return Column(Field(name, tuple(JsonStep(a, k) for a, k in path)), **kwargs)


def cond(name: str, operator: str, value: str | tuple[str, ...], **kwargs: Any) -> Condition:
    return Condition(Field(name), OpExpr(operator, value, **kwargs))


# --------------------------------------------------------------------------------------------
# select=
# --------------------------------------------------------------------------------------------


def test_select_plain_columns_and_star():
    assert parse_select("id,name") == (col("id"), col("name"))
    assert parse_select("*") == (Star(),)
    assert parse_select("*,id") == (Star(), col("id"))


def test_select_empty_means_star():
    assert parse_select("") == (Star(),)
    assert parse_select("  ") == (Star(),)


def test_select_whitespace_around_items_is_ignored():
    assert parse_select(" id , name ,\tage ") == (col("id"), col("name"), col("age"))
    assert parse_select("id, clients( id , name )") == (
        col("id"),
        Embed("clients", (col("id"), col("name"))),
    )


def test_select_names_allow_spaces_dashes_dollars_digits_and_unicode():
    assert parse_select("full name,field-with_sep,$x,123,prénom") == (
        col("full name"),
        col("field-with_sep"),
        col("$x"),
        col("123"),
        col("prénom"),
    )


def test_select_quoted_names_with_escapes():
    assert parse_select('"information.cpe","a\\"b","back\\\\slash"," spaced "') == (
        col("information.cpe"),
        col('a"b'),
        col("back\\slash"),
        col(" spaced "),
    )


def test_select_alias():
    assert parse_select("fullName:full_name") == (col("full_name", alias="fullName"),)
    assert parse_select('"my alias":id') == (col("id", alias="my alias"),)
    assert parse_select("a: b") == (col("b", alias="a"),)


def test_select_cast():
    assert parse_select("id::text") == (col("id", cast="text"),)
    assert parse_select("myId:id::text") == (col("id", alias="myId", cast="text"),)
    assert parse_select("ts::timestamp with time zone") == (col("ts", cast="timestamp with time zone"),)


def test_select_json_paths():
    assert parse_select("data->phones->0->>number") == (col("data", ("->", "phones"), ("->", 0), ("->>", "number")),)
    assert parse_select("languages->-1") == (col("languages", ("->", -1)),)
    assert parse_select("data->>a::int") == (col("data", ("->>", "a"), cast="int"),)
    assert parse_select('data->"a.b"->>"c d"') == (col("data", ("->", "a.b"), ("->>", "c d")),)
    assert parse_select("data->0,x") == (col("data", ("->", 0)), col("x"))
    assert parse_select("data->1a") == (col("data", ("->", "1a")),)
    assert parse_select("alias:data->x->>y") == (col("data", ("->", "x"), ("->>", "y"), alias="alias"),)


def test_select_dash_inside_name_is_not_an_arrow():
    assert parse_select("a-b->c") == (col("a-b", ("->", "c")),)


def test_field_output_name_is_the_last_key():
    assert Field("data", (JsonStep("->", "phones"), JsonStep("->", 0), JsonStep("->>", "number"))).output_name == (
        "number"
    )
    assert Field("languages", (JsonStep("->", 0),)).output_name == "languages"
    assert Field("id").output_name == "id"


def test_select_aggregates():
    assert parse_select("amount.sum()") == (col("amount", aggregate="sum"),)
    assert parse_select("total:amount.sum()") == (col("amount", alias="total", aggregate="sum"),)
    assert parse_select("amount.avg()::int") == (col("amount", aggregate="avg", aggregate_cast="int"),)
    assert parse_select("data->x::numeric.max()") == (col("data", ("->", "x"), cast="numeric", aggregate="max"),)
    assert parse_select("a.min(),b.count()") == (col("a", aggregate="min"), col("b", aggregate="count"))


def test_select_bare_count():
    assert parse_select("count()") == (CountAll(),)
    assert parse_select("n:count()::int") == (CountAll(alias="n", cast="int"),)
    assert parse_select("count") == (col("count"),)  # legacy: a column called count


def test_select_count_is_never_a_relation():
    error = fails(parse_select, "count(id)")
    assert error.details == 'unexpected "i" expecting ")"'
    fails(parse_select, "count!inner(id)")


def test_select_bad_aggregate():
    error = fails(parse_select, "amount.total()")
    assert error.details == ('unexpected "t" expecting "avg()", "count()", "max()", "min()" or "sum()"')
    assert "column 8" in error.message


def test_select_embeds():
    assert parse_select("clients(*)") == (Embed("clients", (Star(),)),)
    assert parse_select("client:clients(id)") == (Embed("clients", (col("id"),), alias="client"),)
    assert parse_select("*,clients(*,projects(id))") == (
        Star(),
        Embed("clients", (Star(), Embed("projects", (col("id"),)))),
    )


def test_select_embed_hints_and_join_types_in_any_order():
    assert parse_select("rel!hint(*)") == (Embed("rel", (Star(),), hint="hint"),)
    assert parse_select("rel!inner(*)") == (Embed("rel", (Star(),), join="inner"),)
    assert parse_select("rel!left(*)") == (Embed("rel", (Star(),), join="left"),)
    assert parse_select("a:rel!hint!inner(*)") == (Embed("rel", (Star(),), alias="a", hint="hint", join="inner"),)
    assert parse_select("rel!inner!hint(*)") == (Embed("rel", (Star(),), hint="hint", join="inner"),)
    assert parse_select('rel!"fk name"(*)') == (Embed("rel", (Star(),), hint="fk name"),)


def test_select_embed_hint_errors():
    assert fails(parse_select, "rel!a!inner!b(*)").details == 'unexpected "!" expecting "("'
    fails(parse_select, "rel!a!b(*)")
    fails(parse_select, "rel!inner!left(*)")
    fails(parse_select, "rel!(*)")
    assert fails(parse_select, "rel!hint").details == 'unexpected end of input expecting "!" or "("'


def test_select_empty_embed():
    assert parse_select("id,rel()") == (col("id"), Embed("rel", ()))
    assert parse_select("rel!inner( )") == (Embed("rel", (), join="inner"),)


def test_select_spread():
    assert parse_select("...rel(a,b)") == (Embed("rel", (col("a"), col("b")), spread=True),)
    assert parse_select("id,...rel!hint!inner(x:a)") == (
        col("id"),
        Embed("rel", (col("a", alias="x"),), hint="hint", join="inner", spread=True),
    )


def test_select_spread_rejects_alias_and_missing_parens():
    fails(parse_select, "x:...rel(*)")
    fails(parse_select, "...rel")
    fails(parse_select, "...(*)")


@pytest.mark.parametrize(
    ("value", "column", "details"),
    [
        ("id,clients(name[])", 16, 'unexpected \'[\' expecting "," or ")"'),
        ("data->>-78xy", 11, 'unexpected \'x\' expecting digit, "->", "::", ".", "," or end of input'),
        ("data->>--34", 9, 'unexpected "-" expecting digit'),
        ("id,", 4, "unexpected end of input expecting field name (* or [a..z0..9_$])"),
        ("id,,name", 4, 'unexpected "," expecting field name (* or [a..z0..9_$])'),
        ("name::", 7, "unexpected end of input expecting letter or digit"),
        ("*!hint", 2, "unexpected '!' expecting \",\" or end of input"),
        ("a:*", 3, 'unexpected "*" expecting field name (* or [a..z0..9_$])'),
        ("rel(*", 6, 'unexpected end of input expecting "," or ")"'),
        ("id)", 3, "unexpected ')' expecting \",\" or end of input"),
        ('"unterminated', 14, 'unexpected end of input expecting "\\"" (closing quote)'),
        ("a-,b", 2, "unexpected '-' expecting \",\" or end of input"),
        ("rel->x(*)", 7, "unexpected '(' expecting \",\" or end of input"),
    ],
)
def test_select_errors(value: str, column: int, details: str):
    error = fails(parse_select, value)
    shown = value.replace("\\", "\\\\").replace('"', '\\"')
    assert error.message == f'"failed to parse select parameter ({shown})" (line 1, column {column})'
    assert error.details == details
    assert error.hint is None


def test_error_message_escapes_quotes_like_haskell_show():
    error = fails(parse_select, 'a,"b')
    assert error.message.startswith('"failed to parse select parameter (a,\\"b)"')


def test_error_positions_count_lines():
    error = fails(parse_select, 'id,"x\ny"(')
    assert error.message.endswith("(line 2, column 4)")
    assert "\\n" in error.message  # the echoed newline is escaped


# --------------------------------------------------------------------------------------------
# Filters
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "operator",
    [
        "eq",
        "neq",
        "gt",
        "gte",
        "lt",
        "lte",
        "match",
        "imatch",
        "isdistinct",
        "cs",
        "cd",
        "ov",
        "sl",
        "sr",
        "nxr",
        "nxl",
        "adj",
    ],
)
def test_simple_operators_keep_the_value_verbatim(operator: str):
    assert parse_op_expr(f"{operator}.a.b*,c)") == OpExpr(operator, "a.b*,c)")
    assert parse_op_expr(f"not.{operator}.1") == OpExpr(operator, "1", negated=True)


def test_empty_value_compares_to_empty_string():
    assert parse_op_expr("eq.") == OpExpr("eq", "")


def test_like_and_ilike_turn_stars_into_percents():
    assert parse_op_expr("like.*a*b") == OpExpr("like", "%a%b")
    assert parse_op_expr("ilike.A*") == OpExpr("ilike", "A%")
    assert parse_op_expr("eq.*") == OpExpr("eq", "*")  # only like/ilike
    assert parse_op_expr("match.a*") == OpExpr("match", "a*")


@pytest.mark.parametrize("operator", sorted(grammar.QUANTIFIABLE_OPERATORS))
def test_quantifiers(operator: str):
    assert parse_op_expr(f"{operator}(any).{{1,2}}").quantifier == "any"
    assert parse_op_expr(f"{operator}(all).{{1,2}}").quantifier == "all"


def test_quantified_like_converts_stars():
    assert parse_op_expr("like(any).{O*,P*}") == OpExpr("like", "{O%,P%}", quantifier="any")
    assert parse_op_expr("not.ilike(all).{a*}") == OpExpr("ilike", "{a%}", negated=True, quantifier="all")


def test_quantifier_errors():
    assert fails(parse_op_expr, "eq(some).1").details == 'unexpected "s" expecting "any" or "all"'
    assert fails(parse_op_expr, "cs(any).{1}").details == 'unexpected "(" expecting delimiter (.)'
    assert fails(parse_op_expr, "neq(any).{1}").details == 'unexpected "(" expecting delimiter (.)'


@pytest.mark.parametrize("operator", sorted(grammar.FTS_OPERATORS))
def test_full_text_search_operators(operator: str):
    assert parse_op_expr(f"{operator}.fat cats") == OpExpr(operator, "fat cats")
    assert parse_op_expr(f"{operator}(english).fat") == OpExpr(operator, "fat", fts_config="english")
    assert parse_op_expr(f"not.{operator}(simple).a.b") == OpExpr(operator, "a.b", negated=True, fts_config="simple")


def test_fts_config_must_be_an_identifier():
    error = fails(parse_op_expr, "plfts(library.arabic).x")
    assert error.message == '"failed to parse filter (plfts(library.arabic).x)" (line 1, column 14)'
    assert error.details == 'unexpected "." expecting ")"'
    fails(parse_op_expr, "fts().x")


def test_in_lists():
    assert parse_op_expr("in.(1,2,3)") == OpExpr("in", ("1", "2", "3"))
    assert parse_op_expr("in.()") == OpExpr("in", ())
    assert parse_op_expr("not.in.(a)") == OpExpr("in", ("a",), negated=True)
    assert parse_op_expr('in.("Hebdon,John","O\\"Neil","a\\\\b")') == OpExpr("in", ("Hebdon,John", 'O"Neil', "a\\b"))
    assert parse_op_expr("in.(a b,c.d)") == OpExpr("in", ("a b", "c.d"))
    assert parse_op_expr("in.(a,,b)") == OpExpr("in", ("a", "", "b"))
    assert parse_op_expr("in.( 1,2) ") == OpExpr("in", ("1", "2"))


def test_in_list_quotes_only_count_when_they_end_the_item():
    assert parse_op_expr('in.("a"b,c)') == OpExpr("in", ('"a"b', "c"))


def test_in_list_errors():
    assert fails(parse_op_expr, "in.1,2").details == 'unexpected "1" expecting "("'
    assert fails(parse_op_expr, "in.(1,2").details == 'unexpected end of input expecting "," or ")"'
    assert fails(parse_op_expr, "in.(1)x").details == "unexpected 'x' expecting end of input"
    assert fails(parse_op_expr, "in(1)").details == 'unexpected "(" expecting delimiter (.)'


@pytest.mark.parametrize(
    ("text", "keyword"),
    [
        ("null", "null"),
        ("NULL", "null"),
        ("not_null", "not_null"),
        ("Not_Null", "not_null"),
        ("true", "true"),
        ("TRUE", "true"),
        ("false", "false"),
        ("unknown", "unknown"),
        ("UnKnown", "unknown"),
    ],
)
def test_is_keywords_are_case_insensitive(text: str, keyword: str):
    assert parse_op_expr(f"is.{text}") == OpExpr("is", keyword)
    assert parse_op_expr(f"not.is.{text}") == OpExpr("is", keyword, negated=True)


@pytest.mark.parametrize("text", ["is.nil", "is.", "is.nullx", "is.not null", "is.1"])
def test_is_rejects_other_values(text: str):
    fails(parse_op_expr, text)


def test_unknown_or_missing_operators():
    error = fails(parse_op_expr, "0")
    assert error.message == '"failed to parse filter (0)" (line 1, column 1)'
    assert error.details == 'unexpected "0" expecting "not" or operator (eq, gt, ...)'
    error = fails(parse_op_expr, "noop.0")
    assert error.details == "unknown single value operator noop"
    assert error.message.endswith("(line 1, column 6)")
    assert fails(parse_op_expr, "").details == 'unexpected end of input expecting "not" or operator (eq, gt, ...)'
    assert fails(parse_op_expr, "eq").details == "unexpected end of input expecting delimiter (.)"
    assert fails(parse_op_expr, "EQ.1").details == 'unexpected "E" expecting "not" or operator (eq, gt, ...)'
    assert fails(parse_op_expr, "not.1").details == 'unexpected "1" expecting operator (eq, gt, ...)'
    assert fails(parse_op_expr, "not.not.eq.1").details == "unknown single value operator not"
    fails(parse_op_expr, "failed")


def test_filter_keys():
    assert parse_filter("id", "eq.1") == Filter((), cond("id", "eq", "1"))
    assert parse_filter("actors.first_name", "eq.J") == Filter(("actors",), cond("first_name", "eq", "J"))
    assert parse_filter("roles.actors.id", "gt.0") == Filter(("roles", "actors"), cond("id", "gt", "0"))
    assert parse_filter('"information.cpe"', "like.*MS*") == Filter((), cond("information.cpe", "like", "%MS%"))


def test_filter_keys_with_json_paths():
    assert parse_filter("data->>blood_type", "eq.A-") == Filter(
        (), Condition(Field("data", (JsonStep("->>", "blood_type"),)), OpExpr("eq", "A-"))
    )
    assert parse_tree_path("rel.location->lat") == (("rel",), Field("location", (JsonStep("->", "lat"),)))
    assert parse_tree_path("arr->-1") == ((), Field("arr", (JsonStep("->", -1),)))


def test_filter_keys_refuse_casts_and_junk():
    error = fails(parse_filter, "col::int", "eq.1")
    assert error.message == '"failed to parse tree path (col::int)" (line 1, column 4)'
    fails(parse_filter, "", "eq.1")
    fails(parse_filter, "a.", "eq.1")
    fails(parse_filter, "a->", "eq.1")


def test_embed_path_of_reserved_keys():
    assert parse_embed_path("order") == ()
    assert parse_embed_path("actors.order") == ("actors",)
    assert parse_embed_path("roles.actors.limit") == ("roles", "actors")
    assert parse_embed_path('"a.b".offset') == ("a.b",)
    fails(parse_embed_path, "a..limit")


# --------------------------------------------------------------------------------------------
# Logic trees
# --------------------------------------------------------------------------------------------


def test_logic_tree_root_keys():
    assert parse_logic("or", "(a.eq.1,b.gt.2)") == Filter(
        (), LogicTree("or", (cond("a", "eq", "1"), cond("b", "gt", "2")))
    )
    assert parse_logic("and", "(a.eq.1)") == Filter((), LogicTree("and", (cond("a", "eq", "1"),)))
    assert parse_logic("not.or", "(a.eq.1)").predicate == LogicTree("or", (cond("a", "eq", "1"),), negated=True)
    assert parse_logic("clients.or", "(a.eq.1)").path == ("clients",)
    assert parse_logic("clients.not.and", "(a.eq.1)") == Filter(
        ("clients",), LogicTree("and", (cond("a", "eq", "1"),), negated=True)
    )
    assert parse_logic("roles.actors.or", "(a.eq.1)").path == ("roles", "actors")


def test_logic_tree_nesting_and_negation():
    tree = parse_logic("or", "(age.lt.18,and(age.gte.65,student.not.is.true),not.or(a.eq.1,b.eq.2))").predicate
    assert tree == LogicTree(
        "or",
        (
            cond("age", "lt", "18"),
            LogicTree("and", (cond("age", "gte", "65"), cond("student", "is", "true", negated=True))),
            LogicTree("or", (cond("a", "eq", "1"), cond("b", "eq", "2")), negated=True),
        ),
    )


def test_logic_tree_whitespace():
    tree = parse_logic("or", " ( a.eq.1 , and ( b.eq.2 ) ) ").predicate
    assert tree == LogicTree("or", (cond("a", "eq", "1 "), LogicTree("and", (cond("b", "eq", "2 "),))))


def test_logic_tree_values_end_at_comma_or_paren_unless_quoted():
    tree = parse_logic("or", '(name.eq."a,b",name.eq."x)y",name.eq."q\\"q",name.eq.a.b)').predicate
    assert [c.expr.value for c in tree.children] == ["a,b", "x)y", 'q"q', "a.b"]


def test_logic_tree_keeps_array_literals_whole():
    tree = parse_logic("and", "(tags.cs.{a,b},tags.ov.{c},x.like(any).{O*,P*})").predicate
    assert tree.children == (
        cond("tags", "cs", "{a,b}"),
        cond("tags", "ov", "{c}"),
        cond("x", "like", "{O%,P%}", quantifier="any"),
    )


def test_logic_tree_leaf_operators():
    tree = parse_logic(
        "or",
        '(id.in.(1,2),a.is.NULL,b.not.in.("x,y"),t.fts(english).cat,d->>k.eq.v,c.ilike.*x*,e.eq.)',
    ).predicate
    assert tree.children == (
        cond("id", "in", ("1", "2")),
        cond("a", "is", "null"),
        cond("b", "in", ("x,y",), negated=True),
        cond("t", "fts", "cat", fts_config="english"),
        Condition(Field("d", (JsonStep("->>", "k"),)), OpExpr("eq", "v")),
        cond("c", "ilike", "%x%"),
        cond("e", "eq", ""),
    )


def test_logic_tree_null_embed_leaves_and_columns_named_like_keywords():
    tree = parse_logic("or", "(actors.not.is.null,directors.not.is.null)").predicate
    assert tree.children == (
        cond("actors", "is", "null", negated=True),
        cond("directors", "is", "null", negated=True),
    )
    tree = parse_logic("or", "(and.eq.1,or.eq.2,not.eq.3)").predicate
    assert tree.children == (cond("and", "eq", "1"), cond("or", "eq", "2"), cond("not", "eq", "3"))


@pytest.mark.parametrize(
    ("value", "column", "details"),
    [
        (
            "()",
            2,
            'unexpected ")" expecting field name (* or [a..z0..9_$]), negation operator (not) or logic '
            "operator (and, or)",
        ),
        ("(id.in.1,2,id.eq.3)", 8, 'unexpected "1" expecting "("'),
        (")(", 1, 'unexpected ")" expecting "("'),
        ("a.eq.1", 1, 'unexpected "a" expecting "("'),
        ("(a.eq.1", 8, 'unexpected end of input expecting "," or ")"'),
        ("(a.eq.1))", 9, "unexpected ')' expecting end of input"),
        ("(a.eq.1)x", 9, "unexpected 'x' expecting end of input"),
        ("(id.eq.1,not.xor(id.eq.2))", 14, 'unexpected "x" expecting logic operator (and, or)'),
        ("(a.eq.1,not.student.is.true)", 13, 'unexpected "s" expecting logic operator (and, or)'),
        ("(ord(id.eq.1))", 5, 'unexpected "(" expecting delimiter (.)'),
        ("(a.xx.1)", 7, "unknown single value operator xx"),
        ("(a.is.maybe)", 7, 'unexpected "m" expecting null, not_null or trilean value (unknown, true, false)'),
        ("(a.eq.{1,2}x)", 12, 'unexpected \'x\' expecting "," or ")"'),
    ],
)
def test_logic_tree_errors(value: str, column: int, details: str):
    error = fails(parse_logic, "or", value)
    assert error.message == f'"failed to parse logic tree ({value})" (line 1, column {column})'
    assert error.details == details


def test_logic_path_errors():
    error = fails(parse_logic, "a..or", "(a.eq.1)")
    assert error.message.startswith('"failed to parse logic path (a..or)"')


# --------------------------------------------------------------------------------------------
# order=
# --------------------------------------------------------------------------------------------


def test_order_terms():
    assert parse_order("name") == (OrderTerm(Field("name")),)
    assert parse_order("age.desc,id") == (OrderTerm(Field("age"), "desc"), OrderTerm(Field("id")))
    assert parse_order("a.asc.nullsfirst,b.nullslast,c.desc.nullslast") == (
        OrderTerm(Field("a"), "asc", "first"),
        OrderTerm(Field("b"), None, "last"),
        OrderTerm(Field("c"), "desc", "last"),
    )


def test_order_json_paths_and_related_orders():
    assert parse_order("data->>age.desc") == (OrderTerm(Field("data", (JsonStep("->>", "age"),)), "desc"),)
    assert parse_order("data->0.asc") == (OrderTerm(Field("data", (JsonStep("->", 0),)), "asc"),)
    assert parse_order("clients(json_col->key).desc.nullsfirst,name") == (
        OrderTerm(Field("json_col", (JsonStep("->", "key"),)), "desc", "first", relation="clients"),
        OrderTerm(Field("name")),
    )
    assert parse_order('"a.b".desc') == (OrderTerm(Field("a.b"), "desc"),)


def test_order_whitespace():
    assert parse_order(" a.desc , b ") == (OrderTerm(Field("a"), "desc"), OrderTerm(Field("b")))


@pytest.mark.parametrize(
    ("value", "column", "details"),
    [
        ("id.asc.nullslasttt", 17, "unexpected 't' expecting \",\" or end of input"),
        ("id.nullslasttt", 13, "unexpected 't' expecting \",\" or end of input"),
        ("id.descc", 8, "unexpected 'c' expecting delimiter (.), \",\" or end of input"),
        ("id.ac", 4, 'unexpected "c" expecting "asc", "desc", "nullsfirst" or "nullslast"'),
        ("id.nulsfist", 4, 'unexpected "n" expecting "asc", "desc", "nullsfirst" or "nullslast"'),
        ("id.smth34", 4, 'unexpected "s" expecting "asc", "desc", "nullsfirst" or "nullslast"'),
        ("id.asc.nlsfst", 8, 'unexpected "l" expecting "nullsfirst" or "nullslast"'),
        ("id.asc.smth34", 8, 'unexpected "s" expecting "nullsfirst" or "nullslast"'),
        ("id.asc.desc", 8, 'unexpected "d" expecting "nullsfirst" or "nullslast"'),
        ("id.as", 4, 'unexpected end of input expecting "asc", "desc", "nullsfirst" or "nullslast"'),
        ("clients(name,id)", 13, 'unexpected "," expecting ")"'),
        ("", 1, "unexpected end of input expecting field name (* or [a..z0..9_$])"),
        ("a,", 3, "unexpected end of input expecting field name (* or [a..z0..9_$])"),
        ("id::int", 3, "unexpected ':' expecting delimiter (.), \",\" or end of input"),
    ],
)
def test_order_errors(value: str, column: int, details: str):
    error = fails(parse_order, value)
    assert error.message == f'"failed to parse order ({value})" (line 1, column {column})'
    assert error.details == details


# --------------------------------------------------------------------------------------------
# columns= / on_conflict=
# --------------------------------------------------------------------------------------------


def test_columns():
    assert parse_columns("id,name") == ("id", "name")
    assert parse_columns('"title","author_id"') == ("title", "author_id")
    assert parse_columns(' a , "b,c" ') == ("a", "b,c")


def test_columns_errors():
    error = fails(parse_columns, "a,")
    assert error.message == '"failed to parse columns parameter (a,)" (line 1, column 3)'
    fails(parse_columns, "")
    fails(parse_columns, "a(b)")
    assert fails(parse_columns, "a;b", "on_conflict parameter").message.startswith(
        '"failed to parse on_conflict parameter'
    )


# --------------------------------------------------------------------------------------------
# Hostile input: depth and length limits, no super-linear work
# --------------------------------------------------------------------------------------------


def nested_select(levels: int) -> str:
    return "r(" * levels + "id" + ")" * levels


def nested_logic(levels: int) -> str:
    return "(" + "and(" * (levels - 1) + "a.eq.1" + ")" * levels


def test_select_nesting_up_to_the_limit_is_fine():
    items = parse_select(nested_select(grammar.MAX_DEPTH))
    depth = 0
    while isinstance(items[0], Embed):
        items, depth = items[0].children, depth + 1
    assert depth == grammar.MAX_DEPTH


@pytest.mark.parametrize("levels", [grammar.MAX_DEPTH + 1, 5_000, 100_000])
def test_select_nesting_beyond_the_limit_is_rejected(levels: int):
    error = fails(parse_select, nested_select(levels)[: grammar.MAX_LENGTH])
    if levels == grammar.MAX_DEPTH + 1:
        assert error.details == f"nesting is deeper than {grammar.MAX_DEPTH} levels"
        assert error.message.endswith(f"(line 1, column {2 * grammar.MAX_DEPTH + 2})")


def test_logic_nesting_up_to_the_limit_is_fine():
    tree = parse_logic("or", nested_logic(grammar.MAX_DEPTH)).predicate
    depth = 1
    while isinstance(tree.children[0], LogicTree):
        tree, depth = tree.children[0], depth + 1
    assert depth == grammar.MAX_DEPTH


@pytest.mark.parametrize("levels", [grammar.MAX_DEPTH + 1, 10_000])
def test_logic_nesting_beyond_the_limit_is_rejected(levels: int):
    error = fails(parse_logic, "or", nested_logic(levels)[: grammar.MAX_LENGTH])
    assert error.details == f"nesting is deeper than {grammar.MAX_DEPTH} levels"


def test_unbalanced_deep_input_never_recurses_unbounded():
    fails(parse_select, "a(" * 30_000)
    fails(parse_logic, "or", "(" + "or(" * 20_000)


@pytest.mark.parametrize(
    ("parser", "args"),
    [
        (parse_select, ("a" * (grammar.MAX_LENGTH + 1),)),
        (parse_order, ("a" * (grammar.MAX_LENGTH + 1),)),
        (parse_op_expr, ("eq." + "a" * grammar.MAX_LENGTH,)),
        (parse_filter, ("a" * (grammar.MAX_LENGTH + 1), "eq.1")),
        (parse_logic, ("or", "(" + "a.eq.1," * 10_000 + "a.eq.1)")),
        (parse_columns, ("a," * grammar.MAX_LENGTH,)),
    ],
)
def test_overlong_input_is_rejected(parser: Callable[..., Any], args: tuple[str, ...]):
    error = fails(parser, *args)
    assert error.details == f"input is longer than {grammar.MAX_LENGTH} characters"
    assert len(error.message) < 200  # the echo is truncated


def test_long_inputs_within_the_limit_parse_in_linear_time():
    started = time.perf_counter()
    parse_select(",".join(["col"] * 15_000))
    with pytest.raises(ApiError):
        parse_select("a" + " " * 60_000 + "!")
    parse_op_expr("in.(" + ",".join(['"x\\"y"'] * 6_000) + ")")
    parse_logic("or", "(" + ",".join(["a.eq.1"] * 9_000) + ")")
    parse_order(",".join(["a->b->>c.desc.nullslast"] * 2_500))
    parse_tree_path("data" + "->a" * 20_000)
    assert time.perf_counter() - started < 2.0


def test_huge_json_index_is_refused_without_int_conversion_blowup():
    error = fails(parse_select, "a->" + "9" * 5_000)
    assert error.details == "JSON array index out of range"


def test_results_are_memoised_for_short_inputs_only():
    assert parse_select("id,name") is parse_select("id,name")
    assert parse_order("id.desc") is parse_order("id.desc")
    long_select = ",".join(["col"] * 200)
    assert len(long_select) > grammar.CACHE_INPUT_LIMIT
    assert parse_select(long_select) == parse_select(long_select)
    assert parse_select(long_select) is not parse_select(long_select)

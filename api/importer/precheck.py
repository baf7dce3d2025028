"""Find, in bulk, the staged documents the database would refuse for a foreign key or a unique index.

The loader runs this only after a batch was refused (loader.py `_flush`): clean batches pay nothing,
and a refused one is usually cleared by one set of anti-joins instead of being split in halves down
to each offending document — with a duplicate e-mail and the courses and submissions that point to
the refused user, a 20,000-document batch would otherwise be re-sent about fifteen times per
document. What this misses (a CHECK, a trigger's refusal, an expression index) is still found by
splitting. The reasons use the database's own wording, so a document is quarantined the same way
whichever path found it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import psycopg
from psycopg import sql

from api.importer.catalog import ForeignKey, TableFacts
from api.importer.mapping import Target

SEQ = "_import_doc"


class Staged(Protocol):
    target: Target
    name: sql.Identifier
    facts: TableFacts


def refusals(cursor: psycopg.Cursor, stages: Sequence[Staged], update: bool) -> dict[int, tuple[str, str]]:
    """{document: (kind, reason)} for staged rows a foreign key or unique index would refuse. Rows
    that will not be written (insert-only mode, key already in the table) are not checked, nor is a
    reference satisfied by a row staged in this batch (a child row's parent, a self-reference)."""
    refused: dict[int, tuple[str, str]] = {}
    for stage in stages:
        written = sql.SQL("true") if update else _absent(stage)
        legacy = {column.name for column in stage.target.columns if column.type == "key"}
        ids = tuple(column.name for column in stage.target.columns if column.type == "id")[:1]
        for key in stage.facts.foreign_keys:
            query = _foreign(stage, stages, key, written)
            if query is None:
                continue
            for seq, shown in cursor.execute(query):
                refused.setdefault(
                    seq,
                    (
                        f"database: ForeignKeyViolation ({key.name})",
                        f'database refused it: insert or update on table "{stage.target.table}" violates foreign key '
                        f'constraint "{key.name}" — Key ({", ".join(key.columns)})=({shown}) is not present in table '
                        f'"{key.parent_table}".',
                    ),
                )
        for unique in stage.facts.uniques:
            columns = set(unique.columns)
            if columns == set(stage.target.key) or not columns <= set(stage.target.column_names):
                continue
            if columns <= legacy and stage.target.key == ids:
                continue  # the legacy key and the id determine each other: checked by the key already
            for query in (_taken(stage, unique.columns, written), _repeated(stage, unique.columns, written)):
                for seq, shown in cursor.execute(query):
                    refused.setdefault(
                        seq,
                        (
                            f"database: UniqueViolation ({unique.name})",
                            f'database refused it: duplicate key value violates unique constraint "{unique.name}" — '
                            f"Key ({', '.join(unique.columns)})=({shown}) already exists.",
                        ),
                    )
    return refused


def _columns(alias: str, names: Sequence[str]) -> list[sql.Composable]:
    return [sql.SQL("{}.{}").format(sql.Identifier(alias), sql.Identifier(name)) for name in names]


def _equal(left: str, left_names: Sequence[str], right: str, right_names: Sequence[str]) -> sql.Composable:
    pairs = zip(_columns(left, left_names), _columns(right, right_names), strict=True)
    return sql.SQL(" and ").join(sql.SQL("{} = {}").format(a, b) for a, b in pairs)


def _shown(names: Sequence[str]) -> sql.Composable:
    return sql.SQL("concat_ws(', ', {})").format(
        sql.SQL(", ").join(sql.SQL("{}::text").format(column) for column in _columns("s", names))
    )


def _absent(stage: Staged) -> sql.Composable:
    """The staged row's key is not in the table yet (so insert-only mode writes it)."""
    target = stage.target
    return sql.SQL("not exists (select from {} k where {})").format(
        sql.Identifier(target.schema, target.table), _equal("k", target.key, "s", target.key)
    )


def _foreign(
    stage: Staged, stages: Sequence[Staged], key: ForeignKey, written: sql.Composable
) -> sql.Composable | None:
    if not set(key.columns) <= set(stage.target.column_names):
        return None  # a column the mapping leaves to its default: the database checks it
    not_null = sql.SQL(" and ").join(sql.SQL("{} is not null").format(c) for c in _columns("s", key.columns))
    condition = sql.SQL("{} and not exists (select from {} p where {})").format(
        not_null,
        sql.Identifier(key.parent_schema, key.parent_table),
        _equal("p", key.parent_columns, "s", key.columns),
    )
    for other in stages:  # rows this attempt inserts first, or next to this one
        parent = other.target
        if (parent.schema, parent.table) == (key.parent_schema, key.parent_table) and set(key.parent_columns) <= set(
            parent.column_names
        ):
            condition += sql.SQL(" and not exists (select from {} o where {})").format(
                other.name, _equal("o", key.parent_columns, "s", key.columns)
            )
    return sql.SQL("select s.{seq}, {shown} from {stage} s where {written} and {condition}").format(
        seq=sql.Identifier(SEQ), shown=_shown(key.columns), stage=stage.name, written=written, condition=condition
    )


def _taken(stage: Staged, names: Sequence[str], written: sql.Composable) -> sql.Composable:
    """Staged rows whose unique value the table already holds under another key."""
    target = stage.target
    return sql.SQL(
        "select s.{seq}, {shown} from {stage} s join {table} t on {same} "
        "where {written} and row({t_key}) is distinct from row({s_key})"
    ).format(
        seq=sql.Identifier(SEQ),
        shown=_shown(names),
        stage=stage.name,
        table=sql.Identifier(target.schema, target.table),
        same=_equal("t", names, "s", names),
        written=written,
        t_key=sql.SQL(", ").join(_columns("t", target.key)),
        s_key=sql.SQL(", ").join(_columns("s", target.key)),
    )


def _repeated(stage: Staged, names: Sequence[str], written: sql.Composable) -> sql.Composable:
    """Staged rows repeating a unique value of an earlier document of the batch (the first keeps it)."""
    values = sql.SQL(", ").join(_columns("s", names))
    not_null = sql.SQL(" and ").join(sql.SQL("{} is not null").format(c) for c in _columns("s", names))
    return sql.SQL(
        "select d.seq, d.shown from (select s.{seq} as seq, {shown} as shown, "
        "row_number() over (partition by {values} order by s.{seq}) as n from {stage} s "
        "where {written} and {not_null}) d where d.n > 1"
    ).format(
        seq=sql.Identifier(SEQ),
        shown=_shown(names),
        values=values,
        stage=stage.name,
        written=written,
        not_null=not_null,
    )

"""References the loader checks in Python before it copies a batch straight into its tables.

On a first import the loader knows which documents of an earlier collection are in their table: the
ones it accepted and did not quarantine (the table was empty when that collection began). A row that
points anywhere else — at a quarantined document, at a document the source does not have, or where
the column's `missing` rule must apply — would make the database refuse a whole direct COPY, or needs
the staging path's dangling-reference handling. So the workers send the values of such reference
columns beside the rows, and the loader sends the few documents pointing outside what it knows
through the staging path (bulk checks, the database's own refusal, `missing`) and copies the rest
straight in.

This only routes documents: the database still checks every row it is sent, and a wrong guess costs
time, never a wrong row.
"""

from __future__ import annotations

from api.importer.catalog import TableFacts
from api.importer.mapping import CollectionMapping, Mapping, Target

Checked = tuple[tuple[tuple[int, str], ...], ...]  # per target: (column index, referenced collection)


def keyed_by_id(collection: CollectionMapping) -> bool:
    """Whether the collection's key is its id column, the value other collections' references carry."""
    main = collection.main
    if len(main.key) != 1:
        return False
    return any(column.name == main.key[0] and column.type == "id" for column in main.columns)


def checked_references(mapping: Mapping, facts: dict[str, TableFacts], collection: CollectionMapping) -> Checked:
    """The reference columns into other collections (keyed by id) that a foreign key checks or that
    have a `missing` rule, for each of the collection's targets."""
    return tuple(
        tuple(
            (index, column.collection)
            for index, column in enumerate(target.columns)
            if column.type == "ref"
            and column.collection in mapping.collections
            and column.collection != collection.name
            and keyed_by_id(mapping[column.collection])
            and (column.missing != "keep" or _has_foreign_key(target, column.name, mapping[column.collection], facts))
        )
        for target in collection.targets
    )


def _has_foreign_key(target: Target, column: str, parent: CollectionMapping, facts: dict[str, TableFacts]) -> bool:
    table = facts.get(target.qualified)
    if table is None:
        return False
    main = parent.main
    for key in table.foreign_keys:
        if (key.parent_schema, key.parent_table) != (main.schema, main.table) or column not in key.columns:
            continue
        if key.parent_columns[key.columns.index(column)] == main.key[0]:
            return True
    return False

"""Recognise a state database created before migrations existed, so it can be adopted.

Code before Alembic created the tables with ``metadata.create_all`` and recorded no
revision. Such a database is adopted (the matching revision is recorded, later revisions
run) only when its tables have exactly the shape of one of the revisions that code shipped
(``revisions.BEFORE_MIGRATIONS``): the same tables, columns and nullability, primary keys,
unique and check constraints and indexes, compared by name.
Types are left out on purpose: each dialect reflects them in its own words, and the names
(fixed by the schema's naming convention) already tell one release's tables from another's.
Anything else is refused with the differences, and nothing is changed.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from dibs_fortnox.errors import StateSchemaUnknown
from dibs_fortnox.ledger.schema import metadata

VERSION_TABLE = "alembic_version"

# table -> aspect ("columns", "primary key", ...) -> sorted names
Shape = dict[str, dict[str, tuple[Any, ...]]]


def has_tables(connection: Connection) -> bool:
    """Whether the database holds any table the schema declares (now or at the baseline)."""
    present = set(sa.inspect(connection).get_table_names())
    return bool(present & set(metadata.tables))


def shape(connection: Connection, tables: set[str] | None = None) -> Shape:
    """Describe the tables of a database (all but Alembic's own, or only ``tables``)."""
    inspector = sa.inspect(connection)
    found: Shape = {}
    for table in inspector.get_table_names():
        if table == VERSION_TABLE or (tables is not None and table not in tables):
            continue
        columns = inspector.get_columns(table)
        indexes = [ix for ix in inspector.get_indexes(table) if not ix.get("duplicates_constraint")]
        found[table] = {
            "columns": tuple(sorted((c["name"], bool(c["nullable"])) for c in columns)),
            "primary key": tuple(inspector.get_pk_constraint(table)["constrained_columns"]),
            "unique constraints": tuple(
                sorted(str(u["name"]) for u in inspector.get_unique_constraints(table))
            ),
            "check constraints": tuple(
                sorted(str(c["name"]) for c in inspector.get_check_constraints(table))
            ),
            "indexes": tuple(
                sorted((str(ix["name"]), tuple(ix["column_names"])) for ix in indexes)
            ),
        }
    return found


def differences(actual: Shape, reference: Shape) -> list[str]:
    """Say, table by table, how ``actual`` differs from ``reference`` (empty when equal)."""
    problems: list[str] = []
    for table in sorted(set(reference) - set(actual)):
        problems.append(f"table {table} is missing")
    for table in sorted(set(actual) - set(reference)):
        problems.append(f"table {table} is not expected")
    for table in sorted(set(reference) & set(actual)):
        for aspect, wanted in reference[table].items():
            got = actual[table][aspect]
            if got == wanted:
                continue
            missing = [_name(item) for item in wanted if item not in got]
            unexpected = [_name(item) for item in got if item not in wanted]
            said = [f"missing {', '.join(missing)}"] if missing else []
            said += [f"unexpected {', '.join(unexpected)}"] if unexpected else []
            problems.append(f"{table} {aspect}: {'; '.join(said) or 'in another order'}")
    return problems


def _name(item: Any) -> str:
    """One column, constraint or index as a message names it."""
    if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bool):
        return f"{item[0]} ({'NULL' if item[1] else 'NOT NULL'})"
    if isinstance(item, tuple):
        return f"{item[0]} on ({', '.join(item[1])})"
    return str(item)


def match(connection: Connection, candidates: dict[str, Shape]) -> str:
    """Return the revision whose tables the database has exactly; refuse anything else.

    Args:
        candidates: revision -> its tables' shape; tables of other names in the database
            (not ours) are ignored.

    Raises:
        StateSchemaUnknown: no candidate matches; the differences from the nearest are listed.
    """
    ours = set(metadata.tables).union(*(set(shape_) for shape_ in candidates.values()))
    actual = shape(connection, ours)
    found = {rev: differences(actual, reference) for rev, reference in candidates.items()}
    for revision, problems in found.items():
        if not problems:
            return revision
    nearest = min(found, key=lambda rev: len(found[rev]))
    url = connection.engine.url.render_as_string(hide_password=True)
    raise StateSchemaUnknown(
        f"the state database {url} has tables but no migration revision, and they are not "
        "the tables of a release before migrations, so it is left as it is. Compared with "
        f"revision {nearest}: "
        + "; ".join(found[nearest])
        + ". Compare it with include/sql/schema.sql of the release that created it; fix the "
        "differences by hand (or start from an empty database) and run the upgrade again"
    )

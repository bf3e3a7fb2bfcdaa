"""Hand-written SQL for the statements every transfer runs.

Building a statement with the ORM costs 0.4 to 1 ms of CPU on the bench machine; running a
hand-written one costs about 0.06 ms (bench/transfers_api: a transfer's two API calls ran
about 36 statements). The hot paths therefore read with `select`: the SQL names its columns
with `columns()`, and every row comes back as model instances built by Model.from_db with
the converters the ORM applies, so the code after it cannot tell the difference. psycopg2
adapts the parameters (datetimes, dates, UUIDs) as it does for the ORM.
"""

from functools import cache

from django.db import DEFAULT_DB_ALIAS, connections, models


def columns(model: type[models.Model], alias: str) -> str:
    """The model's columns, in field order, for a SELECT list read by `select`."""
    return ", ".join(f'{alias}."{field.column}"' for field in model._meta.concrete_fields)


def table(model: type[models.Model]) -> str:
    return f'"{model._meta.db_table}"'


def _db():
    # Once per statement: every attribute of django.db.connection is a context-local lookup.
    return connections[DEFAULT_DB_ALIAS]


FOR_UPDATE = " FOR UPDATE"


def _run(db, sql: str, params: list):
    cursor = db.cursor()
    cursor.execute(sql, params)
    return cursor


def rows(sql: str, params: list) -> list[tuple]:
    with _run(_db(), sql, params) as cursor:
        return cursor.fetchall() if cursor.description else []


def execute(sql: str, params: list) -> int:
    """Runs a statement without a result; returns the number of rows it changed."""
    with _run(_db(), sql, params) as cursor:
        return cursor.rowcount


@cache
def _loader(model: type[models.Model]) -> tuple:
    db = _db()
    fields = model._meta.concrete_fields
    converters = []
    for field in fields:
        column = field.get_col(model._meta.db_table)
        found = db.ops.get_db_converters(column) + column.get_db_converters(db)
        converters.append((column, found))
    return [field.attname for field in fields], converters


def _instance(db, model: type[models.Model], values: tuple) -> models.Model | None:
    if all(value is None for value in values):  # the missing side of an outer join
        return None
    attnames, converters = _loader(model)
    converted = []
    for value, (column, found) in zip(values, converters, strict=True):
        for converter in found:
            value = converter(value, column, db)
        converted.append(value)
    return model.from_db(db.alias, attnames, converted)


def select(sql: str, params: list, *models_in_row: type[models.Model]) -> list[tuple]:
    """Rows of `sql`, whose SELECT list is columns() of each model in turn (then any
    extra values), as tuples of instances (None for an outer join's missing side)."""
    db = _db()
    with _run(db, sql, params) as cursor:
        fetched = cursor.fetchall()
    found = []
    for row in fetched:
        start, items = 0, []
        for model in models_in_row:
            width = len(model._meta.concrete_fields)
            items.append(_instance(db, model, row[start : start + width]))
            start += width
        found.append((*items, *row[start:]))
    return found


def insert(*objs: models.Model) -> None:
    """INSERTs instances of one model in one statement, as save(force_insert=True) or
    bulk_create would: defaults and auto_now_add applied, the new primary keys set."""
    db = _db()
    model = type(objs[0])
    meta = model._meta
    auto = meta.auto_field if objs[0].pk is None else None
    fields = [field for field in meta.local_concrete_fields if field is not auto]
    values = []
    for obj in objs:
        values.extend(
            field.get_db_prep_save(field.pre_save(obj, True), db) for field in fields
        )
    names = ", ".join(f'"{field.column}"' for field in fields)
    row = f"({', '.join(['%s'] * len(fields))})"
    sql = f"INSERT INTO {table(model)} ({names}) VALUES {', '.join([row] * len(objs))}"  # noqa: S608
    if auto is not None:
        sql += f' RETURNING "{auto.column}"'
    with _run(db, sql, values) as cursor:
        keys = cursor.fetchall() if auto is not None else []
    for obj, key in zip(objs, keys, strict=False):
        setattr(obj, auto.attname, key[0])
    for obj in objs:
        obj._state.adding, obj._state.db = False, db.alias


def update(obj: models.Model, fields: list[str]) -> int:
    """UPDATEs these fields of a saved instance, as save(update_fields=...) would."""
    db = _db()
    meta = type(obj)._meta
    chosen = [meta.get_field(name) for name in fields]
    values = [field.get_db_prep_save(field.pre_save(obj, False), db) for field in chosen]
    assignments = ", ".join(f'"{field.column}" = %s' for field in chosen)
    return execute(
        f'UPDATE {table(type(obj))} SET {assignments} WHERE "{meta.pk.column}" = %s',  # noqa: S608
        [*values, obj.pk],
    )


def select_one(sql: str, params: list, model: type[models.Model]) -> models.Model | None:
    """The first row of `sql` (columns() of `model`) as an instance, or None."""
    found = select(sql, params, model)
    return found[0][0] if found else None

"""What the named manager methods of the money path (Transfer.objects.prepare_facts,
CardChallenge.objects.issue, ...) are written with: hand-written SQL whose rows come back as
model instances.

Building a statement with the ORM costs 0.4 to 1 ms of CPU on the bench machine; running a
hand-written one costs about 0.06 ms, and a whole transfer is 12 statements
(bench/transfers_api). A SELECT names its columns with `columns()`, and `select` builds each
row's instances by Model.from_db with the converters the ORM applies, so the code after it
cannot tell the difference. `insert_statement`/`update_statement` write as save() would, and
`together` sends several writes as one statement. psycopg2 adapts the parameters (datetimes,
dates, UUIDs) as it does for the ORM.
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


def insert_statement(
    *objs: models.Model, expressions: dict[str, str] | None = None
) -> tuple[str, list]:
    """The INSERT of instances of one model (defaults and auto_now_add applied, as
    save(force_insert=True) would), RETURNING the new primary keys when the database makes
    them. `expressions` gives SQL for some columns instead of the instances' values (e.g. a
    key RETURNed by an earlier part of the same statement: see together())."""
    db = _db()
    model = type(objs[0])
    meta = model._meta
    auto = meta.auto_field if objs[0].pk is None else None
    expressions = expressions or {}
    fields = [field for field in meta.local_concrete_fields if field is not auto]
    values, rows = [], []
    for obj in objs:
        row = []
        for field in fields:
            if field.column in expressions:
                row.append(expressions[field.column])
            else:
                row.append("%s")
                values.append(field.get_db_prep_save(field.pre_save(obj, True), db))
        rows.append(f"({', '.join(row)})")
    names = ", ".join(f'"{field.column}"' for field in fields)
    sql = f"INSERT INTO {table(model)} ({names}) VALUES {', '.join(rows)}"  # noqa: S608
    if auto is not None:
        sql += f' RETURNING "{auto.column}"'
    return sql, values


def _inserted(objs: tuple[models.Model, ...], keys: list) -> None:
    auto = type(objs[0])._meta.auto_field if objs[0].pk is None else None
    for obj, key in zip(objs, keys, strict=False):
        setattr(obj, auto.attname, key)
    for obj in objs:
        obj._state.adding, obj._state.db = False, DEFAULT_DB_ALIAS


def insert(*objs: models.Model) -> None:
    """INSERTs instances of one model in one statement, as save(force_insert=True) or
    bulk_create would: defaults and auto_now_add applied, the new primary keys set."""
    sql, values = insert_statement(*objs)
    with _run(_db(), sql, values) as cursor:
        keys = [key for (key,) in cursor.fetchall()] if cursor.description else []
    _inserted(objs, keys)


def update_statement(obj: models.Model, fields: list[str]) -> tuple[str, list]:
    """The UPDATE of these fields of a saved instance, as save(update_fields=...) would."""
    db = _db()
    meta = type(obj)._meta
    chosen = [meta.get_field(name) for name in fields]
    values = [field.get_db_prep_save(field.pre_save(obj, False), db) for field in chosen]
    assignments = ", ".join(f'"{field.column}" = %s' for field in chosen)
    sql = f'UPDATE {table(type(obj))} SET {assignments} WHERE "{meta.pk.column}" = %s'  # noqa: S608
    return sql, [*values, obj.pk]


def update(obj: models.Model, fields: list[str]) -> int:
    """UPDATEs these fields of a saved instance, as save(update_fields=...) would."""
    return execute(*update_statement(obj, fields))


def together(*statements: tuple[str, list], named: tuple[str, ...] = ()) -> tuple[str, list]:
    """Several writes as one statement (one round trip): every statement but the last
    becomes a data-modifying WITH query, named by `named` in turn (or w1, w2, ...), that
    the later ones may read (`(SELECT id FROM entry)`). PostgreSQL runs them all, in one
    snapshot: none sees the rows another one changes, so only write together what does not
    need to read another part's effect beyond its RETURNING."""
    *first, (last_sql, last_params) = statements
    names = list(named) + [f"w{i}" for i in range(len(named) + 1, len(first) + 1)]
    parts = [f"{name} AS ({sql})" for name, (sql, _params) in zip(names, first, strict=False)]
    params = [value for _sql, values in first for value in values]
    sql = f"WITH {', '.join(parts)} {last_sql}" if parts else last_sql
    return sql, [*params, *last_params]


def select_one(sql: str, params: list, model: type[models.Model]) -> models.Model | None:
    """The first row of `sql` (columns() of `model`) as an instance, or None."""
    found = select(sql, params, model)
    return found[0][0] if found else None

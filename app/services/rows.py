"""Rows a Core statement has just written, made the session's objects without another SELECT."""
import functools
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Row, inspect
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from app.extensions import db


def loaded(model: type, values: Mapping[str, Any]):
    """Return the session's instance of a model for a row's values (every column, by name), as if loaded."""
    instance = model.__mapper__.class_manager.new_instance()
    instance.__dict__.update({key: values[name] for key, name in attribute_columns(model)})  # as a query loads
    make_transient_to_detached(instance)  # detached, without history: nothing is written again
    if inspect(instance).key in db.session.identity_map:
        return db.session.merge(instance, load=False)  # the session's own instance, refreshed
    db.session.add(instance)
    return instance


def inserted(model: type, values: Mapping[str, Any], returned: Row, **related):
    """Return the instance of a row just inserted: the values sent and those RETURNING gave; the rest are NULL.

    `related` names objects the row refers to (partner=…), set as loaded: reading them needs no lazy load.
    """
    row = {**values, **returned._mapping}
    unknown = defaulted_columns(model) - row.keys()
    if unknown:  # the database filled them in: the INSERT has to return them
        raise ValueError(f"{model.__name__}: the INSERT neither sets nor returns {', '.join(sorted(unknown))}")
    instance = loaded(model, {name: row.get(name) for _, name in attribute_columns(model)})
    for name, value in related.items():
        set_committed_value(instance, name, value)
    return instance


@functools.cache
def attribute_columns(model: type) -> tuple[tuple[str, str], ...]:
    """Return the name of each column of the model's table with the name of the attribute that maps it."""
    mapper = model.__mapper__
    return tuple((mapper.get_property_by_column(column).key, column.name) for column in model.__table__.columns)


@functools.cache
def defaulted_columns(model: type) -> frozenset[str]:
    """Return the columns an INSERT that leaves them out does not leave NULL (a default, or an identity)."""
    table = model.__table__
    return frozenset(column.name for column in table.columns
                     if column.default is not None or column.server_default is not None or column.primary_key)

"""Rows a Core statement has just written and returned, made the session's objects without another SELECT."""
import functools

from sqlalchemy import Column, Row, inspect
from sqlalchemy.orm import make_transient_to_detached

from app.extensions import db


def loaded(model: type, row: Row):
    """Return the session's instance of a model for a row returned with all its columns, as if loaded."""
    instance = model.__mapper__.class_manager.new_instance()
    values = row._mapping
    instance.__dict__.update({key: values[column] for key, column in attribute_columns(model)})  # as a query loads
    make_transient_to_detached(instance)  # detached, without history: nothing is written again
    if inspect(instance).key in db.session.identity_map:
        return db.session.merge(instance, load=False)  # the session's own instance, refreshed
    db.session.add(instance)
    return instance


@functools.cache
def attribute_columns(model: type) -> tuple[tuple[str, Column], ...]:
    """Return each column of the model's table with the name of the attribute that maps it."""
    mapper = model.__mapper__
    return tuple((mapper.get_property_by_column(column).key, column) for column in model.__table__.columns)

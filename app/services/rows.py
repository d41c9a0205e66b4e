"""Rows a Core statement has just written and returned, made the session's objects without another SELECT."""
import functools

from sqlalchemy import Column, Row
from sqlalchemy.orm import make_transient_to_detached

from app.extensions import db


def loaded(model: type, row: Row):
    """Return the session's instance of a model for a row returned with all its columns, as if loaded."""
    instance = model(**{key: row._mapping[column] for key, column in attribute_columns(model)})
    make_transient_to_detached(instance)  # persistent state without history, so nothing is written again
    return db.session.merge(instance, load=False)  # the session's own instance when it holds one already


@functools.cache
def attribute_columns(model: type) -> tuple[tuple[str, Column], ...]:
    """Return each column of the model's table with the name of the attribute that maps it."""
    mapper = model.__mapper__
    return tuple((mapper.get_property_by_column(column).key, column) for column in model.__table__.columns)

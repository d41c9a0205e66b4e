"""Inserts guarded by a unique key, in a savepoint so a clash leaves the transaction usable."""
from sqlalchemy.exc import IntegrityError

from app.extensions import db


def insert_if_new(row) -> bool:
    """Insert a row in a savepoint; tell whether it went in (False on a unique-key clash)."""
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:
        return False
    return True

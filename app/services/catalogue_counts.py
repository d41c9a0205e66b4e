"""Catalogue search counts, kept by each process under the catalogue's version token while nothing changes."""
import uuid
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import Insert, Select, bindparam, select

from app.extensions import db
from app.models import CatalogueVersion
from app.services import upserts

VERSION_ID = 1  # the one row of catalogue_version
TOKEN = select(CatalogueVersion.token).where(CatalogueVersion.id == VERSION_ID).scalar_subquery()
MAX_FILTER_SETS = 10_000  # a process forgets every count when it holds more


@dataclass
class CountCache:
    """The counts of the filter sets a process has searched, valid while the catalogue's token is `token`."""

    token: str | None = None
    counts: dict[tuple, list[int]] = field(default_factory=dict)

    def get(self, token: str, key: tuple) -> list[int] | None:
        """Return a filter set's counts if they were taken under this token."""
        return self.counts.get(key) if token == self.token else None

    def put(self, token: str, key: tuple, sizes: list[int]) -> None:
        """Keep a filter set's counts, taken under `token` (counts under another token are dropped)."""
        if token != self.token or len(self.counts) >= MAX_FILTER_SETS:
            self.token, self.counts = token, {}
        self.counts[key] = sizes


def note_change() -> None:
    """Give the catalogue a new token in the caller's transaction: counts taken before it are not used again."""
    db.session.connection().execute(token_upsert(), {"token": uuid.uuid4().hex})


@upserts.per_dialect
def token_upsert(dialect: str) -> Insert:
    """Return the statement replacing the token (creating the row in a database emptied without migrations)."""
    stmt = upserts.insert(CatalogueVersion.__table__, dialect).values(id=VERSION_ID, token=bindparam("token"))
    return stmt.on_conflict_do_update(index_elements=["id"], set_={"token": stmt.excluded.token})


def sizes(key: tuple, counts: list[Select]) -> list[int]:
    """Return the counts of a filter set (`key`): this process's while the token is unchanged, else counted anew."""
    cache = current_app.extensions.setdefault("catalogue_counts", CountCache())
    token = db.session.scalar(select(TOKEN))
    cached = None if token is None else cache.get(token, key)
    if cached is not None:
        return cached
    token, *counted = db.session.execute(select(TOKEN, *(each.scalar_subquery() for each in counts))).one()
    if token is not None:  # read in the same statement as the counts, so they belong together
        cache.put(token, key, counted)
    return counted

"""Tenancy in one place: while a partner acts, every ORM query of its tables sees only its rows."""
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from sqlalchemy import event, select
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria

from app.extensions import db
from app.models.tenant import TenantOwned
from app.services.errors import NotFound

current_partner: ContextVar[int | None] = ContextVar("current_partner", default=None)


def install_tenancy() -> None:
    """Hook the tenant rule into every ORM session (once)."""
    if not event.contains(Session, "do_orm_execute", restrict_to_tenant):
        event.listen(Session, "do_orm_execute", restrict_to_tenant)


@contextmanager
def acting_as(partner_id: int) -> Iterator[None]:
    """Scope every query in the block to one partner's rows."""
    token = current_partner.set(partner_id)
    try:
        yield
    finally:
        current_partner.reset(token)


def restrict_to_tenant(state: ORMExecuteState) -> None:
    """Add `partner_id = <current partner>` to every ORM SELECT of tenant-owned models."""
    partner_id = current_partner.get()
    if partner_id is None or not state.is_select or state.is_column_load or state.is_relationship_load:
        return
    state.statement = state.statement.options(with_loader_criteria(
        TenantOwned, lambda cls: cls.partner_id == partner_id, include_aliases=True))


def owned(model: type, row_id: int):
    """Return one tenant-visible row by id (never from another partner), or raise NotFound."""
    row = db.session.scalar(select(model).where(model.id == row_id).execution_options(populate_existing=True))
    if row is None:
        raise NotFound(f"{model.__name__} {row_id} does not exist.")
    return row

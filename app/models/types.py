"""Column types shared by the models."""
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import DateTime, TypeDecorator
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.schema import CreateIndex


class UTCDateTime(TypeDecorator):
    """Store aware datetimes as naive UTC; return them aware in UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        """Convert an aware datetime to naive UTC."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; times must carry a zone")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect):
        """Attach UTC to a stored value."""
        return None if value is None else value.replace(tzinfo=UTC)


def money(amount: Decimal | None, currency: str | None) -> dict | None:
    """Return contract money {"amount": "1500.00", "currency": "EUR"}, or None without an amount."""
    if amount is None:
        return None
    return {"amount": f"{Decimal(amount):.2f}", "currency": currency}


@compiles(CreateIndex, "sqlite")
def create_sqlite_index(create: CreateIndex, compiler, **kw) -> str:
    """Drop NULLS FIRST from SQLite index DDL: SQLite refuses it there and sorts NULLs first anyway."""
    return compiler.visit_create_index(create, **kw).replace(" NULLS FIRST", "")

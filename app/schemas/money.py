"""Money in the contract's shape: a decimal string and an ISO 4217 currency."""
from decimal import Decimal

from marshmallow import ValidationError, fields

from app.schemas.base import InputSchema
from app.schemas.codes import CurrencyCode

MAX_AMOUNT = Decimal("9999999999.99")
AMOUNT_DOC = {"type": "string", "pattern": r"^[0-9]{1,10}(\.[0-9]{1,2})?$", "example": "1500.00"}


def check_amount(value: Decimal) -> None:
    """Accept 0 up to 9,999,999,999.99."""
    if not Decimal("0") <= value <= MAX_AMOUNT:
        raise ValidationError(f"Must be between 0 and {MAX_AMOUNT}.")


def amount_field(**kwargs) -> fields.Decimal:
    """Return a money amount field: a decimal string (numbers are accepted too)."""
    return fields.Decimal(as_string=True, places=2, allow_nan=False, validate=check_amount, metadata=AMOUNT_DOC,
                          **kwargs)


class MoneySchema(InputSchema):
    """{"amount": "1500.00", "currency": "EUR"}."""

    amount = amount_field(required=True)
    currency = CurrencyCode(required=True)

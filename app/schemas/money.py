"""Money in the contract's shape: a decimal string and an ISO 4217 currency."""
from decimal import Decimal

from marshmallow import Schema, fields, validate

from app.schemas.codes import CurrencyCode

MAX_AMOUNT = Decimal("9999999999.99")


class MoneySchema(Schema):
    """{"amount": "1500.00", "currency": "EUR"}."""

    amount = fields.Decimal(
        required=True, as_string=True, places=2, allow_nan=False,
        validate=validate.Range(min=Decimal("0"), max=MAX_AMOUNT),
    )
    currency = CurrencyCode(required=True)


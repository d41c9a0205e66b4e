"""Schemas of My Contacts and offers."""
from marshmallow import Schema, fields, validate

from app.schemas.base import InputSchema
from app.schemas.money import MoneySchema


class ContactListArgs(InputSchema):
    """Query of GET /contacts."""

    sort = fields.String(load_default="last_order", validate=validate.OneOf(["orders", "amount", "last_order", "name"]))
    order = fields.String(load_default="desc", validate=validate.OneOf(["asc", "desc"]))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class ContactOut(Schema):
    """One contact row: one client and one currency spent."""

    client_id = fields.Integer(required=True)
    name = fields.String(required=True)
    email = fields.String(required=True)
    completed_orders = fields.Integer(required=True)
    amount_spent = fields.Nested(MoneySchema, allow_none=True, required=True)
    last_order_at = fields.DateTime(allow_none=True, required=True)


class ContactPageOut(Schema):
    """A page of contacts."""

    items = fields.List(fields.Nested(ContactOut), required=True)
    total = fields.Integer(required=True)
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)


class TimelineEventOut(Schema):
    """A deal opened, a message or an offer."""

    at = fields.DateTime(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(["deal", "message", "offer"]))
    deal_id = fields.Integer(required=True)
    title = fields.String()
    status = fields.String()
    origin = fields.String()
    body = fields.String()
    offer_id = fields.Integer()
    amount = fields.Nested(MoneySchema)
    description = fields.String()
    paid_at = fields.DateTime(allow_none=True)


class ContactTimelineOut(Schema):
    """GET /contacts/<client_id>."""

    client_id = fields.Integer(required=True)
    name = fields.String(required=True)
    email = fields.String(required=True)
    phone = fields.String(allow_none=True)
    figures = fields.List(fields.Nested(ContactOut), required=True)
    events = fields.List(fields.Nested(TimelineEventOut), required=True)


class OfferIn(InputSchema):
    """Body of POST /deals/<id>/offers."""

    amount = fields.Nested(MoneySchema, required=True)
    description = fields.String(load_default="", validate=validate.Length(max=2_000))
    source = fields.String(load_default="direct", validate=validate.OneOf(["direct", "platform"]))


class OfferOut(Schema):
    """An offer."""

    id = fields.Integer(required=True)
    deal_id = fields.Integer(required=True)
    client_id = fields.Integer(required=True)
    amount = fields.Nested(MoneySchema, attribute="price", required=True)
    description = fields.String(required=True)
    source = fields.String(required=True)
    created_at = fields.DateTime(required=True)
    accepted_at = fields.DateTime(allow_none=True, required=True)
    paid_at = fields.DateTime(allow_none=True, required=True)
    paid_via = fields.String(allow_none=True, required=True)
    reminders_sent = fields.Integer(required=True)
    reminder_reason = fields.String(allow_none=True, required=True)


class ContactMessageIn(InputSchema):
    """Body of POST /contacts/<client_id>/messages."""

    body = fields.String(required=True, validate=validate.Length(min=1, max=10_000))


class ReconnectOut(Schema):
    """The deal a reconnection opened."""

    deal_id = fields.Integer(required=True)
    message_id = fields.Integer()
    offer = fields.Nested(OfferOut)

"""Schemas of the client's pages: link requests, overview, messages and reviews."""
from marshmallow import Schema, fields, validate

from app.schemas.base import InputSchema
from app.schemas.crm import HistoryOut
from app.schemas.ids import ID
from app.schemas.money import MoneySchema


class ClientLinkIn(InputSchema):
    """Body of POST /client-links."""

    email = fields.String(required=True, validate=validate.Length(min=1, max=320))


class AcceptedOut(Schema):
    """A 202 answer that reveals nothing."""

    status = fields.String(required=True)


class ClientMessageIn(InputSchema):
    """Body of POST /client/<token>/messages."""

    deal_id = fields.Integer(required=True, validate=ID)
    body = fields.String(required=True, validate=validate.Length(min=1, max=10_000))


class AlternativesIn(InputSchema):
    """Body of POST /client/<token>/alternatives."""

    request_id = fields.Integer(required=True, validate=ID)
    partner_ids = fields.List(fields.Integer(validate=ID), required=True,
                              validate=validate.Length(min=1, max=3))


class ChoiceIn(InputSchema):
    """Body of POST /client/<token>/choice."""

    request_id = fields.Integer(required=True, validate=ID)
    partner_id = fields.Integer(required=True, validate=ID)


class ChoiceOut(Schema):
    """The recorded choice."""

    request_id = fields.Integer(required=True)
    partner_id = fields.Integer(required=True)
    deal_id = fields.Integer(required=True)
    chosen_at = fields.DateTime(required=True)


class ReviewIn(InputSchema):
    """Body of POST /client/<token>/reviews."""

    deal_id = fields.Integer(required=True, validate=ID)
    rating = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=5))
    text = fields.String(load_default="", validate=validate.Length(max=5_000))


class ReviewOut(Schema):
    """A review."""

    id = fields.Integer(required=True)
    deal_id = fields.Integer(required=True)
    partner_id = fields.Integer(required=True)
    rating = fields.Integer(required=True)
    text = fields.String(required=True)
    created_at = fields.DateTime(required=True)


class ClientDealMessageOut(Schema):
    """A message as the client sees it."""

    origin = fields.String(required=True)
    body = fields.String(required=True)
    created_at = fields.DateTime(required=True)


class PartnerRefOut(Schema):
    """The partner of a deal."""

    id = fields.Integer(required=True)
    name = fields.String(required=True)


class ClientOfferOut(Schema):
    """An offer as the client sees it."""

    id = fields.Integer(required=True)
    amount = fields.Nested(MoneySchema, required=True)
    description = fields.String(required=True)
    accepted_at = fields.DateTime(allow_none=True, required=True)
    paid_at = fields.DateTime(allow_none=True, required=True)


class ClientDealOut(Schema):
    """One of the client's deals."""

    id = fields.Integer(required=True)
    status = fields.String(required=True)
    chosen = fields.Boolean(required=True)
    amount = fields.Nested(MoneySchema, allow_none=True)
    offers = fields.List(fields.Nested(ClientOfferOut), required=True)
    partner = fields.Nested(PartnerRefOut, required=True)
    can_review = fields.Boolean(required=True)
    reviewed = fields.Boolean(required=True)
    history = fields.List(fields.Nested(HistoryOut), required=True)
    messages = fields.List(fields.Nested(ClientDealMessageOut), required=True)


class ClientRequestOut(Schema):
    """One of the client's requests."""

    id = fields.Integer(required=True)
    mode = fields.String(required=True)
    status = fields.String(required=True)
    title = fields.String(required=True)
    created_at = fields.DateTime(required=True)
    deals = fields.List(fields.Nested(ClientDealOut), required=True)
    alternatives = fields.List(fields.Nested(PartnerRefOut), required=True)


class ClientSelfOut(Schema):
    """The client's own details."""

    name = fields.String(required=True)
    email = fields.String(required=True)
    language = fields.String(allow_none=True)


class MyPartnerOut(Schema):
    """One partner the client has worked with, and what they did together (one row per currency)."""

    partner_id = fields.Integer(required=True)
    name = fields.String(required=True)
    completed_orders = fields.Integer(required=True)
    amount_spent = fields.Nested(MoneySchema, allow_none=True, required=True)
    last_order_at = fields.DateTime(allow_none=True, required=True)


class ClientOverviewOut(Schema):
    """GET /client/<token>."""

    client = fields.Nested(ClientSelfOut, required=True)
    requests = fields.List(fields.Nested(ClientRequestOut), required=True)
    my_partners = fields.List(fields.Nested(MyPartnerOut), required=True)

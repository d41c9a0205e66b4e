"""Schemas of the partner CRM: pipelines, deals, history and messages."""
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from app.schemas.base import InputSchema
from app.schemas.codes import CurrencyCode
from app.schemas.ids import ID
from app.schemas.money import MoneySchema, amount_field

STATUSES = ("new", "in_progress", "won", "lost")
LABEL = validate.Length(min=1, max=40)


class PipelineIn(InputSchema):
    """Body of POST /pipelines."""

    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    position = fields.Integer(validate=validate.Range(min=0, max=10_000))


class PipelineChange(InputSchema):
    """Body of PATCH /pipelines/<id>: rename or move."""

    name = fields.String(validate=validate.Length(min=1, max=100))
    position = fields.Integer(validate=validate.Range(min=0, max=10_000))


class PipelineOut(Schema):
    """A pipeline."""

    id = fields.Integer(required=True)
    name = fields.String(required=True)
    position = fields.Integer(required=True)


class DealListArgs(InputSchema):
    """Query of GET /deals."""

    status = fields.String(validate=validate.OneOf(STATUSES))
    pipeline_id = fields.Integer(validate=ID)
    label = fields.String(validate=LABEL)
    sort = fields.String(validate=validate.OneOf(["created", "due"]))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class AmountIn(InputSchema):
    """A deal amount: money, or a bare amount in the budget's currency."""

    amount = amount_field(required=True)
    currency = CurrencyCode()


class AmountField(fields.Field):
    """Accept {"amount", "currency"} or a decimal string."""

    def _deserialize(self, value, attr, data, **kwargs):
        return AmountIn().load(value if isinstance(value, dict) else {"amount": value})


class DealChange(InputSchema):
    """Body of PATCH /deals/<id>."""

    status = fields.String(validate=validate.OneOf(STATUSES))
    amount = AmountField()
    lost_reason = fields.String(validate=validate.Length(min=1, max=200))
    labels = fields.List(fields.String(validate=LABEL), validate=validate.Length(max=20))

    @validates_schema
    def check_not_empty(self, data, **kwargs):
        """Refuse an empty change."""
        if not data:
            raise ValidationError("Give a status, an amount, a lost_reason or labels.", "status")


class MessageIn(InputSchema):
    """Body of POST /deals/<id>/messages: a text, or a quick response's id."""

    body = fields.String(validate=validate.Length(min=1, max=10_000))
    template_id = fields.Integer(validate=ID)

    @validates_schema
    def check_one(self, data, **kwargs):
        """Require exactly one of body and template_id."""
        if ("body" in data) == ("template_id" in data):
            raise ValidationError("Give either body or template_id.", "body")


class MessageOut(Schema):
    """A deal message with its origin."""

    id = fields.Integer(required=True)
    origin = fields.String(required=True, validate=validate.OneOf(["partner", "client", "automatic", "system"]))
    body = fields.String(required=True)
    created_at = fields.DateTime(required=True)


class HistoryOut(Schema):
    """One status change, with how long the deal stayed in the previous status."""

    from_status = fields.String(data_key="from", allow_none=True, attribute="from", required=True)
    to_status = fields.String(data_key="to", attribute="to", required=True)
    at = fields.DateTime(required=True)
    who = fields.String(required=True)
    previous_status_seconds = fields.Integer(allow_none=True, required=True)


class ClientContactOut(Schema):
    """The client's contact details, as the partner sees them."""

    id = fields.Integer(required=True)
    name = fields.String(required=True)
    email = fields.String(required=True)
    phone = fields.String(allow_none=True)
    language = fields.String(allow_none=True)
    country = fields.String(allow_none=True)


class DealSummaryOut(Schema):
    """A deal in a list."""

    id = fields.Integer(required=True)
    pipeline_id = fields.Integer(required=True)
    request_id = fields.Integer(allow_none=True)
    source = fields.String(required=True)
    status = fields.String(required=True)
    title = fields.String(required=True)
    category = fields.String(required=True)
    amount = fields.Nested(MoneySchema, attribute="amount_money", allow_none=True)
    lost_reason = fields.String(allow_none=True)
    client = fields.Nested(ClientContactOut, required=True)
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)
    first_response_at = fields.DateTime(allow_none=True)
    respond_by = fields.DateTime(allow_none=True)
    at_risk = fields.Boolean(required=True)
    labels = fields.List(fields.String(), required=True)
    chosen_at = fields.DateTime(allow_none=True)


class DealPageOut(Schema):
    """A page of deals."""

    items = fields.List(fields.Nested(DealSummaryOut), required=True)
    total = fields.Integer(required=True)
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)


class ProjectOut(Schema):
    """The client's project."""

    title = fields.String(required=True)
    description = fields.String(required=True)
    budget = fields.Nested(MoneySchema, allow_none=True)


class DealOut(DealSummaryOut):
    """A deal with its project, history and messages."""

    project = fields.Nested(ProjectOut, required=True)
    history = fields.List(fields.Nested(HistoryOut), required=True)
    messages = fields.List(fields.Nested(MessageOut), required=True)
    allowed_statuses = fields.List(fields.String(), required=True)

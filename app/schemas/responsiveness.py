"""Schemas of responsiveness, quick responses and the auto-responder."""
import re

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from app.schemas.base import InputSchema
from pipelines.business_hours import WEEKDAY_KEYS

HH_MM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


class ResponseTimeOut(Schema):
    """Response time statistics, in hours."""

    mean_hours = fields.Float(allow_none=True, required=True)
    median_hours = fields.Float(allow_none=True, required=True)
    p90_hours = fields.Float(allow_none=True, required=True)


class FiguresOut(Schema):
    """Response rate and time over counted requests."""

    response_rate = fields.Float(allow_none=True, required=True)
    response_time_hours = fields.Float(allow_none=True, required=True)
    response_time = fields.Nested(ResponseTimeOut, required=True)
    counted_requests = fields.Integer(required=True)
    answered_in_time = fields.Integer(required=True)
    answered = fields.Integer(required=True)
    pending = fields.Integer(required=True)


class ResponsivenessOut(FiguresOut):
    """GET /me/responsiveness."""

    window_days = fields.Integer(required=True)
    targets_hours = fields.Dict(keys=fields.String(), values=fields.Float(), required=True)
    by_category = fields.Dict(keys=fields.String(), values=fields.Nested(FiguresOut), required=True)


class CountedRequestOut(Schema):
    """One request behind the figures."""

    deal_id = fields.Integer(required=True)
    category = fields.String(required=True)
    clock_start = fields.DateTime(required=True)
    first_response_at = fields.DateTime(allow_none=True, required=True)
    target_hours = fields.Float(required=True)
    respond_by = fields.DateTime(required=True)
    state = fields.String(required=True)
    response_hours = fields.Float(allow_none=True, required=True)
    counted = fields.Boolean(required=True)
    met_target = fields.Boolean(allow_none=True, required=True)


class SpamOut(Schema):
    """A deal's spam mark."""

    deal_id = fields.Integer(required=True, attribute="id")
    spam = fields.Function(lambda deal: deal.spam_marked_at is not None, required=True)
    spam_marked_at = fields.DateTime(allow_none=True, required=True)
    clock_started_at = fields.DateTime(required=True)


class TemplateIn(InputSchema):
    """Body of POST /templates."""

    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    body = fields.String(required=True, validate=validate.Length(min=1, max=5_000))


class TemplateChange(InputSchema):
    """Body of PATCH /templates/<id>."""

    name = fields.String(validate=validate.Length(min=1, max=100))
    body = fields.String(validate=validate.Length(min=1, max=5_000))


class TemplateOut(Schema):
    """A quick response."""

    id = fields.Integer(required=True)
    name = fields.String(required=True)
    body = fields.String(required=True)
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)


class SpanIn(InputSchema):
    """Open from start to end (local HH:MM); an end at or before the start runs past midnight."""

    start = fields.String(required=True, validate=validate.Regexp(HH_MM, error="Use HH:MM."))
    end = fields.String(required=True, validate=validate.Regexp(HH_MM, error="Use HH:MM."))


class AutoReplyIn(InputSchema):
    """Body of PUT /me/auto-reply."""

    enabled = fields.Boolean()
    away = fields.Boolean()
    message = fields.String(validate=validate.Length(max=2_000))
    hours = fields.Dict(keys=fields.String(validate=validate.OneOf(WEEKDAY_KEYS)),
                        values=fields.List(fields.Nested(SpanIn), validate=validate.Length(max=4)))

    @validates_schema
    def check_message(self, data, **kwargs):
        """An enabled auto-reply needs a message."""
        if data.get("enabled") and data.get("message") == "":
            raise ValidationError("An enabled auto-reply needs a message.", "message")


class AutoReplyOut(Schema):
    """The auto-reply settings."""

    enabled = fields.Boolean(required=True)
    away = fields.Boolean(required=True)
    message = fields.String(required=True)
    hours = fields.Dict(keys=fields.String(), values=fields.List(fields.Nested(SpanIn)), required=True)


class WebhookSecretOut(Schema):
    """A new webhook secret, shown once."""

    webhook_secret = fields.String(required=True)

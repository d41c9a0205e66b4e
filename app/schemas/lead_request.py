"""Schemas for client requests (POST /requests) and their answers."""
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from app.schemas.base import InputSchema
from app.schemas.codes import CountryCode, EmailAddress, LanguageCode, check_timezone
from app.schemas.ids import ID
from app.schemas.money import MoneySchema
from app.schemas.partner import PARTNER_TYPES, TIERS, PartnerPublic
from app.schemas.service import SLUG

CATEGORY = validate.Regexp(r"^[a-z][a-z0-9_]{0,31}$", error="Use a lower-case category name.")


class ClientIn(InputSchema):
    """The client's contact details."""

    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    email = EmailAddress(required=True)
    phone = fields.String(validate=[validate.Length(max=40), validate.Regexp(r"^[0-9+() .-]*$")])
    language = LanguageCode()
    country = CountryCode()
    timezone = fields.String(validate=check_timezone)


class ProjectIn(InputSchema):
    """What the client needs."""

    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    description = fields.String(load_default="", validate=validate.Length(max=10_000))
    budget = fields.Nested(MoneySchema, allow_none=True)


class FiltersIn(InputSchema):
    """Find-a-partner filters; the service is required."""

    service = fields.String(required=True, validate=SLUG)
    country = CountryCode()
    language = LanguageCode()
    type = fields.String(validate=validate.OneOf(PARTNER_TYPES))
    tier = fields.String(validate=validate.OneOf(TIERS))


class RequestCreate(InputSchema):
    """Body of POST /requests: either `partner_id` (direct) or `filters` (matched)."""

    client = fields.Nested(ClientIn, required=True)
    project = fields.Nested(ProjectIn, required=True)
    partner_id = fields.Integer(validate=ID)
    filters = fields.Nested(FiltersIn)
    category = fields.String(load_default="general", validate=CATEGORY)

    @validates_schema
    def check_mode(self, data, **kwargs):
        """Require exactly one of partner_id and filters."""
        if "partner_id" in data and "filters" in data:
            raise ValidationError("Give either partner_id or filters, not both.", "partner_id")
        if "partner_id" not in data and "filters" not in data:
            raise ValidationError("Give partner_id (direct request) or filters (find a partner).", "filters")


class SuggestionOut(Schema):
    """A filter whose removal would find partners."""

    filter = fields.String(required=True)
    would_find = fields.Integer(required=True)


class RequestOut(Schema):
    """Answer to POST /requests."""

    id = fields.Integer(required=True)
    mode = fields.String(required=True, validate=validate.OneOf(["direct", "matched"]))
    status = fields.String(required=True, validate=validate.OneOf(["matched", "unmatched"]))
    partners = fields.List(fields.Nested(PartnerPublic), required=True)
    suggestions = fields.List(fields.Nested(SuggestionOut), required=True)


class ChosenPartnerOut(Schema):
    """A partner a request went to, and why."""

    partner_id = fields.Integer(required=True)
    partner_name = fields.String(required=True)
    deal_id = fields.Integer(required=True)
    deal_status = fields.String(required=True)
    reason = fields.Dict(required=True)


class RequestAdminOut(Schema):
    """GET /requests/<id> for the admin: the request and why each partner was chosen."""

    id = fields.Integer(required=True)
    mode = fields.String(required=True)
    status = fields.String(required=True)
    category = fields.String(required=True)
    created_at = fields.DateTime(required=True)
    client = fields.Dict(required=True)
    project = fields.Dict(required=True)
    filters = fields.Dict(required=True)
    suggestions = fields.List(fields.Nested(SuggestionOut), required=True)
    partners = fields.List(fields.Nested(ChosenPartnerOut), required=True)

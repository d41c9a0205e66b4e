"""Schemas for partner profiles: create, update, public and private views, search."""
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from app.schemas.base import InputSchema
from app.schemas.codes import CountryCode, EmailAddress, LanguageCode, check_timezone
from app.schemas.service import SLUG

PARTNER_TYPES = ("agency", "freelancer")
TIERS = ("bronze", "silver", "gold", "platinum")


class PartnerFields(InputSchema):
    """Every writable partner field, all optional (used for updates)."""

    name = fields.String(validate=validate.Length(min=1, max=200))
    type = fields.String(validate=validate.OneOf(PARTNER_TYPES))
    tier = fields.String(validate=validate.OneOf(TIERS))
    country = CountryCode()
    primary_language = LanguageCode()
    secondary_languages = fields.List(LanguageCode(), validate=validate.Length(max=20))
    services = fields.List(fields.String(validate=SLUG), validate=validate.Length(max=50))
    email = EmailAddress()
    timezone = fields.String(validate=check_timezone)
    webhook_url = fields.Url(allow_none=True, schemes={"http", "https"}, require_tld=False)
    accepting_requests = fields.Boolean()
    monthly_capacity = fields.Integer(allow_none=True, validate=validate.Range(min=0, max=100_000))
    notify_new_deals = fields.Boolean()

    @validates_schema
    def check_languages(self, data, **kwargs):
        """Refuse a secondary language equal to the primary one."""
        if data.get("primary_language") and data.get("primary_language") in data.get("secondary_languages", []):
            raise ValidationError("Already the primary language.", "secondary_languages")


class PartnerCreate(PartnerFields):
    """Body of POST /partners."""

    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    type = fields.String(required=True, validate=validate.OneOf(PARTNER_TYPES))
    tier = fields.String(required=True, validate=validate.OneOf(TIERS))
    country = CountryCode(required=True)
    primary_language = LanguageCode(required=True)
    email = EmailAddress(required=True)


class PartnerPublic(Schema):
    """A public profile: never email, webhook, capacity or response rate."""

    id = fields.Integer(required=True)
    name = fields.String(required=True)
    type = fields.String(required=True)
    tier = fields.String(required=True)
    country = fields.String(required=True)
    primary_language = fields.String(required=True)
    secondary_languages = fields.List(fields.String(), required=True)
    services = fields.List(fields.String(), attribute="service_slugs", required=True)
    timezone = fields.String(required=True)
    accepting_requests = fields.Boolean(required=True)
    rating = fields.Float(allow_none=True, required=True)
    reviews_count = fields.Integer(required=True)
    completed_projects = fields.Integer(required=True)
    response_time_hours = fields.Float(allow_none=True, required=True)
    ranking_score = fields.Float(required=True)
    language_match = fields.String(allow_none=True, validate=validate.OneOf(["primary", "secondary"]))


class PartnerPrivate(PartnerPublic):
    """The profile as its owner and the admin see it."""

    email = fields.String(required=True)
    webhook_url = fields.String(allow_none=True, required=True)
    monthly_capacity = fields.Integer(allow_none=True, required=True)
    notify_new_deals = fields.Boolean(required=True)
    response_rate = fields.Float(allow_none=True, required=True)


class PartnerCreated(Schema):
    """Answer to POST /partners: the token and secret are shown once."""

    partner = fields.Nested(PartnerPrivate, required=True)
    token = fields.String(required=True)
    webhook_secret = fields.String()


class PartnerSearchArgs(InputSchema):
    """Query of GET /partners."""

    service = fields.String(validate=SLUG)
    country = CountryCode()
    language = LanguageCode()
    type = fields.String(validate=validate.OneOf(PARTNER_TYPES))
    tier = fields.String(validate=validate.OneOf(TIERS))
    q = fields.String(validate=validate.Length(min=1, max=100))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class PartnerPage(Schema):
    """A page of search results."""

    items = fields.List(fields.Nested(PartnerPublic), required=True)
    total = fields.Integer(required=True)
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)

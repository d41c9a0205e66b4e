"""Schemas for catalogue services."""
from marshmallow import Schema, fields, validate

from app.schemas.base import InputSchema

SLUG = validate.Regexp(r"^[a-z0-9]+(?:-[a-z0-9]+)*$", error="Use lower-case letters, digits and hyphens.")


class ServiceCreate(InputSchema):
    """Body of POST /services."""

    slug = fields.String(required=True, validate=[validate.Length(min=1, max=64), SLUG])
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))


class ServiceOut(Schema):
    """A service as listed."""

    slug = fields.String(required=True)
    name = fields.String(required=True)

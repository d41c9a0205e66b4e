"""The contract's error shape, documented in the OpenAPI document."""
from marshmallow import Schema, fields


class ErrorDetail(Schema):
    """What went wrong; `fields` names the culprits of a 422."""

    code = fields.String(required=True)
    message = fields.String(required=True)
    fields_ = fields.Dict(keys=fields.String(), values=fields.List(fields.String()), data_key="fields")
    allowed = fields.List(fields.String())


class ErrorOut(Schema):
    """{"error": {"code", "message", "fields"?}}."""

    error = fields.Nested(ErrorDetail, required=True)

"""Map every error to the contract's shape: {"error": {"code", "message", "fields"?}}."""
from flask import jsonify, request
from werkzeug.exceptions import HTTPException

from app.extensions import db
from app.services.errors import Conflict, DomainError, Invalid, NotFound, TooMany, Unauthenticated

HTTP_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
    409: "conflict", 413: "payload_too_large", 415: "unsupported_media_type", 422: "validation_error",
    429: "rate_limited",
}
DOMAIN_STATUS = {Unauthenticated: 401, NotFound: 404, Conflict: 409, Invalid: 422, TooMany: 429}


def error_body(status: int, message: str, code: str | None = None, fields: dict | None = None) -> dict:
    """Build the contract's error body."""
    error = {"code": code or HTTP_CODES.get(status, "error"), "message": message}
    if status == 422:
        error["fields"] = fields or {}
    return {"error": error}


def flatten_messages(messages, prefix: str = "") -> dict[str, list[str]]:
    """Turn webargs' nested messages into dotted field names."""
    if isinstance(messages, list):
        return {prefix or "_schema": [str(item) for item in messages]}
    flat: dict[str, list[str]] = {}
    for key, value in messages.items():
        name = str(key) if not prefix else f"{prefix}.{key}"
        if key == "_schema":
            name = prefix or "_schema"
        flat.update(flatten_messages(value, name))
    return flat


def validation_fields(error: HTTPException) -> dict[str, list[str]]:
    """Extract per-field messages from a webargs 422, whatever the location."""
    messages = (getattr(error, "data", None) or {}).get("messages", {})
    merged: dict[str, list[str]] = {}
    for location_messages in messages.values():
        merged.update(flatten_messages(location_messages))
    return merged


def handle_http_exception(error: HTTPException):
    """Render any HTTP error in the contract's shape (JSON under /api, plain otherwise)."""
    db.session.rollback()
    status = error.code or 500
    if not wants_json():
        return error
    fields = validation_fields(error)
    response = jsonify(error_body(status, error_message(error, fields), fields=fields))
    response.status_code = status
    for name, value in ((getattr(error, "data", None) or {}).get("headers") or {}).items():
        response.headers[name] = value
    if error.response is not None and "Retry-After" in error.response.headers:
        response.headers["Retry-After"] = error.response.headers["Retry-After"]
    return response


def error_message(error: HTTPException, fields: dict[str, list[str]]) -> str:
    """Return a human message for an HTTP error."""
    if error.code == 422:
        return "Some fields are invalid: " + ", ".join(sorted(fields)) + "."
    if error.code == 400 and fields:
        return " ".join(message for messages in fields.values() for message in messages)
    if error.code == 500:
        return "Something went wrong on our side; nothing was changed."
    return error.description or error.name


def handle_domain_error(error: DomainError):
    """Render a domain error with its HTTP status."""
    db.session.rollback()
    status = next(code for cls, code in DOMAIN_STATUS.items() if isinstance(error, cls))
    body = error_body(status, error.message, code=error.code, fields=getattr(error, "fields", None))
    body["error"].update(error.details)
    response = jsonify(body)
    response.status_code = status
    if isinstance(error, TooMany):
        response.headers["Retry-After"] = str(error.retry_after)
    return response


def wants_json() -> bool:
    """Tell whether the failing request belongs to the JSON surface."""
    return request.path.startswith("/api/") or request.path in {"/healthz", "/readyz"}


def register_error_handlers(app) -> None:
    """Install the handlers on the app."""
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(DomainError, handle_domain_error)

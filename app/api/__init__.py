"""The JSON API under /api/v1 (flask-smorest), with one error shape."""
from flask_smorest import Api

from app.api import catalogue, client, contacts, crm, lead_requests, me, operations
from app.api.converters import IdConverter
from app.api.errors import handle_http_exception, register_error_handlers
from app.schemas.errors import ErrorOut

API_SETTINGS = {
    "API_TITLE": "Lead pipeline API",
    "API_VERSION": "v1",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/api/v1",
    "OPENAPI_JSON_PATH": "openapi.json",
}


class ContractApi(Api):
    """flask-smorest's Api with the contract's error shape for every HTTP error."""

    ERROR_SCHEMA = ErrorOut

    def handle_http_exception(self, error):
        """Render errors (including webargs' 422) in the contract's shape."""
        return handle_http_exception(error)


def init_api(app) -> None:
    """Register the API blueprints, the OpenAPI document and the error handlers."""
    for name, value in API_SETTINGS.items():
        app.config.setdefault(name, value)
    app.url_map.converters["int"] = IdConverter
    api = ContractApi(app, spec_kwargs={"components": {"securitySchemes": {
        "bearerAuth": {"type": "http", "scheme": "bearer"}}}})
    for module in (catalogue, lead_requests, crm, me, contacts, client):
        api.register_blueprint(module.blp)
    app.register_blueprint(operations.blp)
    register_error_handlers(app)

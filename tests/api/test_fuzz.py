"""Schemathesis against /api/v1/openapi.json: no 5xx, answers match the documented schemas and error shape."""
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from tests.builders import make_partner, make_service
from tests.conftest import ADMIN_TOKEN

ADMIN_OPERATIONS = {("POST", "/api/v1/services"), ("POST", "/api/v1/partners"),
                    ("GET", "/api/v1/requests/{request_id}"), ("PATCH", "/api/v1/partners/{partner_id}")}
MAX_EXAMPLES = 15
CHECKS = (not_a_server_error, response_schema_conformance, content_type_conformance)


@pytest.fixture
def fuzz_target(ctx, clock):
    """The app with a service and a partner, as a schemathesis schema."""
    make_service("email-marketing")
    partner = make_partner(clock.now)
    ctx.config["FUZZ_PARTNER_TOKEN"] = partner.token
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", ctx)


def fuzz(operation, token: str) -> None:
    """Run bounded generated cases against one operation."""
    @settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy())
    def run(case):
        response = case.call(headers={"Authorization": f"Bearer {token}"})
        case.validate_response(response, checks=CHECKS)

    run()


def test_api_never_fails_and_matches_its_schema(ctx, fuzz_target):
    operations = [result.ok() for result in fuzz_target.get_all_operations()]
    assert len(operations) >= 30
    for operation in operations:
        admin = (operation.method.upper(), operation.path) in ADMIN_OPERATIONS
        fuzz(operation, ADMIN_TOKEN if admin else ctx.config["FUZZ_PARTNER_TOKEN"])

"""Operations endpoints: liveness, readiness and Prometheus metrics."""
import hmac
from datetime import timedelta

from flask import Blueprint, Response, abort, current_app, jsonify, request

from app.api.auth import bearer_token
from app.clock import now
from app.metrics import exposition
from app.services import health

blp = Blueprint("operations", __name__)
LOOPBACK = {"127.0.0.1", "::1"}


@blp.get("/healthz")
def healthz():
    """Answer 200 while the process is up."""
    return jsonify({"status": "ok"})


@blp.get("/readyz")
def readyz():
    """Answer 200 when the database answers, migrations are current and the outbox is moving; 503 otherwise."""
    stuck_after = timedelta(minutes=current_app.config["OUTBOX_STUCK_MINUTES"])
    checks = health.readiness(now(), stuck_after, current_app.extensions["migrate"].directory)
    ready = all(check["ok"] for check in checks.values())
    return jsonify({"status": "ok" if ready else "unavailable", "checks": checks}), 200 if ready else 503


@blp.get("/metrics")
def metrics():
    """Expose metrics in the Prometheus text format, to the metrics token or from this machine only."""
    token = current_app.config.get("METRICS_TOKEN")
    given = bearer_token() or ""
    if token and not hmac.compare_digest(token.encode(), given.encode()):
        abort(401, "The metrics token is required.")
    if not token and request.remote_addr not in LOOPBACK:
        abort(403, "Metrics are served to this machine only unless METRICS_TOKEN is set.")
    body, content_type = exposition(health.outbox_counts(), current_app.config["PROMETHEUS_MULTIPROC_DIR"])
    return Response(body, content_type=content_type)

"""Operations endpoints: liveness and readiness."""
from flask import Blueprint, jsonify
from sqlalchemy import text

from app.extensions import db

blp = Blueprint("operations", __name__)


@blp.get("/healthz")
def healthz():
    """Answer 200 while the process is up."""
    return jsonify({"status": "ok"})


@blp.get("/readyz")
def readyz():
    """Answer 200 when the database answers, 503 otherwise."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception as error:  # noqa: BLE001 - any database failure means not ready
        return jsonify({"status": "unavailable", "database": type(error).__name__}), 503
    return jsonify({"status": "ok", "database": "ok"})

"""What responsiveness.refresh stores for a partner, read back from the database, on each path of the engine."""
from datetime import datetime

from app.extensions import db
from app.models import Partner
from app.services import responsiveness


def engine_paths() -> tuple[str, ...]:
    """Name the ways refresh computes the figures on this engine: SQL and Python on PostgreSQL, else Python."""
    if db.engine.dialect.name == "postgresql":
        return "standing_in_sql", "standing_in_python"
    return ("standing_in_python",)


def stored_by_refresh(partner_id: int, now: datetime, monkeypatch, path: str) -> tuple:
    """Refresh the partner through `path`; return the stored rate, public response time and next change."""
    with monkeypatch.context() as patch:
        patch.setattr(responsiveness, "standing", getattr(responsiveness, path))
        responsiveness.refresh(db.session.get(Partner, partner_id), now)
    db.session.commit()
    partner = db.session.get(Partner, partner_id)
    db.session.refresh(partner)
    return partner.response_rate, partner.response_time_hours, partner.responsiveness_due_at


def stored_on_every_path(partner_id: int, now: datetime, monkeypatch) -> dict[str, tuple]:
    """Return what refresh stores on each of the engine's paths."""
    return {path: stored_by_refresh(partner_id, now, monkeypatch, path) for path in engine_paths()}

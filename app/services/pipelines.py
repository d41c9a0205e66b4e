"""A partner's pipelines; the first one (lowest position) receives catalogue deals."""
from sqlalchemy import bindparam, insert, select

from app.extensions import db
from app.models import Pipeline
from app.models.pipeline import CATALOGUE_PIPELINE_NAME
from app.services.tenancy import owned

PIPELINES = Pipeline.__table__.c
FIRST_PIPELINES = (select(PIPELINES.partner_id, PIPELINES.id)  # each partner's pipelines, first one first
                   .where(PIPELINES.partner_id.in_(bindparam("ids", expanding=True)))
                   .order_by(PIPELINES.partner_id, PIPELINES.position, PIPELINES.id))
NEW_PIPELINES = insert(Pipeline.__table__).returning(PIPELINES.partner_id, PIPELINES.id)


def ordered(partner_id: int):
    """Return the SELECT of a partner's pipelines in board order."""
    return select(Pipeline).where(Pipeline.partner_id == partner_id).order_by(Pipeline.position, Pipeline.id)


def first_pipeline_id(partner_id: int) -> int:
    """Return the id of the partner's first pipeline, creating "Catalogue leads" when there is none."""
    return first_pipeline_ids([partner_id])[partner_id]


def first_pipeline_ids(partner_ids: list[int]) -> dict[int, int]:
    """Return each partner's first pipeline id with one SELECT, creating "Catalogue leads" where there is none."""
    found: dict[int, int] = {}
    for partner_id, pipeline_id in db.session.execute(FIRST_PIPELINES, {"ids": partner_ids}):
        found.setdefault(partner_id, pipeline_id)
    missing = [{"partner_id": partner_id, "name": CATALOGUE_PIPELINE_NAME, "position": 0}
               for partner_id in dict.fromkeys(partner_ids) if partner_id not in found]
    if missing:
        found |= dict(db.session.execute(NEW_PIPELINES, missing).all())
    return found


def list_pipelines(partner_id: int) -> list[Pipeline]:
    """Return the partner's pipelines, first one first."""
    return list(db.session.scalars(ordered(partner_id)))


def create_pipeline(partner_id: int, name: str, position: int | None) -> Pipeline:
    """Add a pipeline, at the end unless a position is given."""
    if position is None:
        existing = list_pipelines(partner_id)
        position = existing[-1].position + 1 if existing else 0
    pipeline = Pipeline(partner_id=partner_id, name=name, position=position)
    db.session.add(pipeline)
    db.session.flush()
    return pipeline


def update_pipeline(pipeline_id: int, changes: dict) -> Pipeline:
    """Rename or move a pipeline; its deals stay where they are."""
    pipeline = owned(Pipeline, pipeline_id)
    for name in ("name", "position"):
        if name in changes:
            setattr(pipeline, name, changes[name])
    db.session.flush()
    return pipeline

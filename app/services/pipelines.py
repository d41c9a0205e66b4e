"""A partner's pipelines; the first one (lowest position) receives catalogue deals."""
from sqlalchemy import bindparam, insert, select

from app.extensions import db
from app.models import Partner, Pipeline
from app.models.pipeline import CATALOGUE_PIPELINE_NAME
from app.services.tenancy import owned

PIPELINES = Pipeline.__table__.c
FIRST_PIPELINE = (select(PIPELINES.id).where(PIPELINES.partner_id == Partner.id)  # a partner's, as a column
                  .order_by(PIPELINES.position, PIPELINES.id).limit(1).scalar_subquery().label("first_pipeline_id"))
FIRST_PIPELINES = select(Partner.id, FIRST_PIPELINE).where(Partner.id.in_(bindparam("ids", expanding=True)))
NEW_PIPELINES = insert(Pipeline.__table__).returning(PIPELINES.partner_id, PIPELINES.id)


def ordered(partner_id: int):
    """Return the SELECT of a partner's pipelines in board order."""
    return select(Pipeline).where(Pipeline.partner_id == partner_id).order_by(Pipeline.position, Pipeline.id)


def first_pipeline_id(partner_id: int) -> int:
    """Return the id of the partner's first pipeline, creating "Catalogue leads" when there is none."""
    return first_pipeline_ids([partner_id])[partner_id]


def first_pipeline_ids(partner_ids: list[int]) -> dict[int, int]:
    """Return each partner's first pipeline id with one SELECT, creating "Catalogue leads" where there is none."""
    return with_first_pipelines(dict(db.session.execute(FIRST_PIPELINES, {"ids": partner_ids}).all()))


def with_first_pipelines(found: dict[int, int | None]) -> dict[int, int]:
    """Complete partners' first pipeline ids, read as FIRST_PIPELINE (None: no pipeline yet), creating the missing."""
    missing = [{"partner_id": partner_id, "name": CATALOGUE_PIPELINE_NAME, "position": 0}
               for partner_id, pipeline_id in found.items() if pipeline_id is None]
    if not missing:
        return found
    return found | dict(db.session.execute(NEW_PIPELINES, missing).all())


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

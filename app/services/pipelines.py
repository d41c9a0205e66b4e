"""A partner's pipelines; the first one (lowest position) receives catalogue deals."""
from sqlalchemy import select

from app.extensions import db
from app.models import Pipeline
from app.models.pipeline import CATALOGUE_PIPELINE_NAME


def first_pipeline(partner_id: int) -> Pipeline:
    """Return the partner's first pipeline, creating "Catalogue leads" when there is none."""
    pipeline = db.session.scalar(
        select(Pipeline).where(Pipeline.partner_id == partner_id)
        .order_by(Pipeline.position, Pipeline.id).limit(1)
    )
    if pipeline is None:
        pipeline = Pipeline(partner_id=partner_id, name=CATALOGUE_PIPELINE_NAME, position=0)
        db.session.add(pipeline)
        db.session.flush()
    return pipeline

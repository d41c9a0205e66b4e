"""Capacity index: catalogue deals (matched, alternative) per partner by creation time.

The 30-day capacity count of the selection policy reads only catalogue deals, however long the history of
direct ones grows.

Revision ID: 5c2e8f4a9d17
Revises: 3b7d51e0a2c4
Create Date: 2026-11-22 16:34:20.970619

"""
from alembic import op
import sqlalchemy as sa

import app.models.types


# revision identifiers, used by Alembic.
revision = '5c2e8f4a9d17'
down_revision = '3b7d51e0a2c4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('deals', schema=None) as batch_op:
        batch_op.create_index('ix_deals_partner_catalogue_created', ['partner_id', 'created_at'], unique=False, postgresql_where=sa.text("source IN ('matched', 'alternative')"), sqlite_where=sa.text("source IN ('matched', 'alternative')"))


def downgrade():
    with op.batch_alter_table('deals', schema=None) as batch_op:
        batch_op.drop_index('ix_deals_partner_catalogue_created', postgresql_where=sa.text("source IN ('matched', 'alternative')"), sqlite_where=sa.text("source IN ('matched', 'alternative')"))

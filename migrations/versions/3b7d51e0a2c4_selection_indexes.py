"""Selection indexes: partners in find-a-partner order (band best first, least recently assigned, id).

Revision ID: 3b7d51e0a2c4
Revises: 166bafb7a40b
Create Date: 2026-11-22 16:31:25.528960

"""
from alembic import op
import sqlalchemy as sa

import app.models.types


# revision identifiers, used by Alembic.
revision = '3b7d51e0a2c4'
down_revision = '166bafb7a40b'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('partners', schema=None) as batch_op:
        batch_op.create_index('ix_partners_language_selection', ['primary_language', sa.literal_column('ranking_band DESC'), sa.literal_column('last_assigned_at ASC NULLS FIRST'), 'id'], unique=False)
        batch_op.create_index('ix_partners_selection', [sa.literal_column('ranking_band DESC'), sa.literal_column('last_assigned_at ASC NULLS FIRST'), 'id'], unique=False)



def downgrade():
    with op.batch_alter_table('partners', schema=None) as batch_op:
        batch_op.drop_index('ix_partners_selection')
        batch_op.drop_index('ix_partners_language_selection')


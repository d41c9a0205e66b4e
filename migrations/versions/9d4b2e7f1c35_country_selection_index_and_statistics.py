"""Country selection index (a country's partners in find-a-partner order) and country/language statistics.

Most partners of a country speak its language as their first one; PostgreSQL's planner assumes the two columns
are independent unless told otherwise, underestimates "country = X AND primary_language = Y" a hundredfold and
sorts a bitmap scan instead of walking an index in order. The extended statistics tell it (PostgreSQL only).

Revision ID: 9d4b2e7f1c35
Revises: 7a9f3c1b6e28
Create Date: 2026-11-22 18:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9d4b2e7f1c35'
down_revision = '7a9f3c1b6e28'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('partners', schema=None) as batch_op:
        batch_op.create_index('ix_partners_country_selection', ['country', sa.literal_column('ranking_band DESC'), sa.literal_column('last_assigned_at ASC NULLS FIRST'), 'id'], unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('CREATE STATISTICS st_partners_country_language (dependencies, mcv) ON country, primary_language FROM partners')
        op.execute('ANALYZE partners')


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP STATISTICS IF EXISTS st_partners_country_language')
    with op.batch_alter_table('partners', schema=None) as batch_op:
        batch_op.drop_index('ix_partners_country_selection')

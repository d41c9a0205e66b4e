"""Country-and-language selection index: a country's primary speakers of a language in find-a-partner order.

A find-a-partner request naming both reads its first group (partners of the country whose first language is the
one asked for) from this index in order, where it used to sort a bitmap scan of every such partner.

Revision ID: b3e1f6a8c4d2
Revises: 9d4b2e7f1c35
Create Date: 2026-11-22 21:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b3e1f6a8c4d2'
down_revision = '9d4b2e7f1c35'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('partners', schema=None) as batch_op:
        batch_op.create_index('ix_partners_country_language_selection', ['country', 'primary_language', sa.literal_column('ranking_band DESC'), sa.literal_column('last_assigned_at ASC NULLS FIRST'), 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('partners', schema=None) as batch_op:
        batch_op.drop_index('ix_partners_country_language_selection')

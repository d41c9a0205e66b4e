"""The catalogue's version token: catalogue searches cache their counts under it.

Counting every partner a search matches is most of a search's cost. Each process keeps the counts of the filter
sets it has seen under the token of this one row, and catalogue.apply_fields, the only writer of what searches
filter on, replaces the token in the same transaction as the change.

Revision ID: c5d8a1f3e7b2
Revises: e4a7c2d9b851
Create Date: 2026-11-23 06:15:00.000000

"""
import uuid

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c5d8a1f3e7b2'
down_revision = 'e4a7c2d9b851'
branch_labels = None
depends_on = None


def upgrade():
    version = op.create_table(
        'catalogue_version',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token', sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_catalogue_version')),
    )
    op.bulk_insert(version, [{'id': 1, 'token': uuid.uuid4().hex}])


def downgrade():
    op.drop_table('catalogue_version')

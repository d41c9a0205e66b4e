"""Paid-offers index: a partner's paid offers by client, covering My Contacts (index-only on PostgreSQL)

Revision ID: 7a9f3c1b6e28
Revises: 5c2e8f4a9d17
Create Date: 2026-11-22 16:54:16.218035

"""
from alembic import op
import sqlalchemy as sa

import app.models.types


# revision identifiers, used by Alembic.
revision = '7a9f3c1b6e28'
down_revision = '5c2e8f4a9d17'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('offers', schema=None) as batch_op:
        batch_op.create_index('ix_offers_partner_paid', ['partner_id', 'client_id'], unique=False, postgresql_include=['currency', 'amount', 'paid_at', 'deal_id'], postgresql_where=sa.text('paid_at IS NOT NULL'), sqlite_where=sa.text('paid_at IS NOT NULL'))



def downgrade():
    with op.batch_alter_table('offers', schema=None) as batch_op:
        batch_op.drop_index('ix_offers_partner_paid', postgresql_include=['currency', 'amount', 'paid_at', 'deal_id'], postgresql_where=sa.text('paid_at IS NOT NULL'), sqlite_where=sa.text('paid_at IS NOT NULL'))


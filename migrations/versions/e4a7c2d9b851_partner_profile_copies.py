"""Partners keep sorted copies of their service slugs and secondary languages, read with the row.

A profile (the catalogue's answers, find-a-partner's answer) used to join or eager-load `partner_services` and
`partner_languages` for every partner it showed. The two tables stay the source the catalogue filters on;
catalogue.apply_fields keeps the copies. Existing partners get theirs from the tables here.

Revision ID: e4a7c2d9b851
Revises: b3e1f6a8c4d2
Create Date: 2026-11-23 03:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e4a7c2d9b851'
down_revision = 'b3e1f6a8c4d2'
branch_labels = None
depends_on = None

COPIES = {  # column: the sorted values of one partner (`partners.id`), as SQL over the table it copies
    'service_slugs': ("services.slug", "partner_services JOIN services ON services.id = partner_services.service_id",
                      "partner_services.partner_id"),
    'secondary_languages': ("partner_languages.language", "partner_languages", "partner_languages.partner_id"),
}


def upgrade():
    for column in COPIES:  # no batch: SQLite adds a column in place, where a rebuilt table would lose the rows
        # that cascade from it and the order of its indexes
        op.add_column('partners', sa.Column(column, sa.JSON(), server_default=sa.text("'[]'"), nullable=False))
    for column, (value, source, owner) in COPIES.items():
        op.execute(f"UPDATE partners SET {column} = ({aggregate(value, source, owner)}) "
                   f"WHERE EXISTS (SELECT 1 FROM {source} WHERE {owner} = partners.id)")


def aggregate(value: str, source: str, owner: str) -> str:
    """Return the SELECT of one partner's values as a sorted JSON array, in the database's own dialect."""
    if op.get_bind().dialect.name == "postgresql":
        return f"SELECT json_agg({value} ORDER BY {value}) FROM {source} WHERE {owner} = partners.id"
    return f"SELECT json_group_array(copied) FROM (SELECT {value} AS copied FROM {source} " \
           f"WHERE {owner} = partners.id ORDER BY {value})"


def downgrade():
    for column in reversed(COPIES):  # SQLite (3.35 and later) drops a column in place too
        op.drop_column('partners', column)

"""Rows a Core INSERT … RETURNING wrote become the session's objects as if a query had loaded them."""
from sqlalchemy import insert, select

from app.extensions import db
from app.models import Client
from app.services import rows
from tests.statements import sent_statements


def inserted_client(now, email: str = "ann@example.org"):
    """Insert a client with Core and return the row with every column."""
    return db.session.execute(insert(Client.__table__).returning(*Client.__table__.columns), {
        "email": email, "name": "Ann", "created_at": now}).one()


def test_a_returned_row_is_a_clean_session_object_and_only_later_changes_are_written(ctx, clock):
    client = rows.loaded(Client, inserted_client(clock.now))
    assert client in db.session and client.email == "ann@example.org" and client.created_at == clock.now
    assert not db.session.dirty and not db.session.new
    with sent_statements(words=1) as sent:
        db.session.flush()
        assert sent == []  # nothing to write again
        client.name = "Ann Smith"
        db.session.flush()
    assert sent == ["UPDATE"]
    client_id = client.id
    db.session.commit()
    db.session.expunge_all()
    assert db.session.scalar(select(Client.name).where(Client.id == client_id)) == "Ann Smith"


def test_a_row_of_an_object_the_session_holds_refreshes_that_object(ctx, clock):
    client = rows.loaded(Client, inserted_client(clock.now))
    same = db.session.execute(select(*Client.__table__.columns).where(Client.id == client.id)).one()
    assert rows.loaded(Client, same) is client

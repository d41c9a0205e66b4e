"""Rows a Core INSERT … RETURNING wrote become the session's objects as if a query had loaded them."""
import random
from decimal import Decimal

import pytest
from sqlalchemy import insert, literal, select

from app.extensions import db
from app.models import Client, LeadRequest
from app.services import intake, rows
from tests.builders import make_partner
from tests.statements import sent_statements


def inserted_client(now, email: str = "ann@example.org"):
    """Insert a client with Core and return the row with every column."""
    return db.session.execute(insert(Client.__table__).returning(*Client.__table__.columns), {
        "email": email, "name": "Ann", "created_at": now}).one()


def test_a_returned_row_is_a_clean_session_object_and_only_later_changes_are_written(ctx, clock):
    client = rows.loaded(Client, inserted_client(clock.now)._mapping)
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
    client = rows.loaded(Client, inserted_client(clock.now)._mapping)
    same = db.session.execute(select(*Client.__table__.columns).where(Client.id == client.id)).one()
    assert rows.loaded(Client, same._mapping) is client


def test_a_row_built_from_the_values_sent_and_the_id_returned_equals_the_row_read_back(ctx, clock):
    values = {"email": "bo@example.org", "name": "Bo", "phone": "+49 30 1234567", "created_at": clock.now}
    returned = db.session.execute(insert(Client.__table__).returning(Client.id), values).one()
    client = rows.inserted(Client, values, returned)
    assert client in db.session and not db.session.dirty and not db.session.new
    assert (client.id, client.language, client.timezone) == (returned.id, None, None)
    built = column_values(client)
    db.session.commit()
    db.session.expunge_all()
    assert column_values(db.session.get(Client, returned.id)) == built


def column_values(instance) -> dict:
    """Return an instance's mapped column values by attribute name."""
    return {column.key: getattr(instance, column.key) for column in type(instance).__mapper__.column_attrs}


def test_a_column_the_database_fills_in_must_be_returned(ctx, clock):
    values = {"client_id": 1, "mode": "matched", "status": "matched", "title": "T", "created_at": clock.now,
              "follow_up_due_at": clock.now}
    with pytest.raises(ValueError, match="alternatives, category, description, filters, suggestions"):
        rows.inserted(LeadRequest, values, db.session.execute(select(literal(1).label("id"))).one())


def test_objects_a_new_row_refers_to_are_read_without_a_query(ctx, clock):
    client = rows.loaded(Client, inserted_client(clock.now)._mapping)
    values = {"client_id": client.id, "mode": "matched", "status": "unmatched", "direct_partner_id": None,
              "service_slug": "seo", "filters": {}, "suggestions": [], "category": "general", "title": "Shop",
              "description": "", "budget_amount": None, "budget_currency": None, "created_at": clock.now,
              "follow_up_due_at": clock.now, "alternatives": []}
    returned = db.session.execute(insert(LeadRequest.__table__).returning(LeadRequest.id), values).one()
    db.session.expunge(client)  # not in the identity map: a lazy load would have to SELECT it
    with sent_statements(words=1) as sent:
        request = rows.inserted(LeadRequest, values, returned, client=client)
        assert request.client is client and request.id == returned.id
    assert sent == []


def test_the_request_and_deals_an_intake_builds_equal_their_rows_read_back(ctx, clock, monkeypatch):
    for _ in range(3):
        make_partner(clock.now)
    data = {"client": {"name": "Anna", "email": "anna@example.org", "language": "en"},
            "project": {"title": "Newsletter", "description": "Monthly",
                        "budget": {"amount": Decimal("800.00"), "currency": "EUR"}},
            "filters": {"service": "email-marketing"}, "category": "general"}
    instances, build = [], rows.inserted

    def recording(*args, **related):
        instances.append(build(*args, **related))
        return instances[-1]

    monkeypatch.setattr(rows, "inserted", recording)
    assert intake.submit_request(data, clock.now, random.Random(1)).created
    built = {(type(instance), instance.id): column_values(instance) for instance in instances}
    assert sorted(model.__name__ for model, _ in built) == ["Deal", "Deal", "Deal", "LeadRequest"]
    db.session.commit()
    db.session.expunge_all()
    assert {key: column_values(db.session.get(*key)) for key in built} == built  # NEW_DEALS' own values included

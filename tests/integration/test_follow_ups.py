"""Follow-ups: a request nobody answered within 72 hours offers the client up to three other partners."""
import os
import random
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Deal, LeadRequest, OutboxMessage
from app.services import follow_ups
from app.services.intake import submit_request
from app.services.links import client_token
from app.services.tenancy import acting_as
from notifications.rendering import rendered_payload
from tests.builders import make_partner

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def direct_request(partner_id: int, now: datetime, email: str = "anna@example.org") -> LeadRequest:
    """Submit a direct request through the service and commit it."""
    data = {"client": {"name": "Anna", "email": email, "language": "en"},
            "project": {"title": "Newsletter", "description": ""}, "partner_id": partner_id, "category": "general"}
    request = submit_request(data, now, random.Random(1)).request
    db.session.commit()
    return request


def matched_request(now: datetime, email: str = "anna@example.org", **filters) -> LeadRequest:
    """Submit a find-a-partner request through the service and commit it."""
    data = {"client": {"name": "Anna", "email": email, "language": "en"},
            "project": {"title": "Newsletter", "description": ""},
            "filters": {"service": "email-marketing"} | filters, "category": "general"}
    request = submit_request(data, now, random.Random(1)).request
    db.session.commit()
    return request


def follow_up_emails() -> list[OutboxMessage]:
    """Return the queued follow-up emails."""
    rows = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    return [row for row in rows if row.dedupe_key.startswith("follow-up:")]


def sweep(at: datetime):
    """Run one follow-up sweep as of `at`."""
    outcomes = follow_ups.sweep(at, random.Random(2))
    db.session.expire_all()
    return outcomes


def test_unanswered_direct_request_offers_three_similar_partners_once(ctx, clock):
    chosen = make_partner(clock.now, services=["email-marketing", "seo"])
    similar = {make_partner(clock.now, services=["seo"]).id for _ in range(4)}
    make_partner(clock.now, services=["seo"], country="FR", primary_language="fr")
    make_partner(clock.now, services=["ppc"])
    request = direct_request(chosen.id, clock.now)
    assert sweep(clock.now + timedelta(hours=72) - timedelta(seconds=1)) == {}
    assert sweep(clock.now + timedelta(hours=72)) == {"sent": 1}
    for extra in (1, 5, 60):
        assert sweep(clock.now + timedelta(hours=72 + extra)) == {}
    [email] = follow_up_emails()
    offered = db.session.get(LeadRequest, request.id).alternatives
    assert len(offered) == 3 and set(offered) <= similar
    assert email.payload["to"] == "anna@example.org"
    assert "http://leads.test/client/" in rendered_payload(email.payload).text


def test_a_partner_answer_within_72_hours_means_no_follow_up(ctx, clock):
    chosen = make_partner(clock.now)
    make_partner(clock.now)
    request = direct_request(chosen.id, clock.now)
    deal = db.session.scalar(select(Deal).where(Deal.request_id == request.id))
    with acting_as(chosen.id):
        from app.services.deals import post_partner_message

        post_partner_message(deal.id, "Hi!", None, clock.now + timedelta(hours=71))
    db.session.commit()
    assert sweep(clock.now + timedelta(days=4)) == {"answered": 1}
    assert follow_up_emails() == []


def test_matched_request_follows_up_only_when_none_of_the_partners_answered(ctx, clock):
    for _ in range(5):
        make_partner(clock.now)
    quiet = matched_request(clock.now)
    answered = matched_request(clock.now, email="bob@example.org")
    deal = db.session.scalars(select(Deal).where(Deal.request_id == answered.id)).first()
    with acting_as(deal.partner_id):
        from app.services.deals import change_status

        change_status(deal, "in_progress", None, None, clock.now + timedelta(hours=3))
    db.session.commit()
    assert sweep(clock.now + timedelta(hours=73)) == {"sent": 1, "answered": 1}
    contacted = set(db.session.scalars(select(Deal.partner_id).where(Deal.request_id == quiet.id)))
    offered = set(db.session.get(LeadRequest, quiet.id).alternatives)
    assert offered and not offered & contacted


def test_declined_and_contacted_partners_are_never_offered(ctx, clock):
    chosen = make_partner(clock.now)
    only_other = make_partner(clock.now)
    request = direct_request(chosen.id, clock.now)
    deal = db.session.scalar(select(Deal).where(Deal.request_id == request.id))
    with acting_as(chosen.id):
        from app.services.deals import change_status

        change_status(deal, "lost", None, "not_interested", clock.now + timedelta(days=5))
    db.session.commit()
    assert sweep(clock.now + timedelta(days=6)) == {"sent": 1}
    assert db.session.get(LeadRequest, request.id).alternatives == [only_other.id]


def test_no_other_partner_means_no_email(ctx, clock):
    lonely = make_partner(clock.now)
    direct_request(lonely.id, clock.now)
    assert sweep(clock.now + timedelta(days=3)) == {"no_alternatives": 1}
    assert follow_up_emails() == []


@pytest.mark.parametrize("zone, local_created, local_due", [
    ("Europe/Berlin", datetime(2026, 3, 27, 12, 0), datetime(2026, 3, 30, 13, 0)),  # forward on 29 March
    ("Europe/Berlin", datetime(2026, 10, 23, 12, 0), datetime(2026, 10, 26, 11, 0)),  # back on 25 October
    ("America/New_York", datetime(2026, 3, 6, 9, 30), datetime(2026, 3, 9, 10, 30)),  # forward on 8 March
    ("America/New_York", datetime(2026, 10, 30, 9, 30), datetime(2026, 11, 2, 8, 30)),  # back on 1 November
])
def test_deadline_is_exactly_72_elapsed_hours_across_dst(ctx, clock, zone, local_created, local_due):
    created = local_created.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)
    chosen = make_partner(created)
    make_partner(created)
    request = direct_request(chosen.id, created)
    due = created + timedelta(hours=72)
    assert db.session.get(LeadRequest, request.id).follow_up_due_at == due
    assert due.astimezone(ZoneInfo(zone)).replace(tzinfo=None) == local_due
    assert sweep(due - timedelta(microseconds=1)) == {}
    assert sweep(due) == {"sent": 1}


def test_after_five_days_of_downtime_every_overdue_request_gets_its_one_follow_up(ctx, clock):
    partners = [make_partner(clock.now).id for _ in range(6)]
    start = clock.now
    requests = [direct_request(partners[i % 3], start + timedelta(hours=7 * i), email=f"c{i}@example.org")
                for i in range(12)]
    outcomes = sweep(start + timedelta(days=8))
    assert outcomes == {"sent": 12}
    assert sorted(int(row.dedupe_key.split(":")[1]) for row in follow_up_emails()) == [r.id for r in requests]
    assert sweep(start + timedelta(days=9)) == {}


def run_cli_sweep(database_url: str, at: datetime) -> subprocess.Popen:
    """Start `flask jobs run-due --now` in its own process on the test database."""
    env = os.environ | {"DATABASE_URL": database_url, "SECRET_KEY": "test-secret", "MAIL_URL": "console://",
                        "PUBLIC_BASE_URL": "http://leads.test", "WEBHOOK_ALLOW_PRIVATE": "true"}
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "jobs", "run-due", "--now", at.isoformat()]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_two_scheduler_processes_at_once_send_one_follow_up_per_request(ctx, clock, database_url):
    partners = [make_partner(clock.now).id for _ in range(8)]
    for number in range(40):
        direct_request(partners[number % 4], clock.now, email=f"c{number}@example.org")
    db.session.remove()
    at = clock.now + timedelta(days=4)
    processes = [run_cli_sweep(database_url, at) for _ in range(2)]
    for process in processes:
        _, errors = process.communicate(timeout=120)
        assert process.returncode == 0, errors.decode()[-2000:]
    keys = [row.dedupe_key for row in follow_up_emails()]
    assert len(keys) == len(set(keys)) == 40
    outcomes = db.session.scalars(select(LeadRequest.follow_up_outcome)).all()
    assert outcomes == ["sent"] * 40


def test_client_sends_the_request_to_chosen_alternatives(client, clock):
    chosen = make_partner(clock.now)
    others = [make_partner(clock.now).id for _ in range(3)]
    request = direct_request(chosen.id, clock.now)
    sweep(clock.now + timedelta(days=3))
    token = client_token(request.client_id, clock.now)
    page = client.get(f"/api/v1/client/{token}").get_json()
    assert sorted(p["id"] for p in page["requests"][0]["alternatives"]) == sorted(others)
    url = f"/api/v1/client/{token}/alternatives"
    not_offered = client.post(url, json={"request_id": request.id, "partner_ids": [chosen.id]})
    assert not_offered.status_code == 422
    sent = client.post(url, json={"request_id": request.id, "partner_ids": others[:2]})
    assert sent.status_code == 201
    assert sorted(p["id"] for p in sent.get_json()["partners"]) == sorted(others[:2])
    sources = db.session.scalars(select(Deal.source).where(Deal.request_id == request.id).order_by(Deal.id)).all()
    assert sources == ["direct", "alternative", "alternative"]
    told = db.session.scalars(select(OutboxMessage.partner_id).where(
        OutboxMessage.dedupe_key.like("new-deal:%"), OutboxMessage.partner_id.in_(others))).all()
    assert sorted(told) == sorted(others[:2])  # each chosen alternative is emailed its new deal
    again = client.post(url, json={"request_id": request.id, "partner_ids": others[:1]})
    assert again.status_code == 409
    assert client.post(url, json={"request_id": 999, "partner_ids": others[:1]}).status_code == 404
    assert db.session.scalar(select(func.count()).select_from(Deal)) == 3

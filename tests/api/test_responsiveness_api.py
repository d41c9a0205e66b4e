"""Responsiveness through the API: a hand-computed example of 22 requests, spam, templates, auto-replies."""
import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Deal, Message
from app.services import responsiveness
from tests.builders import make_partner, request_body
from tests.stored_responsiveness import engine_paths, stored_on_every_path

H = timedelta(hours=1)
D = timedelta(days=1)

# (category, created before NOW, first human response after creation, spam mark/unmark after creation)
EXAMPLE = [
    ("general", 10 * D, 1 * H, None), ("general", 10 * D, 2 * H, None), ("general", 9 * D, 3 * H, None),
    ("general", 9 * D, 5 * H, None), ("general", 8 * D, 10 * H, None), ("general", 8 * D, 23 * H, None),
    ("general", 7 * D, 24 * H, None),  # answered exactly at the deadline: met
    ("general", 7 * D, 30 * H, None), ("general", 6 * D, 48 * H, None),  # late
    ("general", 6 * D, None, None), ("general", 5 * D, None, None),  # unanswered
    ("general", 2 * H, None, None),  # pending: target not passed yet
    ("general", 1 * H, timedelta(minutes=30), None),  # young but answered: counted
    ("refund", 5 * D, 40 * H, None), ("refund", 5 * D, 50 * H, None),  # 48-hour target: met, late
    ("refund", 30 * H, None, None),  # pending
    ("refund", 3 * D, None, None),  # unanswered
    ("general", 4 * D, 30 * H, ("spam", 1 * H)),  # spam: counts nowhere
    ("general", 4 * D, None, ("spam", 2 * H)),  # spam, never answered: counts nowhere
    ("general", 3 * D, 27 * H, ("unmarked", 1 * H, 24 * H)),  # clock restarts at unmarking: 3 hours
    ("general", 70 * D, 1 * H, None),  # outside the 60-day window
    ("general", 3 * D, None, None),  # only the auto-responder answered: unanswered
]
# Counted: 14 general + 3 refund = 17; met: 9 general + 1 refund = 10 → rate 10/17 = 0.5882.
# Answered hours: 0.5 1 2 3 3 5 10 23 24 30 40 48 50 → mean 239.5/13 = 18.42, median 10, p90 (rank 12) 48.
# General: 0.5 1 2 3 3 5 10 23 24 30 48 → rate 9/14 = 0.6429, mean 149.5/11 = 13.59, median 5, p90 (rank 10) 30.
# Refund: 40 50 → rate 1/3 = 0.3333, mean 45, median 45, p90 50.


def submit(client, partner_id: int, number: int, category: str) -> int:
    """Send one direct request and return its deal id."""
    body = request_body(partner_id=partner_id, category=category,
                        client={"name": f"Client {number}", "email": f"client{number}@example.org"})
    del body["filters"]
    answer = client.post("/api/v1/requests", json=body)
    assert answer.status_code == 201, answer.get_json()
    return db.session.scalar(select(Deal.id).where(Deal.request_id == answer.get_json()["id"]))


def play(client, clock, partner, number, example, now) -> None:
    """Replay one example request at its times."""
    category, age, response, spam = example
    created = now - age
    clock.now = created
    deal_id = submit(client, partner.id, number, category)
    if spam:
        clock.now = created + spam[1]
        assert client.post(f"/api/v1/deals/{deal_id}/spam", headers=partner.headers).status_code == 200
    if spam and spam[0] == "unmarked":
        clock.now = created + spam[2]
        assert client.delete(f"/api/v1/deals/{deal_id}/spam", headers=partner.headers).status_code == 200
    if response is not None:
        clock.now = created + response
        answer = client.post(f"/api/v1/deals/{deal_id}/messages", json={"body": "Hello!"}, headers=partner.headers)
        assert answer.status_code == 201


@pytest.fixture
def example_partner(client, clock):
    """A partner that always auto-replies (which never counts) and lived through EXAMPLE."""
    now = clock.now + timedelta(days=90)
    partner = make_partner(clock.now)
    away = {"enabled": True, "away": True, "message": "Away until Monday."}
    assert client.put("/api/v1/me/auto-reply", json=away, headers=partner.headers).status_code == 200
    for number, example in sorted(enumerate(EXAMPLE), key=lambda item: -item[1][1]):
        play(client, clock, partner, number, example, now)
    clock.now = now
    return partner


def test_figures_match_the_hand_computed_example(client, example_partner):
    figures = client.get("/api/v1/me/responsiveness", headers=example_partner.headers).get_json()
    assert figures["window_days"] == 60
    assert (figures["counted_requests"], figures["answered_in_time"], figures["pending"]) == (17, 10, 2)
    assert figures["response_rate"] == 0.5882
    assert figures["response_time"] == {"mean_hours": 18.42, "median_hours": 10.0, "p90_hours": 48.0}
    general, refund = figures["by_category"]["general"], figures["by_category"]["refund"]
    assert (general["counted_requests"], general["response_rate"], general["pending"]) == (14, 0.6429, 1)
    assert general["response_time"] == {"mean_hours": 13.59, "median_hours": 5.0, "p90_hours": 30.0}
    assert (refund["counted_requests"], refund["response_rate"], refund["pending"]) == (3, 0.3333, 1)
    assert refund["response_time"] == {"mean_hours": 45.0, "median_hours": 45.0, "p90_hours": 50.0}


def test_sql_and_python_paths_give_the_same_figures_on_the_example(client, example_partner, clock):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the figures are computed in SQL on PostgreSQL only")
    in_sql = responsiveness.summaries_in_sql(example_partner.id, clock.now)
    assert in_sql == responsiveness.summaries_in_python(example_partner.id, clock.now)
    assert (in_sql[0].counted_requests, in_sql[0].mean_hours, in_sql[1]["refund"].p90_hours) == (17, 18.42, 50.0)


def test_refresh_stores_the_same_hand_computed_figures_and_next_change_on_every_path(example_partner, clock,
                                                                                      monkeypatch):
    # Pending: general due in 22 hours, refund (30 hours old, 48-hour target) in 18; the oldest counted request
    # (10 days) leaves the 60-day window in 50 days. Public time: the median, 10 hours.
    stored = stored_on_every_path(example_partner.id, clock.now, monkeypatch)
    assert stored == dict.fromkeys(engine_paths(), (0.5882, 10.0, clock.now + 18 * H))


def test_the_requests_behind_the_figures_are_listed(client, example_partner):
    rows = client.get("/api/v1/me/responsiveness/requests", headers=example_partner.headers).get_json()
    states = sorted(row["state"] for row in rows)
    assert (states.count("met"), states.count("late"), states.count("unanswered")) == (10, 3, 4)
    assert states.count("spam") == 2 and states.count("pending") == 2
    assert len(rows) == 21  # the request outside the window is not listed
    refund_late = [r for r in rows if r["category"] == "refund" and r["state"] == "late"]
    assert refund_late[0]["target_hours"] == 48 and refund_late[0]["response_hours"] == 50
    assert all(row["met_target"] is None for row in rows if not row["counted"])


def test_public_profile_shows_the_median_but_never_the_rate(client, example_partner):
    client.get("/api/v1/me/responsiveness", headers=example_partner.headers)
    profile = client.get(f"/api/v1/partners/{example_partner.id}").get_json()
    assert profile["response_time_hours"] is not None and "response_rate" not in profile


def test_response_time_shows_only_from_three_answered_requests(client, clock):
    partner = make_partner(clock.now)
    start = clock.now
    for number in range(3):
        clock.now = start + timedelta(minutes=number)
        deal_id = submit(client, partner.id, number, "general")
        clock.now = start + timedelta(minutes=number, hours=2 + number)
        client.post(f"/api/v1/deals/{deal_id}/messages", json={"body": "Hi"}, headers=partner.headers)
        shown = client.get(f"/api/v1/partners/{partner.id}").get_json()["response_time_hours"]
        assert shown == (None if number < 2 else 3.0)


def test_spam_can_be_marked_only_within_24_hours_and_is_not_followed_up(ctx, client, clock):
    partner, other = make_partner(clock.now), make_partner(clock.now)
    late = submit(client, partner.id, 1, "general")
    fresh = submit(client, partner.id, 2, "general")
    clock.advance(hours=24, seconds=1)
    refused = client.post(f"/api/v1/deals/{late}/spam", headers=partner.headers)
    assert refused.status_code == 409
    clock.now -= timedelta(seconds=2)
    marked = client.post(f"/api/v1/deals/{fresh}/spam", headers=partner.headers)
    assert marked.status_code == 200 and marked.get_json()["spam"] is True
    assert client.post(f"/api/v1/deals/{fresh}/spam", headers=partner.headers).status_code == 409
    clock.advance(days=4)
    result = ctx.test_cli_runner().invoke(args=["jobs", "run-due", "--now", clock.now.isoformat()])
    assert json.loads(result.output)["follow_ups"] == {"spam": 1, "sent": 1}
    assert other.id != partner.id


def test_quick_responses_with_placeholders(client, clock):
    partner = make_partner(clock.now, name="Nova Mail")
    bad = client.post("/api/v1/templates", json={"name": "Bad", "body": "Hi {client}!"}, headers=partner.headers)
    assert bad.status_code == 422 and "{client}" in bad.get_json()["error"]["fields"]["body"][0]
    body = "Hi {client_name}, {partner_name} here about {project_title} ({project_budget})."
    created = client.post("/api/v1/templates", json={"name": "Hello", "body": body}, headers=partner.headers)
    assert created.status_code == 201
    template_id = created.get_json()["id"]
    changed = client.patch(f"/api/v1/templates/{template_id}", json={"name": "Greeting"}, headers=partner.headers)
    assert changed.get_json()["name"] == "Greeting"
    deal_id = submit(client, partner.id, 1, "general")
    clock.advance(hours=1)
    sent = client.post(f"/api/v1/deals/{deal_id}/messages", json={"template_id": template_id}, headers=partner.headers)
    assert sent.status_code == 201
    assert sent.get_json()["body"] == "Hi Client 1, Nova Mail here about Shop newsletter (800.00 EUR)."
    assert db.session.get(Deal, deal_id).first_response_at == clock.now
    both = client.post(f"/api/v1/deals/{deal_id}/messages", json={"template_id": template_id, "body": "x"},
                       headers=partner.headers)
    assert both.status_code == 422
    assert client.delete(f"/api/v1/templates/{template_id}", headers=partner.headers).status_code == 204
    assert client.get("/api/v1/templates", headers=partner.headers).get_json() == []


def automatic_messages(deal_id: int) -> list[str]:
    """Return the auto-replies on a deal."""
    return list(db.session.scalars(select(Message.body).where(Message.deal_id == deal_id,
                                                              Message.origin == "automatic")))


def test_auto_reply_outside_business_hours_once_a_day_and_never_a_response(client, clock):
    partner = make_partner(clock.now, timezone="Europe/Berlin")
    hours = {day: [{"start": "09:00", "end": "18:00"}] for day in ("monday", "tuesday", "wednesday", "thursday")}
    hours["friday"] = [{"start": "22:00", "end": "02:00"}]  # an overnight span
    settings = {"enabled": True, "message": "Thanks! We answer during business hours.", "hours": hours}
    assert client.put("/api/v1/me/auto-reply", json=settings, headers=partner.headers).status_code == 200
    clock.now = clock.now.replace(day=7, hour=12)  # Saturday 7 March 2026, 13:00 in Berlin: closed
    deal_id = submit(client, partner.id, 1, "general")
    [reply] = automatic_messages(deal_id)
    assert reply.endswith("We are back Monday 08:00 (UTC).")  # 09:00 in Berlin; the client gave no zone
    token_deal = db.session.get(Deal, deal_id)
    assert token_deal.first_response_at is None
    from app.services.links import client_token

    token = client_token(token_deal.client_id, clock.now)
    clock.advance(hours=2)
    client.post(f"/api/v1/client/{token}/messages", json={"deal_id": deal_id, "body": "Hello?"})
    assert len(automatic_messages(deal_id)) == 1  # at most once a day
    clock.now = clock.now.replace(day=9, hour=10)  # Monday 11:00 Berlin: open
    client.post(f"/api/v1/client/{token}/messages", json={"deal_id": deal_id, "body": "Monday?"})
    assert len(automatic_messages(deal_id)) == 1
    clock.now = clock.now.replace(day=13, hour=21, minute=30)  # Friday 22:30 Berlin: open (overnight span)
    client.post(f"/api/v1/client/{token}/messages", json={"deal_id": deal_id, "body": "Friday night?"})
    assert len(automatic_messages(deal_id)) == 1
    clock.now = clock.now.replace(day=14, hour=9)  # Saturday 10:00: closed, but the partner just answered
    client.post(f"/api/v1/deals/{deal_id}/messages", json={"body": "Here!"}, headers=partner.headers)
    clock.advance(minutes=3)
    client.post(f"/api/v1/client/{token}/messages", json={"deal_id": deal_id, "body": "Great"})
    assert len(automatic_messages(deal_id)) == 1
    clock.advance(minutes=10)
    client.post(f"/api/v1/client/{token}/messages", json={"deal_id": deal_id, "body": "Still there?"})
    assert len(automatic_messages(deal_id)) == 2


def test_auto_reply_settings_are_validated(client, clock):
    partner = make_partner(clock.now)
    bad_day = client.put("/api/v1/me/auto-reply", json={"hours": {"funday": []}}, headers=partner.headers)
    assert bad_day.status_code == 422
    bad_time = client.put("/api/v1/me/auto-reply", json={"hours": {"monday": [{"start": "25:00", "end": "10:00"}]}},
                          headers=partner.headers)
    assert bad_time.status_code == 422
    assert client.get("/api/v1/me/auto-reply", headers=partner.headers).get_json()["enabled"] is False


def test_a_fast_partner_ranks_above_an_equal_slow_one(client, clock):
    slow, fast = make_partner(clock.now, name="Slow"), make_partner(clock.now, name="Fast")
    start = clock.now
    for number in range(3):
        for partner, delay in ((slow, timedelta(hours=20)), (fast, timedelta(minutes=20))):
            clock.now = start + timedelta(minutes=number)
            deal_id = submit(client, partner.id, number * 10 + partner.id, "general")
            clock.now = start + timedelta(minutes=number) + delay
            client.post(f"/api/v1/deals/{deal_id}/messages", json={"body": "Hi"}, headers=partner.headers)
    names = [item["name"] for item in client.get("/api/v1/partners").get_json()["items"]]
    assert names == ["Fast", "Slow"]

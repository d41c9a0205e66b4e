"""The partner dashboard: sign-in and out, the deals board, a deal's page, tenancy and magic links."""
import re

from sqlalchemy import select

from app.extensions import db
from app.models import Deal, Message, OutboxMessage, Partner
from app.services import accounts
from tests.builders import make_partner
from tests.web.conftest import PASSWORD, direct_request, set_password, sign_in, text_of


def test_dashboard_needs_a_signed_in_partner_and_returns_to_the_wanted_page(client, clock):
    partner = make_partner(clock.now, email="nova@example.com")
    deal_id, _ = direct_request(client, partner.id)
    answer = client.get(f"/dashboard/deals/{deal_id}")
    assert answer.status_code == 302 and "/dashboard/login?next=" in answer.location
    set_password(partner.id)
    login_page = text_of(client.get(answer.location))
    action = re.search(r'<form method="post" action="([^"]+)"', login_page).group(1).replace("&amp;", "&")
    signed_in = client.post(action, data={"email": "nova@example.com", "password": PASSWORD})
    assert signed_in.location == f"/dashboard/deals/{deal_id}"
    client.post("/dashboard/logout")
    elsewhere = client.post("/dashboard/login?next=https://evil.example/", data={
        "email": "nova@example.com", "password": PASSWORD})
    assert elsewhere.location == "/dashboard"


def test_sign_in_with_a_wrong_password_is_refused_without_saying_which_part(client, clock):
    partner = make_partner(clock.now, email="nova@example.com")
    set_password(partner.id)
    for email, password in (("nova@example.com", "wrong password"), ("nobody@example.com", PASSWORD)):
        answer = client.post("/dashboard/login", data={"email": email, "password": password})
        assert answer.status_code == 422 and "The email or the password is wrong." in text_of(answer)
        assert f'value="{email}"' in text_of(answer)
    assert client.get("/dashboard").status_code == 302


def test_sign_in_shows_the_board_and_sign_out_ends_the_session(client, clock):
    partner = make_partner(clock.now, name="Nova", email="nova@example.com")
    deal_id, _ = direct_request(client, partner.id)
    sign_in(client, partner.id, "nova@example.com")
    board = text_of(client.get("/dashboard"))
    assert re.search(r'id="column-new">New <span class="badge">1</span>', board)
    assert f'href="/dashboard/deals/{deal_id}"' in board and "Shop newsletter" in board
    assert client.post("/dashboard/logout").status_code == 302
    assert client.get("/dashboard").status_code == 302


def test_a_deal_moves_between_columns_and_a_missing_amount_is_shown_next_to_the_field(client, clock):
    partner = make_partner(clock.now, email="nova@example.com")
    deal_id, _ = direct_request(client, partner.id)
    sign_in(client, partner.id, "nova@example.com")
    assert client.post(f"/dashboard/deals/{deal_id}/move/in_progress").status_code == 302
    refused = client.post(f"/dashboard/deals/{deal_id}/move/lost", data={f"move-{deal_id}-lost-lost_reason": ""})
    assert refused.status_code == 422
    reason_error = rf'id="move-{deal_id}-lost-lost_reason-error">\s*<li>A lost deal needs a reason.'
    assert re.search(reason_error, text_of(refused))
    refused = client.post(f"/dashboard/deals/{deal_id}/move/won", data={f"move-{deal_id}-won-amount": "abc"})
    assert refused.status_code == 422 and 'value="abc"' in text_of(refused)
    assert re.search(rf'id="move-{deal_id}-won-amount-error">\s*<li>', text_of(refused))
    moved = client.post(f"/dashboard/deals/{deal_id}/move/won", data={f"move-{deal_id}-won-amount": "950"})
    assert moved.status_code == 302 and moved.location.endswith("/dashboard")
    deal = db.session.get(Deal, deal_id)
    assert (deal.status, str(deal.amount)) == ("won", "950.00")
    assert re.search(r'id="column-won">Won <span class="badge">1</span>', text_of(client.get("/dashboard")))


def test_deal_page_shows_history_messages_and_sends_messages_and_quick_responses(client, clock):
    partner = make_partner(clock.now, name="Nova", email="nova@example.com")
    deal_id, _ = direct_request(client, partner.id)
    client.post("/api/v1/templates", json={"name": "Thanks", "body": "Thanks {client_name}!"}, headers=partner.headers)
    sign_in(client, partner.id, "nova@example.com")
    html = text_of(client.get(f"/dashboard/deals/{deal_id}"))
    assert "anna@example.org" in html and "+49 30 1234567" in html and "Monthly newsletter for our shop." in html
    assert 'id="history-title"' in html and 'name="template_id"' in html
    answer = client.post(f"/dashboard/deals/{deal_id}/messages", data={"body": "When can we talk?"})
    assert answer.status_code == 302 and answer.location.endswith(f"/dashboard/deals/{deal_id}#messages")
    template_id = re.search(r'<option value="(\d+)">Thanks</option>', html).group(1)
    client.post(f"/dashboard/deals/{deal_id}/messages", data={"template_id": template_id})
    bodies = db.session.scalars(select(Message.body).where(Message.origin == "partner").order_by(Message.id)).all()
    assert bodies == ["When can we talk?", "Thanks Anna!"]
    emails = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.payload["template"].as_string() == "deal_message")).all()
    assert len(emails) == 2
    refused = client.post(f"/dashboard/deals/{deal_id}/messages", data={"body": ""})
    assert refused.status_code == 422 and "Give either body or template_id." in text_of(refused)


def test_a_partner_cannot_open_or_move_another_partners_deal(client, clock):
    mine = make_partner(clock.now, email="a@example.com")
    other = make_partner(clock.now, email="b@example.com")
    others_deal, _ = direct_request(client, other.id)
    sign_in(client, mine.id, "a@example.com")
    page = client.get(f"/dashboard/deals/{others_deal}")
    assert page.status_code == 404 and "Shop newsletter" not in text_of(page)
    assert client.post(f"/dashboard/deals/{others_deal}/move/lost",
                       data={f"move-{others_deal}-lost-lost_reason": "x"}).status_code == 404
    assert client.post(f"/dashboard/deals/{others_deal}/messages", data={"body": "hi"}).status_code == 404
    assert db.session.get(Deal, others_deal).status == "new"
    assert "Shop newsletter" not in text_of(client.get("/dashboard"))


def test_spam_mark_and_undo(client, clock):
    partner = make_partner(clock.now, email="nova@example.com")
    deal_id, _ = direct_request(client, partner.id)
    sign_in(client, partner.id, "nova@example.com")
    client.post(f"/dashboard/deals/{deal_id}/spam")
    assert db.session.get(Deal, deal_id).spam_marked_at is not None
    assert "Not spam after all" in text_of(client.get(f"/dashboard/deals/{deal_id}"))
    client.post(f"/dashboard/deals/{deal_id}/spam", data={"undo": "1"})
    assert db.session.get(Deal, deal_id).spam_marked_at is None


def magic_link_of(outbox_row) -> str:
    """Return the path of the sign-in link in an email."""
    return re.search(r"http://leads\.test(/dashboard/magic/\S+)", outbox_row.payload["text"]).group(1)


def test_magic_link_signs_in_for_a_few_minutes(client, clock):
    partner = make_partner(clock.now, email="nova@example.com")
    for email in ("nova@example.com", "nobody@example.com"):
        answer = client.post("/dashboard/magic-link", data={"email": email})
        assert answer.status_code == 200 and "a sign-in link is on its way" in text_of(answer)
    [row] = db.session.scalars(select(OutboxMessage)).all()
    assert row.payload["to"] == "nova@example.com" and row.partner_id == partner.id
    link = magic_link_of(row)
    assert client.get(link[:-2] + "xx").status_code == 401
    assert client.get(link).status_code == 302 and client.get("/dashboard").status_code == 200
    client.post("/dashboard/logout")
    clock.advance(minutes=16)
    assert client.get(link).status_code == 401


def test_a_new_password_ends_older_sessions(client, clock, ctx):
    partner = make_partner(clock.now, email="nova@example.com")
    sign_in(client, partner.id, "nova@example.com")
    assert client.get("/dashboard").status_code == 200
    accounts.set_password(partner.id, "another long password")
    db.session.commit()
    assert client.get("/dashboard").status_code == 302


def test_the_dashboard_language_is_kept_in_the_partners_profile(client, clock, ctx):
    partner = make_partner(clock.now, email="nova@example.com")
    sign_in(client, partner.id, "nova@example.com")
    assert 'lang="zh"' in text_of(client.get("/dashboard?lang=zh"))
    assert db.session.get(Partner, partner.id).ui_language == "zh"
    client.post("/dashboard/logout")
    fresh = ctx.test_client()
    fresh.post("/dashboard/login", data={"email": "nova@example.com", "password": PASSWORD})
    assert 'lang="zh"' in text_of(fresh.get("/dashboard"))


def test_magic_link_email_is_written_in_the_partners_language(client, clock):
    partner = make_partner(clock.now, email="nova@example.com")
    db.session.get(Partner, partner.id).ui_language = "ru"
    db.session.commit()
    client.post("/dashboard/magic-link", data={"email": "nova@example.com"})
    row = db.session.scalars(select(OutboxMessage)).one()
    assert re.search("[а-яА-Я]", row.payload["subject"]) and "<a href=" in row.payload["html"]


def section(html: str, section_id: str) -> str:
    """Return one section of a page, by its id."""
    found = re.search(rf'<section[^>]*id="{section_id}".*?</section>', html, re.S)
    assert found, f"no section {section_id!r} on the page"
    return found.group(0)


def test_the_board_shows_unanswered_requests_by_deadline_first_with_the_at_risk_ones_marked(client, clock):
    partner = make_partner(clock.now, email="nova@example.com")
    oldest, _ = direct_request(client, partner.id, email="first@example.org")
    clock.advance(hours=2)
    answered, _ = direct_request(client, partner.id, email="answered@example.org")
    client.post(f"/api/v1/deals/{answered}/messages", json={"body": "Hello"}, headers=partner.headers)
    younger, _ = direct_request(client, partner.id, email="second@example.org")
    clock.advance(hours=17)
    sign_in(client, partner.id, "nova@example.com")
    queue = section(text_of(client.get("/dashboard")), "queue")
    assert queue.index(f'id="queue-{oldest}"') < queue.index(f'id="queue-{younger}"')
    assert f'id="queue-{answered}"' not in queue and '<span class="badge">2</span>' in queue
    first, second = queue.split(f'id="queue-{younger}"')
    assert re.search(r'<time datetime="2026-03-03T09:00:00\+00:00">[^<]*10:00', first)  # in the partner's Berlin time
    assert "Answer soon" in first and "Answer soon" not in second


def test_labels_are_edited_on_the_deal_page_shown_on_the_board_and_filter_it(client, clock):
    partner = make_partner(clock.now, email="nova@example.com")
    vip, _ = direct_request(client, partner.id, email="vip@example.org")
    other, _ = direct_request(client, partner.id, email="other@example.org")
    sign_in(client, partner.id, "nova@example.com")
    saved = client.post(f"/dashboard/deals/{vip}/labels", data={"labels": "vip, refund,, vip"})
    assert saved.status_code == 302 and saved.location.endswith(f"/dashboard/deals/{vip}#labels")
    assert db.session.get(Deal, vip).labels == ["refund", "vip"]
    assert 'value="refund, vip"' in text_of(client.get(f"/dashboard/deals/{vip}"))
    board = text_of(client.get("/dashboard"))
    assert 'href="/dashboard?label=vip"' in section(board, "queue") and 'href="/dashboard?label=refund"' in board
    filtered = text_of(client.get("/dashboard?label=vip"))
    assert f'id="deal-{vip}"' in filtered and f'id="deal-{other}"' not in filtered
    assert f'id="queue-{other}"' not in filtered and 'name="label" value="vip"' in filtered
    moved = client.post(f"/dashboard/deals/{vip}/move/in_progress", data={"label": "vip"})
    assert moved.location.endswith("/dashboard?label=vip")
    refused = client.post(f"/dashboard/deals/{vip}/labels", data={"labels": "vip, " + "x" * 41})
    assert refused.status_code == 422 and re.search(r'id="labels-error">\s*<li>Length must be between 1 and 40.',
                                                    text_of(refused))
    assert "x" * 41 in text_of(refused) and db.session.get(Deal, vip).labels == ["refund", "vip"]
    client.post(f"/dashboard/deals/{vip}/labels", data={"labels": ""})
    assert db.session.get(Deal, vip).labels == []


def test_a_partner_cannot_label_another_partners_deal(client, clock):
    mine = make_partner(clock.now, email="a@example.com")
    other = make_partner(clock.now, email="b@example.com")
    others_deal, _ = direct_request(client, other.id)
    sign_in(client, mine.id, "a@example.com")
    assert client.post(f"/dashboard/deals/{others_deal}/labels", data={"labels": "mine"}).status_code == 404
    assert db.session.get(Deal, others_deal).labels == []

"""The floor of issue 8's load test: find-a-partner as one hand-written SQL transaction behind a bare Flask route.

It does the inserts the service does for a matched request — client upsert, request row, up to three deals in
each partner's first pipeline (created when missing) with their opening history, the client's confirmation and
one new-deal email per partner in the outbox, the partners' rotation and responsiveness marks — choosing the
partners as the service does (every filter; primary speakers of a requested language first, secondary ones
only when needed, each a pool of 50 in rotation order; then the capacity rule), but with no ORM, no schema
validation and no template rendering. Partners are locked in id order, so concurrent requests for the same
partners wait for each other but never deadlock.
Serve it with `gunicorn tests.bench.floor_app:app` and FLOOR_DATABASE_URL set.
"""
import json
import os

import psycopg
from flask import Flask, jsonify, request

CATALOGUE_SOURCES = ["matched", "alternative"]
NOW = "(now() AT TIME ZONE 'UTC')"

UPSERT_CLIENT = f"""
INSERT INTO clients (email, name, language, country, created_at) VALUES (%(email)s, %(name)s, %(language)s,
  %(country)s, {NOW}) ON CONFLICT (email) DO UPDATE SET name = EXCLUDED.name RETURNING id"""
INSERT_REQUEST = f"""
INSERT INTO lead_requests (client_id, mode, status, service_slug, filters, suggestions, category, title,
  description, budget_amount, budget_currency, created_at, follow_up_due_at, alternatives)
VALUES (%(client_id)s, 'matched', %(status)s, %(service)s, %(filters)s, '[]', 'general', %(title)s, '',
  %(amount)s, %(currency)s, {NOW}, {NOW} + interval '72 hours', '[]') RETURNING id"""
POOL = f"""
SELECT id FROM (
  SELECT p.id, p.monthly_capacity, p.ranking_band, p.last_assigned_at
  FROM partners p
  WHERE p.accepting_requests IS TRUE
    AND EXISTS (SELECT 1 FROM partner_services ps JOIN services s ON s.id = ps.service_id
                WHERE ps.partner_id = p.id AND s.slug = %(service)s)
    AND (%(country)s::text IS NULL OR p.country = %(country)s)
    AND {{language}}
  ORDER BY p.ranking_band DESC, p.last_assigned_at ASC NULLS FIRST, p.id
  LIMIT 50) AS pool
WHERE pool.monthly_capacity IS NULL OR pool.monthly_capacity > (
  SELECT count(*) FROM deals d WHERE d.partner_id = pool.id AND d.source = ANY(%(sources)s)
    AND d.created_at >= {NOW} - interval '30 days')
ORDER BY ranking_band DESC, last_assigned_at ASC NULLS FIRST, id
LIMIT 3"""
PICK_PRIMARY = POOL.format(language="(%(language)s::text IS NULL OR p.primary_language = %(language)s)")
PICK_SECONDARY = POOL.format(language="""p.primary_language <> %(language)s AND EXISTS (
         SELECT 1 FROM partner_languages pl WHERE pl.partner_id = p.id AND pl.language = %(language)s)""")
ENSURE_PIPELINES = """
INSERT INTO pipelines (partner_id, name, position)
SELECT x, 'Catalogue leads', 0 FROM unnest(%(ids)s::int[]) AS x
WHERE NOT EXISTS (SELECT 1 FROM pipelines WHERE partner_id = x)"""
INSERT_DEALS = f"""
INSERT INTO deals (partner_id, pipeline_id, request_id, client_id, source, status, title, description,
  budget_amount, budget_currency, ever_won, category, selection_reason, created_at, updated_at,
  clock_started_at, respond_by)
SELECT x, (SELECT id FROM pipelines WHERE partner_id = x ORDER BY position, id LIMIT 1), %(request_id)s,
  %(client_id)s, 'matched', 'new', %(title)s, '', %(amount)s, %(currency)s, false, 'general',
  json_build_object('rank', r), {NOW}, {NOW}, {NOW}, {NOW} + interval '24 hours'
FROM unnest(%(ids)s::int[]) WITH ORDINALITY AS u(x, r) RETURNING id"""
INSERT_HISTORY = f"""
INSERT INTO deal_status_changes (deal_id, from_status, to_status, actor, at)
SELECT d, NULL, 'new', 'system', {NOW} FROM unnest(%(deal_ids)s::int[]) AS d"""
OUTBOX = "INSERT INTO outbox (channel, dedupe_key, payload, partner_id, status, attempts, next_attempt_at, created_at)"
CONFIRM = OUTBOX + f"""
VALUES ('email', 'client-confirmation:' || %(request_id)s, json_build_object('to', %(email)s::text,
  'subject', 'Your request "' || %(title)s || '"', 'template', 'client_confirmation',
  'text', 'Hello ' || %(name)s || ', we sent your request to ' || %(count)s || ' partners.',
  'html', '<p>Hello ' || %(name)s || ', we sent your request to ' || %(count)s || ' partners.</p>'),
  NULL, 'pending', 0, {NOW}, {NOW})"""
NEW_DEAL_EMAILS = OUTBOX + f"""
SELECT 'email', 'new-deal:' || d.id, json_build_object('to', p.email, 'subject', 'New request: ' || d.title,
  'template', 'partner_new_deal', 'text', 'Hello ' || p.name || ', ' || %(name)s || ' sent you a request.',
  'html', '<p>Hello ' || p.name || ', ' || %(name)s || ' sent you a request.</p>'),
  p.id, 'pending', 0, {NOW}, {NOW}
FROM deals d JOIN partners p ON p.id = d.partner_id
WHERE d.id = ANY(%(deal_ids)s) AND p.notify_new_deals"""
LOCK_PARTNERS = "SELECT id FROM partners WHERE id = ANY(%(ids)s) ORDER BY id FOR UPDATE"
MARK_PARTNERS = f"""
UPDATE partners SET last_assigned_at = {NOW},
  responsiveness_due_at = LEAST(responsiveness_due_at, {NOW} + interval '24 hours')
WHERE id = ANY(%(ids)s)"""

app = Flask(__name__)
_connection: psycopg.Connection | None = None


def connection() -> psycopg.Connection:
    """Return this worker's one database connection, opened on first use."""
    global _connection
    if _connection is None or _connection.closed:
        url = os.environ["FLOOR_DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://", 1)
        _connection = psycopg.connect(url)
    return _connection


def parameters(data: dict) -> dict:
    """Flatten a request body into the statements' parameters."""
    client, project, filters = data["client"], data["project"], data["filters"]
    budget = project.get("budget") or {}
    return {"email": client["email"].lower(), "name": client["name"], "language": client.get("language"),
            "country": client.get("country"), "service": filters["service"], "title": project["title"],
            "filters": json.dumps(filters), "amount": budget.get("amount"), "currency": budget.get("currency"),
            "sources": CATALOGUE_SOURCES, "language_filter": filters.get("language"),
            "country_filter": filters.get("country")}


def submit(values: dict) -> tuple[int, list[int]]:
    """Run the whole request in one transaction; return the request id and the chosen partners."""
    with connection().transaction(), connection().cursor() as cursor:
        values["client_id"] = cursor.execute(UPSERT_CLIENT, values).fetchone()[0]
        ids = pick(cursor, values | {"country": values["country_filter"], "language": values["language_filter"]})
        values |= {"ids": ids, "count": len(ids), "status": "matched" if ids else "unmatched"}
        values["request_id"] = cursor.execute(INSERT_REQUEST, values).fetchone()[0]
        if ids:
            cursor.execute(LOCK_PARTNERS, values)
            cursor.execute(ENSURE_PIPELINES, values)
            values["deal_ids"] = [row[0] for row in cursor.execute(INSERT_DEALS, values).fetchall()]
            cursor.execute(INSERT_HISTORY, values)
            cursor.execute(NEW_DEAL_EMAILS, values)
            cursor.execute(MARK_PARTNERS, values)
        cursor.execute(CONFIRM, values)
    return values["request_id"], ids


def pick(cursor: psycopg.Cursor, values: dict) -> list[int]:
    """Return up to three partners: primary speakers of the language first, secondary ones only if needed."""
    ids = [row[0] for row in cursor.execute(PICK_PRIMARY, values)]
    if len(ids) < 3 and values["language"]:
        ids += [row[0] for row in cursor.execute(PICK_SECONDARY, values)][:3 - len(ids)]
    return ids


@app.post("/api/v1/requests")
def create_request():
    """Take a find-a-partner request."""
    request_id, ids = submit(parameters(request.get_json()))
    return jsonify({"id": request_id, "mode": "matched", "status": "matched" if ids else "unmatched",
                    "partners": [{"id": partner_id} for partner_id in ids], "suggestions": []}), 201


@app.get("/healthz")
def healthz():
    """Answer that the floor is up."""
    return jsonify({"status": "ok"})

"""Deterministic CRM data for the sweep, contacts and responsiveness benchmarks, as chunks of table rows.

Every generator yields dicts of table name -> rows, in an order that satisfies the foreign keys, for
`crm_bench.load`. The partner catalogue comes from helper-4's `catalogue_data` (its partner rows and
Zipf-skewed services and languages); times are relative to its fixed `NOW`.
"""
import itertools
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from pipelines.responsiveness import DEFAULT_TARGETS as TARGET_HOURS
from pipelines.transitions import CLIENT_CHOSE_OTHER
from tests.bench import catalogue_data
from tests.bench.catalogue_data import NOW, partner_row, weighted

CHUNK_ROWS = 20_000
FOLLOW_UP = timedelta(hours=72)
DOWNTIME = timedelta(hours=48)  # due requests fell due at most this long before the sweep
HISTORY_DAYS = 365
CLIENT_LANGUAGES = (("en", 60), ("de", 10), ("ru", 10), ("fa", 5), ("zh", 5), ("es", 10))
CURRENCIES = (("EUR", 50), ("USD", 30), ("GBP", 12), ("RUB", 8))
ANSWERED_STATUSES = (("in_progress", 50), ("won", 25), ("lost", 25))
CONTACT_STATUSES = (("won", 35), ("lost", 20), ("new", 30), ("in_progress", 15))
FIRST_NAMES = ("anna", "Boris", "Chen", "Dara", "Émile", "farah", "Goran", "Hana", "Ivan", "Jules", "Kai", "Lena")
LAST_NAMES = ("Abbott", "van Dijk", "Bauer", "de Vries", "Chen", "ortega", "Ivanova", "Zhou", "Karimi", "Müller")


def money(rng: random.Random) -> Decimal:
    """Return a skewed project amount with cents."""
    return Decimal(f"{min(50_000.0, rng.lognormvariate(6.7, 0.9)):.2f}")


def client_rows(rng: random.Random, ids: range) -> list[dict]:
    """Return clients with unique emails, mixed-case names and languages."""
    return [{"id": i, "email": f"client{i}@bench.example", "phone": None, "country": None, "timezone": None,
             "name": f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
             "language": weighted(rng, CLIENT_LANGUAGES), "created_at": NOW - timedelta(days=HISTORY_DAYS * 3)}
            for i in ids]


def pipeline_rows(partner_ids: list[int], first_id: int = 1) -> list[dict]:
    """Return one "Catalogue leads" pipeline per partner."""
    return [{"id": first_id + n, "partner_id": partner_id, "name": "Catalogue leads", "position": 0}
            for n, partner_id in enumerate(partner_ids)]


def request_row(request_id: int, client_id: int, partner_id: int, created: datetime) -> dict:
    """Return a direct request, follow-up not yet decided."""
    return {"id": request_id, "client_id": client_id, "mode": "direct", "status": "matched",
            "direct_partner_id": partner_id, "service_slug": None, "filters": {}, "suggestions": [],
            "category": "general", "title": f"Project {request_id}", "description": "", "budget_amount": None,
            "budget_currency": None, "created_at": created, "follow_up_due_at": created + FOLLOW_UP,
            "follow_up_done_at": None, "follow_up_outcome": None, "alternatives": []}


def deal_row(deal_id: int, partner_id: int, pipeline_id: int, client_id: int, created: datetime, **values) -> dict:
    """Return a deal opened at `created` (status new, unanswered unless `values` say otherwise)."""
    return {"id": deal_id, "partner_id": partner_id, "pipeline_id": pipeline_id, "request_id": None,
            "client_id": client_id, "source": "direct", "status": "new", "title": f"Deal {deal_id}",
            "description": "", "budget_amount": None, "budget_currency": None, "amount": None, "currency": None,
            "lost_reason": None, "ever_won": False, "category": "general", "created_at": created,
            "updated_at": created, "first_response_at": None, "spam_marked_at": None, "clock_started_at": created,
            "last_auto_reply_at": None, "won_at": None, "chosen_at": None, "respond_by": None} | values


def outcome_values(rng: random.Random, status: str, moment: datetime) -> dict:
    """Return the deal columns of a status reached at `moment` (won: amount and currency; lost: a reason)."""
    values: dict = {"status": status, "updated_at": moment}
    if status == "won":
        values |= {"amount": money(rng), "currency": weighted(rng, CURRENCIES), "ever_won": True, "won_at": moment}
    if status == "lost":
        values["lost_reason"] = "not_interested"
    return values


# --- follow-up sweep -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SweepPlan:
    """A history of `total` direct requests of which `due` are due and unanswered."""

    total: int
    due: int
    partners: int = 2_000
    seed: int = 1

    @property
    def not_yet_due(self) -> int:
        """Return how many requests are younger than the follow-up delay (three days of traffic)."""
        return self.total * 3 // HISTORY_DAYS

    @property
    def clients(self) -> int:
        """Return how many clients send the requests (five each on average)."""
        return max(1, self.total // 5)


def sweep_catalogue(plan: SweepPlan) -> dict[str, list[dict]]:
    """Return the catalogue tables, every partner with a pipeline."""
    tables = catalogue_data.generate(plan.seed, plan.partners)
    have = {row["partner_id"] for row in tables["pipelines"]}
    missing = [row["id"] for row in tables["partners"] if row["id"] not in have]
    tables["pipelines"] += pipeline_rows(missing, len(tables["pipelines"]) + 1)
    return tables


def sweep_chunks(plan: SweepPlan) -> Iterator[dict[str, list[dict]]]:
    """Yield the catalogue, the clients, then requests with their deals in creation order."""
    catalogue = sweep_catalogue(plan)
    yield catalogue
    rng = random.Random(plan.seed)
    first_client = len(catalogue["clients"]) + 1
    clients = range(first_client, first_client + plan.clients)
    for start in range(clients.start, clients.stop, CHUNK_ROWS):
        yield {"clients": client_rows(rng, range(start, min(start + CHUNK_ROWS, clients.stop)))}
    pipelines = {row["partner_id"]: row["id"] for row in catalogue["pipelines"]}
    accepting = [row["id"] for row in catalogue["partners"] if row["accepting_requests"]]
    moments = sorted(request_moments(rng, plan))
    deal_ids = itertools.count(len(catalogue["deals"]) + 1)
    for start in range(0, len(moments), CHUNK_ROWS):
        pairs = [sweep_pair(rng, start + n + 1, next(deal_ids), kind, created, rng.choice(accepting), pipelines,
                            rng.choice(clients)) for n, (created, kind) in enumerate(moments[start:start + CHUNK_ROWS])]
        yield {"lead_requests": [pair[0] for pair in pairs], "deals": [pair[1] for pair in pairs]}


def request_moments(rng: random.Random, plan: SweepPlan) -> Iterator[tuple[datetime, str]]:
    """Yield (created_at, kind): kind decided (older), due (fell due in the last DOWNTIME) or young."""
    for _ in range(plan.due):
        yield NOW - FOLLOW_UP - DOWNTIME * rng.random(), "due"
    for _ in range(plan.not_yet_due):
        yield NOW - FOLLOW_UP * rng.uniform(0.001, 0.999), "young"
    oldest = timedelta(days=HISTORY_DAYS) - FOLLOW_UP - DOWNTIME
    for _ in range(plan.total - plan.due - plan.not_yet_due):
        yield NOW - FOLLOW_UP - DOWNTIME - oldest * rng.random(), "decided"


def sweep_pair(rng: random.Random, request_id: int, deal_id: int, kind: str, created: datetime, partner_id: int,
               pipelines: dict[int, int], client_id: int) -> tuple[dict, dict]:
    """Return one direct request and its deal; decided ones mostly answered, due ones never."""
    request = request_row(request_id, client_id, partner_id, created)
    deal = deal_row(deal_id, partner_id, pipelines[partner_id], client_id, created, request_id=request_id,
                    respond_by=created + timedelta(hours=TARGET_HOURS["general"]))
    answered_at = created + timedelta(hours=rng.uniform(0.05, 70))
    answered = kind != "due" and rng.random() < (0.85 if kind == "decided" else 0.5) and answered_at < NOW
    if answered:
        deal |= outcome_values(rng, weighted(rng, ANSWERED_STATUSES), answered_at) | {"first_response_at": answered_at}
    if kind == "decided":
        request |= {"follow_up_done_at": request["follow_up_due_at"] + timedelta(seconds=rng.uniform(1, 60)),
                    "follow_up_outcome": "answered" if answered else "sent",
                    "alternatives": [] if answered else [rng.randint(1, 2_000) for _ in range(3)]}
    return request, deal


# --- My Contacts -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ContactsPlan:
    """One partner with `clients` clients over `deals` deals, among `others` partners with their own deals."""

    clients: int = 10_000
    deals: int = 25_000
    others: int = 20
    other_deals: int = 2_500
    seed: int = 1


def partners_chunk(rng: random.Random, count: int) -> dict[str, list[dict]]:
    """Return `count` catalogue partners (ids 1..count, partner 1 the one measured) with a pipeline each."""
    partners = [partner_row(rng, partner_id) | {"monthly_capacity": None} for partner_id in range(1, count + 1)]
    return {"partners": partners, "pipelines": pipeline_rows([row["id"] for row in partners])}


def contacts_chunks(plan: ContactsPlan) -> Iterator[dict[str, list[dict]]]:
    """Yield partners, a pool of clients twice the measured partner's, then each partner's deals and offers."""
    rng = random.Random(plan.seed)
    yield partners_chunk(rng, plan.others + 1)
    pool = range(1, 2 * plan.clients + 1)
    yield {"clients": client_rows(rng, pool)}
    currency = {client_id: weighted(rng, CURRENCIES) for client_id in pool}
    deal_ids, offer_ids = itertools.count(1), itertools.count(1)
    mine = list(range(1, plan.clients + 1)) + [skewed(rng, plan.clients) for _ in range(plan.deals - plan.clients)]
    yield contact_deals(rng, 1, mine, currency, deal_ids, offer_ids)
    for partner_id in range(2, plan.others + 2):
        clients = [skewed(rng, len(pool)) for _ in range(plan.other_deals)]
        yield contact_deals(rng, partner_id, clients, currency, deal_ids, offer_ids)


def skewed(rng: random.Random, count: int) -> int:
    """Return a client id in 1..count, low ids far more often (a few clients order a lot)."""
    return 1 + int(count * rng.random() ** 3)


def contact_deals(rng: random.Random, partner_id: int, clients: list[int], currency: dict[int, str],
                  deal_ids: Iterator[int], offer_ids: Iterator[int]) -> dict[str, list[dict]]:
    """Return one deal per listed client (pipeline id = partner id) and the offers on them."""
    deals, offers = [], []
    for client_id in clients:
        created = NOW - timedelta(days=rng.uniform(1, 3 * HISTORY_DAYS))
        moment = min(NOW, created + timedelta(days=rng.uniform(0.1, 60)))
        deal = deal_row(next(deal_ids), partner_id, partner_id, client_id, created,
                        **outcome_values(rng, weighted(rng, CONTACT_STATUSES), moment))
        if deal["currency"] and rng.random() < 0.9:
            deal["currency"] = currency[client_id]
        deals.append(deal)
        offers += deal_offers(rng, deal, offer_ids)
    return {"deals": deals, "offers": offers}


def deal_offers(rng: random.Random, deal: dict, offer_ids: Iterator[int]) -> list[dict]:
    """Return a deal's offers: most won deals paid by offer (some after an unpaid one), some open deals unpaid."""
    won, offers = deal["status"] == "won", []
    if (won and rng.random() < 0.1) or (deal["status"] in ("new", "in_progress") and rng.random() < 0.3):
        offers.append(offer_row(rng, next(offer_ids), deal, deal["created_at"] + timedelta(hours=1), None))
    if won and rng.random() < 0.75:
        offers.append(offer_row(rng, next(offer_ids), deal, deal["won_at"] - timedelta(hours=1), deal["won_at"]))
    return offers


def offer_row(rng: random.Random, offer_id: int, deal: dict, created: datetime, paid_at: datetime | None) -> dict:
    """Return an offer on a deal; a paid one carries the deal's won amount and currency."""
    amount, currency = (deal["amount"], deal["currency"]) if paid_at else (money(rng), weighted(rng, CURRENCIES))
    return {"id": offer_id, "partner_id": deal["partner_id"], "deal_id": deal["id"], "client_id": deal["client_id"],
            "amount": amount, "currency": currency, "description": "", "created_at": created,
            "source": "direct" if rng.random() < 0.8 else "platform", "accepted_at": paid_at, "paid_at": paid_at,
            "paid_via": "partner" if paid_at else None, "reminders_sent": 0, "reminder_due_at": None,
            "reminder_reason": None}


# --- responsiveness --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResponsivenessPlan:
    """One partner with `in_window` new requests in the window and `outside` older ones, among `others`."""

    in_window: int = 10_000
    outside: int = 10_000
    others: int = 20
    other_requests: int = 2_000
    window_days: int = 60
    clients: int = 5_000
    seed: int = 1


def responsiveness_chunks(plan: ResponsivenessPlan) -> Iterator[dict[str, list[dict]]]:
    """Yield partners, clients, then each partner's requests (deal per request) in creation order."""
    rng = random.Random(plan.seed)
    yield partners_chunk(rng, plan.others + 1)
    yield {"clients": client_rows(rng, range(1, plan.clients + 1))}
    ids = itertools.count(1)
    window = timedelta(days=plan.window_days)
    yield timed_requests(rng, plan, 1, ids, plan.in_window, (NOW - window + timedelta(minutes=1), NOW))
    yield timed_requests(rng, plan, 1, ids, plan.outside, (NOW - timedelta(days=HISTORY_DAYS), NOW - window))
    share = plan.other_requests * plan.window_days // HISTORY_DAYS
    for partner_id in range(2, plan.others + 2):
        yield timed_requests(rng, plan, partner_id, ids, plan.other_requests - share, (
            NOW - timedelta(days=HISTORY_DAYS), NOW - window))
        yield timed_requests(rng, plan, partner_id, ids, share, (NOW - window + timedelta(minutes=1), NOW))


def timed_requests(rng: random.Random, plan: ResponsivenessPlan, partner_id: int, ids: Iterator[int], count: int,
                   span: tuple[datetime, datetime]) -> dict[str, list[dict]]:
    """Return `count` requests to one partner created inside span, each with its deal (same id)."""
    start, end = span
    moments = sorted(start + (end - start) * rng.random() for _ in range(count))
    requests, deals = [], []
    for created in moments:
        request_id = next(ids)
        client_id = rng.randint(1, plan.clients)
        request = request_row(request_id, client_id, partner_id, created)
        if request["follow_up_due_at"] <= NOW:
            request |= {"follow_up_done_at": request["follow_up_due_at"], "follow_up_outcome": "answered"}
        requests.append(request)
        deals.append(timed_deal(rng, request_id, partner_id, client_id, created))
    return {"lead_requests": requests, "deals": deals}


def timed_deal(rng: random.Random, deal_id: int, partner_id: int, client_id: int, created: datetime) -> dict:
    """Return a request's deal: a category, usually a first response after a skewed delay; rarely spam, or
    closed unanswered because the client chose another partner (which never counts against this one)."""
    category = "refund" if rng.random() < 0.15 else "general"
    deal = deal_row(deal_id, partner_id, partner_id, client_id, created, request_id=deal_id, category=category,
                    respond_by=created + timedelta(hours=TARGET_HOURS[category]))
    draw = rng.random()
    if draw < 0.02:
        return deal | {"spam_marked_at": created + timedelta(hours=rng.uniform(0.1, 20))}
    if draw < 0.05:
        return deal | outcome_values(rng, "lost", created + timedelta(hours=rng.uniform(1, 20))) | {
            "lost_reason": CLIENT_CHOSE_OTHER}
    answered_at = created + timedelta(hours=min(24 * 14, rng.lognormvariate(1.8, 1.1)))
    if draw < 0.90 and answered_at <= NOW:
        deal |= outcome_values(rng, weighted(rng, ANSWERED_STATUSES), answered_at)
        deal["first_response_at"] = answered_at
    return deal

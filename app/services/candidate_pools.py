"""Candidate pools for many requests at once: the pages `intake.read_pool` reads, fetched set-wise.

Requests with the same catalogue filters share one ordered list of accepting partners per language group
(primary speakers first, then the others), fetched in a few UNION ALL statements and kept for a whole sweep (a
snapshot: the sweep itself changes no partner). Each request then pages through the lists as read_pool pages
through a pool query (POOL_SIZE rows a page, at most MAX_POOLS pages, until PICK_COUNT candidates have capacity),
keeping only partners that offer one of its services (a direct request's) and skipping partners it has already;
the selection policy picks among its pages. So a request gets exactly the picks read_pool's pages would give it.
"""
import random
from dataclasses import dataclass, field, replace
from datetime import datetime
from itertools import islice

from sqlalchemy import Integer, Select, func, literal, select, union_all

from app.extensions import db
from app.models import Partner, partner_services
from app.services import catalogue, intake
from matching import PICK_COUNT, Candidate, SearchFilters, enough_with_capacity, language_match
from matching.selection import order_candidates

UNION_SIZE = 100  # lists fetched per statement (SQLite allows 500 SELECTs in one UNION)
FIRST_ROWS = 2 * intake.POOL_SIZE  # rows fetched of a list at first; each later fetch doubles them


@dataclass(frozen=True)
class Ask:
    """One request's ask: catalogue filters, services of which a partner must offer one, partners it has already."""

    filters: SearchFilters
    services: frozenset[int] | None
    contacted: frozenset[int]


@dataclass(frozen=True)
class Profile:
    """What the pools keep of a partner: its name, candidate (no language match yet), languages and services."""

    name: str
    candidate: Candidate
    primary_language: str
    secondary_languages: tuple[str, ...]
    services: frozenset[int]


@dataclass
class Listed:
    """The partner ids of one list fetched so far, in selection order."""

    ids: list[int] = field(default_factory=list)
    complete: bool = False


@dataclass
class Offered:
    """The partners of a list that offer one of some services, as far as the list has been checked."""

    ids: list[int] = field(default_factory=list)
    checked: int = 0


ListId = tuple[SearchFilters, int]  # catalogue filters and language group (0: primary speakers, or no language)


def listing(list_id: ListId) -> Select:
    """Return the SELECT of a list: accepting partners passing the filters, in a language group."""
    filters, group = list_id
    return intake.candidate_groups(catalogue.filtered(filters), filters.language or None)[group]


class CandidatePools:
    """Lists fetched on demand, batch-wise, with the candidates (and their 30-day load) as of `now`."""

    def __init__(self, now: datetime):
        self.now = now
        self.lists: dict[ListId, Listed] = {}
        self.profiles: dict[int, Profile] = {}
        self.offering: dict[tuple[ListId, frozenset[int] | None], Offered] = {}
        self.spoken: dict[tuple[int, str], Candidate] = {}

    def pick(self, asks: list[Ask], rng: random.Random) -> list[list[int]]:
        """Pick up to PICK_COUNT partners for each ask, in order, with the selection policy (no reasons: unused)."""
        pools: dict[int, list[Candidate]] = {}
        while len(pools) < len(asks):
            wanted: dict[ListId, int] = {}
            for number in (number for number in range(len(asks)) if number not in pools):
                found = self.pages(asks[number])
                if isinstance(found, list):
                    pools[number] = found
                else:
                    wanted[found[0]] = max(wanted.get(found[0], 0), found[1])
            if wanted:
                self.fetch(wanted)
        return [[candidate.partner_id for candidate in order_candidates(pools[number], ask.filters, rng)[:PICK_COUNT]]
                for number, ask in enumerate(asks)]

    def pages(self, ask: Ask) -> list[Candidate] | tuple[ListId, int]:
        """Return the candidates read_pool would page through, or a list and how many of its rows are needed."""
        pool: list[Candidate] = []
        for group in (0, 1) if ask.filters.language else (0,):
            list_id = (ask.filters, group)
            listed = self.lists.get(list_id)
            if listed is None:
                return list_id, FIRST_ROWS
            rows = (partner_id for partner_id in self.offered(list_id, ask.services) if partner_id not in ask.contacted)
            for _ in range(intake.MAX_POOLS):
                chunk = list(islice(rows, intake.POOL_SIZE))
                if len(chunk) < intake.POOL_SIZE and not listed.complete:
                    return list_id, 2 * len(listed.ids)
                pool += [self.candidate(partner_id, ask.filters.language) for partner_id in chunk]
                if len(chunk) < intake.POOL_SIZE or enough_with_capacity(pool):
                    break
            if enough_with_capacity(pool):
                break
        return pool

    def offered(self, list_id: ListId, services: frozenset[int] | None) -> list[int]:
        """Return the list's partners offering one of the services (all of them without services), kept up to date."""
        ids, offered = self.lists[list_id].ids, self.offering.setdefault((list_id, services), Offered())
        offered.ids += [partner_id for partner_id in ids[offered.checked:]
                        if services is None or not services.isdisjoint(self.profiles[partner_id].services)]
        offered.checked = len(ids)
        return offered.ids

    def candidate(self, partner_id: int, language: str | None) -> Candidate:
        """Return a partner's candidate, with how it speaks the language."""
        profile = self.profiles[partner_id]
        if not language:
            return profile.candidate
        spoken = self.spoken.get((partner_id, language))
        if spoken is None:
            spoken = self.spoken[partner_id, language] = replace(profile.candidate, language_match=language_match(
                language, profile.primary_language, profile.secondary_languages))
        return spoken

    def fetch(self, wanted: dict[ListId, int]) -> None:
        """Fetch the lists' next rows, up to the number wanted of each, UNION_SIZE lists a statement."""
        items, new = list(wanted.items()), set()
        for start in range(0, len(items), UNION_SIZE):
            chunk = items[start:start + UNION_SIZE]
            found: list[list[int]] = [[] for _ in chunk]
            for number, partner_id, _ in db.session.execute(union_all(*(
                    self.more(number, list_id, rows) for number, (list_id, rows) in enumerate(chunk)))
                    .order_by("list", "rank")):
                found[number].append(partner_id)
            for (list_id, rows), ids in zip(chunk, found, strict=True):
                listed = self.lists.setdefault(list_id, Listed())
                listed.complete = len(ids) < rows - len(listed.ids)
                listed.ids += ids
                new.update(ids)
        self.load(new - self.profiles.keys())

    def more(self, number: int, list_id: ListId, rows: int) -> Select:
        """Return the SELECT of a list's next rows (up to `rows` in all), labelled with its number."""
        offset = len(self.lists[list_id].ids) if list_id in self.lists else 0
        ranked = listing(list_id).with_only_columns(
            literal(number, Integer).label("list"), Partner.id.label("partner_id"),
            func.row_number().over(order_by=intake.POOL_ORDER).label("rank"))
        return select(ranked.order_by(*intake.POOL_ORDER).limit(rows - offset).offset(offset).subquery())

    def load(self, partner_ids: set[int]) -> None:
        """Keep the profiles of partners: their candidates with the 30-day catalogue load, languages, services."""
        if not partner_ids:
            return
        partners = list(db.session.scalars(select(Partner).where(Partner.id.in_(sorted(partner_ids)))))
        services = services_of(partner_ids)
        for partner, candidate in zip(partners, intake.candidates(partners, None, self.now), strict=True):
            self.profiles[partner.id] = Profile(partner.name, candidate, partner.primary_language,
                                                tuple(partner.secondary_languages), services[partner.id])


def services_of(partner_ids: set[int]) -> dict[int, frozenset[int]]:
    """Return the ids of the services each partner offers."""
    services: dict[int, set[int]] = {partner_id: set() for partner_id in partner_ids}
    for partner_id, service_id in db.session.execute(select(partner_services).where(
            partner_services.c.partner_id.in_(sorted(partner_ids)))):
        services[partner_id].add(service_id)
    return {partner_id: frozenset(offered) for partner_id, offered in services.items()}

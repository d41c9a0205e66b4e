"""A tiny check of several web hosts behind a load balancer, for docs/scaling.md (loopback only, bounded).

Usage: .venv/bin/python tests/bench/scale_check.py LB_PORT HOST_PORT...
It sends catalogue searches and find-a-partner requests through the balancer, reads each host's /metrics to
see who served what, signs in with a form (CSRF token and session cookie from one host, POST landing on another)
until the per-email limit answers 429, and checks that the schedulers delivered every confirmation exactly once.
"""
import os
import re
import sys
import time
import uuid

import requests
import sqlalchemy
from sqlalchemy import text

SEARCHES = 20
SUBMISSIONS = 10
SIGN_INS = 8
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
SERVED = re.compile(r'http_requests_total\{method="(\w+)",route="([^"]+)",status="(\d+)"\} ([\d.]+)')


def base(port: int) -> str:
    """Return the loopback URL of a port."""
    return f"http://127.0.0.1:{port}"


def search_and_submit(balancer: int) -> list[int]:
    """Send searches and find-a-partner requests through the balancer; return the request ids."""
    statuses = [requests.get(f"{base(balancer)}/api/v1/partners", params={"service": "seo"}, timeout=30).status_code
                for _ in range(SEARCHES)]
    print(f"{SEARCHES} searches through the balancer: statuses {sorted(set(statuses))}")
    ids = []
    for number in range(SUBMISSIONS):
        answer = requests.post(f"{base(balancer)}/api/v1/requests", timeout=30, json={
            "client": {"name": "Scale Check", "email": f"scale-{uuid.uuid4().hex[:10]}@example.org"},
            "project": {"title": f"Scale check {number}"}, "filters": {"service": "seo"}})
        ids.append(answer.json()["id"])
    print(f"{SUBMISSIONS} find-a-partner requests through the balancer: ids {ids[0]}…{ids[-1]}")
    return ids


def served_by(hosts: list[int]) -> None:
    """Print how many API requests each host served, from its own multiprocess metrics."""
    for port in hosts:
        body = requests.get(f"{base(port)}/metrics", timeout=30).text
        counts = {}
        for method, route, _, value in SERVED.findall(body):
            if route.startswith("/api/v1/"):
                counts[f"{method} {route}"] = counts.get(f"{method} {route}", 0) + int(float(value))
        print(f"host :{port} served (its gunicorn workers summed by PROMETHEUS_MULTIPROC_DIR): {counts}")


def sign_in_statuses(balancer: int) -> list[int]:
    """Post the sign-in form with one email until the shared per-email limit answers 429."""
    statuses, session = [], requests.Session()
    for _ in range(SIGN_INS):
        page = session.get(f"{base(balancer)}/dashboard/login", timeout=30)
        token = CSRF.search(page.text).group(1)
        answer = session.post(f"{base(balancer)}/dashboard/login", timeout=30, data={
            "csrf_token": token, "email": "nobody@example.org", "password": "wrong"})
        statuses.append(answer.status_code)
    return statuses


def delivered_once(request_ids: list[int], seconds: float = 30) -> None:
    """Wait for the schedulers to deliver each request's confirmation; print the attempts each took."""
    engine = sqlalchemy.create_engine(os.environ["DATABASE_URL"])
    keys = [f"client-confirmation:{request_id}" for request_id in request_ids]
    deadline = time.monotonic() + seconds
    with engine.connect() as connection:
        while True:
            rows = connection.execute(text("SELECT status, attempts FROM outbox WHERE dedupe_key = ANY(:keys)"),
                                      {"keys": keys}).all()
            if all(status == "sent" for status, _ in rows) or time.monotonic() > deadline:
                break
            time.sleep(1)
            connection.rollback()
    print(f"confirmations: {len(rows)} rows for {len(keys)} requests, statuses {sorted({s for s, _ in rows})}, "
          f"attempts {sorted({a for _, a in rows})}")
    engine.dispose()


def main() -> None:
    """Run the checks against the balancer and its hosts."""
    balancer, hosts = int(sys.argv[1]), [int(port) for port in sys.argv[2:]]
    ids = search_and_submit(balancer)
    served_by(hosts)
    print(f"sign-in form, one email, {SIGN_INS} posts through the balancer: {sign_in_statuses(balancer)}")
    delivered_once(ids)


if __name__ == "__main__":
    main()

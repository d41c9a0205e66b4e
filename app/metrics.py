"""Prometheus metrics: request counts and latencies, intake, transitions, sweeps and the outbox."""

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

HTTP_REQUESTS = Counter("http_requests_total", "HTTP requests by route and status", ["method", "route", "status"])
HTTP_LATENCY = Histogram("http_request_duration_seconds", "HTTP request latency by route", ["method", "route"])
LEAD_REQUESTS = Counter("lead_requests_total", "Client requests taken, by mode and outcome", ["mode", "status"])
DEAL_TRANSITIONS = Counter("deal_transitions_total", "Deal status moves", ["from_status", "to_status"])
SWEEP_DURATION = Histogram("sweep_duration_seconds", "Duration of each part of the scheduled sweep", ["part"])
FOLLOW_UPS = Counter("follow_ups_total", "Follow-up decisions by outcome", ["outcome"])


def exposition(outbox_counts: dict[str, int], multiprocess_dir: str | None) -> tuple[bytes, str]:
    """Render every metric, plus the outbox by status as read now, in the Prometheus text format."""
    registry = REGISTRY
    if multiprocess_dir:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    outbox_registry = CollectorRegistry()
    gauge = Gauge("outbox_messages", "Outbox rows by status", ["status"], registry=outbox_registry)
    for status, count in outbox_counts.items():
        gauge.labels(status=status).set(count)
    return generate_latest(registry) + generate_latest(outbox_registry), CONTENT_TYPE_LATEST

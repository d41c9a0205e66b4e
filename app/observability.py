"""Request ids, structured JSON logs without contact details or tokens, and request metrics."""
import json
import logging
import re
import time
import uuid

from flask import Flask, g, has_request_context, request

from app.metrics import HTTP_LATENCY, HTTP_REQUESTS

REDACTIONS = (
    (re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+"), "<email>"),
    (re.compile(r"(?i)bearer\s+\S+"), "Bearer <redacted>"),
    (re.compile(r"/client/[^/\s?\"']+"), "/client/<token>"),
    (re.compile(r"\b(lp_|whsec_)[\w-]+"), r"\1<redacted>"),
    (re.compile(r"(?<![\w-])(?!\d{4}-\d{2}-\d{2})\+?\d[\d ()-]{7,}\d"), "<phone>"),  # not ISO dates
)
REQUEST_ID = re.compile(r"^[\w.-]{1,64}$")
access_log = logging.getLogger("access")


def redact(text: str) -> str:
    """Remove email addresses, phone numbers, tokens and client links from a log text."""
    for pattern, replacement in REDACTIONS:
        text = pattern.sub(replacement, text)
    return text


class JsonFormatter(logging.Formatter):
    """One JSON object per line, redacted, with the request id when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {"time": self.formatTime(record), "level": record.levelname, "logger": record.name,
                 "message": redact(record.getMessage())}
        entry.update({key: value for key, value in vars(record).items() if key in {"request_id", "http"}})
        if "request_id" not in entry and has_request_context():
            entry["request_id"] = g.get("request_id")
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, default=str)


def configure_logging(level: str) -> None:
    """Send every log record to stderr as redacted JSON."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers = [h for h in root.handlers if not isinstance(h.formatter, JsonFormatter)] + [handler]
    root.setLevel(level)


def start_request() -> None:
    """Take the caller's X-Request-ID (or make one) and start the clock."""
    given = request.headers.get("X-Request-ID", "")
    g.request_id = given if REQUEST_ID.match(given) else uuid.uuid4().hex
    g.started = time.perf_counter()


def finish_request(response):
    """Return the request id, count and time the request, and log one redacted access line."""
    elapsed = time.perf_counter() - g.get("started", time.perf_counter())
    route = request.url_rule.rule if request.url_rule else "unmatched"
    HTTP_REQUESTS.labels(request.method, route, str(response.status_code)).inc()
    HTTP_LATENCY.labels(request.method, route).observe(elapsed)
    response.headers["X-Request-ID"] = g.get("request_id", "")
    if access_log.isEnabledFor(logging.INFO):  # the redaction's regexes run only for a line that is written
        access_log.info("%s %s %s", request.method, redact(request.path), response.status_code, extra={
            "request_id": g.get("request_id"), "http": {"route": route, "status": response.status_code,
                                                        "duration_ms": round(elapsed * 1000, 2)}})
    return response


def init_observability(app: Flask) -> None:
    """Install JSON logging and the per-request hooks."""
    if not app.testing:
        configure_logging(app.config["LOG_LEVEL"])
    app.before_request(start_request)
    app.after_request(finish_request)

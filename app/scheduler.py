"""APScheduler as a timer only: one sweep job with a fixed id; all due work is state in the database."""
import logging
import random
import socket
import uuid

from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask

from app.clock import system_now
from app.extensions import db
from app.services.jobs import run_due

SWEEP_JOB_ID = "sweep"
logger = logging.getLogger("scheduler")


def worker_name() -> str:
    """Return a name unique to this scheduler process."""
    return f"{socket.gethostname()}-{uuid.uuid4().hex[:8]}"


def sweep_once(app: Flask, worker_id: str) -> None:
    """Run one sweep as of now, in an app context; never let an error kill the timer."""
    with app.app_context():
        try:
            logger.info("sweep %s", run_due(system_now(), worker_id, random.Random()))
        except Exception:
            db.session.rollback()
            logger.exception("sweep failed; the next one retries")


def build_scheduler(app: Flask, interval_seconds: int = 60) -> BlockingScheduler:
    """Return a scheduler waking the sweep every interval (fixed job id, replace_existing)."""
    scheduler = BlockingScheduler(timezone="UTC")
    scheduler.add_job(sweep_once, "interval", seconds=interval_seconds, id=SWEEP_JOB_ID, replace_existing=True,
                      args=[app, worker_name()], max_instances=1, coalesce=True, next_run_time=system_now())
    return scheduler

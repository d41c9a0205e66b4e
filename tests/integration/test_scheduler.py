"""The scheduler is a timer only: one job with a fixed id that runs the database-driven sweep."""
import json
import random
from datetime import timedelta

from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import select

from app.extensions import db
from app.models import OutboxMessage
from app.scheduler import SWEEP_JOB_ID, build_scheduler, sweep_once
from app.services.intake import submit_request
from tests.builders import make_partner


def test_one_sweep_job_with_a_fixed_id_every_minute(ctx):
    scheduler = build_scheduler(ctx)
    [job] = scheduler.get_jobs()
    assert job.id == SWEEP_JOB_ID
    assert isinstance(job.trigger, IntervalTrigger) and job.trigger.interval == timedelta(minutes=1)
    assert job.max_instances == 1 and job.coalesce is True


def test_a_sweep_delivers_what_is_due_and_survives_errors(ctx, clock, monkeypatch, tmp_path):
    monkeypatch.setitem(ctx.config, "MAIL_URL", f"file://{tmp_path}")
    make_partner(clock.now)
    data = {"client": {"name": "Anna", "email": "anna@example.org"}, "project": {"title": "T", "description": ""},
            "filters": {"service": "email-marketing"}, "category": "general"}
    submit_request(data, clock.now, random.Random(1))
    db.session.commit()
    sweep_once(ctx, "test-worker")
    db.session.expire_all()
    assert set(db.session.scalars(select(OutboxMessage.status))) == {"sent"}
    monkeypatch.setattr("app.scheduler.run_due", lambda *args: 1 / 0)
    sweep_once(ctx, "test-worker")


def test_run_due_cli_reports_follow_ups_and_delivery(ctx, clock):
    result = ctx.test_cli_runner().invoke(args=["jobs", "run-due", "--now", "2026-03-05T10:00:00+01:00"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["now"] == "2026-03-05T10:00:00+01:00"
    assert summary["follow_ups"] == {} and summary["delivery"]["sent"] == 0

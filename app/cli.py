"""Flask CLI commands: demo data, partner tokens, scheduled jobs."""
import json
import random
import socket
from datetime import datetime

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import text

from app.clock import system_now
from app.extensions import db
from app.scheduler import build_scheduler
from app.services import demo, outbox_admin, payment_reminders
from app.services.errors import DomainError, NotFound
from app.services.jobs import run_due
from app.services.tokens import issue_token, revoke_token

demo_cli = AppGroup("demo", help="Demo data.")
partners_cli = AppGroup("partners", help="Partner administration.")
jobs_cli = AppGroup("jobs", help="Scheduled work.")


def parse_now(value: str | None) -> datetime:
    """Read --now as an aware datetime (UTC when no offset is given)."""
    if not value:
        return system_now()
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=system_now().tzinfo)


@demo_cli.command("load")
@click.option("--partners", "partner_count", default=50, show_default=True, help="How many partners.")
@click.option("--seed", default=7, show_default=True, help="Random seed, for repeatable data.")
def demo_load(partner_count: int, seed: int) -> None:
    """Load demo services, partners and deals (skipped when partners exist)."""
    summary = demo.load(partner_count, random.Random(seed), system_now())
    db.session.commit()
    db.session.execute(text("ANALYZE"))  # planner statistics for the new rows (SQLite never gathers its own)
    db.session.commit()
    click.echo(json.dumps(summary))


@partners_cli.command("token")
@click.argument("partner_id", type=int)
def partners_token(partner_id: int) -> None:
    """Print a new API token for a partner."""
    try:
        token = issue_token(partner_id, system_now())
    except NotFound as error:
        raise click.ClickException(error.message) from error
    db.session.commit()
    click.echo(token)


@jobs_cli.command("run-due")
@click.option("--now", "now_text", default=None, help="ISO 8601 moment to run as (default: now).")
def jobs_run_due(now_text: str | None) -> None:
    """Run all scheduled work due at --now, then deliver pending notifications."""
    summary = run_due(parse_now(now_text), worker_id=socket.gethostname(), rng=random.Random())
    click.echo(json.dumps(summary))


@click.command("scheduler")
@click.option("--interval", default=60, show_default=True, help="Seconds between sweeps.")
@with_appcontext
def scheduler_command(interval: int) -> None:
    """Run the scheduler: a sweep every minute (safe to run several at once)."""
    from flask import current_app

    scheduler = build_scheduler(current_app._get_current_object(), interval)
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        scheduler.shutdown(wait=False)


reminders_cli = AppGroup("reminders", help="Payment reminders.")


@reminders_cli.command("preview")
@click.option("--now", "now_text", default=None, help="ISO 8601 moment to decide as of (default: now).")
def reminders_preview(now_text: str | None) -> None:
    """Print what the reminder sweep would send and every skip with its reason; change nothing."""
    for decision in payment_reminders.preview(parse_now(now_text)):
        click.echo(json.dumps(decision))
    db.session.rollback()


outbox_cli = AppGroup("outbox", help="Notifications waiting, failed or uncertain.")


@outbox_cli.command("list")
@click.option("--status", "statuses", multiple=True, default=outbox_admin.NEEDS_AN_OPERATOR, show_default=True,
              help="Statuses to show (repeatable): pending, sending, sent, dead, unknown, discarded.")
@click.option("--limit", default=100, show_default=True)
def outbox_list(statuses: tuple[str, ...], limit: int) -> None:
    """List outbox rows (by default the dead and unknown ones an operator should look at)."""
    for message in outbox_admin.listing(tuple(statuses), limit):
        click.echo(json.dumps({
            "id": message.id, "status": message.status, "channel": message.channel, "key": message.dedupe_key,
            "attempts": message.attempts, "created_at": message.created_at.isoformat(),
            "last_error": message.last_error}))


@outbox_cli.command("retry")
@click.argument("message_id", type=int)
def outbox_retry(message_id: int) -> None:
    """Send a dead or unknown notification again at the next delivery."""
    operator_action(outbox_admin.retry, message_id)


@outbox_cli.command("discard")
@click.argument("message_id", type=int)
def outbox_discard(message_id: int) -> None:
    """Give up on a notification that was not sent."""
    operator_action(outbox_admin.discard, message_id)


def operator_action(action, message_id: int) -> None:
    """Run an outbox action, commit, and print the row's new status (errors as clear messages)."""
    try:
        message = action(message_id, system_now())
    except DomainError as error:
        raise click.ClickException(error.message) from error
    db.session.commit()
    click.echo(f"{message.id} {message.status}")


def register_commands(app: Flask) -> None:
    """Attach the command groups to the app."""
    for command in (demo_cli, partners_cli, jobs_cli, reminders_cli, outbox_cli, scheduler_command):
        app.cli.add_command(command)


@partners_cli.command("revoke")
@click.argument("token")
def partners_revoke(token: str) -> None:
    """Revoke a partner API token."""
    revoked = revoke_token(token, system_now())
    db.session.commit()
    click.echo("revoked" if revoked else "no such live token")
    if not revoked:
        raise SystemExit(1)

"""CLI for partner dashboard accounts: `flask --app wsgi partners set-password PARTNER_ID`."""
import click
from flask import Flask

from app.cli import partners_cli
from app.extensions import db
from app.services import accounts
from app.services.errors import Invalid, NotFound


@click.command("set-password")
@click.argument("partner_id", type=int)
@click.password_option("--password", help="The new password (asked for when not given).")
def set_password_command(partner_id: int, password: str) -> None:
    """Set a partner's dashboard password."""
    try:
        partner = accounts.set_password(partner_id, password)
    except NotFound as error:
        raise click.ClickException(error.message) from error
    except Invalid as error:
        raise click.ClickException(" ".join(m for messages in error.fields.values() for m in messages)) from error
    db.session.commit()
    click.echo(f"Password set for partner {partner.id} ({partner.email}).")


def register_account_commands(app: Flask) -> None:
    """Add the account commands to the `partners` group."""
    if "set-password" not in partners_cli.commands:
        partners_cli.add_command(set_password_command)

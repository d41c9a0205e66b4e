"""`flask --app wsgi partners set-password PARTNER_ID`."""
from app.services import accounts
from tests.builders import make_partner


def test_set_password_lets_the_partner_sign_in(ctx, clock):
    partner = make_partner(clock.now, email="nova@example.com")
    result = ctx.test_cli_runner().invoke(args=["partners", "set-password", str(partner.id)],
                                          input="a good long password\na good long password\n")
    assert result.exit_code == 0, result.output
    assert f"Password set for partner {partner.id}" in result.output
    assert accounts.authenticate("nova@example.com", "a good long password").id == partner.id


def test_set_password_refuses_short_passwords_and_unknown_partners(ctx, clock):
    partner = make_partner(clock.now)
    runner = ctx.test_cli_runner()
    short = runner.invoke(args=["partners", "set-password", str(partner.id), "--password", "short"])
    assert short.exit_code != 0 and "at least 10 characters" in short.output
    unknown = runner.invoke(args=["partners", "set-password", "999", "--password", "long enough password"])
    assert unknown.exit_code != 0 and "999" in unknown.output

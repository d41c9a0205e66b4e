"""Validators for standard codes, backed by pycountry and zoneinfo."""
from functools import cache
from zoneinfo import available_timezones

import pycountry
from email_validator import EmailNotValidError, validate_email
from marshmallow import ValidationError, fields


@cache
def timezones() -> frozenset[str]:
    """Return the IANA zone names this machine knows."""
    return frozenset(available_timezones())


@cache
def codes(database: str, kind: str) -> frozenset[str]:
    """Return the codes of one kind (alpha_2, alpha_3) in a pycountry database, lower-cased as its lookups match."""
    return frozenset(getattr(entry, kind).lower() for entry in getattr(pycountry, database) if hasattr(entry, kind))


def check_country(value: str) -> None:
    """Accept an ISO 3166-1 alpha-2 country code."""
    if value.lower() not in codes("countries", "alpha_2"):
        raise ValidationError("Not an ISO 3166-1 alpha-2 country code.")


def check_language(value: str) -> None:
    """Accept an ISO 639-1 language code."""
    if value.lower() not in codes("languages", "alpha_2"):
        raise ValidationError("Not an ISO 639-1 language code.")


def check_currency(value: str) -> None:
    """Accept an ISO 4217 currency code."""
    if value.lower() not in codes("currencies", "alpha_3"):
        raise ValidationError("Not an ISO 4217 currency code.")


def check_timezone(value: str) -> None:
    """Accept an IANA time zone name."""
    if value not in timezones():
        raise ValidationError("Not an IANA time zone.")


class CodeField(fields.String):
    """A standard code, normalised (upper or lower case) and checked against its code list."""

    def __init__(self, check, upper: bool, **kwargs):
        super().__init__(**kwargs)
        self.check, self.upper = check, upper

    def _deserialize(self, value, attr, data, **kwargs):
        code = super()._deserialize(value, attr, data, **kwargs).strip()
        code = code.upper() if self.upper else code.lower()
        self.check(code)
        return code


def CountryCode(**kwargs) -> CodeField:
    """An upper-case ISO 3166-1 alpha-2 code."""
    return CodeField(check_country, upper=True, **kwargs)


def LanguageCode(**kwargs) -> CodeField:
    """A lower-case ISO 639-1 code."""
    return CodeField(check_language, upper=False, **kwargs)


def CurrencyCode(**kwargs) -> CodeField:
    """An upper-case ISO 4217 code."""
    return CodeField(check_currency, upper=True, **kwargs)


class EmailAddress(fields.String):
    """An email address checked and normalised by email-validator."""

    def _deserialize(self, value, attr, data, **kwargs):
        raw = super()._deserialize(value, attr, data, **kwargs)
        try:
            return validate_email(raw, check_deliverability=False).normalized.lower()
        except EmailNotValidError as error:
            raise ValidationError(str(error)) from error


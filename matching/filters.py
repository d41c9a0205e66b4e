"""Catalogue search filters and how a partner matches a requested language."""

from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import StrEnum

FILTER_NAMES: tuple[str, ...] = ("service", "country", "language", "type", "tier")
TEXT_QUERY = "q"


class LanguageMatch(StrEnum):
    """Name how a partner speaks the requested language."""

    PRIMARY = "primary"
    SECONDARY = "secondary"


@dataclass(frozen=True)
class SearchFilters:
    """Hold the catalogue filters a visitor or client asked for."""

    service: str | None = None
    country: str | None = None
    language: str | None = None
    type: str | None = None
    tier: str | None = None
    q: str | None = None

    def given(self) -> dict[str, str]:
        """Return the filters that are set (FILTER_NAMES only, not q)."""
        values = {name: getattr(self, name) for name in FILTER_NAMES}
        return {name: value for name, value in values.items() if value}

    def without(self, name: str) -> "SearchFilters":
        """Return a copy with one filter removed."""
        if name not in FILTER_NAMES and name != TEXT_QUERY:
            raise ValueError(f"unknown filter: {name!r}")
        return replace(self, **{name: None})

    def relaxations(self) -> dict[str, "SearchFilters"]:
        """Return, for each given filter, a copy of these filters without it."""
        return {name: self.without(name) for name in self.given()}


def language_match(language: str | None, primary: str, secondary: Iterable[str]) -> str | None:
    """Return 'primary', 'secondary' or None for how a partner speaks the language."""
    if not language:
        return None
    wanted = _language_code(language)
    if _language_code(primary) == wanted:
        return LanguageMatch.PRIMARY.value
    if wanted in {_language_code(code) for code in secondary}:
        return LanguageMatch.SECONDARY.value
    return None


def _language_code(code: str) -> str:
    """Return a language code in its canonical lower-case form."""
    return code.strip().lower()

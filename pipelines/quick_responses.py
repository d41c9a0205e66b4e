"""Quick-response templates with named placeholders such as {client_name}.

Write {{ and }} for literal braces. Only the bare names in PLACEHOLDERS are allowed: no positional
fields ({0}, {}), attributes or indexes ({a.b}, {a[0]}), conversions ({a!r}) or format specs ({a:>9}).
"""

import string
from collections.abc import Iterator, Mapping

PLACEHOLDERS = frozenset({"client_name", "partner_name", "project_title", "project_budget"})


class TemplateError(ValueError):
    """A template that cannot be filled; problems lists the offending pieces."""

    def __init__(self, message: str, problems: tuple[str, ...]) -> None:
        """Keep the offending pieces beside the message."""
        super().__init__(message)
        self.problems = problems


def unknown_placeholders(body: str) -> list[str]:
    """List, in order and once each, the fields of body that are not allowed placeholders.

    Each entry is written as in the template ("{0}", "{a.b}", "{client_name:>9}"); an unbalanced
    brace is reported as "{" or "}" and ends the scan.
    """
    problems: list[str] = []
    for piece in _fields(body):
        if piece not in problems and piece.strip("{}") not in PLACEHOLDERS:
            problems.append(piece)
    return problems


def _fields(body: str) -> Iterator[str]:
    """Yield each replacement field of body as written, then a lone brace if one is unbalanced."""
    try:
        for _, name, spec, conversion in string.Formatter().parse(body):
            if name is not None:
                yield _written(name, conversion, spec)
    except ValueError as error:
        yield "}" if str(error).startswith("Single '}'") else "{"


def _written(name: str, conversion: str | None, spec: str) -> str:
    """Rebuild a replacement field as the template writes it."""
    suffix = (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "")
    return "{" + name + suffix + "}"


def fill(body: str, values: Mapping[str, str]) -> str:
    """Replace the placeholders of body with values; raise TemplateError when it cannot."""
    problems = unknown_placeholders(body)
    if problems:
        listed = ", ".join(problems)
        raise TemplateError(f"unknown or malformed placeholders: {listed}", tuple(problems))
    missing = tuple(sorted({piece.strip("{}") for piece in _fields(body)} - set(values)))
    if missing:
        raise TemplateError(f"no value for: {', '.join(missing)}", missing)
    return body.format_map(values)

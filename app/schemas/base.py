"""The base of every input schema: text a database cannot store is refused with a clear message."""
from marshmallow import Schema, ValidationError, pre_load

UNSTORABLE = "Contains characters that cannot be stored (NUL or invalid Unicode)."


def storable(text: str) -> bool:
    """Tell whether text has no NUL and encodes as UTF-8 (no lone surrogates)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in text


def unstorable_fields(data) -> dict | list | None:
    """Return nested error messages for every unstorable string in data, or None."""
    if isinstance(data, str):
        return None if storable(data) else [UNSTORABLE]
    if isinstance(data, dict):
        found = {key: errors for key, value in data.items() if (errors := unstorable_fields(value))}
        bad_keys = [key for key in data if isinstance(key, str) and not storable(key)]
        return (found | ({"_schema": [UNSTORABLE]} if bad_keys else {})) or None
    if isinstance(data, list):
        found = {index: errors for index, value in enumerate(data) if (errors := unstorable_fields(value))}
        return found or None
    return None


class InputSchema(Schema):
    """A schema for request input."""

    @pre_load
    def refuse_unstorable_text(self, data, **kwargs):
        """Refuse NUL bytes and invalid Unicode anywhere in the input."""
        errors = unstorable_fields(dict(data) if hasattr(data, "keys") else data)
        if errors:
            raise ValidationError(errors if isinstance(errors, dict) else {"_schema": errors})
        return data

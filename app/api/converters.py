"""URL converters: an id beyond what the database stores is simply not found."""
from werkzeug.routing import IntegerConverter

from app.schemas.ids import MAX_ID


class IdConverter(IntegerConverter):
    """`<int:...>` limited to positive 32-bit ids, so an absurd id is a 404, never a database error."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)

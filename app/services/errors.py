"""Domain errors raised by services; the API maps them to HTTP in one place."""


class DomainError(Exception):
    """Base class: a rule of the domain refused the operation."""

    code = "error"

    def __init__(self, message: str, **details):
        super().__init__(message)
        self.message = message
        self.details = details


class Unauthenticated(DomainError):
    """The caller's credentials are missing, tampered with or expired."""

    code = "unauthorized"


class NotFound(DomainError):
    """The thing does not exist (or belongs to somebody else)."""

    code = "not_found"


class Conflict(DomainError):
    """The operation contradicts the current state."""

    code = "conflict"


class Invalid(DomainError):
    """Input is well-formed but breaks a rule; `fields` names the culprits."""

    code = "validation_error"

    def __init__(self, message: str, fields: dict[str, list[str]]):
        super().__init__(message)
        self.fields = fields


class TooMany(DomainError):
    """A cap was reached; retry after `retry_after` seconds."""

    code = "rate_limited"

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after

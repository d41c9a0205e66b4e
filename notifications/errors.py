"""The one error every transport raises, saying whether and when to try again."""


class DeliveryError(Exception):
    """A failed delivery, saying whether and when to try again."""

    def __init__(
        self,
        reason: str,
        *,
        retryable: bool,
        maybe_delivered: bool = False,
        retry_after: float | None = None,
        disable_endpoint: bool = False,
    ) -> None:
        super().__init__(reason)
        self.retryable = retryable
        self.maybe_delivered = maybe_delivered
        self.retry_after = retry_after
        self.disable_endpoint = disable_endpoint

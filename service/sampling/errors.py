"""Errors raised by the sampling core; each names the parameter (field) it is about."""


class SamplingError(ValueError):
    """Base class: bad input to the sampling core. `field` names the offending parameter."""

    def __init__(self, message: str, field: str = "logits"):
        super().__init__(message)
        self.field = field
        self.message = message


class InvalidLogitsError(SamplingError):
    """The logits array is malformed: wrong shape or dtype, NaN or +inf entries."""


class AllMaskedRowError(SamplingError):
    """A row has no finite logit, so there is nothing to sample from."""

    def __init__(self, row: int, by_bias: bool = False):
        if by_bias:
            super().__init__(f"row {row} has no finite logit left: logit_bias bans every "
                             "token the logits leave", field="logit_bias")
        else:
            super().__init__(
                f"row {row} has no finite logit: every token is masked (-inf)", field="logits"
            )
        self.row = row


class InvalidParameterError(SamplingError):
    """A sampling parameter is out of range, of the wrong type, or of the wrong length."""

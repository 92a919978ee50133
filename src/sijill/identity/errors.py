"""Errors that say what was wrong with a value, so an import report can name it."""


class IdentityError(ValueError):
    """A value could not be read; ``reason`` says why in words an analyst understands."""

    def __init__(self, value: object, reason: str):
        self.value = value
        self.reason = reason
        super().__init__(f"{reason}: {value!r}")


class InvalidIdentifier(IdentityError):
    """Not a valid unified national number."""


class InvalidDate(IdentityError):
    """Not a date that can be read."""


class UnknownValue(IdentityError):
    """Not one of the values known for this field (governorate, sex)."""

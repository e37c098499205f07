"""The shape of a rule's refusal: a public reason code, a message for a school secretary, the field at fault.

Domain rules raise subclasses; the services' plumbing answers them with one ``command_rejected``.
"""

from __future__ import annotations

from typing import ClassVar


class Refused(Exception):
    reason: ClassVar[str] = "invalid"
    """One of the contract's rejection reason codes."""
    maybe_not_yet: ClassVar[bool] = False
    """The refusal says something this service learns from another service's events is missing (a candidacy, an
    interview): after a failure delayed those events, it may still be on its way, and the command waits for it."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

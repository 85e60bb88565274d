"""Errors the engine raises. None of them ever carries the API secret (D8).

Messages are plain English sentences meant for the run log and the user; the Odoo side
may translate them.
"""

from __future__ import annotations

__all__ = [
    "MailjetAuthFailed",
    "MailjetError",
    "MailjetNotFound",
    "MailjetRequestRejected",
    "MailjetUnavailable",
]


class MailjetError(Exception):
    """Base class of every error the engine raises about Mailjet."""


class MailjetAuthFailed(MailjetError):
    """Mailjet refused the API key or secret (HTTP 401) or the access (HTTP 403)."""

    def __init__(self, status: int = 401) -> None:
        self.status = status
        if status == 403:
            message = (
                "Mailjet refused access for this API key (HTTP 403). Check that the key is "
                "active and allowed to manage contacts."
            )
        else:
            message = (
                f"Mailjet rejected the API key or secret (HTTP {status}). Check the API key "
                "and the secret key of the Mailjet interface."
            )
        super().__init__(message)


class MailjetUnavailable(MailjetError):
    """Mailjet did not answer usefully, even after the retries (429, 5xx, timeouts)."""


class MailjetRequestRejected(MailjetError):
    """Mailjet refused one request as invalid (HTTP 400); not retried."""

    def __init__(self, message: str, status: int = 400) -> None:
        self.status = status
        super().__init__(message)


class MailjetNotFound(MailjetRequestRejected):
    """The list, contact or job does not exist in Mailjet (HTTP 404)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, status=404)

"""Errors the engine raises. None of them ever carries the API secret (D8).

Each error has a ``code`` (one of ``notes.CODES``) and ``params``; ``note()`` makes the
run-log line of it, which the Odoo side renders in the reader's language. ``str(error)``
is a short technical text for the server log only.
"""

from __future__ import annotations

from typing import Any

from .notes import Note, Op

__all__ = [
    "MailjetAuthFailed",
    "MailjetError",
    "MailjetNotFound",
    "MailjetRequestRejected",
    "MailjetUnavailable",
]


class MailjetError(Exception):
    """Base class of every error the engine raises about Mailjet."""

    code = "mailjet_rejected"

    def __init__(self, params: dict[str, Any] | None = None) -> None:
        self.params = dict(params or {})
        super().__init__(str(Note(self.code, self.params)))

    def note(self, key=None) -> Note:
        return Note(self.code, self.params, key)


def _op_params(op: Op | None) -> dict[str, Any]:
    return {"op": op.code, **op.params} if op else {}


class MailjetAuthFailed(MailjetError):
    """Mailjet refused the API key or secret (HTTP 401) or the access (HTTP 403)."""

    def __init__(self, status: int = 401) -> None:
        self.status = status
        self.code = "auth_forbidden" if status == 403 else "auth_failed"
        super().__init__({"status": status})


class MailjetUnavailable(MailjetError):
    """Mailjet did not answer usefully, even after the retries (429, 5xx, timeouts)."""

    code = "mailjet_unavailable"

    def __init__(
        self, op: Op | None = None, *, attempts: int = 0, cause: str = "no_answer", status=None
    ) -> None:
        params = _op_params(op)
        params.update(attempts=attempts, cause=cause)
        if status:
            params["status"] = status
        super().__init__(params)


class MailjetRequestRejected(MailjetError):
    """Mailjet refused one request as invalid (HTTP 400); not retried."""

    code = "mailjet_rejected"

    def __init__(self, op: Op | None = None, detail: str = "", status: int = 400) -> None:
        self.status = status
        self.detail = detail
        super().__init__({**_op_params(op), "detail": detail, "status": status})


class MailjetNotFound(MailjetRequestRejected):
    """The list, contact or job does not exist in Mailjet (HTTP 404)."""

    code = "mailjet_not_found"

    def __init__(self, op: Op | None = None) -> None:
        super().__init__(op, "", status=404)

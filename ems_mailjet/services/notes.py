"""What the engine has to say, as codes with parameters, never as sentences.

Every line a sync writes to its run log is a ``Note``: a code from ``CODES`` (with its
level) and the values the sentence needs. The Odoo side turns each code into the
reader's language from one table (``models/ems_mailjet_messages.py``); a test fails when
a code here has no rendering there. Mailjet's own error text, when it matters, travels as
the ``detail`` parameter.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["CAUSES", "CODES", "ERROR", "INFO", "OPERATIONS", "WARNING", "Note", "Op"]

INFO = "info"
WARNING = "warning"
ERROR = "error"

# Run-log lines the engine (and the Odoo glue around it) writes, with their level.
CODES: dict[str, str] = {
    # one participant or contact
    "invalid_address": ERROR,  # email, reason_code, reason_params
    "signup_invalid_address": ERROR,  # email, reason_code, reason_params: not imported
    "contact_refused": ERROR,  # email, detail: Mailjet refused this contact
    "resignup_kept_declined": WARNING,  # email: signed up again, declined in the ERP
    "ambiguous_match": WARNING,  # email, count: several employees/partners
    "erased_in_mailjet": WARNING,  # count: participants whose contact Mailjet erased (GDPR)
    "push_held_back_bounce": WARNING,  # email: bounced hard, not pushed as subscribed
    "push_held_back_blacklist": WARNING,  # email: on the ERP's blacklist, not pushed
    # a bulk job
    "job_failed": ERROR,  # job_id, action, count, detail
    "job_unfinished": ERROR,  # job_id, action, count
    "job_unconfirmed": WARNING,  # job_id, action, count: outcome unknown, sent again
    # a list
    "list_no_name": ERROR,
    "list_name_taken": ERROR,  # name
    "list_renamed": INFO,  # name
    "list_recreated": WARNING,  # old_id, new_id
    "list_deleted": ERROR,  # list_id, name: deleted in Mailjet, a user decides
    # Mailjet as a whole (the engine's exceptions)
    "auth_failed": ERROR,  # status
    "auth_forbidden": ERROR,  # status
    "mailjet_unavailable": ERROR,  # op (+ its params), attempts, cause, status
    "mailjet_rejected": ERROR,  # op (+ its params), detail, status
    "mailjet_not_found": ERROR,  # op (+ its params)
}

# What the gateway was doing when Mailjet failed (the ``op`` parameter of an error).
OPERATIONS = frozenset(
    {
        "lists",  # the contact lists
        "create_list",  # name
        "rename_list",  # list_id, name
        "reinstate_list",  # list_id
        "count_members",  # list_id
        "count_excluded",  # list_id
        "list_members",  # list_id
        "list_contacts",  # list_id
        "contact",  # contact_id
        "delete_contact",  # contact_id: GDPR erasure
        "excluded",  # the contacts excluded from marketing
        "signups",  # list_id
        "all_signups",
        "all_unsubscribed",
        "contact_emails",
        "list_statistics",  # list_id
        "list_campaigns",  # list_id
        "campaign_statistics",  # campaign_id
        "campaign_messages",  # campaign_id
        "properties",  # the contact property definitions
        "create_property",  # name
        "push",  # action, count, list_id
        "job_state",  # job_id
        "job_errors",  # job_id
        "event_callbacks",
        "event_callback",  # event_type
        "resubscribe",  # email
    }
)

# Why Mailjet counted as unavailable (the ``cause`` parameter).
CAUSES = frozenset(
    {"rate_limit", "http_status", "timeout", "connection_failed", "unreadable_answer", "no_answer"}
)


@dataclass(frozen=True)
class Note:
    """One run-log line: a code, its parameters, and the participant it is about."""

    code: str
    params: Mapping[str, Any] = field(default_factory=dict)
    key: Hashable | None = None  # the participant's key, when the line is about one

    def __post_init__(self) -> None:
        if self.code not in CODES:
            raise ValueError(f"unknown run-log code {self.code!r}")

    @property
    def level(self) -> str:
        return CODES[self.code]

    def __str__(self) -> str:  # for the server log and test failures, never for users
        params = ", ".join(f"{k}={v!r}" for k, v in sorted(self.params.items()))
        return f"{self.code}({params})"


@dataclass(frozen=True)
class Op:
    """A gateway operation: what the request was for, as a code and its parameters."""

    code: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.code not in OPERATIONS:
            raise ValueError(f"unknown operation {self.code!r}")

    def __str__(self) -> str:
        params = " ".join(f"{k}={v}" for k, v in sorted(self.params.items()))
        return f"{self.code} {params}".strip()
